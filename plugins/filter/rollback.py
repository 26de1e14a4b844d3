# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over module_utils._rollback: how a failed deployment ends."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.routing_ml.deploy.plugins.module_utils import _rollback


def host_facts(hostvars, hosts, name):
    """The fact ``name`` of each of ``hosts`` that has it, in host order."""
    found = []
    for host in hosts:
        value = hostvars[host].get(name)
        if isinstance(value, dict):
            found.append(value)
    return found


def rollback_outcome(failures, version, gate, results=None, on_failure="rollback"):
    if on_failure not in ("rollback", "halt"):
        raise AnsibleFilterError("rollback_outcome: on_failure %r is not rollback or halt" % (on_failure,))
    return _rollback.outcome_message(version, gate, failures, results or [], on_failure)


def rollback_problem(entry, name, version, running, needs_copy=False, platform="linux"):
    return _rollback.host_problem(name, entry, version, running, needs_copy, can_copy=platform != "windows")


def lost_host_failures(hosts):
    return _rollback.lost_host_failures(hosts)


def changed_hosts(hostvars, hosts, version, lost=None):
    return _rollback.changed_hosts([(host, hostvars[host]) for host in hosts], version, lost or ())


class FilterModule(object):
    def filters(self):
        return {
            "host_facts": host_facts,
            "rollback_outcome": rollback_outcome,
            "rollback_problem": rollback_problem,
            "lost_host_failures": lost_host_failures,
            "changed_hosts": changed_hosts,
        }

# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter over module_utils._status: every host's answer to playbooks/status.yml."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.routing_ml.deploy.plugins.module_utils import _status


def status_answers(hostvars, hosts):
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("status_answers: hosts must be a list of host names, got %r" % (hosts,))
    answers = {}
    for host in hosts:
        facts = hostvars[host]
        answers[host] = _status.answer_of(facts.get("routing_ml_platform"), facts.get("routing_ml_status_answer"),
                                          facts.get("routing_ml_status_answer_windows"),
                                          facts.get("routing_ml_status_answer_backend"))
    return answers


class FilterModule(object):
    def filters(self):
        return {"status_answers": status_answers}

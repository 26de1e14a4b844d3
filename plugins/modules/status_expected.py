#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: status_expected
short_description: What each host should serve, by the workspace's records and its Stage 9 ledger
description:
  - The first step of C(playbooks/status.yml), on the controller, read-only.
  - Verifies the ledger's hash chain first; a broken ledger fails the task, since nothing it
    says can then be compared with.
  - Every deployment record (C(logs/deploy)) that names its gate says where that gate's run left
    its host; a C(Rolled Back) ledger record with one target says the gate's hosts went back to
    it. For each host the newest of these events, over the gates whose stage group
    (C(stage_alpha), C(stage_beta), C(stage_ga)) holds the host, and over the host's own
    records, is what it should serve. A host a failed batch never reached is then expected at
    the version the other hosts of its stage got (left behind).
  - The approved version of a host is the newest approval in the ledger at one of its gates
    (the gate policy's status), or the target of a newer rollback there.
  - A gate run's record whose version lacks, in the ledger, what the gate policy requires
    before that gate (Beta - Alpha's approval of the same version) is reported as untrusted.
  - Tells whether a deployment or rollback holds the environment's deploy lock now (a stale
    lock of this controller does not count), so that a host in the middle of one is reported
    as in progress, not as drift.
version_added: 0.5.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.read_only
  - routing_ml.deploy.attributes.controller
  - routing_ml.deploy.workspace
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  hosts:
    description: The hosts to expect something of; each must be in the C(web) or the C(backend) group of O(groups).
    type: list
    elements: str
    required: true
  groups:
    description: The inventory's groups and their hosts (the C(groups) variable), for each host's role and stages.
    type: dict
    required: true
  stage:
    description:
      - The controller's cache of staged bundles (the common role's C(routing_ml_stage)); a
        version's bundle is looked for at C(<stage>/frontend/<version>), to name the first file a
        node serves differently. When the version's approved zip is in the workspace, the cache is
        made its tree first (it is scratch, written in check mode too).
    type: path
  bundle:
    description:
      - The frontend bundle of a version, relative to O(workspace), with C({version}) in it. A web
        node is judged against the manifest of this zip, taken from the zip itself when its SHA256
        is the one the newest signed statement of the version (else its upload record) names;
        never against the staged cache.
    type: str
    default: build/frontend/RoutingMLFrontend_{version}.zip
  manifests:
    description:
      - Whether to return the approved manifest of every expected web version (RV(manifests)), for
        IIS nodes, whose check takes the manifest itself.
    type: bool
    default: false
  policy:
    description: The gate policy (C(routing_ml_gate_policy)); the default follows SOP 7.
    type: dict
  lock_dir:
    description: The deploy lock directory (C(routing_ml_lock_dir)); without it no lock is looked at.
    type: path
  environment:
    description: The environment whose deploy lock tells whether a deployment is in progress.
    type: str
"""

EXAMPLES = r"""
- name: What each host should serve
  routing_ml.deploy.status_expected:
    workspace: "{{ routing_ml_workspace }}"
    hosts: "{{ query('ansible.builtin.inventory_hostnames', 'web:backend') }}"
    groups: "{{ groups }}"
    stage: "{{ routing_ml_stage }}"
    lock_dir: "{{ routing_ml_lock_dir }}"
    environment: "{{ routing_ml_environment }}"
  register: expected
  delegate_to: localhost
"""

RETURN = r"""
hosts:
  description:
    - Per host - C(expected_version) and C(expected_by) (the record or ledger line behind it),
      C(expected_gate), C(expected_host), C(approved_version), C(approved_gate), C(manifest_sha256)
      of the expected version's manifest, C(staging) (its staged bundle on the controller, or
      null), C(untrusted) (why the expectation is not backed by the ledger, or null).
  returned: success
  type: dict
manifests:
  description: With O(manifests), the staged manifest text of each expected web version that is staged.
  returned: success
  type: dict
deploying:
  description: Whether a deployment or rollback holds the environment's deploy lock now.
  returned: success
  type: bool
lock:
  description: Who holds the lock, in a sentence; null when it is free.
  returned: success
  type: str
ledger_head:
  description: The SHA256 of the ledger's last record; null for an empty ledger.
  returned: success
  type: str
"""

import os
import zipfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _gate_checks, _ledger, _lock, _stage, _status
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    GATES, ValidationError, real_workspace, workspace_spec)


def host_facts(hosts, groups):
    """``{host: {"role", "groups"}}``: a host's role is the first of ``web``, ``backend`` it is in."""
    facts = {}
    for name in hosts:
        member_of = sorted(group for group, members in groups.items() if isinstance(members, list) and name in members)
        roles = [role for role in _status.ROLES if role in member_of]
        if not roles:
            raise ValidationError("hosts: %r is in neither the web nor the backend group (its groups: %s)" % (
                name, ", ".join(member_of) or "none"))
        facts[name] = dict(role=roles[0], groups=member_of)
    return facts


def staged_manifest(stage, version):
    """``(folder, sha256)`` of ``version``'s staged bundle under ``stage``; ``(None, None)``."""
    if not stage or not version:
        return None, None
    folder = os.path.join(stage, "frontend", version)
    try:
        return folder, _stage.staged(folder)["sha256"]
    except (ValidationError, IOError, OSError):
        return None, None


def approved_manifest(workspace, pattern, version, stage=None):
    """``(described manifest, None)`` of ``version``'s bundle in the workspace, pinned to the
    digest its newest signed statement (else its upload record) names; ``(None, why)`` when
    there is no such digest or zip, or the zip is not the approved one. With ``stage``, the
    cache there is made the approved tree (it is scratch; a file that differs is then named
    from the approved bytes, never from an edited cache)."""
    name = os.path.basename(pattern.replace("{version}", version))
    approved = _gate_checks.statement_digests(workspace, version, reversed(GATES)).get(name) or \
        _gate_checks.upload_digests(workspace, version).get(name)
    path = os.path.join(workspace, pattern.replace("{version}", version))
    if not approved or not os.path.isfile(path):
        return None, None
    try:
        if stage:
            return _stage.stage_locked(path, os.path.join(stage, "frontend", version), approved[1]), None
        return _stage.bundle_manifest(path, approved[1]), None
    except ValidationError:
        return None, "the workspace's %s is not the bundle %s approved (sha256 %s)" % (path, approved[0], approved[1])
    except (IOError, OSError, zipfile.BadZipfile) as exc:
        return None, "cannot read %s: %s" % (path, to_native(exc))


def lock_state(lock_dir, environment):
    """``(deploying, description)``: an unreadable lock counts as held, a stale one as free."""
    if not lock_dir or not environment:
        return False, None
    try:
        lock = _lock.read(lock_dir, environment)
    except _lock.LockHeld as exc:
        return True, to_native(exc)
    if lock is None or _lock.is_stale(lock):
        return False, None
    return True, _lock.describe(lock)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **workspace_spec(),
            hosts=dict(type="list", elements="str", required=True),
            groups=dict(type="dict", required=True),
            stage=dict(type="path"),
            bundle=dict(type="str", default="build/frontend/RoutingMLFrontend_{version}.zip"),
            manifests=dict(type="bool", default=False),
            policy=dict(type="dict"),
            lock_dir=dict(type="path"),
            environment=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        workspace = real_workspace(params["workspace"])
        hosts = host_facts(params["hosts"], params["groups"])
        records = _ledger.verify(workspace)
        expected = _status.expectations(_status.ledger_lines(records), _status.read_records(workspace), hosts,
                                        params["policy"])
        deploying, lock = lock_state(params["lock_dir"], params["environment"])
    except _ledger.LedgerError as exc:
        module.fail_json(msg="ledger broken, nothing to compare the hosts with: %s" % to_native(exc),
                         broken=exc.where)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot read the workspace's records: %s" % to_native(exc))
    manifests, approved = {}, {}
    for entry in expected.values():
        version = entry["expected_version"]
        if entry["role"] == "web" and version and version not in approved:
            approved[version] = approved_manifest(workspace, params["bundle"], version, params["stage"])
        bundle, why = approved.get(version) or (None, None)
        if entry["role"] == "web" and bundle is not None:
            # What was approved, whatever a record or the cache says.
            entry["manifest_sha256"] = bundle["sha256"]
        elif entry["role"] == "web" and why:
            entry["manifest_sha256"] = None
            entry["untrusted"] = why
        folder, digest = staged_manifest(params["stage"], version)
        # A cache that differs from the approved bundle names no file.
        entry["staging"] = folder if digest and digest == entry["manifest_sha256"] else None
        if params["manifests"] and entry["role"] == "web" and bundle is not None:
            manifests[version] = bundle["manifest"]
    module.exit_json(changed=False, hosts=expected, manifests=manifests, deploying=deploying, lock=lock,
                     ledger_head=records[-1].digest if records else None)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rollback_plan
short_description: Decide each host's rollback target from the records and the ledger, before any host changes
description:
  - For every host of a stage, names the version it goes back to (SOP 5) - O(to) when an
    operator named one, otherwise what was live before O(version)'s last deployment - read
    from the deployment records (C(logs/deploy/frontend_sync_<version>_<host>.json),
    C(backup_<version>_<host>.json)), never from folder times.
  - A version that a C(Rolled Back) ledger record marked bad, with no C(Unblocked) record after
    it, is never a target. Hosts whose target cannot be used are all named in one failure, so
    a rollback either has a target everywhere it needs one or changes nothing.
  - Says whether the ledger already records this rollback of O(version) at O(gate), the stage the
    rollback is for (a second run appends no line).
version_added: 0.3.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.read_only
  - routing_ml.deploy.attributes.controller
  - routing_ml.deploy.workspace
  - routing_ml.deploy.gate
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  web:
    description: The stage's web nodes (inventory names).
    type: list
    elements: str
    default: []
  backend:
    description: The stage's backend hosts (inventory names).
    type: list
    elements: str
    default: []
  to:
    description: The version every host goes back to, instead of each host's previous one.
    type: str
"""

EXAMPLES = r"""
- name: Where does each host go back to?
  routing_ml.deploy.rollback_plan:
    workspace: "{{ routing_ml_workspace }}"
    version: 1.4.0
    gate: Beta
    web: [node1, node2]
    backend: [backend1]
  delegate_to: localhost
  run_once: true
  register: plan
"""

RETURN = r"""
hosts:
  description:
    - Per host its component, C(target) version, C(source) (the record or option that named it) and, for a
      backend host, the C(backup) to reinstall (share C(folder), C(manifest) of its files, C(record)).
    - A host with no record of O(version) has no C(target) but a C(problem) - it never received the version
      from this workspace, and the rollback refuses only if the host runs it after all.
  returned: success
  type: dict
  sample:
    node1: {component: frontend, target: 1.3.0, source: logs/deploy/frontend_sync_1.4.0_node1.json, backup: null}
targets:
  description: The distinct target versions, sorted.
  returned: success
  type: list
  elements: str
  sample: [1.3.0]
started:
  description:
    - When the plan was made, ISO8601 with offset and whole seconds - the rollback's start. Each host's
      rollback record keeps it in C(details.started), so the release report can say how long the host took.
  returned: success
  type: str
  sample: "2025-10-04T15:02:11+09:00"
  version_added: 0.5.0
recorded:
  description: The newest C(Rolled Back) ledger record of this gate and version when no C(Unblocked) record follows it, or null.
  returned: success
  type: dict
"""

import datetime

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _gate_policy, _ledger, _rollback
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, gate_spec, real_workspace, workspace_spec)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **workspace_spec(),
            **gate_spec(),
            web=dict(type="list", elements="str", default=[]),
            backend=dict(type="list", elements="str", default=[]),
            to=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    started = _ledger.format_timestamp(datetime.datetime.now().astimezone())
    try:
        workspace = real_workspace(params["workspace"])
        records = _ledger.verify(workspace)
        stage = [dict(name=n, component="frontend") for n in params["web"]]
        stage += [dict(name=n, component="backend") for n in params["backend"]]
        hosts = _rollback.plan(workspace, params["version"], stage, records, target=params["to"])
    except _rollback.RollbackRefused as exc:
        module.fail_json(msg="rollback of %s refused before any host changed: %s" % (
            params["version"], "; ".join(exc.problems)), problems=exc.problems)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    in_force = _gate_policy.rollback_in_force(params["version"], params["gate"], records)
    recorded = in_force.as_dict(workspace) if in_force is not None else None
    module.exit_json(changed=False, hosts=hosts, targets=sorted(set(h["target"] for h in hosts.values() if h["target"])),
                     recorded=recorded, started=started)


if __name__ == "__main__":
    main()

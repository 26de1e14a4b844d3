#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: gate_precheck
short_description: Refuse a Stage 9 gate whose earlier gate is not recorded
description:
  - Before a deployment touches any host, verifies the approval ledger's chain and that the
    gate policy's required earlier gate has recorded its status for the same version
    (Beta needs Alpha's C(Next Stage Ready); GA needs Beta's).
  - Reports whether this gate is already recorded for the version, so a re-run can skip it.
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.workspace
  - routing_ml.deploy.attributes.read_only
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  gate:
    description: The gate about to run.
    type: str
    required: true
    choices: [Alpha, Beta, GA]
  version:
    description: The release version.
    type: str
    required: true
  policy:
    description: The gate policy (see M(routing_ml.deploy.gate_record)); defaults to SOP 7's.
    type: dict
attributes:
  platform:
    platforms: posix
    support: full
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Beta only after Alpha
  routing_ml.deploy.gate_precheck:
    workspace: "{{ routing_ml_workspace }}"
    gate: Beta
    version: 1.4.0
  delegate_to: localhost
"""

RETURN = r"""
recorded:
  description: The latest record of this gate and version with the gate's status, or null.
  returned: success
  type: dict
  sample: {gate: Beta, status: Next Stage Ready, version: 1.4.0, sha256: "..."}
requires:
  description: The earlier gate and status this gate needs, or null.
  returned: success
  type: dict
  sample: {gate: Alpha, status: Next Stage Ready}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _gate_policy, _ledger
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, check_version, real_workspace)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            workspace=dict(type="path", required=True),
            gate=dict(type="str", required=True, choices=["Alpha", "Beta", "GA"]),
            version=dict(type="str", required=True),
            policy=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        version = check_version(params["version"])
        policy = _gate_policy.check_policy(params["policy"] or _gate_policy.default_policy())
        workspace = real_workspace(params["workspace"])
        records = _ledger.verify(workspace)
        rules = policy[params["gate"]]
        # Only the order: the evidence is collected after the deployment this check precedes.
        problems = _gate_policy.unmet_order(policy, params["gate"], version, records)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    if problems:
        module.fail_json(msg="%s for %s cannot start: %s" % (params["gate"], version, "; ".join(problems)),
                         requires=rules["requires"])
    recorded = [r.as_dict(workspace) for r in records
                if (r.fields["gate"], r.fields["version"], r.fields["status"]) == (params["gate"], version, rules["status"])]
    module.exit_json(changed=False, recorded=recorded[-1] if recorded else None, requires=rules["requires"])


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: trust_settings
short_description: Pin the environment's trust settings in the Stage 9 record, and refuse a run that sees others
description:
  - The trust settings are the signature mode (O(signatures)), the C(allowed_signers) file in force
    (O(allowed_signers), by its SHA256) and the environment's name (O(environment)). They come from the
    inventory; an extra variable or a survey answer could override them, so they are compared with the
    settings recorded under C(deliverables/approvals/trust/) (see C(docs/formats.md), "Trust records").
  - O(state=checked) verifies the trust records and refuses settings that differ from the ones in force,
    naming both. A ledger with records but no trust record is refused too (the settings it was written
    under are unknown). Writes nothing.
  - O(state=pinned) does the same, and on a ledger without trust records pins the settings it is given
    (C(Trust Pinned), record 0001).
  - O(state=changed) moves the settings in force to the ones given. It writes a proposal
    (C(logs/trust_change.json)) for the role the gate policy names for GA (the Release Owner) to sign with
    C(ssh-keygen -Y sign -n routing-ml-approval-release-owner), and once signed records it as the next
    C(Trust Changed) record, after verifying the signature against the C(allowed_signers) in force before.
version_added: 0.5.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.controller
  - routing_ml.deploy.workspace
  - routing_ml.deploy.gate.policy
  - routing_ml.deploy.signing
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  signatures:
    description: The signature mode the run sees (C(routing_ml_approval_signatures)).
    type: str
    choices: [required, "off"]
    required: true
  environment:
    description: The environment's name the run sees (C(routing_ml_environment)); not compared when omitted.
    type: str
  state:
    description: What to do (see the description).
    type: str
    choices: [checked, pinned, changed]
    default: checked
  approver:
    description: Who signs the change (O(state=changed)); enrolled for the GA approver role.
    type: str
  reason:
    description: Why the settings change (O(state=changed)). One line, no C(|).
    type: str
  launched:
    description:
      - The trust variables this run was given at launch (extra variables, survey answers); the action
        plugin of the same name sets it from the run's extra variables. Settings are never pinned from them.
      - C(routing_ml_gate_policy) among them is refused in every state - the policy names who approves
        each gate and who may change these settings, so it comes from the inventory only.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    details: Checks and says what it would pin or propose, writing nothing.
  diff_mode:
    support: none
    details: The settings are returned instead.
"""

EXAMPLES = r"""
- name: The trust settings of this run are the environment's
  routing_ml.deploy.trust_settings:
    workspace: "{{ routing_ml_workspace }}"
    signatures: "{{ routing_ml_approval_signatures }}"
    allowed_signers: "{{ routing_ml_allowed_signers | default(omit, true) }}"
    environment: "{{ routing_ml_environment }}"
    state: pinned
  delegate_to: localhost
"""

RETURN = r"""
settings:
  description: The settings this run sees.
  returned: always
  type: dict
  sample: {signatures: required, allowed_signers_sha256: 3f1c..., environment: production}
in_force:
  description: The settings recorded for the environment (after this run), or null.
  returned: always
  type: dict
record:
  description: The trust record in force (after this run), relative to the workspace, or null.
  returned: always
  type: str
  sample: deliverables/approvals/trust/0001.json
proposal:
  description: The proposal waiting for its signature (O(state=changed)), relative to the workspace.
  returned: when a change waits for its signature
  type: str
  sample: logs/trust_change.json
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _gate_policy, _trust
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, real_workspace, signing_spec, workspace_spec)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **workspace_spec(),
            **signing_spec(),
            signatures=dict(type="str", choices=list(_trust.MODES), required=True),
            environment=dict(type="str"),
            state=dict(type="str", choices=["checked", "pinned", "changed"], default="checked"),
            approver=dict(type="str"),
            reason=dict(type="str"),
            policy=dict(type="dict"),
            launched=dict(type="list", elements="str", default=[]),
        ),
        required_if=[("state", "changed", ("approver", "reason"))],
        supports_check_mode=True,
    )
    params = module.params
    try:
        workspace = real_workspace(params["workspace"])
        _trust.check_launched(params["launched"])
        policy = _gate_policy.check_policy(params["policy"] if params["policy"] is not None
                                           else _gate_policy.default_policy())
        seen = _trust.settings(params["signatures"], params["allowed_signers"], params["environment"])
        result = _trust.run(workspace, policy, seen, params["state"], params["allowed_signers"], params["approver"],
                            params["reason"], module.check_mode, params["launched"])
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot read or write the trust records: %s" % to_native(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

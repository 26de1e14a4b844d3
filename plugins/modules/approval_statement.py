#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: approval_statement
short_description: Write the Stage 9 approval statement an approver signs, and say whether it is signed
description:
  - Writes C(deliverables/approvals/<version>/<Gate>.statement.json), an in-toto Statement v1
    whose subjects are the installer, the bundle and the evidence folder's C(MANIFEST.sha256)
    with their SHA256 digests and whose predicate is the gate, version, status, approver and
    role, reason, the gate policy's digest and the time (format in C(docs/formats.md)).
  - Refuses an approver whom O(allowed_signers) does not enrol for the namespace of the gate's
    approver role, and an evidence folder that does not match its manifest.
  - The same facts written again keep the file and its time, so a signature made once stays
    valid across re-runs. Other facts rewrite it and move a signature of the old statement
    aside (it would no longer verify).
  - Reports whether C(<statement>.sig) exists and verifies, and the one C(ssh-keygen) command
    that signs it.
version_added: 0.2.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.controller
  - routing_ml.deploy.workspace
  - routing_ml.deploy.gate
  - routing_ml.deploy.gate.approver
  - routing_ml.deploy.gate.policy
  - routing_ml.deploy.signing
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  reason:
    description: A note the approver signs with the statement. One line, no C(|).
    type: str
  evidence:
    description: The evidence folder, relative to O(workspace).
    type: str
    required: true
  installer:
    description: The installer, relative to O(workspace).
    type: str
    required: true
  bundle:
    description: The frontend bundle, relative to O(workspace).
    type: str
    required: true
attributes:
  check_mode:
    support: full
    details: Validates everything and says whether the statement would be written.
  diff_mode:
    support: full
    details: Shows the statement written.
seealso:
  - module: routing_ml.deploy.gate_record
"""

EXAMPLES = r"""
- name: The statement QA-KIM signs for Alpha
  routing_ml.deploy.approval_statement:
    workspace: "{{ routing_ml_workspace }}"
    gate: Alpha
    version: 1.4.0
    approver: QA-KIM
    evidence: deliverables/onboarding_evidence/Stage9_Alpha_20251003
    installer: build/windows/RoutingMLInstaller_1.4.0.exe
    bundle: build/frontend/RoutingMLFrontend_1.4.0.zip
    allowed_signers: /etc/routing_ml/allowed_signers
  delegate_to: localhost
"""

RETURN = r"""
statement:
  description: The statement, relative to the workspace.
  returned: success
  type: str
  sample: deliverables/approvals/1.4.0/Alpha.statement.json
signature:
  description: Where the signature goes, relative to the workspace.
  returned: success
  type: str
  sample: deliverables/approvals/1.4.0/Alpha.statement.json.sig
namespace:
  description: The signing namespace of the gate's approver role.
  returned: success
  type: str
  sample: routing-ml-approval-qa-lead
signed:
  description: Whether the signature exists and verifies for the approver.
  returned: success
  type: bool
  sample: false
problem:
  description: Why an existing signature does not verify, or null.
  returned: success
  type: str
sign_command:
  description: The command the approver runs (with their own key file).
  returned: success
  type: str
  sample: ssh-keygen -Y sign -f ~/.ssh/id_ed25519 -n routing-ml-approval-qa-lead deliverables/approvals/1.4.0/Alpha.statement.json
content:
  description: The statement as written (or as it would be).
  returned: success
  type: dict
stale_signature:
  description: Where a signature of an earlier statement was moved, or null.
  returned: success
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _approval
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, gate_spec, real_workspace, signing_spec, workspace_spec)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **workspace_spec(),
            **gate_spec(),
            approver=dict(type="str", required=True),
            reason=dict(type="str"),
            evidence=dict(type="str", required=True),
            installer=dict(type="str", required=True),
            bundle=dict(type="str", required=True),
            policy=dict(type="dict"),
            **signing_spec(),
        ),
        supports_check_mode=True,
    )
    params = dict(module.params)
    try:
        params["workspace"] = real_workspace(params["workspace"])
        result = _approval.write_statement(check_mode=module.check_mode, **params)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot write the approval statement: %s" % to_native(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

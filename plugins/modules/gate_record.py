#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: gate_record
short_description: Record a Stage 9 gate approval in the hash-chained ledger
description:
  - Appends one approval record to C(logs/task_execution_<YYYYMMDD>.log) in the release
    workspace (SOP 7.4). Each record carries the SHA256 of the record before it, across all
    ledger files in date order, so an edited, removed or reordered line is detected by
    M(routing_ml.deploy.ledger_verify).
  - Enforces the gate policy first and reports B(every) unmet precondition at once. The
    gates go Alpha, Beta, GA for the same version; each needs the previous gate's recorded
    status (C(Next Stage Ready) by default), its required evidence present in O(evidence)
    and matching that folder's manifest, and a non-empty approver. With
    O(forbid_self_approval=true) the approver must differ from O(operator).
  - Refuses to append to a ledger whose chain is already broken.
  - Keeps the same fact in the Tasklist's C(Phase 5) checkbox for the gate and adds the
    evidence link under the release notes' C(Highlights).
  - The same approval recorded twice (same gate, version, status, approver, evidence and
    manifest digest) changes nothing; missing document edits are repaired.
  - Appends and document edits run under an exclusive lock on C(logs/.task_execution.lock),
    and every file is replaced atomically, so concurrent runs lose nothing.
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.controller
  - routing_ml.deploy.workspace
  - routing_ml.deploy.gate
  - routing_ml.deploy.gate.approver
  - routing_ml.deploy.gate.operator
  - routing_ml.deploy.gate.policy
  - routing_ml.deploy.signing
  - routing_ml.deploy.signing.checkpoint
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  reason:
    description: A free-text note recorded with the approval. One line, no C(|).
    type: str
  evidence:
    description: The evidence folder, relative to O(workspace), as M(routing_ml.deploy.evidence_archive) returns it.
    type: str
    required: true
  release_notes:
    description: The release notes, relative to O(workspace), whose C(Highlights) get the evidence link.
    type: str
    required: true
  tasklist:
    description: The Tasklist, relative to O(workspace), whose C(Phase 5) section holds the gate's checkbox.
    type: str
    default: Tasklist.md
  forbid_self_approval:
    description: Refuse when O(approver) equals O(operator) (case-insensitive).
    type: bool
    default: false
  signatures:
    description:
      - C(required) records only an approval that the approver signed, verified before anything
        is written - the statement C(deliverables/approvals/<version>/<Gate>.statement.json)
        (written by M(routing_ml.deploy.approval_statement)) against the installer, the bundle
        and the evidence on disk and this run's gate, version, approver and policy; its
        signature C(.sig) with O(allowed_signers) in the namespace of the gate's approver role.
        The record then carries C(approval=<sha256 of the statement>) and the statement's reason.
      - C(off) records without a signature.
    type: str
    choices: [required, "off"]
    default: "off"
  signature:
    description:
      - The approver's signature (the armored text of C(ssh-keygen -Y sign), e.g. pasted into an
        AWX survey) instead of the C(.sig) file beside the statement; written there once it verifies.
    type: str
  installer:
    description: The installer, relative to O(workspace) (a subject of the signed statement). Required with O(signatures=required).
    type: str
  bundle:
    description: The frontend bundle, relative to O(workspace) (a subject of the signed statement). Required with O(signatures=required).
    type: str
attributes:
  check_mode:
    support: full
    details: Checks every precondition and predicts the record and document edits without writing.
  diff_mode:
    support: full
    details: Shows the record appended and the document lines changed.
seealso:
  - module: routing_ml.deploy.evidence_archive
  - module: routing_ml.deploy.ledger_verify
"""

EXAMPLES = r"""
- name: QA lead approves Alpha
  routing_ml.deploy.gate_record:
    workspace: "{{ routing_ml_workspace }}"
    gate: Alpha
    version: 1.4.0
    approver: QA-KIM
    operator: "{{ awx_user_name | default(lookup('ansible.builtin.env', 'USER')) }}"
    evidence: "{{ alpha_evidence.folder }}"
    release_notes: deliverables/release_notes_2025-09-29.md
    tasklist: Tasklist.md
    forbid_self_approval: true
  delegate_to: localhost
"""

RETURN = r"""
head:
  description: SHA256 of the ledger's last record after this run, also kept in the release notes' Highlights.
  returned: success
  type: str
record:
  description: The approval record (appended now, or the existing one that says the same).
  returned: success
  type: dict
  sample:
    line: "2025-10-03T14:02:11+09:00 | Stage9 | gate=Alpha | status=Next Stage Ready | ..."
    sha256: 0b1e...
    file: logs/task_execution_20251003.log
    timestamp: "2025-10-03T14:02:11+09:00"
    status: Next Stage Ready
appended:
  description: Whether a new record was appended.
  returned: success
  type: bool
  sample: true
manifest_sha256:
  description: SHA256 of the evidence folder's C(MANIFEST.sha256).
  returned: success
  type: str
  sample: 5d41402abc4b2a76b9719d911017c592ae9c3a6f4c5d0f0e2a0c1f3c9b7e6a11
documents:
  description: Documents edited (relative to the workspace).
  returned: success
  type: list
  elements: str
  sample: [Tasklist.md, deliverables/release_notes_2025-09-29.md]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _approval
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, checkpoint_spec, gate_spec, real_workspace, signing_spec, workspace_spec)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **workspace_spec(),
            **gate_spec(),
            approver=dict(type="str", required=True),
            operator=dict(type="str"),
            reason=dict(type="str"),
            evidence=dict(type="str", required=True),
            release_notes=dict(type="str", required=True),
            tasklist=dict(type="str", default="Tasklist.md"),
            policy=dict(type="dict"),
            forbid_self_approval=dict(type="bool", default=False),
            signatures=dict(type="str", choices=list(_approval.SIGNATURE_MODES), default="off"),
            **signing_spec(),
            installer=dict(type="str"),
            bundle=dict(type="str"),
            signature=dict(type="str"),
            **checkpoint_spec(),
        ),
        required_if=[("signatures", "required", ("allowed_signers", "installer", "bundle"))],
        supports_check_mode=True,
    )
    params = module.params
    try:
        request = _approval.Request(
            real_workspace(params["workspace"]), params["gate"], params["version"], params["approver"],
            params["evidence"], params["release_notes"], params["tasklist"], policy=params["policy"],
            operator=params["operator"], reason=params["reason"],
            forbid_self_approval=params["forbid_self_approval"], signatures=params["signatures"],
            allowed_signers=params["allowed_signers"], installer=params["installer"], bundle=params["bundle"],
            checkpoint_key=params["checkpoint_key"], signature=params["signature"])
        result = _approval.record(request, check_mode=module.check_mode)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot record the approval: %s" % to_native(exc))
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()

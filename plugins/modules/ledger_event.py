#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ledger_event
short_description: Record a rollback, or the deliberate unblocking of a rolled-back version, in the Stage 9 ledger
description:
  - Appends one C(Rolled Back) or C(Unblocked) record of O(version) at O(gate) to the hash-chained ledger
    (C(logs/task_execution_<YYYYMMDD>.log), see C(docs/formats.md)), under the ledger's lock.
  - C(Rolled Back) marks O(version) bad for every gate; the gate checks refuse it until an
    C(Unblocked) record with a reason follows. The record names the rollback's O(target)
    version(s), its verification O(outcome), and as evidence the rollback records
    (C(logs/deploy/rollback_<version>_*.json)) with the SHA256 of their sidecar-format manifest.
  - Idempotent. A C(Rolled Back) record of the same gate and version that is still in force
    is not written again, and a version that is not blocked is not unblocked.
version_added: 0.3.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.controller
  - routing_ml.deploy.workspace
  - routing_ml.deploy.gate
  - routing_ml.deploy.gate.approver
  - routing_ml.deploy.gate.operator
  - routing_ml.deploy.signing
  - routing_ml.deploy.signing.checkpoint
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  status:
    description: What happened.
    type: str
    required: true
    choices: [Rolled Back, Unblocked]
  reason:
    description: Why. One line, no C(|).
    type: str
    required: true
  target:
    description: The version(s) hosts went back to (C(Rolled Back) only).
    type: list
    elements: str
    default: []
  outcome:
    description: How the verification after the rollback ended (C(Rolled Back) only), e.g. C(verified).
    type: str
  signatures:
    description:
      - C(required) refuses to append to a ledger with a record that has no verified checkpoint.
      - With C(required), C(Unblocked) needs the signed statement of O(approver), enrolled in
        O(allowed_signers) for the role that approves GA in the gate policy (the Release Owner),
        C(deliverables/approvals/<version>/<gate>.unblock.statement.json) and its C(.sig). The
        statement names the C(Rolled Back) record it lifts; a run without a valid signature
        writes it for the approver to sign and fails saying how. The record keeps its SHA256 as
        C(approval).
    type: str
    choices: [required, "off"]
    default: "off"
  release_notes:
    description:
      - The release notes (relative to O(workspace)) whose Highlights keep the ledger's head
        after this record, as its whole SHA256; a later run refuses a ledger without it.
    type: str
  policy:
    description: The gate policy; its GA approver role signs an unblock. Default the built-in policy.
    type: dict
attributes:
  check_mode:
    support: full
    details: Says whether a record would be appended, without appending it.
  diff_mode:
    support: none
    details: The record is returned instead.
"""

EXAMPLES = r"""
- name: Record the rollback of 1.4.0 at Beta (SOP 5.4)
  routing_ml.deploy.ledger_event:
    workspace: "{{ routing_ml_workspace }}"
    status: Rolled Back
    gate: Beta
    version: 1.4.0
    approver: DEPLOY-LEE
    reason: health check failed on backend1
    target: [1.3.0]
    outcome: verified
  delegate_to: localhost

- name: Let 1.4.0 be promoted again
  routing_ml.deploy.ledger_event:
    workspace: "{{ routing_ml_workspace }}"
    status: Unblocked
    gate: Beta
    version: 1.4.0
    approver: OWNER-PARK
    reason: CHG-1234 root cause fixed in the environment, build unchanged
  delegate_to: localhost
"""

RETURN = r"""
record:
  description: The record appended, or the one in force that already says it; null when there was nothing to unblock.
  returned: success
  type: dict
  sample: {gate: Beta, status: Rolled Back, version: 1.4.0, target: 1.3.0, sha256: "..."}
head:
  description: SHA256 of the ledger's last record after this run (what a later run must still find).
  returned: success
  type: str
"""

import fnmatch
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import (
    _approval, _atomic, _checkpoints, _checksum, _gate_policy, _ledger, _markdown, _records, _tree)
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, check_version, checkpoint_spec, gate_spec, real_workspace, resolve_in_workspace, signing_spec,
    workspace_spec)


def rollback_evidence(workspace, version):
    """``(evidence, manifest_sha256)``: the rollback records of ``version`` and the digest of
    their manifest (what ``sha256sum logs/deploy/rollback_<version>_*.json`` lists, by name)."""
    folder = os.path.join(workspace, _records.FOLDER)
    pattern = "rollback_%s_*.json" % version
    names = sorted(n for n in os.listdir(folder) if fnmatch.fnmatchcase(n, pattern)) if os.path.isdir(folder) else []
    digests = dict((n, _checksum.sha256_file(os.path.join(folder, n))[0]) for n in names)
    manifest = _tree.manifest_text(digests)
    return "%s/%s" % (_records.FOLDER.replace(os.sep, "/"), pattern), _checksum.sha256_bytes(manifest.encode("utf-8"))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **workspace_spec(),
            status=dict(type="str", required=True, choices=[_gate_policy.ROLLED_BACK, _gate_policy.UNBLOCKED]),
            **gate_spec(),
            approver=dict(type="str", required=True),
            operator=dict(type="str"),
            reason=dict(type="str", required=True),
            target=dict(type="list", elements="str", default=[]),
            outcome=dict(type="str"),
            **signing_spec(),
            **checkpoint_spec(),
            signatures=dict(type="str", choices=list(_approval.SIGNATURE_MODES), default="off"),
            release_notes=dict(type="str"),
            policy=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    rolled_back = params["status"] == _gate_policy.ROLLED_BACK
    try:
        workspace = real_workspace(params["workspace"])
        version = check_version(params["version"])
        for target in params["target"]:
            check_version(target)
        if params["signatures"] == "required" and not module.check_mode:
            for problem in _checkpoints.key_problems(params["checkpoint_key"]):
                raise ValidationError(problem)
        evidence, digest = rollback_evidence(workspace, version)
        fields = dict(gate=params["gate"], status=params["status"], version=version, approver=params["approver"],
                      operator=params["operator"], reason=params["reason"], evidence=evidence, manifest_sha256=digest)
        if rolled_back:
            fields.update(target=",".join(sorted(set(params["target"]))) or None, outcome=params["outcome"])
        with _ledger.lock(workspace):
            records, dummy = _checkpoints.verified_records(
                workspace, params["allowed_signers"], required=params["signatures"] == "required")
            in_force = _gate_policy.rollback_in_force(version, params["gate"], records)
            if rolled_back and in_force is not None:
                module.exit_json(changed=False, record=in_force.as_dict(workspace), head=records[-1].digest)
            if not rolled_back and _gate_policy.rollback_block(version, records) is None:
                module.exit_json(changed=False, record=None, msg="%s is not blocked by a rollback" % version,
                                 head=records[-1].digest if records else None)
            # Validate the whole line (one-line fields, no '|') before deciding anything.
            _timestamp, line = _ledger.next_line(records, fields)
            notes = resolve_in_workspace(workspace, params["release_notes"], "release_notes") \
                if params["release_notes"] else None
            if notes is not None and not os.path.isfile(notes):
                raise ValidationError("release_notes %s is not an existing file" % params["release_notes"])
            if not rolled_back and params["signatures"] == "required":
                fields["approval"] = _approval.check_signed_unblock(
                    workspace, params["gate"], version, params["approver"], params["reason"], evidence,
                    params["allowed_signers"], records, _gate_policy.rollback_block(version, records),
                    params["policy"], check_mode=module.check_mode)
                _timestamp, line = _ledger.next_line(records, fields)
            if module.check_mode:
                module.exit_json(changed=True, record=dict(fields, line=line))
            record = _ledger.append_locked(workspace, records, fields, signer=_checkpoints.signer(params["checkpoint_key"]))
            if notes is not None:
                # After the record: a note never names a head the ledger does not have.
                document = _markdown.Document(_atomic.read_text(notes), params["release_notes"])
                if document.upsert_line(_approval.HIGHLIGHTS_SECTION, lambda text: _ledger.NOTE_KEY in text,
                                        _ledger.head_note(record.digest, len(records) + 1)):
                    _atomic.write_text_atomic(notes, document.text())
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot append to the ledger: %s" % to_native(exc))
    module.exit_json(changed=True, record=dict(record.as_dict(workspace), line=record.text), head=record.digest)


if __name__ == "__main__":
    main()

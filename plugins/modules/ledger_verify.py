#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ledger_verify
short_description: Verify the Stage 9 record, the approval ledger with its evidence and signatures
description:
  - Walks every C(logs/task_execution_<YYYYMMDD>.log) of the release workspace in date order
    and checks each record's form, its C(prev) digest against the record before it, the
    order of timestamps, and that each record sits in the file of its day.
  - With O(allowed_signers), checks every ledger checkpoint (once one record has one, every
    later record needs one) and every signed approval - the statement's digest, its signature
    in the namespace of the gate's approver role, and that it says what the record says.
  - Refuses a symbolic link anywhere among the records (ledger files, checkpoints, approvals,
    evidence), and checks each recorded evidence folder's zip, when there is one, against the
    reproducible zip of the folder.
  - Checks every gate record's evidence folder against its manifest and the recorded digest,
    the gate order per version, and one content per version (every approval of a version
    names the same installer and bundle digests).
  - Checks every C(Unblocked) record's signed statement (C(<gate>.unblock.statement.json)), signed by the
    record's approver in the namespace of the role that approves GA and naming the C(Rolled Back) record it
    lifts. With O(signatures=required) an C(Unblocked) record without one is refused.
  - Fails at the first broken record and names its file and line number.
  - Removing the last records leaves a shorter chain that is still whole; the head the release notes
    keep (C(Stage 9 ledger head:)) and each statement's C(ledger_head) must be in the chain, and record
    digests kept elsewhere (the AWX artifact C(routing_ml_ledger_head), job output) can be given as O(anchors).
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.read_only
  - routing_ml.deploy.attributes.controller
  - routing_ml.deploy.workspace
  - routing_ml.deploy.gate.policy
  - routing_ml.deploy.signing
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  anchors:
    description: Record digests (SHA256) that must be present in the chain.
    type: list
    elements: str
    default: []
  signatures:
    description:
      - C(required) refuses a gate record without a signed approval and a record without a
        checkpoint. C(off) accepts them (and counts unsigned approvals in the summary).
    type: str
    choices: [required, "off"]
    default: "off"
seealso:
  - module: routing_ml.deploy.gate_record
"""

EXAMPLES = r"""
- name: The ledger is intact
  routing_ml.deploy.ledger_verify:
    workspace: "{{ routing_ml_workspace }}"
  delegate_to: localhost
  register: ledger

- name: And still holds the record this job wrote
  routing_ml.deploy.ledger_verify:
    workspace: "{{ routing_ml_workspace }}"
    anchors:
      - "{{ gate_result.record.sha256 }}"
  delegate_to: localhost
"""

RETURN = r"""
records:
  description: Every record in chain order, with its fields, file, line and sha256.
  returned: success
  type: list
  elements: dict
  sample: [{gate: Alpha, status: Next Stage Ready, version: 1.4.0, approver: QA-KIM, file: logs/task_execution_20251003.log, line: 1}]
count:
  description: Number of records.
  returned: success
  type: int
  sample: 3
summary:
  description: What was verified.
  returned: success
  type: dict
  sample: {records: 3, gates: 3, signed_approvals: 3, unsigned_approvals: 0, evidence_folders: 3,
           versions: [1.4.0], checkpoints: {signed: 3, unsigned: 0, orphans: [], signers: [routing-ml-controller]}}
head:
  description: SHA256 of the last record, or null for an empty ledger.
  returned: success
  type: str
  sample: 0b1e5b1c2f4d6a8e0b1e5b1c2f4d6a8e0b1e5b1c2f4d6a8e0b1e5b1c2f4d6a8e
broken:
  description: Where the chain breaks (C(file line N)), when it does.
  returned: failure
  type: str
  sample: logs/task_execution_20251003.log line 2
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _approval, _ledger, _ledger_audit
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, real_workspace, signing_spec, workspace_spec)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **workspace_spec(),
            anchors=dict(type="list", elements="str", default=[]),
            **signing_spec(),
            signatures=dict(type="str", choices=list(_approval.SIGNATURE_MODES), default="off"),
            policy=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    try:
        workspace = real_workspace(module.params["workspace"])
        records, summary = _ledger_audit.audit(
            workspace, module.params["anchors"], module.params["allowed_signers"], module.params["signatures"],
            module.params["policy"])
    except _ledger.LedgerError as exc:
        module.fail_json(msg="ledger broken: %s" % to_native(exc), broken=exc.where)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot read the ledger: %s" % to_native(exc))
    module.exit_json(
        changed=False,
        records=[r.as_dict(workspace) for r in records],
        count=len(records),
        summary=summary,
        head=records[-1].digest if records else None,
    )


if __name__ == "__main__":
    main()

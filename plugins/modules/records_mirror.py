#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: records_mirror
short_description: Mirror the Stage 9 records of a workspace to the share, and continue from the share
description:
  - The Stage 9 records are C(logs/task_execution_*.log), C(logs/checkpoints/*.sig), everything
    under C(deliverables/approvals/), and the C(Stage9_*) folders and C(Stage9_*.zip) of
    C(deliverables/onboarding_evidence/). The share keeps them under the same relative paths in
    C(<share root>/stage9/) (see C(docs/formats.md), "The Stage 9 records on the share"). Paths
    with a component starting with a dot (temporary files, locks) are never part of them.
  - Compares the workspace with the share's copy record by record along the ledger's chain, and
    every other file by SHA256. When one chain is a continuation of the other, the missing files
    are planned for the side that lacks them; a ledger file that is a line-prefix of the other
    side's is planned to grow. Otherwise the first record where the chains differ is named (file,
    line and both digests), and so is any other file that exists on both sides with different content.
  - Before a pull (O(state=pulled), check mode too), the share's records are checked as the auditor
    checks a workspace - chain, checkpoints, signed approvals (O(allowed_signers), O(signatures)),
    evidence folders against their manifests, gate order. A share that does not verify is refused
    naming the share (O(share)) and the first break; nothing is copied into the workspace.
  - Nothing is ever overwritten or deleted on either side, except a ledger file growing by
    appended lines, which is re-checked under the ledger lock (local folders) or read again right
    before it is written (SMB). New files are written to a temporary file, verified by digest and
    moved into place without replacing anything.
  - The share is either a local folder O(view) (a copy pulled with rsync, a mount, or the share
    folder itself when the module runs on the share host) or an SMB share O(smb_root) that the
    module reads and writes itself.
version_added: 0.3.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.controller
  - routing_ml.deploy.workspace
author:
  - Routing ML Release Engineering (@routing-ml-release)
requirements:
  - smbprotocol (with O(smb_root))
options:
  state:
    description:
      - C(compared) - only report what a pull and a push would copy, and the conflicts.
      - C(pulled) - copy what the share has and the workspace lacks into the workspace; with
        a conflict, fail naming every one and write nothing.
      - C(pushed) - copy what the workspace has and the share lacks to the share (O(smb_root), or
        the local folder O(view), created when missing); with a conflict, fail and write nothing.
      - C(verified) - after a push, every record of the workspace is on the share with the same
        SHA256; fail naming each one that is not.
    type: str
    choices: [compared, pulled, pushed, verified]
    default: compared
  view:
    description:
      - The share's C(stage9) folder as a local folder. Must exist, except with O(state=pushed).
      - Exactly one of O(view) and O(smb_root).
    type: path
  share:
    description:
      - How the share's C(stage9) folder is named in messages (C(nas1:/srv/share/stage9) or the UNC
        path). Default - O(view) or O(smb_root).
    type: str
  allowed_signers:
    description:
      - The OpenSSH allowed_signers file that the share's checkpoints and signed approvals are
        verified with before a pull (O(state=pulled)), as the auditor verifies the workspace.
      - Where the share's trust records (C(deliverables/approvals/trust/)) pin the settings, the
        share is verified with the allowed_signers and signature mode they put in force instead
        (the copy of the file they keep), whatever this option and O(signatures) say.
    type: path
  signatures:
    description:
      - C(required) - before a pull, every record on the share needs its checkpoint and every gate
        its signed approval, as M(routing_ml.deploy.ledger_verify) requires in the workspace.
      - C(off) - records without a signed approval pass; checkpoints that are there are verified.
    type: str
    choices: [required, 'off']
    default: 'off'
  policy:
    description: The gate policy the share's records are checked against (default - the collection's).
    type: dict
  smb_root:
    description:
      - The UNC path of C(<share root>\stage9), C(\\server\share\routing_ml\stage9), read and
        written over SMB3 with smbprotocol (no view needed). A missing folder is an empty share.
    type: str
  # smb_user, smb_password, smb_port and smb_encrypt: what the routing_ml.deploy.smb fragment
  # says of username, password, port and encrypt.
  smb_user:
    description: The share account (from vault or an AWX credential).
    type: str
  smb_password:
    description: Its password; never logged.
    type: str
  smb_port:
    description: The SMB port.
    type: int
    default: 445
  smb_encrypt:
    description: Require SMB3 encryption.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details: Compares and reports what would be copied, writing nothing on either side.
  diff_mode:
    support: none
    details: The result lists the files.
  platform:
    details:
      - Runs on the controller (with C(delegate_to) set to C(localhost)), where the workspace is;
        with O(state=pushed) and O(view), on the host where O(view) is a local folder.
seealso:
  - module: routing_ml.deploy.ledger_verify
  - module: routing_ml.deploy.share_copy
"""

EXAMPLES = r"""
- name: Continue from the share's records (the view was pulled with rsync into the stage)
  routing_ml.deploy.records_mirror:
    workspace: "{{ routing_ml_workspace }}"
    view: "{{ routing_ml_stage }}/stage9-share"
    state: pulled
  delegate_to: localhost

- name: Bring the SMB share's records up to date, read back by digest
  routing_ml.deploy.records_mirror:
    workspace: "{{ routing_ml_workspace }}"
    smb_root: '\\share\routing_ml\stage9'
    smb_user: "{{ routing_ml_share_user }}"
    smb_password: "{{ routing_ml_share_password }}"
    state: pushed
  delegate_to: localhost
"""

RETURN = r"""
pulled:
  description: Files this run copied into the workspace (in check mode, would copy), relative paths.
  returned: success
  type: list
  elements: str
  sample: [deliverables/approvals/1.4.0/Alpha.statement.json, logs/task_execution_20251003.log]
pushed:
  description: Files this run copied to the share (in check mode, would copy).
  returned: success
  type: list
  elements: str
  sample: [deliverables/onboarding_evidence/Stage9_Beta_20251004.zip]
plan:
  description: What a pull (C(pull)) and a push (C(push)) would copy, as compared.
  returned: success
  type: dict
  sample: {pull: [], push: [logs/task_execution_20251004.log]}
conflicts:
  description: Why the two sides cannot be mirrored; each names the file (and for the ledger the record, line and both digests).
  returned: always
  type: list
  elements: str
  sample: ["record 4: workspace logs/task_execution_20251003.log line 2 sha256 1f.., share logs/task_execution_20251003.log line 2 sha256 9c.."]
records_local:
  description: Records in the workspace's ledger as compared (null when it does not parse).
  returned: success
  type: int
  sample: 3
records_share:
  description: Records in the share's ledger as compared (null when it does not parse).
  returned: success
  type: int
  sample: 4
problems:
  description: With O(state=verified), each record that is not on the share with the same digest.
  returned: with O(state=verified)
  type: list
  elements: str
  sample: [logs/checkpoints/1f2e.sig is missing on the share]
"""

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _records_mirror, _smb
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, real_workspace, smb_spec, workspace_spec)


class Refused(Exception):
    def __init__(self, msg, result):
        Exception.__init__(self, msg)
        self.result = result


def _refuse_conflicts(plan, result):
    if plan.conflicts:
        raise Refused("the workspace and the share's Stage 9 records disagree; nothing was copied: %s"
                      % "; ".join(plan.conflicts), result)


def run_local(module, workspace, result):
    params = module.params
    state, view = params["state"], params["view"]
    if not os.path.isdir(view) and not (state == "pushed" and not os.path.exists(view)):
        raise ValidationError("view %r is not an existing directory" % (view,))
    if state == "verified":
        return verify(workspace, view, result)
    plan = _records_mirror.compare(workspace, view)
    result.update(plan_result(plan))
    if state == "pulled":
        _refuse_conflicts(plan, result)
        check_share(module, view, plan, params["share"] or view)
        result["pulled"] = list(plan.pull) if module.check_mode else _records_mirror.apply_pull(workspace, view, plan)
    elif state == "pushed":
        _refuse_conflicts(plan, result)
        if not module.check_mode and plan.push and not os.path.isdir(view):
            os.makedirs(view)
        result["pushed"] = list(plan.push) if module.check_mode else _records_mirror.apply_push(workspace, view, plan)
    return result


def run_smb(module, workspace, result):
    params = module.params
    if not _smb.HAS_SMB:
        module.fail_json(msg=missing_required_lib("smbprotocol"))
    root = _smb.check_unc(params["smb_root"], "smb_root")
    share = _smb.Share(_smb.server_of(root), params["smb_port"], params["smb_user"], params["smb_password"],
                       params["smb_encrypt"])
    view = tempfile.mkdtemp(prefix="routing-ml-stage9-")
    try:
        _records_mirror.fetch_smb_view(share, root, view, _smb.smbclient)
        if params["state"] == "verified":
            return verify(workspace, view, result)
        plan = _records_mirror.compare(workspace, view)
        result.update(plan_result(plan))
        if params["state"] == "pulled":
            _refuse_conflicts(plan, result)
            check_share(module, view, plan, params["share"] or root)
            result["pulled"] = list(plan.pull) if module.check_mode else _records_mirror.apply_pull(workspace, view, plan)
        elif params["state"] == "pushed":
            _refuse_conflicts(plan, result)
            result["pushed"] = _records_mirror.push_smb(share, root, workspace, plan, _smb.smbclient, module.check_mode)
        return result
    finally:
        shutil.rmtree(view, ignore_errors=True)


def check_share(module, view, plan, share):
    """Before anything is pulled: the share's records as the auditor checks the workspace's."""
    if plan.pull:
        params = module.params
        _records_mirror.check_share(view, share, allowed_signers=params["allowed_signers"],
                                    signatures=params["signatures"], policy=params["policy"])


def plan_result(plan):
    found = plan.as_dict()
    return dict(plan=dict(pull=found["pull"], push=found["push"]), conflicts=found["conflicts"],
                records_local=found["records_local"], records_share=found["records_share"])


def verify(workspace, view, result):
    files, problems = _records_mirror.verify_pushed(workspace, view)
    result.update(problems=problems, verified=len(files))
    if problems:
        raise Refused("the share does not hold the workspace's Stage 9 records: %s" % "; ".join(problems), result)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **workspace_spec(),
            state=dict(type="str", default="compared", choices=["compared", "pulled", "pushed", "verified"]),
            view=dict(type="path"),
            smb_root=dict(type="str"),
            share=dict(type="str"),
            allowed_signers=dict(type="path"),
            signatures=dict(type="str", default="off", choices=["required", "off"]),
            policy=dict(type="dict"),
            **smb_spec(port="smb_port", username="smb_user", password="smb_password", encrypt="smb_encrypt"),
        ),
        required_one_of=[["view", "smb_root"]],
        mutually_exclusive=[["view", "smb_root"]],
        supports_check_mode=True,
    )
    result = dict(changed=False, pulled=[], pushed=[], conflicts=[])
    try:
        workspace = real_workspace(module.params["workspace"])
        if module.params["smb_root"]:
            run_smb(module, workspace, result)
        else:
            run_local(module, workspace, result)
    except Refused as exc:
        module.fail_json(msg=to_native(exc), **exc.result)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc), **result)
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot mirror the Stage 9 records: %s" % to_native(exc), **result)
    except Exception as exc:  # pylint: disable=broad-except
        if not module.params["smb_root"]:
            raise
        # smbprotocol's own errors (logon failure, access denied) say what went wrong.
        module.fail_json(msg="SMB access to %s failed: %s" % (module.params["smb_root"], to_native(exc)), **result)
    result["changed"] = bool(result["pulled"] or result["pushed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: gate_precheck
short_description: Refuse a Stage 9 gate early, with everything the gate will check
description:
  - Before a deployment touches any host, verifies the approval ledger's chain and that the
    gate policy's required earlier gate has recorded its status for the same version
    (Beta needs Alpha's C(Next Stage Ready); GA needs Beta's), and that no C(Rolled Back)
    record without a later C(Unblocked) one blocks the version.
  - Checks O(version) as given (type raw), so that a number is refused by name rather than
    turned into a string (C(1.10) would become C(1.1)); it must match
    C(^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$) in full, without a line break at its end.
  - With O(approver), O(operator) and O(reason), applies the rules of M(routing_ml.deploy.gate_record)
    to them (one line, no C(|), tabs or control characters, no white space at either end),
    and with O(forbid_self_approval) refuses an approver who launched the run.
  - With O(evidence_date), a dry run of M(routing_ml.deploy.evidence_archive) with the
    O(evidence_sources) that exist now, in the folder it would use that day. It refuses a name
    the folder holds with other content, files its manifest does not list, and a folder of
    another version.
    Each evidence pattern of the gate's policy must be matched by an existing source, unless a
    pattern of O(evidence_from_run) says the run itself writes such a file. Skipped when the
    gate is already recorded for the version (the gate then collects nothing) unless O(rerecord).
  - One content per version. Hashes O(artifacts) and compares each with the digests
    published for the version before, in the workspace's C(logs/deploy/upload_<version>.json)
    and on the share (O(published_files) with O(published_sidecars), or O(smb)). A share copy
    counts only when its sidecar names the digest the file there has; a missing or damaged
    copy is what publishing repairs. A different digest is refused, naming the file and both
    digests.
  - Every problem found is reported at once in one failure; nothing is written.
  - Reports whether this gate is already recorded for the version, so a re-run can skip it.
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.read_only
  - routing_ml.deploy.attributes.controller
  - routing_ml.deploy.workspace
  - routing_ml.deploy.gate
  - routing_ml.deploy.gate.operator
  - routing_ml.deploy.gate.policy
  - routing_ml.deploy.signing
  - routing_ml.deploy.signing.checkpoint
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  version:
    # The rest as the routing_ml.deploy.gate fragment has it (required).
    description:
      - The release version, a string matching C(^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$) in full.
      - Taken as given (not converted), so that a number is refused with its value named.
    type: raw
  approver:
    description: Who will approve the gate; checked as M(routing_ml.deploy.gate_record) checks it.
    type: str
  reason:
    description: The note the approval will carry; checked as M(routing_ml.deploy.gate_record) checks it.
    type: str
  forbid_self_approval:
    description: Refuse when O(approver) equals O(operator) (case-insensitive), as the record will.
    type: bool
    default: false
  rerecord:
    description: The gate will be recorded again although the ledger has it for the version, so its evidence is checked too.
    type: bool
    default: false
  evidence_date:
    description:
      - The day (C(YYYYMMDD)) whose evidence folder the gate will use; the same value goes to
        M(routing_ml.deploy.evidence_archive)'s C(date). Without it no evidence is checked.
    type: str
  evidence_sources:
    description:
      - The evidence files as the gate will collect them, each under its file name (relative to
        O(workspace) or absolute). Only those that exist now.
    type: list
    elements: path
    default: []
  evidence_from_run:
    description:
      - File name patterns of the evidence the run itself writes (C(verify_*.json),
        C(upload_*.json)); a policy pattern one of them can match need not exist yet.
    type: list
    elements: str
    default: []
  artifacts:
    description: The installer and bundle of the version in the workspace (relative to O(workspace) or absolute).
    type: list
    elements: path
    default: []
  published_files:
    description:
      - The version's files on the share, as M(ansible.builtin.stat) returns them with
        C(checksum_algorithm=sha256) (its C(stat) dicts; only C(path) and C(checksum) are read).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file's path on the share.
        type: str
        required: true
      checksum:
        description: Its SHA256 (a file without one counts as no copy).
        type: str
  published_sidecars:
    description:
      - The C(.sha256) sidecars of those files on the share, as M(ansible.builtin.slurp) returns them.
    type: list
    elements: dict
    default: []
    suboptions:
      source:
        description: The sidecar's path on the share.
        type: str
        required: true
      content:
        description: Its content, base64.
        type: str
        required: true
  published_on:
    description: The share host of O(published_files) and O(published_sidecars), named with their paths in messages.
    type: str
  signatures:
    description:
      - C(required) checks the whole Stage 9 record as M(routing_ml.deploy.ledger_verify) does
        (checkpoints and signed approvals against O(allowed_signers), evidence folders, gate
        order), that O(allowed_signers) enrols O(approver) for the gate's approver role, and that
        O(checkpoint_key) is there to sign the record.
      - C(off) still checks the chain, the evidence folders and any checkpoint the ledger has.
    type: str
    choices: [required, "off"]
    default: "off"
  smb:
    description:
      - An SMB share to read the version's published files and sidecars from (read only),
        instead of O(published_files) and O(published_sidecars), which must then be empty.
        Needs C(smbprotocol).
    type: dict
    suboptions:
      folder:
        description: The version's folder on the share, a UNC path (C(\\\\server\\share\\releases\\1.4.0)).
        type: str
        required: true
      # port, username, password and encrypt: what the routing_ml.deploy.smb fragment says.
      port:
        description: The SMB port.
        type: int
        default: 445
      username:
        description: The share account (from vault or an AWX credential).
        type: str
      password:
        description: Its password; never logged.
        type: str
      encrypt:
        description: Require SMB3 encryption.
        type: bool
        default: true
requirements:
  - smbprotocol (only with O(smb))
"""

EXAMPLES = r"""
- name: Beta only after Alpha
  routing_ml.deploy.gate_precheck:
    workspace: "{{ routing_ml_workspace }}"
    gate: Beta
    version: 1.4.0
  delegate_to: localhost

- name: Everything the Alpha gate will check, before any host is touched
  routing_ml.deploy.gate_precheck:
    workspace: "{{ routing_ml_workspace }}"
    gate: Alpha
    version: "{{ routing_ml_version }}"
    approver: QA-KIM
    evidence_date: "{{ routing_ml_evidence_date }}"
    evidence_sources: "{{ query('ansible.builtin.fileglob', routing_ml_workspace ~ '/logs/qa/*.log') }}"
    evidence_from_run: [verify_*.json, upload_*.json]
    artifacts:
      - build/windows/RoutingMLInstaller_1.4.0.exe
      - build/frontend/RoutingMLFrontend_1.4.0.zip
    published_files: "{{ share_stat.results | map(attribute='stat') | selectattr('exists') | map('dict2items')
      | map('selectattr', 'key', 'in', ['path', 'checksum']) | map('items2dict') }}"
    published_sidecars: "{{ share_sidecars.results | selectattr('content', 'defined')
      | map('dict2items') | map('selectattr', 'key', 'in', ['source', 'content']) | map('items2dict') }}"
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
evidence_folder:
  description: The evidence folder the dry run looked at (relative to the workspace), or null when evidence was not checked.
  returned: success
  type: str
  sample: deliverables/onboarding_evidence/Stage9_Alpha_20251003
digests:
  description: SHA256 of each artifact, by file name.
  returned: success
  type: dict
  sample: {RoutingMLInstaller_1.4.0.exe: "..."}
problems:
  description: Each problem found (on failure; the message joins them).
  returned: failure
  type: list
  elements: str
"""

import base64
import binascii

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _approval, _checksum, _gate_checks, _smb
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, checkpoint_spec, gate_spec, real_workspace, signing_spec, smb_spec, workspace_spec)

# A sidecar is one line; more than this is no sidecar.
_SIDECAR_LIMIT = 1024 * 1024


def read_smb(smb, names):
    """``(files, sidecars)`` of ``names`` in the SMB folder: ``[(location, sha256)]`` and
    ``[(location, bytes)]`` of those that exist. Reads only."""
    folder = _smb.check_unc(smb["folder"], "smb folder")
    share = _smb.Share(_smb.server_of(folder), port=smb["port"], username=smb["username"],
                       password=smb["password"], encrypt=smb["encrypt"])
    files, sidecars = [], []
    for name in names:
        path = "%s\\%s" % (folder, name)
        digest = share.sha256(path)
        if digest is not None:
            files.append((path, digest))
        sidecar = path + _checksum.SIDECAR_SUFFIX
        try:
            with _smb.smbclient.open_file(sidecar, mode="rb", port=smb["port"]) as handle:
                sidecars.append((sidecar, handle.read(_SIDECAR_LIMIT)))
        except _smb.SMBOSError as exc:
            if exc.errno != 2:
                raise
    return files, sidecars


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **workspace_spec(),
            **gate_spec(version_type="raw"),
            policy=dict(type="dict"),
            approver=dict(type="str"),
            operator=dict(type="str"),
            reason=dict(type="str"),
            forbid_self_approval=dict(type="bool", default=False),
            rerecord=dict(type="bool", default=False),
            evidence_date=dict(type="str"),
            evidence_sources=dict(type="list", elements="path", default=[]),
            evidence_from_run=dict(type="list", elements="str", default=[]),
            artifacts=dict(type="list", elements="path", default=[]),
            published_files=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="str", required=True),
                checksum=dict(type="str"),
            )),
            published_sidecars=dict(type="list", elements="dict", default=[], options=dict(
                source=dict(type="str", required=True),
                content=dict(type="str", required=True),
            )),
            published_on=dict(type="str"),
            **signing_spec(),
            **checkpoint_spec(),
            signatures=dict(type="str", choices=list(_approval.SIGNATURE_MODES), default="off"),
            smb=dict(type="dict", options=dict(
                folder=dict(type="str", required=True),
                **smb_spec(),
            )),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["smb"] and (params["published_files"] or params["published_sidecars"]):
        module.fail_json(msg="smb reads the share itself: give published_files and published_sidecars only without it")
    if params["smb"] and not _smb.HAS_SMB:
        module.fail_json(msg=missing_required_lib("smbprotocol"))
    try:
        workspace = real_workspace(params["workspace"])
        files = [(f["path"], f["checksum"]) for f in params["published_files"]]
        sidecars = [(s["source"], _decode_base64(s["source"], s["content"])) for s in params["published_sidecars"]]
        if params["smb"]:
            try:
                files, sidecars = read_smb(params["smb"], [_checksum.file_name(p) for p in params["artifacts"]])
            except ValidationError:
                raise  # a bad UNC path, named as such
            except Exception as exc:  # pylint: disable=broad-except
                # smbprotocol's own errors (logon failure, access denied) say what went wrong.
                raise ValidationError("cannot read the published digests on %s: %s" % (
                    params["smb"]["folder"], to_native(exc)))
        result = _gate_checks.early_check(
            workspace, params["gate"], params["version"], policy=params["policy"],
            approver=params["approver"], operator=params["operator"], reason=params["reason"],
            forbid_self_approval=params["forbid_self_approval"], rerecord=params["rerecord"],
            evidence_date=params["evidence_date"], evidence_sources=params["evidence_sources"],
            evidence_from_run=params["evidence_from_run"], artifacts=params["artifacts"],
            published_files=files, published_sidecars=sidecars,
            published_on=None if params["smb"] else params["published_on"],
            allowed_signers=params["allowed_signers"], signatures=params["signatures"],
            checkpoint_key=params["checkpoint_key"])
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot check the gate: %s" % to_native(exc))
    problems = result.pop("problems")
    if problems:
        module.fail_json(msg=_gate_checks.describe(params["gate"], params["version"], problems),
                         problems=problems, requires=result["requires"])
    result.pop("version")
    module.exit_json(changed=False, **result)


def _decode_base64(source, content):
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise ValidationError("published sidecar %s: content is not base64: %s" % (source, exc))


if __name__ == "__main__":
    main()

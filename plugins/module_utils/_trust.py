# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The environment's trust settings, pinned in the Stage 9 record (docs/formats.md, "Trust records").

Three settings decide what a signature is worth: the signature mode
(``routing_ml_approval_signatures``), the ``allowed_signers`` file in force (by its SHA256) and
the environment's name (``routing_ml_environment``). Ansible lets an extra variable or a survey
answer override any of them, so a run does not take them on trust: the first gate run of an
environment pins the settings it sees (``Trust Pinned``), and every later gate run and every
audit compares what it sees with the settings in force and refuses a difference, naming both,
before anything changes. Only a ``Trust Changed`` record signed by the role the gate policy
names for GA (the Release Owner), verified against the allowed_signers in force *before* the
change, moves them.

Trust records live under ``deliverables/approvals/trust/`` (mirrored to the share with the
approvals, write-once there): ``<NNNN>.json`` numbered from 0001, each naming the SHA256 of
the one before it and the ledger head it was made against, ``<NNNN>.json.sig`` beside a
change, and ``allowed_signers_<sha256>``, a copy of each allowed_signers file a record pinned,
so that a change stays verifiable after the file itself was replaced.

A change is proposed in ``logs/trust_change.json`` (not mirrored), signed there by the
Release Owner (``ssh-keygen -Y sign -n routing-ml-approval-release-owner``), and recorded by
the next run of ``playbooks/trust_change.yml``, byte for byte as signed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic, _checksum, _ledger, _signing
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError, check_field

FOLDER = "deliverables/approvals/trust"
PROPOSAL = "logs/trust_change.json"
TYPE = "https://routing-ml.example/trust-settings/v1"
PINNED = "Trust Pinned"
CHANGED = "Trust Changed"
MODES = ("required", "off")
# The variable each setting comes from: what a refusal names.
VARIABLES = (
    ("signatures", "routing_ml_approval_signatures"),
    ("allowed_signers_sha256", "routing_ml_allowed_signers"),
    ("environment", "routing_ml_environment"),
)
# Names each gate's approving role, and so the role that may change these settings: from the
# inventory only, like them (a launch naming another GA role would name its own trust role).
POLICY_VARIABLE = "routing_ml_gate_policy"
_RECORD_RE = re.compile(r"^([0-9]{4})\.json$")
_COPY_RE = re.compile(r"^allowed_signers_([0-9a-f]{64})$")


class TrustError(ValidationError):
    """The trust records are broken, or this run's settings are not the ones in force."""


def trust_role(policy):
    """The role that may change the trust settings: the one that approves GA."""
    return policy["GA"]["approver_role"]


def settings(signatures, allowed_signers=None, environment=None):
    """The settings a run sees: ``{signatures, allowed_signers_sha256, environment}``.

    ``environment`` None means "not given" (an auditor's run without the inventory) and is
    left out, never compared; an unset allowed_signers is ``None`` and is compared."""
    if signatures not in MODES:
        raise TrustError("routing_ml_approval_signatures %r is not one of %s" % (signatures, ", ".join(MODES)))
    result = {"signatures": signatures, "allowed_signers_sha256": None}
    if allowed_signers:
        if not os.path.isfile(allowed_signers):
            raise TrustError("routing_ml_allowed_signers %r is not a file" % (allowed_signers,))
        result["allowed_signers_sha256"] = _checksum.sha256_file(allowed_signers)[0]
    if environment is not None:
        result["environment"] = check_field("routing_ml_environment", environment)
    return result


def differences(seen, recorded):
    """``[(variable, seen, recorded)]`` for each setting this run sees otherwise than recorded."""
    found = []
    for key, variable in VARIABLES:
        if key in seen and seen[key] != recorded.get(key):
            found.append((variable, seen[key], recorded.get(key)))
    return found


def _shown(key, value):
    if value is None:
        return "unset"
    return ("sha256 %s" % value) if key == "routing_ml_allowed_signers" else repr(value)


def refusal(seen, in_force, allowed_signers=None):
    """The message refusing a run whose settings differ from ``in_force`` (a ``Loaded``), or None."""
    found = differences(seen, in_force.settings)
    if not found:
        return None
    parts = []
    for variable, here, recorded in found:
        where = " (%s)" % allowed_signers if variable == "routing_ml_allowed_signers" and allowed_signers else ""
        parts.append("%s is %s in this run%s, the environment's recorded setting is %s" % (
            variable, _shown(variable, here), where, _shown(variable, recorded)))
    return ("refusing: the trust settings of this run are not the ones recorded for the environment in %s (%s): "
            "%s. They come from the inventory, never from an extra variable or a survey answer; changing them "
            "is a record signed by the %s (playbooks/trust_change.yml)" % (
                in_force.rel, in_force.status, "; ".join(parts), in_force.role))


def _seen_value(seen, variable, allowed_signers):
    key = dict((v, k) for k, v in VARIABLES)[variable]
    if key == "allowed_signers_sha256" and seen.get(key):
        return "%s (%s)" % (seen[key], allowed_signers)
    return seen.get(key)


def dumps(document):
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def record_rel(sequence):
    return "%s/%04d.json" % (FOLDER, sequence)


def copy_rel(digest):
    return "%s/allowed_signers_%s" % (FOLDER, digest)


class Loaded(object):
    """The verified trust records: ``records`` [(rel, document, sha256)], the last in force."""

    def __init__(self, records, role):
        self.records = records
        self.role = role

    @property
    def last(self):
        return self.records[-1] if self.records else None

    @property
    def settings(self):
        return self.last[1]["settings"]

    @property
    def rel(self):
        return self.last[0]

    @property
    def status(self):
        return self.last[1]["status"]

    @property
    def sha256(self):
        return self.last[2]


def _path(workspace, rel):
    return os.path.join(workspace, *rel.split("/"))


def _check_document(document, rel, sequence, previous):
    if not isinstance(document, dict) or document.get("_type") != TYPE:
        raise TrustError("%s is not a trust record (_type %s)" % (rel, TYPE))
    if document.get("sequence") != sequence:
        raise TrustError("%s says sequence %r" % (rel, document.get("sequence")))
    status = PINNED if sequence == 1 else CHANGED
    if document.get("status") != status:
        raise TrustError("%s has status %r; record %d is %r" % (rel, document.get("status"), sequence, status))
    if document.get("previous") != previous:
        raise TrustError("%s names the previous trust record %s, which is %s (a record was replaced)" % (
            rel, document.get("previous"), previous))
    said = document.get("settings")
    if not isinstance(said, dict) or said.get("signatures") not in MODES:
        raise TrustError("%s has no settings with a signature mode" % rel)
    digest = said.get("allowed_signers_sha256")
    if digest is not None and _checksum.parse_digest(digest, "allowed_signers_sha256") != digest:
        raise TrustError("%s: allowed_signers_sha256 %r is not lowercase hex" % (rel, digest))


def load(workspace, policy, ledger_digests=None):
    """The trust records of ``workspace``, verified; ``TrustError`` at the first that does not hold.

    ``ledger_digests``: the digests of the ledger's records (read here when None); each trust
    record's ``ledger_head`` must be one of them or the genesis."""
    role = trust_role(policy)
    folder = _path(workspace, FOLDER)
    names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    numbered = sorted(int(m.group(1)) for m in (_RECORD_RE.match(n) for n in names) if m)
    if numbered != list(range(1, len(numbered) + 1)):
        raise TrustError("the trust records in %s are not numbered 0001 to %04d without a gap: %s" % (
            FOLDER, len(numbered), ", ".join("%04d" % n for n in numbered)))
    if ledger_digests is None:
        ledger_digests = set(r.digest for r in _ledger.read_records(workspace))
    records, previous = [], None
    for sequence in numbered:
        rel = record_rel(sequence)
        path = _path(workspace, rel)
        if os.path.islink(path):
            raise TrustError("%s is a symbolic link" % rel)
        data = _atomic.read_bytes(path)
        try:
            document = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise TrustError("%s is not UTF-8 JSON: %s" % (rel, exc))
        _check_document(document, rel, sequence, previous)
        head = document.get("ledger_head")
        if head != _ledger.GENESIS and head not in ledger_digests:
            raise TrustError("%s was made at ledger head %s, which this ledger does not hold (records were "
                             "removed, or the ledger is another's)" % (rel, head))
        if sequence > 1:
            _check_change(workspace, rel, data, document, records[-1], role)
        records.append((rel, document, _checksum.sha256_bytes(data)))
        previous = records[-1][2]
    return Loaded(records, role)


def _check_change(workspace, rel, data, document, before, role):
    """A change is signed by the trust role, checked against the allowed_signers in force before it."""
    if document.get("role") != role:
        raise TrustError("%s is signed as %r; the gate policy lets the %s change the trust settings" % (
            rel, document.get("role"), role))
    digest = before[1]["settings"].get("allowed_signers_sha256")
    if digest is None:
        raise TrustError("%s: the settings before it (%s) name no allowed_signers, so no signature can be "
                         "verified" % (rel, before[0]))
    copy = _kept_copy(workspace, digest)
    if copy is None:
        raise TrustError("%s: the copy of the allowed_signers in force before it (%s) is missing or changed" % (
            rel, copy_rel(digest)))
    signature = _path(workspace, rel) + ".sig"
    if not os.path.isfile(signature):
        raise TrustError("%s has no signature (%s.sig)" % (rel, rel))
    try:
        _signing.verify(copy, document.get("approver") or "", _signing.role_namespace(role), data,
                        _atomic.read_text(signature))
    except _signing.SigningError as exc:
        raise TrustError("%s.sig does not verify: %s" % (rel, exc))


def pin(workspace, seen, allowed_signers, ledger_head, now=None):
    """Record 0001 (``Trust Pinned``) from the settings this run sees. Returns its rel path."""
    document = {"_type": TYPE, "sequence": 1, "status": PINNED, "previous": None, "settings": seen,
                "ledger_head": ledger_head or _ledger.GENESIS, "time": _now(now)}
    _keep_copy(workspace, seen, allowed_signers)
    rel = record_rel(1)
    _write_new(_path(workspace, rel), dumps(document).encode("utf-8"))
    return rel


def in_force(root, policy):
    """``(signatures, allowed_signers path or None)`` the trust records under ``root`` put in
    force, the file being the copy they keep (its digest checked); None when nothing is pinned.
    What a copy of the records (the share's) is checked with, whatever a run was launched with."""
    loaded = load(root, policy)
    if loaded.last is None:
        return None
    digest = loaded.settings.get("allowed_signers_sha256")
    if digest is None:
        return loaded.settings["signatures"], None
    path = _kept_copy(root, digest)
    if path is None or os.path.islink(path):
        raise TrustError("%s, the allowed_signers that %s puts in force, is missing or is not the file it names"
                         % (copy_rel(digest), loaded.rel))
    return loaded.settings["signatures"], path


def _kept_copy(root, digest):
    """The path of the allowed_signers copy the trust records keep for ``digest``, or None when
    it is missing or its content is not that digest."""
    path = _path(root, copy_rel(digest))
    if not os.path.isfile(path) or _checksum.sha256_file(path)[0] != digest:
        return None
    return path


def _keep_copy(workspace, seen, allowed_signers):
    digest = seen.get("allowed_signers_sha256")
    if digest is None:
        return
    target = _path(workspace, copy_rel(digest))
    if os.path.isfile(target):
        return
    with _atomic.verified_copy(allowed_signers, target, digest) as tmp:
        os.rename(tmp, target)


def _write_new(path, data):
    """A trust record is written once: an existing one is never replaced."""
    if os.path.lexists(path):
        raise TrustError("%s exists already (another run recorded it meanwhile)" % path)
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    _atomic.write_atomic(path, data)


def _now(now=None):
    return _ledger.format_timestamp(now or datetime.datetime.now().astimezone())


def proposal(loaded, seen, approver, reason, ledger_head, now=None):
    """The ``Trust Changed`` record that would follow ``loaded``, for the Release Owner to sign."""
    return {"_type": TYPE, "sequence": len(loaded.records) + 1, "status": CHANGED, "previous": loaded.sha256,
            "settings": seen, "ledger_head": ledger_head or _ledger.GENESIS, "time": _now(now),
            "approver": check_field("approver", approver), "role": loaded.role,
            "reason": check_field("reason", reason)}


def same_proposal(a, b):
    """Whether two proposals say the same thing (their time aside)."""
    keys = ("_type", "sequence", "status", "previous", "settings", "approver", "role", "reason")
    return all(a.get(k) == b.get(k) for k in keys)


def read_proposal(workspace):
    """``(document, bytes)`` of the pending proposal, or ``(None, None)``."""
    path = _path(workspace, PROPOSAL)
    if not os.path.isfile(path):
        return None, None
    data = _atomic.read_bytes(path)
    try:
        return json.loads(data.decode("utf-8")), data
    except (UnicodeDecodeError, ValueError):
        return {}, data


def write_proposal(workspace, document):
    path = _path(workspace, PROPOSAL)
    for stale in (path + ".sig",):
        if os.path.lexists(stale):
            os.unlink(stale)
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    _atomic.write_text_atomic(path, dumps(document))
    return PROPOSAL


def record_change(workspace, loaded, data, allowed_signers):
    """Record the signed proposal ``data`` as the next trust record, after verifying it like
    ``load`` will. Returns its rel path."""
    document = json.loads(data.decode("utf-8"))
    rel = record_rel(len(loaded.records) + 1)
    _check_document(document, rel, len(loaded.records) + 1, loaded.sha256)
    signature_path = _path(workspace, PROPOSAL) + ".sig"
    if not os.path.isfile(signature_path):
        raise TrustError("%s is not signed yet (%s.sig)" % (PROPOSAL, PROPOSAL))
    signature = _atomic.read_text(signature_path)
    staged = _path(workspace, rel)
    # Nothing is written before the signature holds against the allowed_signers in force
    # before the change (the launcher's own file would enrol the launcher's own key).
    digest = loaded.settings.get("allowed_signers_sha256")
    if digest is None:
        raise TrustError("the settings in force (%s) name no allowed_signers: no signature can be verified" % loaded.rel)
    try:
        _signing.verify(_path(workspace, copy_rel(digest)), document.get("approver") or "",
                        _signing.role_namespace(loaded.role), data, signature)
    except _signing.SigningError as exc:
        raise TrustError("%s.sig does not verify: %s" % (PROPOSAL, exc))
    _keep_copy(workspace, document["settings"], allowed_signers)
    _write_new(staged + ".sig", signature.encode("utf-8"))
    _write_new(staged, data)
    os.unlink(signature_path)
    os.unlink(_path(workspace, PROPOSAL))
    return rel


def check_launched(launched):
    """Refuse a gate policy given at launch, before the policy itself is even read."""
    if POLICY_VARIABLE in (launched or ()):
        raise TrustError("refusing: %s is given as an extra variable (or a survey answer); the gate policy names "
                         "who approves each gate and who may change the trust settings, so it comes from the "
                         "inventory only" % POLICY_VARIABLE)


def run(workspace, policy, seen, state="checked", allowed_signers=None, approver=None, reason=None, check_mode=False,
        launched=()):
    """What ``trust_settings`` does (its ``state``), as a result dict; ``TrustError`` refuses.

    ``checked`` compares only (a ledger with records but no trust record is refused);
    ``pinned`` compares, and pins ``seen`` on a ledger without trust records; ``changed``
    proposes ``seen`` for the trust role to sign, or records the signed proposal.
    ``launched``: the trust variables given at launch (extra variables); never pinned from."""
    check_launched(launched)
    records = _ledger.read_records(workspace)
    head = records[-1].digest if records else None
    loaded = load(workspace, policy, set(r.digest for r in records))
    result = dict(changed=False, settings=seen, in_force=None, record=None)
    if loaded.last is None:
        if state == "checked":
            if records:
                raise TrustError("the ledger has %d record(s) but no trust record (%s): the settings it was written "
                                 "under are unknown; a gate run pins them" % (len(records), record_rel(1)))
            return dict(result, msg="no trust settings are recorded yet (an empty ledger)")
        if state == "changed":
            raise TrustError("nothing is pinned yet (%s): a gate run pins the settings it sees" % record_rel(1))
        if launched:
            raise TrustError(
                "refusing to pin the environment's trust settings from a launch: %s given as an extra variable "
                "(or a survey answer); the first gate run pins the inventory's settings, so run it without %s" % (
                    ", ".join("%s=%s" % (v, _shown(v, _seen_value(seen, v, allowed_signers))) for v in launched),
                    "them" if len(launched) > 1 else "it"))
        if not check_mode:
            pin(workspace, seen, allowed_signers, head)
        return dict(result, changed=True, in_force=seen, record=record_rel(1),
                    msg="pinned the trust settings of the environment in %s" % record_rel(1))
    result.update(in_force=loaded.settings, record=loaded.rel)
    if state != "changed":
        message = refusal(seen, loaded, allowed_signers)
        if message:
            raise TrustError(message)
        return dict(result, msg="the trust settings are the ones recorded in %s" % loaded.rel)
    if not differences(seen, loaded.settings):
        return dict(result, msg="the settings in force (%s) are these already" % loaded.rel)
    wanted = proposal(loaded, seen, approver, reason, head)
    pending, data = read_proposal(workspace)
    same = pending is not None and same_proposal(pending, wanted)
    if same and os.path.isfile(_path(workspace, PROPOSAL) + ".sig"):
        if check_mode:
            return dict(result, changed=True, msg="would record the signed %s" % PROPOSAL)
        rel = record_change(workspace, loaded, data, allowed_signers)
        return dict(result, changed=True, in_force=seen, record=rel,
                    msg="recorded the change of the trust settings signed by %s in %s" % (approver, rel))
    if not same and not check_mode:
        write_proposal(workspace, wanted)
    return dict(result, changed=not same, proposal=PROPOSAL,
                msg="the change waits for the signature of %s (%s): ssh-keygen -Y sign -f <their key> -n %s %s, "
                    "then run playbooks/trust_change.yml again with the same settings" % (
                        approver, loaded.role, _signing.role_namespace(loaded.role), PROPOSAL))

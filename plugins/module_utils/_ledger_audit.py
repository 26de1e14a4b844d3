# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Everything an auditor checks about the Stage 9 record, from a workspace or the share's copy.

In order, stopping at the first break (``LedgerError`` naming the file and line, or the file):
the hash chain and anchors; the checkpoints; then for each gate record, its evidence folder
against its manifest and the recorded manifest digest, the gate order for its version (the
policy's earlier gate recorded before it, no rollback in force), and its signed approval (the
statement's digest, its signature in the namespace of the gate's approver role, and that the
statement says what the record says); finally one content per version: every statement of a
version names the same installer and bundle digests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import posixpath

from ansible_collections.routing_ml.deploy.plugins.module_utils import (
    _approval, _atomic, _checkpoints, _checksum, _evidence, _gate_policy, _ledger, _signing, _statement)


def _subjects(statement):
    """``(artifacts {name: sha256}, evidence manifest sha256)`` of a statement."""
    suffix = "/" + _evidence.MANIFEST_SIDECAR
    artifacts = dict((s["name"], s["digest"]["sha256"]) for s in statement["subject"] if not s["name"].endswith(suffix))
    manifests = [s["digest"]["sha256"] for s in statement["subject"] if s["name"].endswith(suffix)]
    return artifacts, manifests[0] if manifests else None


def audit(workspace, anchors=(), allowed_signers=None, signatures="off", policy=None):
    """A summary dict, or ``LedgerError`` at the first thing that does not hold."""
    policy = _gate_policy.check_policy(policy if policy is not None else _gate_policy.default_policy())
    required = signatures == "required"
    linked = _evidence.symlinks_in_records(workspace)
    if linked:
        raise _ledger.LedgerError("%s %s a symbolic link; the records are the files that were written, not "
                                  "pointers to files elsewhere" % (", ".join(linked), "is" if len(linked) == 1 else "are"))
    records, checkpoints = _checkpoints.verified_records(workspace, allowed_signers, required, anchors)
    content = {}
    summary = {"records": len(records), "gates": 0, "signed_approvals": 0, "unsigned_approvals": 0,
               "evidence_folders": 0, "versions": [], "checkpoints": checkpoints}
    for index, record in enumerate(records):
        fields = record.fields
        if fields["status"] == _gate_policy.UNBLOCKED:
            summary["unblocks"] = summary.get("unblocks", 0) + 1
            _check_unblock(workspace, record, records[:index], allowed_signers, policy, required)
            continue
        if fields["status"] == _gate_policy.ROLLED_BACK:
            continue
        where = record.where(workspace)
        if policy[fields["gate"]]["status"] != fields["status"]:
            raise _ledger.LedgerError("status %r is not %s's (%r) in the gate policy" % (
                fields["status"], fields["gate"], policy[fields["gate"]]["status"]), where)
        summary["gates"] += 1
        _check_evidence(workspace, record, where)
        summary["evidence_folders"] += 1
        problems = _gate_policy.unmet_order(policy, fields["gate"], fields["version"], records[:index])
        if problems:
            raise _ledger.LedgerError("out of order: %s" % "; ".join(problems), where)
        if fields.get("approval") is None:
            if required:
                raise _ledger.LedgerError("%s for %s has no signed approval (recorded with signatures off)" % (
                    fields["gate"], fields["version"]), where)
            summary["unsigned_approvals"] += 1
            continue
        statement = _check_approval(workspace, record, where, allowed_signers, policy)
        summary["signed_approvals"] += 1
        _check_one_content(content, statement, record, where)
    summary["versions"] = sorted(content) or sorted(set(r.fields["version"] for r in records))
    summary["head"] = records[-1].digest if records else None
    return records, summary


def _check_evidence(workspace, record, where):
    folder = os.path.join(workspace, record.fields["evidence"])
    manifest, manifest_sha256, problems = _evidence.verify_folder(folder)
    if problems:
        raise _ledger.LedgerError("evidence %s: %s" % (record.fields["evidence"], "; ".join(problems)), where)
    if manifest_sha256 != record.fields["manifest_sha256"]:
        raise _ledger.LedgerError("evidence %s: %s/%s has sha256 %s, the record says %s" % (
            record.fields["evidence"], record.fields["evidence"], _evidence.MANIFEST_SIDECAR, manifest_sha256,
            record.fields["manifest_sha256"]), where)
    if (manifest.get("gate"), manifest.get("version")) != (record.fields["gate"], record.fields["version"]):
        raise _ledger.LedgerError("evidence %s is for %s %s" % (
            record.fields["evidence"], manifest.get("gate"), manifest.get("version")), where)
    problems = _evidence.zip_problems(folder, record.fields["evidence"] + ".zip")
    if problems:
        raise _ledger.LedgerError("; ".join(problems), where)


def _check_approval(workspace, record, where, allowed_signers, policy):
    fields = record.fields
    rel = _statement.relpath(fields["version"], fields["gate"])
    path = os.path.join(workspace, rel)
    if not os.path.isfile(path):
        raise _ledger.LedgerError("the approval statement %s is missing" % rel, where)
    data = _atomic.read_text(path)
    digest = _checksum.sha256_bytes(data.encode("utf-8"))
    if digest != fields["approval"]:
        raise _ledger.LedgerError("the approval statement %s has sha256 %s, the record says %s" % (
            rel, digest, fields["approval"]), where)
    statement = _statement.loads(data, rel)
    predicate = statement["predicate"]
    role = policy[fields["gate"]]["approver_role"]
    said = (predicate["gate"], predicate["version"], predicate["status"], predicate["approver"],
            predicate["role"], predicate["evidence"], str(_subjects(statement)[1]))
    recorded = (fields["gate"], fields["version"], fields["status"], fields["approver"], role,
                fields["evidence"], fields["manifest_sha256"])
    if said != recorded:
        raise _ledger.LedgerError("the approval statement %s says %s, the record %s" % (
            rel, "/".join(said), "/".join(recorded)), where)
    _check_signature(path + ".sig", rel, data, record, role, where, allowed_signers)
    return statement


def _check_signature(signature, rel, data, record, role, where, allowed_signers):
    """The record's approver signed ``data`` (the statement ``rel``; its signature file
    ``signature``) in ``role``'s namespace, at the record's time."""
    if not allowed_signers:
        raise _ledger.LedgerError("signed approvals need allowed_signers to verify", where)
    if not os.path.isfile(signature):
        raise _ledger.LedgerError("the signature %s.sig is missing" % rel, where)
    try:
        text = canonical_signature(signature, rel + ".sig")
        _signing.verify(allowed_signers, record.fields["approver"], _signing.role_namespace(role),
                        data.encode("utf-8"), text, verify_time=record.timestamp)
    except _signing.SigningError as exc:
        raise _ledger.LedgerError("the signature %s.sig does not verify: %s" % (rel, exc), where)


def _statement_with_digest(workspace, rel, digest):
    """``(path, rel, text)`` of the statement at ``rel`` (or a copy moved aside when a later
    decision replaced it) whose SHA256 is ``digest``; None when there is none."""
    path = os.path.join(workspace, rel)
    folder = os.path.dirname(path)
    names = [os.path.basename(path)]
    if os.path.isdir(folder):
        stale = os.path.basename(path) + _statement.STALE_INFIX
        names += sorted(n for n in os.listdir(folder) if n.startswith(stale))
    for name in names:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            data = _atomic.read_text(candidate)
            if _checksum.sha256_bytes(data.encode("utf-8")) == digest:
                # a statement moved aside keeps its signature as <name>.sig.stale-<stamp>
                sig = name + _statement.SIGNATURE_SUFFIX if name == names[0] else name.replace(
                    _statement.STATEMENT_SUFFIX + _statement.STALE_INFIX,
                    _statement.STATEMENT_SUFFIX + _statement.SIGNATURE_SUFFIX + _statement.STALE_INFIX)
                return candidate, posixpath.join(posixpath.dirname(rel), name), data, \
                    os.path.join(folder, sig)
    return None


def _check_unblock(workspace, record, before, allowed_signers, policy, required):
    """An ``Unblocked`` record lifts a block: it rests on the Release Owner's signed statement,
    which names the ``Rolled Back`` record it lifts and a head that came before it."""
    fields = record.fields
    where = record.where(workspace)
    blocked = _gate_policy.rollback_block(fields["version"], before)
    if blocked is None:
        raise _ledger.LedgerError("Unblocked for %s, which no rollback blocks" % fields["version"], where)
    if fields.get("approval") is None:
        if required:
            raise _ledger.LedgerError("Unblocked for %s at %s has no signed statement (recorded with signatures "
                                      "off, or by hand)" % (fields["version"], fields["gate"]), where)
        return
    rel = _statement.unblock_relpath(fields["version"], fields["gate"])
    found = _statement_with_digest(workspace, rel, fields["approval"])
    if found is None:
        raise _ledger.LedgerError("no unblock statement %s (or one moved aside) has sha256 %s, which the record "
                                  "names" % (rel, fields["approval"]), where)
    path, rel, data, signature = found
    statement = _statement.loads(data, rel)
    predicate = statement["predicate"]
    role = _approval.unblock_role(policy)
    subjects = dict((s["name"], s["digest"]["sha256"]) for s in statement["subject"])
    said = (predicate["gate"], predicate["version"], predicate["status"], predicate["approver"], predicate["role"],
            predicate.get("reason"), subjects.get(_approval.BLOCKED_SUBJECT))
    recorded = (fields["gate"], fields["version"], fields["status"], fields["approver"], role, fields.get("reason"),
                blocked.digest)
    if said != recorded:
        raise _ledger.LedgerError("the unblock statement %s says %s, the record %s" % (
            rel, "/".join(str(x) for x in said), "/".join(str(x) for x in recorded)), where)
    heads = set(r.digest for r in before) | set([_ledger.GENESIS])
    if predicate.get("ledger_head") not in heads:
        raise _ledger.LedgerError("the unblock statement %s was made against ledger head %s, which is not a record "
                                  "before it" % (rel, predicate.get("ledger_head")), where)
    _check_signature(signature, rel, data, record, role, where, allowed_signers)


def canonical_signature(path, rel):
    """The signature file's text, refused unless it is exactly as ssh-keygen writes it: a
    reader that forgives line ends or padding must not let a changed file pass as unchanged."""
    text = _atomic.read_text(path)
    if _signing.check_signature_text(text, rel) != text:
        raise _signing.SigningError("%s is not in the form ssh-keygen writes (it was changed)" % rel)
    return text


def _check_one_content(content, statement, record, where):
    version = record.fields["version"]
    artifacts = _subjects(statement)[0]
    known = content.setdefault(version, artifacts)
    for name, digest in sorted(artifacts.items()):
        if known.get(name, digest) != digest:
            raise _ledger.LedgerError("version %s: %s has sha256 %s here and %s in an earlier approval: one "
                                      "version, one content" % (version, name, digest, known[name]), where)

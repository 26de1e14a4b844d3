# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Recording a Stage 9 approval: policy check, ledger append, Tasklist and release notes.

Everything happens under the ledger lock, so two jobs approving at once neither lose a
record nor overwrite each other's document edits. The ledger is written first: it is the
record of truth, and a run that stopped before the documents were edited repairs them
when it is repeated.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import posixpath

from ansible_collections.routing_ml.deploy.plugins.module_utils import (
    _atomic, _checkpoints, _checksum, _evidence, _gate_policy, _ledger, _markdown, _signing, _statement)
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, check_approver, check_field, check_gate, check_version, relative_to, resolve_in_workspace)

SIGNATURE_MODES = ("required", "off")
TASKLIST_SECTION = "Phase 5"
HIGHLIGHTS_SECTION = "Highlights"


class Request(object):
    """The validated input of one approval."""

    def __init__(self, workspace, gate, version, approver, evidence, release_notes,
                 tasklist, policy=None, operator=None, reason=None, forbid_self_approval=False,
                 signatures="off", allowed_signers=None, installer=None, bundle=None, checkpoint_key=None,
                 signature=None):
        self.workspace = os.path.realpath(workspace)
        self.gate = check_gate(gate)
        self.version = check_version(version)
        self.approver = check_approver(approver)
        self.operator = check_field("operator", operator) if operator is not None else None
        self.reason = check_field("reason", reason) if reason is not None else None
        self.policy = _gate_policy.check_policy(policy if policy is not None else _gate_policy.default_policy())
        self.rules = self.policy[gate]
        self.evidence_path = resolve_in_workspace(self.workspace, evidence, "evidence")
        self.evidence = relative_to(self.evidence_path, self.workspace)
        self.release_notes_path = resolve_in_workspace(self.workspace, release_notes, "release_notes")
        self.tasklist_path = resolve_in_workspace(self.workspace, tasklist, "tasklist")
        self.forbid_self_approval = forbid_self_approval
        if signatures not in SIGNATURE_MODES:
            raise ValidationError("signatures %r is not one of %s" % (signatures, ", ".join(SIGNATURE_MODES)))
        self.signatures = signatures
        self.allowed_signers = allowed_signers
        self.checkpoint_key = checkpoint_key
        self.approval = None
        self.signature = _signing.check_signature_text(signature) if signature else None
        if signatures == "required":
            problems = _checkpoints.key_problems(checkpoint_key)
            if problems:
                raise ValidationError(problems[0])
            if not allowed_signers or not os.path.isfile(allowed_signers):
                raise ValidationError(
                    "signed approvals are required and allowed_signers %r is not a file (set "
                    "routing_ml_allowed_signers)" % (allowed_signers,))
            self.artifacts = [resolve_in_workspace(self.workspace, p, what) for p, what in
                              ((installer, "installer"), (bundle, "bundle"))]
            self.statement_path = os.path.join(self.workspace, _statement.relpath(self.version, self.gate))

    def fields(self, manifest_sha256):
        return {
            "gate": self.gate,
            "status": self.rules["status"],
            "version": self.version,
            "approver": self.approver,
            "operator": self.operator,
            "reason": self.reason,
            "approval": self.approval,
            "evidence": self.evidence,
            "manifest_sha256": manifest_sha256,
        }

    def same_approval(self, record, manifest_sha256):
        keys = ("gate", "status", "version", "approver", "approval", "evidence", "manifest_sha256")
        wanted = self.fields(manifest_sha256)
        return all(record.fields.get(k) == wanted[k] for k in keys)


def record(request, check_mode=False, now=None):
    """Carry out (or, in check mode, predict) one approval. Returns a result dict with
    ``changed``, ``record``, ``appended``, ``documents`` and ``diff``."""
    for path, what in ((request.release_notes_path, "release_notes"), (request.tasklist_path, "tasklist")):
        if not os.path.isfile(path):
            raise ValidationError("%s %s is not an existing file" % (what, relative_to(path, request.workspace)))
    # One moment for the whole approval: the documents name the record by its digest, and
    # the digest covers the timestamp, so the line predicted and the line appended must be one.
    now = now or datetime.datetime.now().astimezone()
    with _ledger.lock(request.workspace):
        records, dummy = _checkpoints.verified_records(
            request.workspace, request.allowed_signers, required=request.signatures == "required")
        manifest_sha256 = _check_preconditions(request, records)
        signature_file = None
        if request.signatures == "required":
            signature_file = check_signed_approval(request, manifest_sha256, now)
        existing = next((r for r in reversed(records) if request.same_approval(r, manifest_sha256)), None)
        appended = existing is None
        if existing is not None:
            line, timestamp, digest = existing.text, existing.timestamp, existing.digest
        else:
            timestamp, line = _ledger.next_line(records, request.fields(manifest_sha256), now)
            digest = _checksum.sha256_bytes(line.encode("utf-8"))
        head = (digest, len(records) + 1) if appended else (records[-1].digest, len(records))
        documents = _document_edits(request, timestamp, digest, manifest_sha256, head)
        if signature_file is not None:
            # The signature given as text (an AWX survey) is kept beside its statement, and
            # before the record that rests on it.
            documents.insert(0, (signature_file[0], _atomic.read_text(signature_file[0], default=""),
                                 signature_file[1]))
        if not check_mode:
            if signature_file is not None:
                _atomic.write_text_atomic(*signature_file)
            if appended:
                written = _ledger.append_locked(request.workspace, records, request.fields(manifest_sha256), now,
                                                _checkpoints.signer(request.checkpoint_key))
                line, digest = written.text, written.digest
            for path, dummy, after in documents:
                _atomic.write_text_atomic(path, after)
    rel = relative_to(_ledger.file_for(request.workspace, timestamp), request.workspace)
    return {
        "changed": appended or bool(documents),
        "appended": appended,
        "record": {"line": line, "sha256": digest, "file": rel, "timestamp": timestamp,
                   "status": request.rules["status"]},
        "manifest_sha256": manifest_sha256,
        "head": head[0],
        "documents": [relative_to(p, request.workspace) for p, dummy, dummy2 in documents],
        "diff": [{"before_header": relative_to(p, request.workspace), "after_header": relative_to(p, request.workspace),
                  "before": before, "after": after} for p, before, after in documents]
        + ([{"before_header": rel, "after_header": rel, "before": "", "after": line + "\n"}] if appended else []),
    }


def _check_preconditions(request, records):
    """All unmet preconditions at once, as one error; the manifest digest otherwise."""
    manifest, manifest_sha256, problems = _evidence.verify_folder(request.evidence_path)
    names = [f["name"] for f in manifest["files"]] if manifest else []
    if manifest is not None and (manifest.get("gate"), manifest.get("version")) != (request.gate, request.version):
        problems.append("evidence %s is for %s %s, not %s %s" % (
            request.evidence, manifest.get("gate"), manifest.get("version"), request.gate, request.version))
    problems += _gate_policy.unmet_preconditions(
        request.policy, request.gate, request.version, records, names, request.approver,
        request.operator, request.forbid_self_approval)
    if problems:
        raise ValidationError("cannot record %s for version %s: %s" % (
            request.gate, request.version, "; ".join(problems)))
    return manifest_sha256


def statement_of(gate, version, approver, reason, policy, evidence, artifacts, manifest_sha256, time, head=None):
    """The approval statement of these facts: ``artifacts`` are the installer's and the
    bundle's paths, ``evidence`` the folder relative to the workspace."""
    subjects = [(os.path.basename(p), _checksum.sha256_file(p)[0]) for p in artifacts]
    subjects.append(("%s/%s" % (evidence, _evidence.MANIFEST_SIDECAR), manifest_sha256))
    rules = policy[gate]
    return _statement.build(gate, version, rules["status"], approver, rules["approver_role"], reason or None,
                            policy, evidence, subjects, time, head)


def expected_statement(request, manifest_sha256, reason, time):
    """The statement this approval must have been signed as: the run's facts."""
    return statement_of(request.gate, request.version, request.approver, reason, request.policy,
                        request.evidence, request.artifacts, manifest_sha256, time)


def check_enrolled(allowed_signers, approver, role):
    """Refuse an approver whom ``allowed_signers`` does not enrol for ``role``'s namespace."""
    namespace = _signing.role_namespace(role)
    if not allowed_signers or not os.path.isfile(allowed_signers):
        raise ValidationError("signed approvals are required and allowed_signers %r is not a file (set "
                              "routing_ml_allowed_signers, or routing_ml_approval_signatures: off)" % (allowed_signers,))
    entries = _signing.load_allowed_signers(allowed_signers)
    mine = _signing.entries_for(entries, approver)
    if not mine:
        raise ValidationError("approver %r is not enrolled in allowed_signers %s" % (approver, allowed_signers))
    if not any(_signing.allows_namespace(e, namespace) for e in mine):
        raise ValidationError("approver %r is enrolled in %s for %s, not for %s (%s): the %s role approves" % (
            approver, allowed_signers, ", ".join(_signing.roles_of(entries, approver)) or "no namespace",
            namespace, role, role))
    return namespace


def check_signed_approval(request, manifest_sha256, now):
    """Verify the approver's signature over the statement and the statement against this run;
    sets ``request.approval`` (and the reason the approver signed). Raises otherwise."""
    what = "%s for version %s" % (request.gate, request.version)
    data, statement, signature = check_signed_statement(
        request.workspace, request.statement_path, what,
        lambda said: expected_statement(request, manifest_sha256, said["predicate"].get("reason"),
                                        said["predicate"]["time"]),
        request.approver, request.rules["approver_role"], request.allowed_signers, now, request.signature,
        "a deployment run writes it")
    request.approval = _checksum.sha256_bytes(data.encode("utf-8"))
    request.reason = statement["predicate"].get("reason") or request.reason
    signature_path = request.statement_path + ".sig"
    if _atomic.read_text(signature_path, default="") != signature:
        return signature_path, signature
    return None


def sign_hint(workspace, path, role):
    rel = relative_to(path, workspace)
    return "the approver reviews it (playbooks/show_approval.yml) and signs it: ssh-keygen -Y sign -f <key> -n %s %s" % (
        _signing.role_namespace(role), rel)


def check_signed_statement(workspace, path, what, expected_of, approver, role, allowed_signers, now,
                           signature=None, written_by="a deployment run writes it"):
    """The one verifier of a signed decision (a gate approval, an unblock): the statement at
    ``path`` must say what this run does (``expected_of(statement)``, the run's facts with the
    statement's own reason and time) and carry ``approver``'s signature in ``role``'s namespace.
    Returns ``(text, statement, signature text)``; raises ``ValidationError`` naming ``what``."""
    rel = relative_to(path, workspace)
    namespace = _signing.role_namespace(role)
    hint = sign_hint(workspace, path, role)
    if not os.path.isfile(path):
        raise ValidationError("cannot record %s: no approval statement %s; %s, then %s" % (what, rel, written_by, hint))
    data = _atomic.read_text(path)
    statement = _statement.loads(data, rel)
    differences = _statement.differences(statement, expected_of(statement))
    if differences:
        raise ValidationError("cannot record %s: the approval statement %s is not this approval: %s" % (
            what, rel, "; ".join(differences)))
    signature_path = path + ".sig"
    if signature is None and not os.path.isfile(signature_path):
        raise ValidationError("cannot record %s: %s is not signed yet (no %s.sig); %s" % (what, rel, rel, hint))
    signature = signature or _atomic.read_text(signature_path)
    try:
        _signing.verify(allowed_signers, approver, namespace, data.encode("utf-8"),
                        signature, verify_time=_ledger.format_timestamp(now))
    except _signing.SigningError as exc:
        raise ValidationError("cannot record %s: the signature %s.sig is refused: %s" % (what, rel, exc))
    return data, statement, signature


# Lifting a rollback's block is the release decision: the role that approves the last gate
# (the Release Owner in the default policy) signs it, in that role's namespace.
UNBLOCK_GATE = "GA"
BLOCKED_SUBJECT = "rolled_back_record"


def unblock_role(policy):
    return policy[UNBLOCK_GATE]["approver_role"]


def unblock_statement(gate, version, approver, reason, policy, evidence, blocked, time, head):
    """The statement a Release Owner signs to lift ``blocked`` (the ``Rolled Back`` record's
    SHA256): it names that record, so it lifts that block and no later one."""
    return _statement.build(gate, version, _gate_policy.UNBLOCKED, approver, unblock_role(policy), reason, policy,
                            evidence, [(BLOCKED_SUBJECT, blocked)], time, head)


def check_signed_unblock(workspace, gate, version, approver, reason, evidence, allowed_signers, records, blocked,
                         policy=None, check_mode=False, now=None):
    """The SHA256 of the signed statement that lets ``version`` go on after ``blocked`` (its
    ``Rolled Back`` record), verified as a gate approval is. Without one, the statement is
    written (kept when it already says this) for the Release Owner to sign, and the run is
    refused saying how to sign it; an approver who is not enrolled for the role is refused first."""
    policy = _gate_policy.check_policy(policy if policy is not None else _gate_policy.default_policy())
    now = now or datetime.datetime.now().astimezone()
    role = unblock_role(policy)
    what = "Unblocked for %s at %s" % (version, gate)
    try:
        check_enrolled(allowed_signers, approver, role)
    except ValidationError as exc:
        raise ValidationError("cannot record %s: %s (an unblock is signed by the %s)" % (what, exc, role))
    rel = _statement.unblock_relpath(version, gate)
    path = resolve_in_workspace(workspace, rel, "unblock statement")
    head = records[-1].digest if records else _ledger.GENESIS
    wanted = unblock_statement(gate, version, approver, reason, policy, evidence, blocked.digest,
                               _ledger.format_timestamp(now), head)

    def expected_of(said):
        return unblock_statement(gate, version, approver, reason, policy, evidence, blocked.digest,
                                 said["predicate"]["time"], head)
    moved = None
    if not check_mode:
        previous = _atomic.read_text(path, default="")
        try:
            keep = bool(previous) and _statement.same_facts(_statement.loads(previous, rel), wanted)
        except ValidationError:
            keep = False
        if not keep:
            written = _statement.write(workspace, wanted, now=now, rel=rel)
            moved = written.stale_statement and relative_to(written.stale_statement, workspace)
    try:
        data, dummy, dummy2 = check_signed_statement(
            workspace, path, what, expected_of, approver, role, allowed_signers, now,
            written_by="playbooks/unblock.yml writes it")
    except ValidationError as exc:
        if moved:
            raise ValidationError("%s (the statement there before was for another decision, and was moved "
                                  "with its signature to %s)" % (exc, moved))
        raise
    return _checksum.sha256_bytes(data.encode("utf-8"))


def tasklist_text(request, timestamp, digest):
    return "%s — %s: %s (%s %s, %s, ledger %s)" % (
        request.rules["tasklist_item"], request.version, request.rules["status"],
        _markdown.escape(request.rules["approver_role"]), _markdown.escape(request.approver), timestamp, digest[:12])


def highlight_line(request, manifest_sha256):
    link = posixpath.relpath(request.evidence, posixpath.dirname(
        relative_to(request.release_notes_path, request.workspace)) or ".") + "/"
    return "- %s evidence for %s: [%s](%s) (manifest sha256 `%s`)" % (
        request.rules["tasklist_item"], request.version, posixpath.basename(request.evidence),
        link, manifest_sha256), "](%s)" % link


def _document_edits(request, timestamp, digest, manifest_sha256, head=None):
    """``[(path, before, after)]`` for each document that has to change."""
    edits = []
    tasklist_before = _atomic.read_text(request.tasklist_path)
    doc = _markdown.Document(tasklist_before, relative_to(request.tasklist_path, request.workspace))
    doc.require_section(TASKLIST_SECTION)
    if doc.set_checkbox(TASKLIST_SECTION, request.rules["tasklist_item"], tasklist_text(request, timestamp, digest)):
        edits.append((request.tasklist_path, tasklist_before, doc.text()))

    notes_before = _atomic.read_text(request.release_notes_path)
    doc = _markdown.Document(notes_before, relative_to(request.release_notes_path, request.workspace))
    line, key = highlight_line(request, manifest_sha256)
    changed = doc.upsert_line(HIGHLIGHTS_SECTION, lambda text: key in text, line)
    if head is not None:
        changed = doc.upsert_line(HIGHLIGHTS_SECTION, lambda text: _ledger.NOTE_KEY in text,
                                  _ledger.head_note(*head)) or changed
    if changed:
        edits.append((request.release_notes_path, notes_before, doc.text()))
    return edits


def write_statement(workspace, gate, version, approver, evidence, installer, bundle, allowed_signers,
                    reason=None, policy=None, check_mode=False, now=None):
    """Write (or keep) the statement the approver signs; report whether it is signed.

    Returns the module result: ``changed``, ``statement``, ``signature``, ``namespace``,
    ``signed``, ``problem``, ``sign_command``, ``content``, ``stale_signature`` and ``diff``."""
    check_gate(gate)
    check_version(version)
    check_approver(approver)
    if reason:
        check_field("reason", reason)
    policy = _gate_policy.check_policy(policy if policy is not None else _gate_policy.default_policy())
    if not allowed_signers or not os.path.isfile(allowed_signers):
        raise ValidationError("allowed_signers %r is not a file (set routing_ml_allowed_signers)" % (allowed_signers,))
    namespace = check_enrolled(allowed_signers, approver, policy[gate]["approver_role"])
    folder = resolve_in_workspace(workspace, evidence, "evidence")
    evidence = relative_to(folder, workspace)
    manifest, manifest_sha256, problems = _evidence.verify_folder(folder)
    if problems:
        raise ValidationError("evidence %s does not match its manifest: %s" % (evidence, "; ".join(problems)))
    if (manifest.get("gate"), manifest.get("version")) != (gate, version):
        raise ValidationError("evidence %s is for %s %s, not %s %s" % (
            evidence, manifest.get("gate"), manifest.get("version"), gate, version))
    artifacts = [resolve_in_workspace(workspace, p, what) for p, what in ((installer, "installer"), (bundle, "bundle"))]
    for path in artifacts:
        if not os.path.isfile(path):
            raise ValidationError("%s is not an existing file" % relative_to(path, workspace))
    time = _ledger.format_timestamp(now or datetime.datetime.now().astimezone())
    records = _ledger.read_records(workspace)
    statement = statement_of(gate, version, approver, reason, policy, evidence, artifacts, manifest_sha256, time,
                             records[-1].digest if records else _ledger.GENESIS)
    rel = _statement.relpath(version, gate)
    path = os.path.join(workspace, rel)
    _refuse_rewriting_a_recorded_statement(workspace, path, statement, rel)
    path, changed, previous = written = _statement.write(workspace, statement, check_mode=check_mode)
    signed, problem = False, None
    current = statement if changed else _statement.loads(previous, rel)
    if os.path.isfile(path + ".sig") and not changed:
        try:
            _signing.verify(allowed_signers, approver, namespace, previous.encode("utf-8"),
                            _atomic.read_text(path + ".sig"), verify_time=time)
            signed = True
        except _signing.SigningError as exc:
            problem = str(exc)
    before = previous or ""
    return {
        "changed": changed,
        "statement": rel,
        "signature": rel + ".sig",
        "namespace": namespace,
        "signed": signed,
        "problem": problem,
        "sign_command": "ssh-keygen -Y sign -f ~/.ssh/id_ed25519 -n %s %s" % (namespace, rel),
        "content": current,
        "stale_signature": relative_to(written.stale_signature, workspace) if written.stale_signature else None,
        "diff": {"before_header": rel, "after_header": rel, "before": before,
                 "after": _statement.dumps(statement) if changed else before},
    }


def _refuse_rewriting_a_recorded_statement(workspace, path, statement, rel):
    """A statement the ledger rests on is the record's proof: it is never replaced."""
    previous = _atomic.read_text(path, default="")
    if not previous:
        return
    try:
        if _statement.same_facts(_statement.loads(previous, rel), statement):
            return
    except ValidationError:
        return
    digest = _checksum.sha256_bytes(previous.encode("utf-8"))
    for record in _ledger.read_records(workspace):
        if record.fields.get("approval") == digest:
            raise ValidationError(
                "%s is the signed approval of %s for %s (%s) and the workspace no longer matches it "
                "(other evidence, installer or bundle): a recorded approval is never replaced; build "
                "the change as a new version" % (rel, record.fields["gate"], record.fields["version"],
                                                 record.where(workspace)))

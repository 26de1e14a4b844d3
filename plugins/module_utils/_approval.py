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
    _atomic, _checksum, _evidence, _gate_policy, _ledger, _markdown)
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, check_field, check_gate, check_version, relative_to, resolve_in_workspace)

TASKLIST_SECTION = "Phase 5"
HIGHLIGHTS_SECTION = "Highlights"


class Request(object):
    """The validated input of one approval."""

    def __init__(self, workspace, gate, version, approver, evidence, release_notes,
                 tasklist, policy=None, operator=None, reason=None, forbid_self_approval=False):
        self.workspace = os.path.realpath(workspace)
        self.gate = check_gate(gate)
        self.version = check_version(version)
        self.approver = check_field("approver", approver)
        self.operator = check_field("operator", operator) if operator is not None else None
        self.reason = check_field("reason", reason) if reason is not None else None
        self.policy = _gate_policy.check_policy(policy if policy is not None else _gate_policy.default_policy())
        self.rules = self.policy[gate]
        self.evidence_path = resolve_in_workspace(self.workspace, evidence, "evidence")
        self.evidence = relative_to(self.evidence_path, self.workspace)
        self.release_notes_path = resolve_in_workspace(self.workspace, release_notes, "release_notes")
        self.tasklist_path = resolve_in_workspace(self.workspace, tasklist, "tasklist")
        self.forbid_self_approval = forbid_self_approval

    def fields(self, manifest_sha256):
        return {
            "gate": self.gate,
            "status": self.rules["status"],
            "version": self.version,
            "approver": self.approver,
            "operator": self.operator,
            "reason": self.reason,
            "evidence": self.evidence,
            "manifest_sha256": manifest_sha256,
        }

    def same_approval(self, record, manifest_sha256):
        keys = ("gate", "status", "version", "approver", "evidence", "manifest_sha256")
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
        records = _ledger.verify(request.workspace)
        manifest_sha256 = _check_preconditions(request, records)
        existing = next((r for r in reversed(records) if request.same_approval(r, manifest_sha256)), None)
        appended = existing is None
        if existing is not None:
            line, timestamp, digest = existing.text, existing.timestamp, existing.digest
        else:
            timestamp, line = _ledger.next_line(records, request.fields(manifest_sha256), now)
            digest = _checksum.sha256_bytes(line.encode("utf-8"))
        documents = _document_edits(request, timestamp, digest, manifest_sha256)
        if not check_mode:
            if appended:
                written = _ledger.append_locked(request.workspace, records, request.fields(manifest_sha256), now)
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


def tasklist_text(request, timestamp, digest):
    return "%s — %s: %s (%s %s, %s, ledger %s)" % (
        request.rules["tasklist_item"], request.version, request.rules["status"],
        request.rules["approver_role"], request.approver, timestamp, digest[:12])


def highlight_line(request, manifest_sha256):
    link = posixpath.relpath(request.evidence, posixpath.dirname(
        relative_to(request.release_notes_path, request.workspace)) or ".") + "/"
    return "- %s evidence for %s: [%s](%s) (manifest sha256 `%s`)" % (
        request.rules["tasklist_item"], request.version, posixpath.basename(request.evidence),
        link, manifest_sha256), "](%s)" % link


def _document_edits(request, timestamp, digest, manifest_sha256):
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
    if doc.upsert_line(HIGHLIGHTS_SECTION, lambda text: key in text, line):
        edits.append((request.release_notes_path, notes_before, doc.text()))
    return edits

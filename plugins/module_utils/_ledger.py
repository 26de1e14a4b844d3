# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Stage 9 approval ledger: ``logs/task_execution_<YYYYMMDD>.log`` in the workspace.

One record a line::

    <ISO8601 with offset> | Stage9 | gate=.. | status=.. | version=.. | approver=..
      [| operator=..] [| reason=..] [| target=..] [| outcome=..] [| approval=..] | evidence=..
      | manifest_sha256=.. | prev=<sha256>

``prev`` is the SHA256 of the previous record's line (UTF-8, without its newline), across
all ledger files in date order; the first record has 64 zeros. An edited, removed or
reordered line breaks the chain at the record after it. Removing the *last* records leaves
a shorter chain that is still whole: only an anchor (a record digest kept elsewhere, such
as a job's output or the Tasklist) shows that; ``verify`` takes anchors for this.

A record may be signed by the controller (a *checkpoint*, ``logs/checkpoints/<sha256>.sig``,
see ``_checkpoints``): the signature is written before the line, under the same lock.

Appends happen under an exclusive lock (``logs/.task_execution.lock``) and rewrite the
day's file through a temp file and rename, so concurrent writers lose nothing and a crash
never leaves half a line.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import re

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic, _checksum, _time
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, check_approver, check_field, check_gate, check_version)

LOG_DIR = "logs"
LOCK_NAME = ".task_execution.lock"
CHECKPOINT_DIR = "checkpoints"
KIND = "Stage9"
GENESIS = "0" * 64
SEPARATOR = " | "
REQUIRED_FIELDS = ("gate", "status", "version", "approver", "evidence", "manifest_sha256")
# target and outcome: a rollback's "to" version(s) and how its verification ended;
# approval: the SHA256 of the signed approval statement a gate record rests on.
OPTIONAL_FIELDS = ("operator", "reason", "target", "outcome", "approval")
FIELD_ORDER = ("gate", "status", "version", "approver", "operator", "reason", "target", "outcome",
               "approval", "evidence", "manifest_sha256")
_FILE_RE = re.compile(r"^task_execution_([0-9]{8})\.log$")
_TS_RE = re.compile(_time.PATTERN)


class Record(object):
    def __init__(self, path, line_number, text, timestamp, fields, prev):
        self.path = path
        self.line_number = line_number
        self.text = text
        self.timestamp = timestamp
        self.fields = fields
        self.prev = prev
        self.digest = _checksum.sha256_bytes(text.encode("utf-8"))

    def where(self, workspace):
        return "%s line %d" % (os.path.relpath(self.path, workspace).replace(os.sep, "/"), self.line_number)

    def as_dict(self, workspace):
        result = dict(self.fields)
        result.update(timestamp=self.timestamp, prev=self.prev, sha256=self.digest,
                      file=os.path.relpath(self.path, workspace).replace(os.sep, "/"),
                      line=self.line_number)
        return result


class LedgerError(ValidationError):
    """A broken ledger; ``where`` names the file and line of the first bad record."""

    def __init__(self, message, where=None):
        ValidationError.__init__(self, "%s: %s" % (where, message) if where else message)
        self.where = where


def log_dir(workspace):
    return os.path.join(workspace, LOG_DIR)


def ledger_files(workspace):
    """Ledger files of the workspace in chain order (by the date in their name)."""
    directory = log_dir(workspace)
    if not os.path.isdir(directory):
        return []
    names = sorted(n for n in os.listdir(directory) if _FILE_RE.match(n))
    return [os.path.join(directory, n) for n in names]


def file_for(workspace, timestamp):
    return os.path.join(log_dir(workspace), "task_execution_%s.log" % timestamp[:10].replace("-", ""))


def format_timestamp(moment):
    """ISO8601 with offset and whole seconds, e.g. ``2025-10-03T14:02:11+09:00`` (``_time``)."""
    return _time.format_time(moment)


def format_record(timestamp, fields, prev):
    """The line of a record (without newline); validates every field."""
    _time.parse(timestamp, "timestamp")
    unknown = set(fields) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS)
    if unknown:
        raise ValidationError("unknown ledger fields: %s" % ", ".join(sorted(unknown)))
    for name in REQUIRED_FIELDS:
        if name not in fields:
            raise ValidationError("ledger field %r is missing" % name)
    check_gate(fields["gate"])
    check_version(fields["version"])
    for name in ("manifest_sha256", "approval"):
        if fields.get(name) is not None and _checksum.parse_digest(fields[name], name) != fields[name]:
            raise ValidationError("%s %r must be lowercase hex" % (name, fields[name]))
    parts = [timestamp, KIND]
    for name in FIELD_ORDER:
        if fields.get(name) is not None:
            parts.append("%s=%s" % (name, check_field(name, fields[name])))
    parts.append("prev=%s" % _checksum.parse_digest(prev, "prev"))
    return SEPARATOR.join(parts)


def parse_record(text, path, line_number, where=None):
    """A ``Record`` from one line; ``LedgerError`` naming ``where`` when malformed."""
    where = where or "%s line %d" % (path, line_number)
    parts = text.split(SEPARATOR)
    if len(parts) < 3 or parts[1] != KIND or not _TS_RE.fullmatch(parts[0]):
        raise LedgerError("not a ledger record: %r" % text, where)
    fields = {}
    order = []
    for part in parts[2:]:
        name, sep, value = part.partition("=")
        if not sep or name in fields:
            raise LedgerError("malformed field %r" % part, where)
        fields[name] = value
        order.append(name)
    prev = fields.pop("prev", None)
    if order[-1] != "prev" or prev is None:
        raise LedgerError("record does not end with prev=<sha256>", where)
    try:
        expected_line = format_record(parts[0], fields, prev)
    except ValidationError as exc:
        raise LedgerError(str(exc), where)
    if expected_line != text:
        raise LedgerError("fields are not in the ledger's order or form", where)
    return Record(path, line_number, text, parts[0], fields, prev)


def read_records(workspace):
    """All records in chain order; raises ``LedgerError`` on the first unreadable line."""
    records = []
    for path in ledger_files(workspace):
        content = _atomic.read_text(path)
        if content and not content.endswith("\n"):
            raise LedgerError("last line is incomplete (no newline)",
                              "%s line %d" % (_rel(path, workspace), content.count("\n") + 1))
        for number, line in enumerate(content.split("\n")[:-1], 1):
            where = "%s line %d" % (_rel(path, workspace), number)
            records.append(parse_record(line, path, number, where))
    return records


def _rel(path, workspace):
    return os.path.relpath(path, workspace).replace(os.sep, "/")


def verify(workspace, anchors=()):
    """Walk the whole chain. Returns the records; raises ``LedgerError`` at the first break."""
    records = read_records(workspace)
    prev = GENESIS
    last_moment = None
    for record in records:
        where = record.where(workspace)
        if record.prev != prev:
            raise LedgerError(
                "chain broken: prev=%s but the record before it hashes to %s (a record was "
                "edited, removed or moved)" % (record.prev, prev), where)
        moment = _time.parse(record.timestamp, "timestamp")
        if last_moment is not None and moment < last_moment:
            raise LedgerError("timestamp %s is earlier than the record before it" % record.timestamp, where)
        if os.path.basename(record.path) != os.path.basename(file_for(workspace, record.timestamp)):
            raise LedgerError("record dated %s is in the wrong file" % record.timestamp, where)
        prev = record.digest
        last_moment = moment
    known = set(r.digest for r in records)
    known.add(GENESIS)
    for anchor in anchors:
        digest = _checksum.parse_digest(anchor, "anchor")
        if digest not in known:
            raise LedgerError(
                "anchored record %s is not in the ledger (records were removed from the end "
                "or the ledger was replaced)" % digest)
    # The heads this workspace saw: a run notes the head it left in the release notes, and each
    # statement names the head it was made against. Removing the last records (and their
    # checkpoints) leaves a whole chain; only these show that it is shorter than it was.
    for digest, source in seen_heads(workspace):
        if digest not in known:
            raise LedgerError(
                "the ledger was cut back: %s names ledger head %s, which is not in the ledger "
                "(its last record is %s): records were removed from the end, or the ledger was "
                "replaced by an older copy" % (source, digest, records[-1].digest if records else "none"))
    return records


NOTES_DIR = "deliverables"
NOTE_KEY = "Stage 9 ledger head:"
_NOTE_RE = re.compile(r"^release_notes_.*\.md$")
_HEAD_NOTE_RE = re.compile(r"Stage 9 ledger head: `([0-9a-f]{64})`")
_STATEMENT_HEAD_RE = re.compile(r'"ledger_head": "([0-9a-f]{64})"')
_APPROVALS = ("deliverables", "approvals")


def _loose_text(path):
    # Only the digests are wanted here; a file that is not UTF-8 is refused where it is read whole.
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def head_note(digest, count):
    """The release notes' line that keeps the head a run left (the whole digest: a prefix
    proves nothing)."""
    return "- %s `%s` (%d record%s; a ledger without this record was cut back)" % (
        NOTE_KEY, _checksum.parse_digest(digest, "ledger head"), count, "" if count == 1 else "s")


def seen_heads(workspace):
    """``[(sha256, where)]``: heads named by the workspace's release notes and by the approval
    statements (``ledger_head``) beside the ledger."""
    found = []
    notes = os.path.join(workspace, NOTES_DIR)
    if os.path.isdir(notes):
        for name in sorted(os.listdir(notes)):
            path = os.path.join(notes, name)
            if _NOTE_RE.match(name) and os.path.isfile(path):
                for digest in _HEAD_NOTE_RE.findall(_loose_text(path)):
                    found.append((digest, "%s/%s" % (NOTES_DIR, name)))
    approvals = os.path.join(workspace, *_APPROVALS)
    if os.path.isdir(approvals):
        for version in sorted(os.listdir(approvals)):
            folder = os.path.join(approvals, version)
            if not os.path.isdir(folder):
                continue
            for name in sorted(os.listdir(folder)):
                path = os.path.join(folder, name)
                if name.endswith(".statement.json") and os.path.isfile(path):
                    for digest in _STATEMENT_HEAD_RE.findall(_loose_text(path)):
                        found.append((digest, "/".join(_APPROVALS + (version, name))))
    return found


def lock(workspace):
    """The workspace's ledger lock; hold it around reading the chain and appending."""
    directory = log_dir(workspace)
    if not os.path.isdir(directory):
        os.makedirs(directory)
    return _atomic.exclusive_lock(os.path.join(directory, LOCK_NAME))


def append(workspace, fields, now=None, signer=None):
    """Verify the chain and append one record, under the lock. Returns the ``Record``."""
    with lock(workspace):
        records = verify(workspace)
        return append_locked(workspace, records, fields, now, signer)


def next_line(records, fields, now=None):
    """``(path name, line)`` of the record that would follow ``records`` now."""
    # New records only: a record already in the chain is read as it was written.
    if "approver" in fields:
        check_approver(fields["approver"])
    timestamp = format_timestamp(now or datetime.datetime.now().astimezone())
    if records and _time.parse(timestamp) < _time.parse(records[-1].timestamp):
        raise LedgerError(
            "this clock (%s) is behind the ledger's last record (%s); refusing to append "
            "out of order" % (timestamp, records[-1].timestamp))
    prev = records[-1].digest if records else GENESIS
    return timestamp, format_record(timestamp, fields, prev)


def checkpoint_path(workspace, digest):
    return os.path.join(log_dir(workspace), CHECKPOINT_DIR, "%s.sig" % digest)


def append_locked(workspace, records, fields, now=None, signer=None):
    """Append after ``records`` (the verified chain); the caller holds ``lock``.

    ``signer`` (bytes -> armored signature) signs the line first: a crash between the two
    writes leaves a signature without its record, never a record without its signature.
    """
    timestamp, line = next_line(records, fields, now)
    if signer is not None:
        target = checkpoint_path(workspace, _checksum.sha256_bytes(line.encode("utf-8")))
        if not os.path.isdir(os.path.dirname(target)):
            os.makedirs(os.path.dirname(target))
        _atomic.write_text_atomic(target, signer(line.encode("utf-8")))
    path = file_for(workspace, timestamp)
    content = _atomic.read_text(path, default="")
    _atomic.write_text_atomic(path, content + line + "\n")
    return parse_record(line, path, content.count("\n") + 1)

# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The approval statement an approver signs: an in-toto Statement v1.

``deliverables/approvals/<version>/<Gate>.statement.json``, UTF-8 JSON, keys sorted,
two-space indent, one ``\\n`` at the end (docs/formats.md, "Approval statement")::

    {"_type": STATEMENT_TYPE, "predicateType": PREDICATE_TYPE,
     "subject": [{"name": <file>, "digest": {"sha256": <hex>}}, ...],
     "predicate": {approver, evidence, gate, namespace, policy_sha256, [reason], role,
                   status, time, version}}

The same facts written again keep the file and its ``time``, so a signature stays valid
across re-runs; other facts rewrite it, and a signature beside it is moved aside (with
the statement it signed) rather than left to fail.

Pure Python: raises ``ValidationError`` (``StatementError``) naming the file and field.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import errno
import hashlib
import json
import os
import posixpath
import re

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic, _checksum, _signing, _time
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, check_approver, check_field, check_gate, check_version, resolve_in_workspace)

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://routing-ml.invalid/stage9-approval/v1"
APPROVALS_DIR = "deliverables/approvals"
STATEMENT_SUFFIX = ".statement.json"
SIGNATURE_SUFFIX = ".sig"
STALE_INFIX = ".stale-"
UNBLOCK_INFIX = ".unblock"
MAX_STATEMENT = 1024 * 1024

TOP_KEYS = ("_type", "predicate", "predicateType", "subject")
PREDICATE_REQUIRED = ("approver", "evidence", "gate", "namespace", "policy_sha256", "role",
                      "status", "time", "version")
# ledger_head: the ledger's last record (SHA256, or 64 zeros when empty) when the statement was
# written; a ledger that no longer holds it was cut back (truncation is refused, _ledger).
PREDICATE_OPTIONAL = ("reason", "ledger_head")

_HEX_RE = re.compile(r"[0-9a-f]{64}")


class StatementError(ValidationError):
    """A statement that is not the expected shape; the message names file and field."""


def policy_sha256(policy):
    """SHA256 of the gate policy as canonical JSON (sorted keys, no spaces)."""
    try:
        text = json.dumps(policy, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError("gate policy cannot be written as JSON: %s" % exc)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def relpath(version, gate):
    """``deliverables/approvals/<version>/<Gate>.statement.json``."""
    return posixpath.join(APPROVALS_DIR, check_version(version), check_gate(gate) + STATEMENT_SUFFIX)


def unblock_relpath(version, gate):
    """``deliverables/approvals/<version>/<Gate>.unblock.statement.json``: the Release Owner's
    signed decision that lifts a rollback's block."""
    return posixpath.join(APPROVALS_DIR, check_version(version), check_gate(gate) + UNBLOCK_INFIX + STATEMENT_SUFFIX)


def signature_relpath(version, gate):
    return relpath(version, gate) + SIGNATURE_SUFFIX


def _check_relative(name, value):
    check_field(name, value)
    parts = value.split("/")
    if value.startswith("/") or "\\" in value or re.match(r"^[A-Za-z]:", value) or \
            any(p in ("", ".", "..") for p in parts):
        raise ValidationError(
            "%s %r must be a relative path with '/' and no '.', '..' or empty parts" % (name, value))
    return value


def _check_time(value, what="time"):
    if isinstance(value, datetime.datetime):
        return _time.moment_of(value, what).isoformat(timespec="seconds")
    return _time.check(value, what)


def build(gate, version, status, approver, role, reason, policy, evidence, subjects, time, ledger_head=None):
    """The statement of one approval as a dict.

    ``subjects``: ``[(name, sha256), ...]`` -- the installer's and bundle's base names and
    ``<evidence>/MANIFEST.sha256``; ``policy`` the gate policy (a mapping) in force;
    ``evidence`` the workspace-relative evidence folder; ``time`` ISO8601 with an offset
    (or an aware datetime).
    """
    if not isinstance(policy, dict):
        raise ValidationError("gate policy must be a mapping, got %r" % (policy,))
    if not isinstance(subjects, (list, tuple)) or not subjects:
        raise ValidationError("statement subjects must be a non-empty list of (name, sha256), got %r"
                              % (subjects,))
    subject = []
    for item in subjects:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise ValidationError("statement subject %r is not a (name, sha256) pair" % (item,))
        name = _check_relative("subject name", item[0])
        if any(s["name"] == name for s in subject):
            raise ValidationError("statement subject %r is named twice" % (name,))
        subject.append({"name": name, "digest": {"sha256": _checksum.parse_digest(item[1], "sha256 of %s" % name)}})
    predicate = {
        "approver": check_approver(approver),
        "evidence": _check_relative("evidence folder", evidence),
        "gate": check_gate(gate),
        "namespace": _signing.role_namespace(check_field("role", role)),
        "policy_sha256": policy_sha256(policy),
        "role": role,
        "status": check_field("status", status),
        "time": _check_time(time),
        "version": check_version(version),
    }
    if reason is not None and reason != "":
        predicate["reason"] = check_field("reason", reason)
    if ledger_head is not None:
        predicate["ledger_head"] = _checksum.parse_digest(ledger_head, "ledger_head")
    return {"_type": STATEMENT_TYPE, "predicate": predicate, "predicateType": PREDICATE_TYPE,
            "subject": subject}


def dumps(statement):
    """The canonical text: sorted keys, two-space indent, UTF-8 as is, one final newline."""
    return json.dumps(statement, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _no_duplicates(where):
    def hook(pairs):
        result = {}
        for key, value in pairs:
            if key in result:
                raise StatementError("%s: key %r appears twice" % (where, key))
            result[key] = value
        return result
    return hook


def _keys(where, field, value, required, optional=()):
    if not isinstance(value, dict):
        raise StatementError("%s: %s must be a JSON object, got %s" % (where, field, type(value).__name__))
    missing = [k for k in required if k not in value]
    unknown = sorted(k for k in value if k not in required and k not in optional)
    if missing:
        raise StatementError("%s: %s lacks %s" % (where, field, ", ".join(missing)))
    if unknown:
        raise StatementError("%s: %s has unknown keys %s" % (where, field, ", ".join(unknown)))


def _string(where, field, value):
    if not isinstance(value, str):
        raise StatementError("%s: %s must be a string, got %r" % (where, field, value))
    return value


def _checked(where, field, check, value):
    _string(where, field, value)
    try:
        check(value)
    except ValidationError as exc:
        raise StatementError("%s: %s: %s" % (where, field, exc))


def loads(text, where="statement"):
    """Parse and validate a statement strictly; returns the dict."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StatementError("%s is not UTF-8 (byte %d)" % (where, exc.start))
    if not isinstance(text, str):
        raise StatementError("%s is not text" % (where,))
    if text.startswith("\ufeff"):
        raise StatementError("%s starts with a byte order mark: the statement is UTF-8 without BOM" % (where,))
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates(where))
    except ValueError as exc:
        if isinstance(exc, StatementError):
            raise
        raise StatementError("%s is not JSON: %s" % (where, exc))
    _keys(where, "the statement", data, TOP_KEYS)
    if data["_type"] != STATEMENT_TYPE:
        raise StatementError("%s: _type is %r, not %r" % (where, data["_type"], STATEMENT_TYPE))
    if data["predicateType"] != PREDICATE_TYPE:
        raise StatementError("%s: predicateType is %r, not %r" % (where, data["predicateType"], PREDICATE_TYPE))
    subjects = data["subject"]
    if not isinstance(subjects, list) or not subjects:
        raise StatementError("%s: subject must be a non-empty list" % (where,))
    names = set()
    for number, item in enumerate(subjects):
        field = "subject[%d]" % number
        _keys(where, field, item, ("digest", "name"))
        _checked(where, field + ".name", lambda v: _check_relative("name", v), item["name"])
        if item["name"] in names:
            raise StatementError("%s: %s.name %r appears twice" % (where, field, item["name"]))
        names.add(item["name"])
        _keys(where, field + ".digest", item["digest"], ("sha256",))
        digest = _string(where, field + ".digest.sha256", item["digest"]["sha256"])
        if not _HEX_RE.fullmatch(digest):
            raise StatementError("%s: %s.digest.sha256 %r is not 64 lowercase hex characters"
                                 % (where, field, digest))
    predicate = data["predicate"]
    _keys(where, "predicate", predicate, PREDICATE_REQUIRED, PREDICATE_OPTIONAL)
    for key in sorted(predicate):
        _string(where, "predicate." + key, predicate[key])
    _checked(where, "predicate.gate", check_gate, predicate["gate"])
    _checked(where, "predicate.version", check_version, predicate["version"])
    for key in ("approver", "role", "status", "reason"):
        if key in predicate:
            _checked(where, "predicate." + key, lambda v, k=key: check_field(k, v), predicate[key])
    _checked(where, "predicate.evidence", lambda v: _check_relative("evidence", v), predicate["evidence"])
    _checked(where, "predicate.time", _check_time, predicate["time"])
    if "ledger_head" in predicate and not _HEX_RE.fullmatch(predicate["ledger_head"]):
        raise StatementError("%s: predicate.ledger_head %r is not 64 lowercase hex characters"
                             % (where, predicate["ledger_head"]))
    if not _HEX_RE.fullmatch(predicate["policy_sha256"]):
        raise StatementError("%s: predicate.policy_sha256 %r is not 64 lowercase hex characters"
                             % (where, predicate["policy_sha256"]))
    try:
        namespace = _signing.role_namespace(predicate["role"])
    except ValidationError as exc:
        raise StatementError("%s: predicate.role: %s" % (where, exc))
    if predicate["namespace"] != namespace:
        raise StatementError("%s: predicate.namespace %r is not the namespace of role %r (%r)"
                             % (where, predicate["namespace"], predicate["role"], namespace))
    return data


def _facts(statement):
    facts = copy.deepcopy(statement)
    facts.get("predicate", {}).pop("time", None)
    # The head moves with every record of any version; a statement made earlier on the same
    # chain is still the same decision (whether its head is in the chain is checked apart).
    facts.get("predicate", {}).pop("ledger_head", None)
    if isinstance(facts.get("subject"), list):
        facts["subject"] = sorted(facts["subject"], key=lambda s: json.dumps(s, sort_keys=True))
    return facts


def same_facts(a, b):
    """Equal except ``predicate.time``, ``predicate.ledger_head`` (and the order of subjects, which means nothing)."""
    return _facts(a) == _facts(b)


_PREDICATE_MESSAGES = (
    ("version", "the statement is for version %r, not %r"),
    ("gate", "the statement is for gate %r, not %r"),
    ("status", "the statement records status %r, not %r"),
    ("approver", "the statement names approver %r, not %r"),
    ("role", "the statement is for role %r, not %r"),
    ("namespace", "the statement is for namespace %r, not %r"),
    ("evidence", "the statement is for evidence folder %r, not %r"),
    ("policy_sha256", "the statement was made under gate policy %s, this run's is %s"),
)


def differences(statement, expected):
    """What differs between a statement read from disk and the one this run expects,
    one message a field (``time`` is not compared)."""
    found = []
    for key in ("_type", "predicateType"):
        if statement.get(key) != expected.get(key):
            found.append("the statement's %s is %r, not %r" % (key, statement.get(key), expected.get(key)))
    have = statement.get("predicate", {})
    want = expected.get("predicate", {})
    for key, message in _PREDICATE_MESSAGES:
        if have.get(key) != want.get(key):
            found.append(message % (have.get(key), want.get(key)))
    if have.get("reason") != want.get("reason"):
        if want.get("reason") is None:
            found.append("the statement gives the reason %r, this run gives none" % (have.get("reason"),))
        elif have.get("reason") is None:
            found.append("the statement gives no reason, this run gives %r" % (want.get("reason"),))
        else:
            found.append("the statement gives the reason %r, not %r" % (have.get("reason"), want.get("reason")))
    have_subjects = _subject_map(statement)
    want_subjects = _subject_map(expected)
    for name, digest in want_subjects.items():
        if name not in have_subjects:
            found.append("subject %s is not in the statement (the workspace has sha256 %s)" % (name, digest))
        elif have_subjects[name] != digest:
            found.append("subject %s: the statement has sha256 %s, the workspace has %s"
                         % (name, have_subjects[name], digest))
    for name, digest in have_subjects.items():
        if name not in want_subjects:
            found.append("the statement names subject %s (sha256 %s), which is not this run's" % (name, digest))
    return found


def _subject_map(statement):
    result = {}
    for item in statement.get("subject") or []:
        if isinstance(item, dict) and isinstance(item.get("digest"), dict):
            result[item.get("name")] = item["digest"].get("sha256")
    return result


class WriteResult(tuple):
    """``(path, changed, previous_text_or_None)``; ``stale_signature`` and
    ``stale_statement`` name where a signature of the replaced statement (and that
    statement) were moved, else None."""

    def __new__(cls, path, changed, previous, stale_signature=None, stale_statement=None):
        result = tuple.__new__(cls, (path, changed, previous))
        result.stale_signature = stale_signature
        result.stale_statement = stale_statement
        return result

    path = property(lambda self: self[0])
    changed = property(lambda self: self[1])
    previous = property(lambda self: self[2])


def _stale_name(path, stamp, taken):
    candidate = "%s%s%s" % (path, STALE_INFIX, stamp)
    number = 1
    while os.path.lexists(candidate) or candidate in taken:
        candidate = "%s%s%s-%d" % (path, STALE_INFIX, stamp, number)
        number += 1
    return candidate


def _read_existing(path):
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_STATEMENT + 1)
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    return raw.decode("utf-8", "replace")


def write(workspace, statement, check_mode=False, now=None, rel=None):
    """Write the statement to its place in the workspace unless one with the same facts
    is there (which is kept, time and all). Returns a ``WriteResult``
    ``(path, changed, previous_text_or_None)``.

    Rewriting a statement that has a signature beside it first moves the signature to
    ``<name>.sig.stale-<UTC YYYYmmddTHHMMSS>`` and the statement it signed to
    ``<name>.stale-<same>``: the pair stays verifiable, and no signature is left beside a
    statement it does not sign.
    """
    text = dumps(statement)
    statement = loads(text, "the statement to write")
    predicate = statement["predicate"]
    rel = rel or relpath(predicate["version"], predicate["gate"])
    path = resolve_in_workspace(workspace, rel, "approval statement")
    previous = _read_existing(path)
    if previous is not None:
        try:
            existing = loads(previous, rel)
        except ValidationError:
            existing = None
        if existing is not None and same_facts(existing, statement):
            return WriteResult(path, False, previous)
    signature = path + SIGNATURE_SUFFIX
    stale_signature = stale_statement = None
    if previous is not None and os.path.lexists(signature):
        moment = now or datetime.datetime.now(datetime.timezone.utc)
        stamp = moment.astimezone(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S")
        stale_signature = _stale_name(signature, stamp, ())
        stale_statement = _stale_name(path, stamp, (stale_signature,))
    if not check_mode:
        if stale_signature:
            # the copy first: a crash in between leaves the signature beside its statement
            with open(path, "rb") as handle:
                _atomic.write_atomic(stale_statement, handle.read())
            os.rename(signature, stale_signature)
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            os.makedirs(directory)
            # created below the workspace: re-check that no link led it elsewhere
            resolve_in_workspace(workspace, rel, "approval statement")
        _atomic.write_text_atomic(path, text)
    return WriteResult(path, True, previous, stale_signature, stale_statement)

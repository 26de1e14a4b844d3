# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The early check of a Stage 9 gate: everything the gate will refuse after a deployment,
found before the deployment touches any host, and every problem at once.

* the version: a string (a number loses digits: ``1.10`` becomes ``1.1``) that matches
  ``VERSION_PATTERN`` in full (no line break at its end);
* approver, operator and reason: the rules ``gate_record`` applies (``check_field``), and
  self-approval when it is forbidden;
* the gate order and a rollback not unblocked (``_gate_policy.unmet_order``);
* the day's evidence folder: a dry run of collecting the sources that exist now
  (``_evidence.survey``: a name it holds with other content, files its manifest does not
  list, a folder of another version), and each evidence pattern of the policy matched by a
  source, unless the run itself writes such a file;
* one content per version: the workspace's installer and bundle against the digests
  published for the version before, in the workspace's upload record and on the share.

Nothing here writes a file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ntpath
import os
import posixpath

from ansible_collections.routing_ml.deploy.plugins.module_utils import (
    _approval, _atomic, _checkpoints, _checksum, _evidence, _gate_policy, _ledger, _ledger_audit, _records,
    _statement, _text)
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    GATES, VERSION_PATTERN, ValidationError, check_approver, check_date, check_field, check_version, relative_to,
    resolve_in_workspace)

NEW_VERSION_HINT = ("a version's content is fixed once its digests are published: "
                    "build it as a new version")


def check_version_value(value):
    """``value`` as a version, or ``ValidationError`` naming it and what is wrong."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValidationError("version %r is a %s, not a string: expected %s" % (
            value, type(value).__name__, VERSION_PATTERN))
    if not isinstance(value, str):
        raise ValidationError(
            "version %r is a number (%s), not a string: a number loses digits (1.10 becomes 1.1); "
            "pass it as a string, e.g. -e '{\"routing_ml_version\": \"%s\"}'" % (
                value, type(value).__name__, value))
    if value != value.strip():
        raise ValidationError(
            "version %r starts or ends with white space or a line break: expected %s in full" % (
                value, VERSION_PATTERN))
    return check_version(value)


def field_problems(approver=None, operator=None, reason=None):
    """What ``gate_record`` would refuse in the one-line fields given (None: not given)."""
    problems = []
    for name, value in (("approver", approver), ("operator", operator), ("reason", reason)):
        if value is None:
            continue
        try:
            if name == "approver":
                check_approver(value)
            else:
                check_field(name, value)
        except ValidationError as exc:
            problems.append(str(exc))
    return problems


def self_approval_problems(gate, approver, operator, forbid_self_approval):
    if (forbid_self_approval and isinstance(approver, str) and isinstance(operator, str) and operator
            and approver.casefold() == operator.casefold()):
        return ["approver %r launched this run: %s must be approved by someone else" % (approver, gate)]
    return []


def evidence_problems(workspace, policy, gate, version, date, sources, produced=()):
    """A dry run of collecting ``sources`` (paths, each collected under its file name, as the
    gate role passes them) for ``gate``/``version`` on ``date``. Returns ``(folder, problems)``:
    the folder it would use (relative to the workspace) and what collecting or recording
    would refuse. Evidence the policy requires must already be matched by a source, unless
    a pattern of ``produced`` (files the run writes) can match it."""
    found = _evidence.survey(workspace, gate, version, date,
                             [(posixpath.basename(s.replace(os.sep, "/")), s) for s in sources], produced=produced)
    problems = list(found.problems)
    for pattern in _gate_policy.missing_evidence_before_run(policy[gate], found.names, produced):
        problems.append(
            "required %s evidence matching %r is missing: no evidence source has such a name, "
            "and the run does not write one" % (gate, pattern))
    return found.relfolder, problems


def location_name(location):
    """The file name at the end of a path on the share (``/`` or ``\\`` separated)."""
    return ntpath.basename(location.replace("/", "\\").rstrip("\\"))


def share_digests(files, sidecars, where=None):
    """``{name: (sidecar location, sha256)}``: what the share publishes for each file.

    ``files`` is ``[(location, sha256)]`` of the files there, ``sidecars`` ``[(location,
    text)]`` of their ``.sha256`` sidecars. A file counts only when its sidecar names it with
    the digest the file has: a file or sidecar missing, damaged or not agreeing is a copy
    that publishing repairs, not another content. ``where`` (the share host) prefixes the
    sidecar's location in what is returned."""
    actual = dict((location_name(loc), (digest or "").lower()) for loc, digest in files if digest)
    found = {}
    for location, text in sidecars:
        sidecar = location_name(location)
        if not sidecar.endswith(_checksum.SIDECAR_SUFFIX) or text is None:
            continue
        name = sidecar[:-len(_checksum.SIDECAR_SUFFIX)]
        try:
            digest = _checksum.sidecar_digest_for(text, name, "sidecar %s" % location)
        except ValidationError:
            continue
        if actual.get(name) == digest:
            found[name] = ("%s:%s" % (where, location) if where else location, digest)
    return found


def upload_digests(workspace, version):
    """``{name: (record path, sha256)}`` from the workspace's ``upload_<version>.json``, or {}."""
    path = _records.path_of(workspace, "upload", version)
    record = _records.read(path)
    if not record or record.get("kind") != "upload":
        return {}
    where = relative_to(path, workspace)
    digests = {}
    for name, digest in (record.get("digests") or {}).items():
        try:
            digests[name] = (where, _checksum.parse_digest(digest))
        except ValidationError:
            continue
    return digests


def statement_digests(workspace, version, gates):
    """``{name: (statement path, sha256)}``: the subjects of the approval statements ``gates``
    signed for ``version``, the first gate's first. A statement that is missing or unreadable
    names nothing here: the ledger's audit judges it."""
    found = {}
    for earlier in gates:
        rel = _statement.relpath(version, earlier)
        data = _atomic.read_bytes(os.path.join(workspace, rel))
        if data is None:
            continue
        try:
            statement = _statement.loads(data.decode("utf-8"), rel)
        except (ValueError, ValidationError):
            continue
        for subject in statement["subject"]:
            found.setdefault(subject["name"], (rel, subject["digest"]["sha256"]))
    return found


def content_problems(version, artifacts, published):
    """``artifacts``: ``[(name, sha256)]`` of the workspace now; ``published``: ``[{name:
    (where, sha256)}]``, each a place that fixed the version's digests before. One problem a
    file and digest published that differs, naming the file, both digests and where."""
    problems = []
    for name, digest in artifacts:
        seen = {}
        agree = [place[name][0] for place in published if name in place and place[name][1] == digest]
        for place in published:
            if name in place and place[name][1] != digest:
                where, old = place[name]
                seen.setdefault(old, []).append(where)
        for old in sorted(seen):
            if agree:
                # The workspace holds what was published (a record says so); the side that
                # differs is the other one, and it is named as such.
                problems.append(
                    "%s of version %s at %s has sha256 %s, but the version was published with sha256 %s "
                    "(%s), which the workspace's %s has too: the copy at %s was changed after it was "
                    "published; put the published file back there (a version's content is fixed once "
                    "its digests are published)" % (
                        name, version, "; ".join(seen[old]), old, digest, "; ".join(agree), name,
                        "; ".join(seen[old])))
            else:
                problems.append(
                    "%s of version %s was published with sha256 %s (%s), but the workspace's %s has "
                    "sha256 %s: %s" % (name, version, old, "; ".join(seen[old]), name, digest, NEW_VERSION_HINT))
    return problems


def hash_artifacts(workspace, paths):
    """``([(name, sha256)], problems)`` of the workspace's artifacts (relative or absolute)."""
    hashed, problems = [], []
    for path in paths:
        try:
            real = resolve_in_workspace(workspace, path, "artifact")
        except ValidationError as exc:
            problems.append(str(exc))
            continue
        if not os.path.isfile(real):
            problems.append("artifact %s is not in the workspace" % (path,))
            continue
        digest = _checksum.sha256_file(real)[0]
        # The build's own sidecar: for a version not published yet it is the only other witness,
        # and what agrees here becomes the digest the run pins.
        sidecar = _checksum.sidecar_path_for(real)
        try:
            said = _checksum.read_sidecar_digest(sidecar, _checksum.file_name(real))
        except (IOError, OSError):
            problems.append("artifact %s has no readable sidecar %s.sha256 (SOP 4.2)" % (path, path))
            continue
        except ValidationError as exc:
            problems.append(str(exc))
            continue
        if said != digest:
            problems.append("artifact %s has sha256 %s, but its sidecar %s.sha256 says %s: the file or its "
                            "sidecar changed after the build" % (path, digest, path, said))
            continue
        hashed.append((_checksum.file_name(real), digest))
    return hashed, problems


def decode_sidecars(sidecars):
    """``[(location, text or None)]`` from ``[(location, bytes)]``; undecodable text is None."""
    decoded = []
    for location, data in sidecars:
        try:
            decoded.append((location, _text.decode_text(data, "sidecar %s" % location)))
        except ValidationError:
            decoded.append((location, None))
    return decoded


def early_check(workspace, gate, version, policy=None, approver=None, operator=None, reason=None,
                forbid_self_approval=False, rerecord=False, evidence_date=None, evidence_sources=(),
                evidence_from_run=(), artifacts=(), published_files=(), published_sidecars=(),
                published_on=None, allowed_signers=None, signatures="off", checkpoint_key=None):
    """Every problem that keeps ``gate`` from starting (or from being recorded afterwards).

    ``workspace`` is the real workspace path; ``published_files`` ``[(location, sha256)]`` and
    ``published_sidecars`` ``[(location, bytes)]`` are what the share (``published_on``, named
    in messages) holds for the version.
    Evidence is looked at only when ``evidence_date`` is given and the gate will be recorded
    (not recorded yet for the version, or ``rerecord``). Returns a dict: ``problems``,
    ``version`` (None when invalid), ``recorded``, ``requires``, ``evidence_folder``,
    ``digests`` (``{name: sha256}`` of the artifacts)."""
    policy = _gate_policy.check_policy(policy if policy is not None else _gate_policy.default_policy())
    rules = policy[gate]
    problems = []
    try:
        version = check_version_value(version)
    except ValidationError as exc:
        problems.append(str(exc))
        version = None
    problems += field_problems(approver, operator, reason)
    if evidence_date is not None:
        try:
            check_date(evidence_date)
        except ValidationError as exc:
            problems.append("evidence %s" % exc)
            evidence_date = None
    result = dict(version=version, recorded=None, requires=rules["requires"], evidence_folder=None, digests={})
    if version is None:
        result["problems"] = problems
        return result

    # The whole Stage 9 record as an auditor checks it: a forged append, an edited evidence file
    # or a broken signature stops the next gate here, not at the end of the run.
    try:
        records, dummy = _ledger_audit.audit(workspace, allowed_signers=allowed_signers or None,
                                             signatures=signatures, policy=policy)
    except _ledger.LedgerError as exc:
        result["problems"] = problems + ["the Stage 9 record does not verify: %s" % exc]
        return result
    problems += _gate_policy.unmet_order(policy, gate, version, records)
    recorded = [r.as_dict(workspace) for r in records
                if (r.fields["gate"], r.fields["version"], r.fields["status"]) == (gate, version, rules["status"])]
    result["recorded"] = recorded[-1] if recorded else None
    if result["recorded"] is None or rerecord:
        problems += self_approval_problems(gate, approver, operator, forbid_self_approval)
        if signatures == "required":
            problems += _checkpoints.key_problems(checkpoint_key)
        if signatures == "required" and approver is not None and not field_problems(approver, None, None):
            try:
                _approval.check_enrolled(allowed_signers, approver, rules["approver_role"])
            except (ValidationError, IOError, OSError) as exc:
                problems.append(str(exc))
        if evidence_date is not None:
            folder, found = evidence_problems(workspace, policy, gate, version, evidence_date,
                                              evidence_sources, evidence_from_run)
            result["evidence_folder"] = folder
            problems += found

    hashed, found = hash_artifacts(workspace, artifacts)
    problems += found
    result["digests"] = dict(hashed)
    published = [upload_digests(workspace, version),
                 share_digests(published_files, decode_sidecars(published_sidecars), published_on),
                 # From Beta on: what the earlier gates approved is what this run must deploy.
                 statement_digests(workspace, version, GATES[:GATES.index(gate)])]
    problems += content_problems(version, hashed, published)
    result["problems"] = problems
    return result


def describe(gate, version, problems):
    """The one failure message."""
    shown = version if isinstance(version, str) and version == version.strip() else repr(version)
    return "%s for %s cannot start: %s" % (gate, shown, "; ".join(problems))

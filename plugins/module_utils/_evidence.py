# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stage 9 evidence folders: ``deliverables/onboarding_evidence/Stage9_<Gate>_<YYYYMMDD>/``.

A folder holds the evidence files plus ``MANIFEST.sha256`` (sidecar format, one line a
file, sorted by name) and ``manifest.json`` (gate, version, created, and name, source,
size and sha256 of each file). Rules:

* the same evidence collected again changes nothing (``created`` is kept);
* different content under a name the folder already holds is refused, never overwritten;
* a file in the folder that its manifest does not list is refused, so that the manifest
  never blesses a file put there by hand;
* one folder belongs to one version. The first version collected for a gate on a day gets
  the SOP's name, ``Stage9_<Gate>_<YYYYMMDD>``; another version that day gets
  ``Stage9_<Gate>_<YYYYMMDD>_<version>`` (``choose_folder``). A version keeps the folder it
  has, so the name is the same every time it is looked for, and no counter can race;
* a folder a ledger record names is sealed: recording the gate again that day (after a
  rollback and an unblock) collects into ``..._<version>_r2`` (``_r3``, ...), chosen from the
  ledger, so that the early check predicts the folder the collection will use.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import json
import os

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic, _checksum, _ledger, _zip
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, check_date, check_gate, check_version, is_within, relative_to,
    resolve_in_workspace)

EVIDENCE_ROOT = "deliverables/onboarding_evidence"
MANIFEST_SIDECAR = "MANIFEST.sha256"
MANIFEST_JSON = "manifest.json"
RESERVED_NAMES = (MANIFEST_SIDECAR, MANIFEST_JSON)
MANIFEST_FORMAT = 1


def folder_name(gate, date, version=None):
    """``Stage9_<Gate>_<YYYYMMDD>``, or with ``version`` ``Stage9_<Gate>_<YYYYMMDD>_<version>``."""
    name = "Stage9_%s_%s" % (check_gate(gate), check_date(date))
    return name if version is None else "%s_%s" % (name, check_version(version))


def folder_relpath(gate, date, version=None):
    return "%s/%s" % (EVIDENCE_ROOT, folder_name(gate, date, version))


def _readable_manifest(folder):
    """The folder's manifest, or None when it has none or one that cannot be read."""
    if not os.path.isfile(os.path.join(folder, MANIFEST_JSON)):
        return None
    try:
        return read_manifest(folder)
    except (ValidationError, IOError, OSError):
        return None


def choose_folder(workspace, gate, version, date, unchanged=None):
    """The folder (relative to the workspace) for ``gate``/``version`` evidence of ``date``.

    The SOP's ``Stage9_<Gate>_<YYYYMMDD>`` while no other version holds it (a version whose
    evidence is there keeps it); ``Stage9_<Gate>_<YYYYMMDD>_<version>`` when another version
    holds it, or when that folder exists already. Whatever the chosen folder holds is then
    checked by ``plan`` (a folder that holds unlisted files or another version is refused).

    A folder a ledger record names (``sealed_folders``) is taken only when ``unchanged(relfolder)``
    says collecting into it would change nothing (the same approval recorded again); otherwise
    the next round's folder, ``<own>_r2``, ``_r3``, ...
    """
    check_version(version)
    workspace = os.path.realpath(workspace)
    plain = folder_relpath(gate, date)
    own = folder_relpath(gate, date, version)
    plain_manifest = _readable_manifest(os.path.join(workspace, plain))
    if plain_manifest is not None and plain_manifest.get("version") == version:
        chosen = plain
    elif os.path.isdir(os.path.join(workspace, own)) or plain_manifest is not None:
        chosen = own
    else:
        chosen = plain
    # A folder a ledger record names is sealed: the record's manifest digest fixes it. The
    # gate recorded again the same day (after a rollback and an unblock) collects into the next
    # round's folder, <own>_r2, _r3, ..., never into the sealed one, whose files the new
    # deployment has rewritten. The early check and the collection both ask here, so both
    # look at the same folder.
    sealed = sealed_folders(workspace)
    if chosen not in sealed or (unchanged is not None and unchanged(chosen)):
        return chosen
    if chosen == plain and own not in sealed:
        return own
    turn = 2
    while "%s_r%d" % (own, turn) in sealed:
        turn += 1
    return "%s_r%d" % (own, turn)


def sealed_folders(workspace):
    """The evidence folders (relative to the workspace) that ledger records name; none when
    the ledger cannot be read (the audit refuses such a ledger before anything is collected)."""
    try:
        return set(r.fields.get("evidence") for r in _ledger.read_records(workspace))
    except (ValidationError, IOError, OSError):
        return set()


def check_name(name):
    if (not isinstance(name, str) or not name or name in (".", "..") or name.startswith(".")
            or any(c in name for c in "/\\\x00\r\n") or name != name.strip()):
        raise ValidationError(
            "evidence name %r must be a plain file name (no folders, no leading dot)" % (name,))
    if name in RESERVED_NAMES:
        raise ValidationError("evidence name %r is reserved for the manifest" % (name,))
    return name


class Plan(object):
    """What collecting evidence would do; ``apply`` carries it out."""

    def __init__(self, workspace, folder, manifest, copies, changed):
        self.workspace = workspace
        self.folder = folder
        self.manifest = manifest
        self.copies = copies  # [(name, real source path, sha256)]
        self.changed = changed

    @property
    def sidecar_text(self):
        return manifest_sidecar_text(self.manifest)

    @property
    def json_text(self):
        return manifest_json_text(self.manifest)

    @property
    def manifest_sha256(self):
        return _checksum.sha256_bytes(self.sidecar_text.encode("utf-8"))

    def apply(self):
        if not os.path.isdir(self.folder):
            os.makedirs(self.folder)
        for name, source, expected in self.copies:
            copy_verified(source, os.path.join(self.folder, name), expected)
        for name, text in ((MANIFEST_SIDECAR, self.sidecar_text), (MANIFEST_JSON, self.json_text)):
            target = os.path.join(self.folder, name)
            if _atomic.read_text(target, default="") != text:
                _atomic.write_text_atomic(target, text)


class Survey(object):
    """What a folder holds against the sources given: every problem, none raised."""

    def __init__(self, workspace, relfolder, folder, existing, entries, wanted, problems):
        self.workspace = workspace
        self.relfolder = relfolder
        self.folder = folder
        self.existing = existing  # the manifest there, or None
        self.entries = entries    # {name: manifest entry} of the folder
        self.wanted = wanted      # {name: (real source, sha256, size)} of the sources that exist
        self.problems = problems

    @property
    def names(self):
        """The names the manifest would list after collecting the sources."""
        return sorted(set(self.entries) | set(self.wanted))


def survey(workspace, gate, version, date, sources, allowed_roots=None, produced=()):
    """Look at the folder ``choose_folder`` names and at ``sources`` (``[(name, path)]``)
    without writing anything; a ``Survey`` with every problem found: a bad or repeated
    name, a source that is not an allowed existing file, a folder of another gate or
    version, files the manifest does not list, and a name the folder holds with other
    content. What a dry run reports and what ``plan`` refuses.

    ``produced``: file name patterns of sources the run itself rewrites before it collects
    (the early check's view): a folder a record sealed is never expected to take them again."""
    check_gate(gate)
    check_version(version)
    check_date(date)
    workspace = os.path.realpath(workspace)
    roots = [os.path.realpath(r) for r in (allowed_roots or [workspace])]
    problems = []

    sources_by_name = {}
    for name, source in sources:
        try:
            check_name(name)
        except ValidationError as exc:
            problems.append(str(exc))
            continue
        if name in sources_by_name:
            problems.append("evidence name %r is given twice (%s and %s)" % (name, sources_by_name[name], source))
            continue
        sources_by_name[name] = source

    resolved = {}
    for name in sorted(sources_by_name):
        try:
            real = _resolve_source(workspace, sources_by_name[name], roots)
        except ValidationError as exc:
            resolved[name] = exc
            continue
        resolved[name] = (real,) + tuple(_checksum.sha256_file(real))

    def unchanged(relfolder):
        manifest = _readable_manifest(os.path.join(workspace, relfolder))
        if manifest is None or (manifest.get("gate"), manifest.get("version")) != (gate, version):
            return False
        listed = dict((f.get("name"), f.get("sha256")) for f in manifest.get("files", []))
        return all(not isinstance(found, Exception) and listed.get(name) == found[1]
                   and not any(fnmatch.fnmatchcase(name, p) for p in produced)
                   for name, found in resolved.items())

    relfolder = choose_folder(workspace, gate, version, date, unchanged)
    folder = resolve_in_workspace(workspace, relfolder, "evidence folder")

    existing = None
    if os.path.exists(os.path.join(folder, MANIFEST_JSON)):
        try:
            existing = read_manifest(folder)
        except (ValidationError, IOError, OSError) as exc:
            problems.append(str(exc))
    foreign = existing is not None and (existing["gate"], existing["version"]) != (gate, version)
    if foreign:
        problems.append(
            "evidence folder %s already holds %s evidence for version %r, not %s %r: one folder "
            "belongs to one version" % (relfolder, existing["gate"], existing["version"], gate, version))
    existing_entries = dict((f["name"], f) for f in (existing or {}).get("files", []))
    on_disk = set(os.listdir(folder)) - set(RESERVED_NAMES) if os.path.isdir(folder) else set()
    unlisted = sorted(on_disk - set(existing_entries))
    if unlisted:
        problems.append(
            "evidence folder %s holds %s not listed in its manifest; refusing to sign it "
            "(move it away or collect it through this module)" % (
                relfolder, ", ".join(repr(n) for n in unlisted)))

    wanted = {}
    for name in sorted(sources_by_name):
        source = sources_by_name[name]
        if isinstance(resolved[name], Exception):
            problems.append(str(resolved[name]))
            continue
        real, digest, size = resolved[name]
        wanted[name] = (real, digest, size)
        if not foreign and name in existing_entries and existing_entries[name]["sha256"] != digest:
            problems.append(
                "evidence %r in %s already exists with sha256 %s; the new source %s has "
                "sha256 %s. Evidence is never overwritten: collect it under another name"
                % (name, relfolder, existing_entries[name]["sha256"], source, digest))
    return Survey(workspace, relfolder, folder, existing, existing_entries, wanted, problems)


def plan(workspace, gate, version, date, sources, allowed_roots=None, created=None):
    """Plan collecting ``sources`` (``[(name, path)]``) as evidence of ``gate``/``version``
    into the folder ``choose_folder`` names; every problem ``survey`` finds is refused at once.

    ``allowed_roots`` are the folders sources may come from (default: the workspace);
    ``created`` is the ISO8601 time recorded for a new folder.
    """
    found = survey(workspace, gate, version, date, sources, allowed_roots)
    if found.problems:
        raise ValidationError("; ".join(found.problems))
    if found.existing is None and not found.wanted:
        raise ValidationError("no evidence files given for new folder %s" % found.relfolder)
    folder, existing = found.folder, found.existing
    entries = dict(found.entries)
    copies = []
    for name in sorted(found.wanted):
        source, digest, size = found.wanted[name]
        if name in entries:
            if not os.path.isfile(os.path.join(folder, name)):
                copies.append((name, source, digest))
            continue
        entries[name] = {
            "name": name,
            "source": _describe_source(found.workspace, source),
            "size": size,
            "sha256": digest,
        }
        copies.append((name, source, digest))

    manifest = {
        "format": MANIFEST_FORMAT,
        "gate": gate,
        "version": version,
        "folder": found.relfolder,
        "created": existing["created"] if existing else created,
        "files": [entries[n] for n in sorted(entries)],
    }
    changed = bool(copies) or existing is None or not _manifest_files_match(folder, manifest)
    return Plan(found.workspace, folder, manifest, copies, changed)


def _resolve_source(workspace, source, roots):
    if not isinstance(source, str) or not source:
        raise ValidationError("evidence source %r is not a path" % (source,))
    path = source if os.path.isabs(source) else os.path.join(workspace, source)
    real = os.path.realpath(path)
    if not any(is_within(real, root) for root in roots):
        raise ValidationError(
            "evidence source %r is outside the allowed source roots (%s)" % (
                source, ", ".join(roots)))
    if not os.path.isfile(real):
        raise ValidationError("evidence source %r is not an existing file" % (source,))
    return real


def _describe_source(workspace, real):
    return relative_to(real, workspace) if is_within(real, workspace) else real


def _manifest_files_match(folder, manifest):
    for name, text in ((MANIFEST_SIDECAR, manifest_sidecar_text(manifest)),
                       (MANIFEST_JSON, manifest_json_text(manifest))):
        if _atomic.read_text(os.path.join(folder, name), default="") != text:
            return False
    return True


def manifest_sidecar_text(manifest):
    return "".join(_checksum.format_sidecar(f["sha256"], f["name"]) for f in manifest["files"])


def manifest_json_text(manifest):
    return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def copy_verified(source, target, expected):
    """Copy through a temp file beside ``target``; refuse if the copy's digest differs."""
    with _atomic.verified_copy(source, target, expected, "evidence source %s changed while it was collected") as tmp:
        os.replace(tmp, target)


def read_manifest(folder):
    path = os.path.join(folder, MANIFEST_JSON)
    try:
        manifest = json.loads(_atomic.read_text(path))
    except ValueError as exc:
        raise ValidationError("%s is not valid JSON: %s" % (path, exc))
    for key in ("gate", "version", "files"):
        if key not in manifest:
            raise ValidationError("%s has no %r" % (path, key))
    return manifest


def verify_folder(folder):
    """Check a folder against its manifests. Returns ``(manifest, manifest_sha256, problems)``."""
    problems = []
    if os.path.islink(folder.rstrip(os.sep)):
        return None, None, ["evidence folder %s is a symbolic link, not the folder that was recorded" % folder]
    if not os.path.isdir(folder):
        return None, None, ["evidence folder %s does not exist" % folder]
    linked = sorted(n for n in os.listdir(folder) if os.path.islink(os.path.join(folder, n)))
    if linked:
        return None, None, ["evidence %s in %s is a symbolic link, not the file that was recorded" % (
            ", ".join(repr(n) for n in linked), folder)]
    try:
        manifest = read_manifest(folder)
        sidecar = _atomic.read_text(os.path.join(folder, MANIFEST_SIDECAR))
    except (ValidationError, IOError, OSError) as exc:
        return None, None, [str(exc)]
    listed = _checksum.parse_sidecar(sidecar, MANIFEST_SIDECAR) if sidecar.strip() else []
    from_json = [(f["sha256"], f["name"]) for f in manifest["files"]]
    if sorted(listed) != sorted(from_json):
        problems.append("%s and %s disagree" % (MANIFEST_SIDECAR, MANIFEST_JSON))
    for digest, name in listed:
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            problems.append("evidence %r is listed but missing" % name)
            continue
        actual, dummy = _checksum.sha256_file(path)
        if actual != digest:
            problems.append("evidence %r: %s" % (name, _checksum.describe_mismatch(name, digest, actual)))
    unlisted = sorted(set(os.listdir(folder)) - set(RESERVED_NAMES) - set(n for d, n in listed))
    for name in unlisted:
        problems.append("evidence %r is in the folder but not in the manifest" % name)
    manifest_sha256 = _checksum.sha256_bytes(sidecar.encode("utf-8"))
    return manifest, manifest_sha256, problems


def _zip_members(folder):
    base = os.path.basename(folder.rstrip(os.sep))
    return dict(("%s/%s" % (base, name), os.path.join(folder, name)) for name in os.listdir(folder))


def write_zip(folder, zip_path, dry_run=False):
    """A reproducible zip of the folder (see ``_zip``). Returns ``(sha256, changed)``."""
    return _zip.write_reproducible(_zip_members(folder), zip_path, dry_run)


def zip_problems(folder, rel):
    """The folder's zip (``<folder>.zip``, ``rel`` as messages name it) against the digest of
    the reproducible zip of the folder, which its manifest binds: one byte changed, a member
    added or left out, and the zip is refused. No zip is no problem (the zip is optional).
    Call it on a folder ``verify_folder`` passed."""
    path = folder.rstrip(os.sep) + ".zip"
    if os.path.islink(path):
        return ["evidence zip %s is a symbolic link, not the zip that was collected" % rel]
    if not os.path.exists(path):
        return []
    if not os.path.isfile(path):
        return ["evidence zip %s is not a file" % rel]
    actual = _checksum.sha256_file(path)[0]
    expected = _zip.reproducible_sha256(_zip_members(folder))
    if actual != expected:
        return ["evidence zip %s has sha256 %s, but the zip of its folder (as its manifest says) has sha256 %s: "
                "the zip was changed" % (rel, actual, expected)]
    return []


# The Stage 9 records of a workspace (and of the share's copy): the ledger files and their
# checkpoints under logs/, the approvals, and the evidence (docs/formats.md).
RECORD_ROOTS = ("logs", "logs/checkpoints", "deliverables", "deliverables/approvals", EVIDENCE_ROOT)


def symlinks_in_records(root):
    """Relative paths of the symbolic links among the records under ``root``: a record is the
    file that was written, never a pointer to one somewhere else (which anyone who can write
    there could change after the audit)."""
    found = []
    for top in RECORD_ROOTS:
        path = os.path.join(root, *top.split("/"))
        if os.path.islink(path):
            found.append(top)
    for top in ("deliverables/approvals", EVIDENCE_ROOT, "logs/checkpoints"):
        base = os.path.join(root, *top.split("/"))
        if os.path.islink(base) or not os.path.isdir(base):
            continue
        for folder, dirs, names in os.walk(base):
            for name in sorted(dirs + names):
                if os.path.islink(os.path.join(folder, name)):
                    found.append(os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/"))
    logs = os.path.join(root, "logs")
    if os.path.isdir(logs) and not os.path.islink(logs):
        for name in sorted(os.listdir(logs)):
            if name.startswith("task_execution_") and os.path.islink(os.path.join(logs, name)):
                found.append("logs/" + name)
    return sorted(set(found))

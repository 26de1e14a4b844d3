# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Stage 9 records of a workspace and their copy on the share (docs/formats.md,
"The Stage 9 records on the share").

In scope, under the same relative paths on both sides (the share's side is
``<share root>/stage9/``): ``logs/task_execution_*.log``, ``logs/checkpoints/*.sig``,
everything under ``deliverables/approvals/``, and under ``deliverables/onboarding_evidence/``
every ``Stage9_*`` folder and ``Stage9_*.zip``. A path with a component that starts with a
dot (a temporary file of an interrupted write, a lock) is never in scope.

Both sides are local directories here: the workspace and a *view* of the share (a pulled
copy or a mounted path). ``compare`` plans, ``apply_pull`` / ``apply_push`` carry a plan out.
Nothing is ever overwritten or deleted on either side, except a ledger file that grows by
appended lines, and that only after checking under the ledger lock that the side written to
still holds a line-prefix of the new content. New files are linked into place from a
verified temporary file, so a file that appeared meanwhile is not replaced either.

``fetch_smb_view`` and ``push_smb`` do the same against an SMB share (``_smb.Share``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fnmatch
import os
import re
import shutil

from ansible_collections.routing_ml.deploy.plugins.module_utils import (
    _atomic, _checksum, _gate_policy, _ledger, _ledger_audit, _trust)
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, resolve_in_workspace)

LOGS = "logs"
CHECKPOINTS = "logs/checkpoints"
APPROVALS = "deliverables/approvals"
EVIDENCE = "deliverables/onboarding_evidence"
LEDGER_GLOB = "task_execution_*.log"
SIDES = ("workspace", "share")
# The files of the chain (what _ledger.ledger_files reads); other task_execution_*.log files
# are mirrored as plain files.
_LEDGER_NAME_RE = re.compile(r"^task_execution_[0-9]{8}\.log$")


def is_ledger(rel):
    """A ledger file of the chain (``logs/task_execution_<YYYYMMDD>.log``)."""
    folder, dummy, name = rel.rpartition("/")
    return folder == LOGS and bool(_LEDGER_NAME_RE.match(name))


def in_scope(rel):
    """Whether a relative posix path is one of the Stage 9 records."""
    parts = rel.split("/")
    # A backslash is a plain character here but a separator on an SMB share.
    if not rel or any(not p or p.startswith(".") or "\\" in p for p in parts):
        return False
    if len(parts) == 2 and parts[0] == LOGS:
        return fnmatch.fnmatchcase(parts[1], LEDGER_GLOB)
    if len(parts) == 3 and rel.startswith(CHECKPOINTS + "/"):
        return parts[2].endswith(".sig")
    if rel.startswith(APPROVALS + "/"):
        return True
    if rel.startswith(EVIDENCE + "/") and len(parts) >= 3 and parts[2].startswith("Stage9_"):
        return len(parts) > 3 or parts[2].endswith(".zip")
    return False


def scope(root):
    """``(files, problems)``: the in-scope relative paths under ``root`` (sorted) and messages
    about in-scope entries that are not regular files (links and the like are not mirrored)."""
    files, problems = [], []
    for top in (LOGS, APPROVALS, EVIDENCE):
        base = os.path.join(root, *top.split("/"))
        if not os.path.isdir(base):
            continue
        for folder, dirs, names in os.walk(base):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in names + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                if not (in_scope(rel) or (name in dirs and in_scope(rel + "/file"))):
                    continue
                if os.path.islink(path) or not os.path.isfile(path):
                    problems.append("%s is not a regular file; the records mirror only regular files" % rel)
                else:
                    files.append(rel)
    return sorted(files), problems


def _path(root, rel):
    return os.path.join(root, *rel.split("/"))


def _read(root, rel):
    with open(_path(root, rel), "rb") as handle:
        return handle.read()


def _digests(root, paths):
    return dict((rel, _checksum.sha256_file(_path(root, rel))[0]) for rel in paths)


class Plan(object):
    """What ``compare`` found. ``pull``/``push``: relative paths to copy; ``digests``:
    ``{side: {rel: sha256}}`` as compared, so a copy is verified against what was planned."""

    def __init__(self, pull, push, conflicts, records, digests):
        self.pull = pull
        self.push = push
        self.conflicts = conflicts
        self.records = records  # {side: count, or None when the ledger did not parse}
        self.digests = digests

    def as_dict(self):
        return dict(pull=list(self.pull), push=list(self.push), conflicts=list(self.conflicts),
                    records_local=self.records["workspace"], records_share=self.records["share"])


def _chain(root, side):
    """``(records or None, problems)`` of one side's ledger."""
    try:
        records = _ledger.read_records(root)
    except ValidationError as exc:
        return None, ["%s ledger does not parse: %s" % (side, exc)]
    try:
        _ledger.verify(root)
    except ValidationError as exc:
        return records, ["%s ledger does not verify: %s" % (side, exc)]
    return records, []


def _compare_chains(workspace, view, local, share):
    """Conflicts between two parsed chains: the first position where they differ."""
    for index, (mine, theirs) in enumerate(zip(local, share)):
        where_mine, where_theirs = mine.where(workspace), theirs.where(view)
        if mine.digest != theirs.digest or where_mine != where_theirs:
            return ["record %d: workspace %s sha256 %s, share %s sha256 %s" % (
                index + 1, where_mine, mine.digest, where_theirs, theirs.digest)]
    return []


def _is_line_prefix(shorter, longer):
    return (len(shorter) < len(longer) and longer[:len(shorter)] == shorter
            and (not shorter or shorter.endswith(b"\n")))


def compare(workspace, view):
    """Plan mirroring the Stage 9 records between ``workspace`` and the share's ``view``."""
    roots = dict(workspace=workspace, share=view)
    files, conflicts = {}, []
    for side in SIDES:
        files[side], problems = scope(roots[side])
        conflicts += ["%s: %s" % (side, p) for p in problems]
    digests = dict((side, _digests(roots[side], files[side])) for side in SIDES)
    chains, ledger_conflicts = {}, []
    for side in SIDES:
        chains[side], problems = _chain(roots[side], side)
        ledger_conflicts += problems
    if chains["workspace"] is not None and chains["share"] is not None:
        ledger_conflicts += _compare_chains(workspace, view, chains["workspace"], chains["share"])
    conflicts += ledger_conflicts
    local, share = set(files["workspace"]), set(files["share"])
    pull = sorted(share - local)
    push = sorted(local - share)
    for rel in sorted(local & share):
        mine, theirs = digests["workspace"][rel], digests["share"][rel]
        if mine == theirs:
            continue
        if is_ledger(rel):
            ours, other = _read(workspace, rel), _read(view, rel)
            if _is_line_prefix(ours, other):
                pull.append(rel)
                continue
            if _is_line_prefix(other, ours):
                push.append(rel)
                continue
            if ledger_conflicts:
                continue  # named above, record by record
        conflicts.append("%s exists on both sides with different content: workspace sha256 %s, share sha256 %s"
                         % (rel, mine, theirs))
    records = dict((side, None if chains[side] is None else len(chains[side])) for side in SIDES)
    return Plan(_order(pull), _order(push), conflicts, records, digests)


def _order(paths):
    """Records before the ledger lines that name them; ledger files last, in chain order."""
    return sorted(set(paths), key=lambda rel: (is_ledger(rel), rel))


def _copy_new(source, target, expected):
    """Copy ``source`` to a new ``target`` through a verified temporary file; never replaces."""
    with _atomic.verified_copy(source, target, expected, "%s changed since it was compared") as tmp:
        try:
            os.link(tmp, target)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                raise ValidationError("%s appeared while the records were copied; it is left as it is" % target)
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS):
                raise
            # A file system without hard links (a CIFS mount): check, then rename.
            if os.path.lexists(target):
                raise ValidationError("%s appeared while the records were copied; it is left as it is" % target)
            os.rename(tmp, target)


def _check_ledger_growth(rel, current, data, target_side):
    if current is not None and not _is_line_prefix(current, data):
        raise ValidationError(
            "%s in the %s changed since it was compared (its sha256 %s is no longer a line-prefix of "
            "the copy, sha256 %s); nothing was copied" % (
                rel, target_side, _checksum.sha256_bytes(current), _checksum.sha256_bytes(data)))


def _planned(source_root, target_root, paths, expected, target_side):
    """``[(rel, target, ledger content or None)]``; raises when a precondition does not hold."""
    planned = []
    for rel in paths:
        if not in_scope(rel):
            raise ValidationError("%s is not one of the Stage 9 records" % rel)
        target = resolve_in_workspace(target_root, rel, "record")
        if is_ledger(rel):
            data = _read(source_root, rel)
            if _checksum.sha256_bytes(data) != expected[rel]:
                raise ValidationError("%s changed since it was compared: %s" % (
                    rel, _checksum.describe_mismatch(rel, expected[rel], _checksum.sha256_bytes(data))))
            _check_ledger_growth(rel, _atomic.read_bytes(target), data, target_side)
            planned.append((rel, target, data))
        elif os.path.lexists(target):
            raise ValidationError("%s exists in the %s already; it is left as it is" % (rel, target_side))
        else:
            planned.append((rel, target, None))
    return planned


def _apply(source_root, target_root, paths, expected, target_side):
    """Copy ``paths`` from ``source_root`` into ``target_root``.

    Every precondition is checked before the first write, and again under the target's ledger
    lock: a path the target holds already is refused, unless it is a ledger file that the copy
    extends by whole lines; each source must still have the digest it was compared with. New
    files are written first, ledger files last (a record never names evidence, a statement or a
    checkpoint that is not there yet)."""
    if not paths:
        return []
    _planned(source_root, target_root, paths, expected, target_side)
    with _ledger.lock(target_root):
        planned = _planned(source_root, target_root, paths, expected, target_side)
        for rel, target, data in planned:
            if data is None:
                _copy_new(_path(source_root, rel), target, expected[rel])
        for rel, target, data in planned:
            if data is not None:
                current = _atomic.read_bytes(target)
                _check_ledger_growth(rel, current, data, target_side)
                _atomic.write_atomic(target, data, mode=0o644 if current is None else None)
                actual = _checksum.sha256_file(target)[0]
                if actual != expected[rel]:
                    raise ValidationError(_checksum.describe_mismatch(target, expected[rel], actual))
    return [rel for rel, dummy, dummy2 in planned]


def _refuse_conflicts(plan):
    if plan.conflicts:
        raise ValidationError("the workspace and the share's Stage 9 records disagree, nothing was copied: %s"
                              % "; ".join(plan.conflicts))


def check_share(view, share, allowed_signers=None, signatures="off", policy=None):
    """Refuse the share's records as the auditor would refuse them in the workspace: chain,
    checkpoints, signed approvals, evidence folders against their manifests, gate order.

    Run on the view before anything is pulled: a record planted on the share (an unsigned
    append, an extra evidence file) would otherwise be copied in first, and every later run
    would be refused for a workspace it can no longer repair. ``share`` names the share in the
    message (the view is only the controller's copy of it).

    Where the share's trust records pin the settings, the share is checked with those (the
    signature mode, and the allowed_signers by the copy they keep), never with the run's: an
    extra variable (``-e routing_ml_allowed_signers=<the launcher's own>``) must not decide
    what is copied in. Whether the run's settings are the pinned ones is the run's own check."""
    try:
        policy = _gate_policy.check_policy(policy if policy is not None else _gate_policy.default_policy())
        pinned = _trust.in_force(view, policy)
        if pinned is not None:
            signatures, allowed_signers = pinned
        _ledger_audit.audit(view, allowed_signers=allowed_signers or None, signatures=signatures, policy=policy)
    except (ValidationError, IOError, OSError) as exc:
        raise ValidationError(
            "the share's Stage 9 records at %s do not verify, so nothing was copied and the workspace "
            "is as it was: %s (the paths are relative to %s; repair the share from a workspace that "
            "verifies)" % (share, exc, share))


def apply_pull(workspace, view, plan):
    """Copy the plan's ``pull`` list from the share's view into the workspace. Returns the paths.
    The caller has checked the view with ``check_share``."""
    _refuse_conflicts(plan)
    return _apply(view, workspace, plan.pull, plan.digests["share"], "workspace")


def apply_push(workspace, view, plan):
    """Copy the plan's ``push`` list from the workspace into a share folder reached as a local
    directory (a mount, or the share host itself). Returns the paths."""
    _refuse_conflicts(plan)
    return _apply(workspace, view, plan.push, plan.digests["workspace"], "share")


def verify_same(workspace, view, paths):
    """Messages for each of ``paths`` that is not byte-identical on both sides (empty: all are)."""
    problems = []
    for rel in paths:
        found = {}
        for side, root in (("workspace", workspace), ("share", view)):
            path = _path(root, rel)
            found[side] = _checksum.sha256_file(path)[0] if os.path.isfile(path) else None
        if found["share"] is None:
            problems.append("%s is missing on the share" % rel)
        elif found["workspace"] is None:
            problems.append("%s is missing in the workspace" % rel)
        elif found["workspace"] != found["share"]:
            problems.append("%s differs: workspace sha256 %s, share sha256 %s" % (rel, found["workspace"], found["share"]))
    return problems


def verify_pushed(workspace, view):
    """After a push: every in-scope file of the workspace is on the share with the same digest."""
    files, problems = scope(workspace)
    return files, problems + verify_same(workspace, view, files)


# --- an SMB share, through _smb.Share (smbprotocol) ---------------------------------------

def _unc(root, rel):
    return root.rstrip("\\") + "\\" + rel.replace("/", "\\")


def fetch_smb_view(share, root, dest, smbclient):
    """Download the in-scope files under the UNC ``root`` into the empty local folder ``dest``."""
    for rel in sorted(share.tree(root)):
        if not in_scope(rel):
            continue
        target = _path(dest, rel)
        if not os.path.isdir(os.path.dirname(target)):
            os.makedirs(os.path.dirname(target))
        with smbclient.open_file(_unc(root, rel), mode="rb", port=share.port) as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out, _checksum.READ_SIZE)
    return dest


def _read_smb(share, smbclient, path):
    try:
        with smbclient.open_file(path, mode="rb", port=share.port) as handle:
            return handle.read()
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


def _check_smb_target(share, smbclient, remote, rel, data):
    """Right before a write: a new file must still be absent on the share, a ledger file must
    still be a line-prefix of the workspace's."""
    if is_ledger(rel):
        current = _read_smb(share, smbclient, remote)
        if current is not None and not _is_line_prefix(current, data):
            raise ValidationError(
                "%s on the share changed since it was compared (its sha256 %s is no longer a line-prefix "
                "of the workspace's, sha256 %s); it is left as it is" % (
                    rel, _checksum.sha256_bytes(current), _checksum.sha256_bytes(data)))
    elif share.sha256(remote) is not None:
        raise ValidationError("%s appeared on the share since it was compared; it is left as it is" % rel)


def push_smb(share, root, workspace, plan, smbclient, check_mode=False):
    """Upload the plan's ``push`` list to the UNC ``root`` with ``share.put`` (written under a
    temporary name, read back, renamed), new files first and ledger files last. Every target is
    checked before the first write and again right before its own; each file is read back by
    digest afterwards. Returns the paths."""
    _refuse_conflicts(plan)
    expected = plan.digests["workspace"]
    planned = []
    for rel in plan.push:
        data = _read(workspace, rel) if is_ledger(rel) else None
        if data is not None and _checksum.sha256_bytes(data) != expected[rel]:
            raise ValidationError("%s changed since it was compared: %s" % (
                rel, _checksum.describe_mismatch(rel, expected[rel], _checksum.sha256_bytes(data))))
        remote = _unc(root, rel)
        _check_smb_target(share, smbclient, remote, rel, data)
        planned.append((rel, remote, data))
    if check_mode:
        return [rel for rel, dummy, dummy2 in planned]
    for rel, remote, data in planned:
        _check_smb_target(share, smbclient, remote, rel, data)
        share.put(_path(workspace, rel), remote, expected[rel])
        actual = share.sha256(remote)
        if actual != expected[rel]:
            raise ValidationError(_checksum.describe_mismatch(remote, expected[rel], actual))
    return [rel for rel, dummy, dummy2 in planned]

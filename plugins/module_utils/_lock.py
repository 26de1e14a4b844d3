# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deploy lock: one ``<lock dir>/<environment>.lock`` a run, shared by deploy and rollback.

Two runs against one environment at once (a deploy and a rollback, or two AWX jobs) would
interleave their changes and their records; the lock makes the second one stop before it
touches a host, naming who holds the environment and since when (docs/formats.md).

- Taken atomically: the content goes to a temporary file in the lock's directory, which is
  then hard-linked to the lock's name. ``link`` fails when the name exists, so exactly one
  of any number of racing runs gets it, and a reader never sees half a lock.
- Re-entrant: the process that holds it (pid, its start time, the boot and the controller
  all the same) gets it again, unchanged - a deploy that runs its rollback in the same
  ``ansible-playbook`` keeps its one lock.
- Released only by its token, so a run never removes the lock another run took after it.
- A lock whose process is gone (a killed run) is *stale*: that is told, never acted on. Only
  a lock taken on this controller in this boot can be judged; a lock from another controller
  is never called stale, because its processes cannot be seen from here. Clearing is
  deliberate: an operator and a reason, recorded in ``lock_history.jsonl`` first.
- A lock file that cannot be read as a lock counts as held: it is never overwritten.
- One share, one environment, one lock. The environment a run names is an input (an extra
  variable can rename it), so the key of the lock is the share the run writes to: the first
  lock taken for a share pins the share's environment (``share-<digest>.environment``), and a
  run that names the same share under another environment is refused - it never gets a lock
  of its own beside the held one. The lock file keeps the environment's readable name.
- A lock whose process still runs on this controller is not cleared without ``force``, and a
  forced clearing says so in the history.

Pure Python: no AnsibleModule; the action plugin and the unit tests use it directly.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import errno
import getpass
import hashlib
import json
import os
import re
import secrets
import socket
import time

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic
from ansible_collections.routing_ml.deploy.plugins.module_utils._ledger import format_timestamp
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError, check_field

FORMAT = 1
HISTORY_NAME = "lock_history.jsonl"
SHARE_PIN = "share-%s.environment"
ENVIRONMENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# Keys every lock of this format has, and the types they must have.
REQUIRED_KEYS = {"environment": str, "holder": str, "pid": int, "started": str, "token": str}
BOOT_ID_PATH = "/proc/sys/kernel/random/boot_id"
# The reason in double quotes: -e key=value splits an unquoted value at its first space.
UNLOCK_COMMAND = ("ansible-playbook playbooks/unlock.yml -e routing_ml_environment=%s "
                  "-e 'routing_ml_unlock_reason=\"...\"'")
# What an unreadable lock keeps of its content in the history line.
_KEEP_UNREADABLE = 4096
# Errors of link() that mean "this file system has no hard links", not "the name is taken".
_NO_LINKS = (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS)

_ENVIRONMENT_RE = re.compile(ENVIRONMENT_PATTERN)


class LockHeld(Exception):
    """The environment's lock is held by someone else (or its file cannot be read).

    ``lock`` is the lock as read (None when unreadable), ``stale`` what ``is_stale`` says
    (True, False, or None when it cannot tell), ``path`` the lock file.
    """

    def __init__(self, lock, stale, path=None, message=None):
        self.lock = lock
        self.stale = stale
        self.path = path
        Exception.__init__(self, message or describe_held(lock, stale, path))


class LockUnreadable(LockHeld):
    """A lock file that is no lock of this format: held, left alone, named."""

    def __init__(self, path, environment, problem):
        self.problem = problem
        LockHeld.__init__(self, None, None, path, (
            "the lock file %s is not a readable deploy lock (%s); it is treated as held and "
            "left alone. Look at it; when no run holds environment %s, clear it with: %s" % (
                path, problem, environment, UNLOCK_COMMAND % environment)))


def check_environment(environment):
    # fullmatch: with match, '$' would let a trailing newline through.
    if not isinstance(environment, str) or not _ENVIRONMENT_RE.fullmatch(environment):
        raise ValidationError(
            "environment %r is not valid: expected %s" % (environment, ENVIRONMENT_PATTERN))
    return environment


def lock_path(directory, environment):
    return os.path.join(directory, "%s.lock" % check_environment(environment))


def history_path(directory):
    return os.path.join(directory, HISTORY_NAME)


def share_key(share):
    """The share's part of the lock's key: the first 16 hex digits of its SHA256."""
    if not isinstance(share, str) or not share.strip() or "\n" in share:
        raise ValidationError("share %r is not valid: expected the share the run writes to, one line" % (share,))
    return hashlib.sha256(share.encode("utf-8")).hexdigest()[:16]


def share_pin_path(directory, share):
    return os.path.join(directory, SHARE_PIN % share_key(share))


def _read_pin(path, share):
    raw = _atomic.read_bytes(path)
    if raw is None:
        return None
    try:
        pin = json.loads(raw.decode("utf-8"))
        if not isinstance(pin, dict) or pin.get("share") != share:
            raise ValueError("it names share %r" % (pin.get("share") if isinstance(pin, dict) else pin,))
        check_environment(pin.get("environment"))
    except (UnicodeDecodeError, ValueError, ValidationError) as exc:
        raise ValidationError("%s is not the environment pin of share %s (%s); it is left alone: look at it "
                              "before any run takes a lock for that share" % (path, share, exc))
    return pin


def share_environment(directory, environment, share, pin=True, now=None):
    """Refuse ``environment`` when ``share`` belongs to another: returns the share's pin.

    The first call for a share (with ``pin``) records ``environment`` as the share's, in one
    atomic publish; a call without ``pin`` (check mode) writes nothing."""
    check_environment(environment)
    path = share_pin_path(directory, share)
    found = _read_pin(path, share)
    if found is None and pin:
        entry = {"environment": environment, "share": share, "format": FORMAT, "holder": default_holder(),
                 "pinned": format_timestamp(now or datetime.datetime.now().astimezone())}
        data = (json.dumps(entry, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
        _ensure_dir(directory)
        tmp = _private_name(path, "new")
        _write_new(tmp, data)
        try:
            if _publish(tmp, path, data):
                _atomic._fsync_dir(directory)
                return entry
        finally:
            os.unlink(tmp)
        found = _read_pin(path, share)
    if found is None or found["environment"] == environment:
        return found
    other = found["environment"]
    try:
        held = read(directory, other)
    except LockHeld:
        held = None
    holding = ("; it is locked now by %s" % describe(held)) if held else ""
    raise ValidationError(
        "environment %s is not the environment of share %s: that share is environment %s's (pinned in %s "
        "since %s)%s. One share, one environment, one deploy lock: an extra variable that renames the "
        "environment gets no lock of its own; run with the inventory's routing_ml_environment (%s)" % (
            environment, share, other, path, found.get("pinned"), holding, other))


# --- this process, this controller ---------------------------------------------------------

def controller_user():
    """The user running the controller; a uid when it has no name (an AWX container)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "uid%d" % os.getuid()


def controller_host():
    return socket.gethostname()


def default_holder():
    return "%s@%s" % (controller_user(), controller_host())


def holder_host(holder):
    """The controller part of ``user@controller``."""
    return holder.rpartition("@")[2] if isinstance(holder, str) else None


def boot_id():
    """This boot's id: a pid and its start time mean something only within one boot."""
    try:
        with open(BOOT_ID_PATH) as handle:
            return handle.read().strip() or None
    except (IOError, OSError):
        return None


def _proc_stat(pid):
    """``(state, start time)`` of a process from ``/proc/<pid>/stat``, or None.

    The start time is field 22 (clock ticks after boot): with the pid it names one process,
    where a pid alone may since have been given to another. The command name (field 2) may
    hold spaces and parentheses, so the fields are counted after its last ')'.
    """
    if not _usable_pid(pid):
        return None
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            text = handle.read().decode("ascii", "replace")
    except (IOError, OSError):
        return None
    fields = text.rpartition(")")[2].split()
    if len(fields) < 20:
        return None
    return fields[0], fields[19]


def process_start(pid):
    """The start time token of ``pid`` (str), or None where /proc cannot tell."""
    stat = _proc_stat(pid)
    return stat[1] if stat else None


def _usable_pid(pid):
    # os.kill(0) or a negative pid would signal a whole process group: never pass those on.
    return isinstance(pid, int) and not isinstance(pid, bool) and pid > 0


def _pid_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(lock):
    """True when the lock's process is gone, False when it runs, None when this cannot tell.

    Only a lock taken on this controller (same host name) in this boot (same boot id) can be
    judged: its pid is gone, is a zombie, or now belongs to a process started at another
    time. A lock from another controller, or from before a reboot of one with the same name,
    gives None: never stale on a guess.
    """
    if not isinstance(lock, dict):
        return None
    here = boot_id()
    if here is None or lock.get("boot_id") != here or holder_host(lock.get("holder")) != controller_host():
        return None
    pid = lock.get("pid")
    if not _usable_pid(pid):
        return None
    stat = _proc_stat(pid)
    if stat is None:
        return not _pid_exists(pid)
    state, start = stat
    if state == "Z":
        return True
    recorded = lock.get("pid_start")
    return recorded is not None and start != recorded


def is_mine(lock, pid):
    """True when ``lock`` was taken by process ``pid`` of this controller, in this boot."""
    return (isinstance(lock, dict) and lock.get("pid") == pid and _usable_pid(pid)
            and holder_host(lock.get("holder")) == controller_host()
            and lock.get("boot_id") == boot_id()
            and lock.get("pid_start") == process_start(pid))


# --- the lock file --------------------------------------------------------------------------

def build(environment, pid, job="", playbook="", purpose="", now=None, holder=None):
    """A new lock (format 1) for process ``pid``; every field checked."""
    check_environment(environment)
    if not _usable_pid(pid):
        raise ValidationError("pid %r is not a process id: expected a positive integer" % (pid,))
    for name, value in (("job", job), ("playbook", playbook), ("purpose", purpose)):
        if not isinstance(value, str):
            raise ValidationError("%s %r must be text" % (name, value))
    return {
        "format": FORMAT,
        "environment": environment,
        "holder": holder or default_holder(),
        "pid": pid,
        "pid_start": process_start(pid),
        "boot_id": boot_id(),
        "job": job,
        "playbook": playbook,
        "purpose": purpose,
        "started": format_timestamp(now or datetime.datetime.now().astimezone()),
        "token": secrets.token_hex(16),
    }


def text(lock):
    return json.dumps(lock, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class _NotJSON(ValueError):
    """Not even JSON: perhaps caught half-written (see ``_read``)."""


def parse(raw, environment):
    """The lock in ``raw`` (bytes), or a ``ValueError`` saying what is wrong with it."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _NotJSON("not JSON: %s" % exc)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object but %s" % type(data).__name__)
    if data.get("format") != FORMAT:
        raise ValueError("format %r, expected %d" % (data.get("format"), FORMAT))
    for key, kind in sorted(REQUIRED_KEYS.items()):
        value = data.get(key)
        if not isinstance(value, kind) or isinstance(value, bool) or value in ("", 0):
            raise ValueError("%s is %r, expected a non-empty %s" % (key, value, kind.__name__))
    if not _usable_pid(data["pid"]):
        raise ValueError("pid is %r, expected a positive integer" % (data["pid"],))
    if data["environment"] != environment:
        raise ValueError("it names environment %r, expected %r" % (data["environment"], environment))
    return data


def _read(path, environment):
    """``(lock, raw)``; ``(None, None)`` when there is none; ``LockUnreadable`` when it is
    no lock. A lock written without hard links may be caught half-written: what is not
    even JSON is read again after a moment before it is called unreadable."""
    for attempt in range(3):
        raw = _atomic.read_bytes(path)
        if raw is None:
            return None, None
        try:
            return parse(raw, environment), raw
        except _NotJSON as exc:
            problem = str(exc)
        except ValueError as exc:
            raise LockUnreadable(path, environment, str(exc))
        if attempt < 2:
            time.sleep(0.05)
    raise LockUnreadable(path, environment, problem)


def read(directory, environment):
    """The environment's lock as a dict, or None when it is free.

    Raises ``LockUnreadable`` (a ``LockHeld``) when the file is there but no lock.
    """
    return _read(lock_path(directory, environment), environment)[0]


def describe(lock):
    """Who holds ``lock``: holder, pid, job, playbook, purpose and since when."""
    return "%s (pid %s, job %s, playbook %s, purpose %s) since %s" % (
        lock.get("holder"), lock.get("pid"), lock.get("job") or "-", lock.get("playbook") or "-",
        json.dumps(lock.get("purpose") or "-", ensure_ascii=False), lock.get("started"))


def describe_held(lock, stale, path=None):
    """Who holds the lock and what to do about it, in one message."""
    if lock is None:
        return "the deploy lock %s is held" % path
    message = "environment %s is locked by %s" % (lock.get("environment"), describe(lock))
    if path:
        message += " (lock file %s)" % path
    command = UNLOCK_COMMAND % lock.get("environment")
    if stale is True:
        return ("%s. It is stale: that process is gone: a killed run left the lock behind. Clear it "
                "deliberately (who and why are recorded) with: %s" % (message, command))
    if stale is False:
        return "%s. That run is still going on this controller: wait for it to end." % message
    return ("%s. It was taken on another controller (%s) or before this one rebooted, so whether "
            "that run still goes on cannot be seen from here: ask its holder. When it has ended, "
            "clear the lock with: %s" % (message, holder_host(lock.get("holder")), command))


def _fsync(fd):
    try:
        os.fsync(fd)
    except OSError:
        pass


def _write_new(path, data):
    """Create ``path`` with ``data``, failing with ``FileExistsError`` when it exists."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        _fsync(fd)
    finally:
        os.close(fd)


def _publish(tmp, path, data):
    """Give the complete file ``tmp`` the name ``path`` unless that name exists: True when
    it was free. Where the file system has no hard links (some SMB mounts) the name itself
    is created exclusively, in one write."""
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
    try:
        _write_new(path, data)
    except FileExistsError:
        return False
    return True


def _private_name(path, what):
    directory, name = os.path.split(path)
    return os.path.join(directory, ".%s.%s.%s" % (name, secrets.token_hex(6), what))


def _remove_if(path, matches):
    """Remove ``path`` when its content, once moved out of the way, ``matches`` (a function
    of the bytes): True when removed.

    Moving first means the check and the removal see the same file: were the lock cleared and
    taken again between a check and an unlink, the unlink would remove the newcomer's lock.
    A file that does not match is linked back (never over a lock taken meanwhile).
    """
    aside = _private_name(path, "removing")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return False
    try:
        if matches(_atomic.read_bytes(aside)):
            return True
        with open(aside, "rb") as handle:
            _publish(aside, path, handle.read())
        return False
    finally:
        try:
            os.unlink(aside)
        except FileNotFoundError:
            pass
        _atomic._fsync_dir(os.path.dirname(path) or ".")


def _token_of(raw, environment):
    """The token of the lock in ``raw``; None when ``raw`` is no lock (which is left alone)."""
    if raw is None:
        return None
    try:
        return parse(raw, environment)["token"]
    except ValueError:
        return None


def _ensure_dir(directory):
    if not os.path.isdir(directory):
        try:
            os.makedirs(directory, 0o755)
        except FileExistsError:
            return
        os.chmod(directory, 0o755)


def check(directory, environment, pid=None, share=None):
    """What ``acquire`` would find, changing nothing: ``(lock or None, already_mine)``.

    Raises ``LockHeld`` exactly when ``acquire`` would (and ``ValidationError`` when ``share``
    belongs to another environment).
    """
    pid = os.getpid() if pid is None else pid
    if share is not None:
        share_environment(directory, environment, share, pin=False)
    path = lock_path(directory, environment)
    lock = _read(path, environment)[0]
    if lock is None:
        return None, False
    if is_mine(lock, pid):
        return lock, True
    raise LockHeld(lock, is_stale(lock), path)


def acquire(directory, environment, job="", playbook="", purpose="", pid=None, now=None, holder=None, share=None):
    """Take the environment's lock for process ``pid`` (default: this one).

    Returns ``(lock, already_mine)``: the new lock, or the one this same process already
    holds, unchanged. Raises ``LockHeld`` naming the holder when another holds it (with
    ``stale`` told), ``LockUnreadable`` when the file is no lock. Creates ``directory``
    (mode 0755) when it is missing. With ``share`` (the share the run writes to), refused with
    ``ValidationError`` when the share is another environment's (``share_environment``).
    """
    pid = os.getpid() if pid is None else pid
    path = lock_path(directory, environment)
    lock = build(environment, pid, job, playbook, purpose, now, holder)
    if share is not None:
        share_environment(directory, environment, share, now=now)
    data = text(lock).encode("utf-8")
    _ensure_dir(directory)
    tmp = _private_name(path, "new")
    _write_new(tmp, data)
    try:
        # A lock released between our failed link and our read: try again, a few times.
        for dummy in range(5):
            if _publish(tmp, path, data):
                _atomic._fsync_dir(directory)
                return lock, False
            held = _read(path, environment)[0]
            if held is None:
                continue
            if is_mine(held, pid):
                return held, True
            raise LockHeld(held, is_stale(held), path)
        raise LockHeld(None, None, path, "the deploy lock %s was taken and released again five times "
                                         "while this run tried to take it; try again" % path)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def release(directory, environment, token):
    """Remove the lock when it carries ``token``: True when removed. A missing lock, another
    token or an unreadable file give False and are left alone."""
    path = lock_path(directory, environment)
    if not token or _token_of(_atomic.read_bytes(path), environment) != token:
        return False
    return _remove_if(path, lambda content: _token_of(content, environment) == token)


def _append_line(path, line):
    """One line appended in one ``write`` to a file opened with O_APPEND, then fsync: two
    writers at once never interleave their lines, and the line is on disk before the caller
    goes on (for ``clear``: before the lock it records is removed)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def check_clearing(operator, reason):
    """Who clears and why: one line each, and a reason that says something."""
    check_field("operator", operator)
    check_field("reason", reason)
    if not reason.strip(". "):
        raise ValidationError("reason %r is a placeholder: say why the lock may be cleared" % (reason,))


def clear(directory, environment, operator, reason, now=None, force=False):
    """Remove the lock deliberately: the old lock, or None when none was held.

    A lock whose process still runs on this controller (``is_stale`` False) is refused with
    ``LockHeld`` unless ``force``: that run would go on without it. A forced clearing is
    recorded as such (``forced``, ``holder_process``).

    ``operator`` and ``reason`` are required, one line each. The history line (who, why, the
    lock as it was) is appended to ``lock_history.jsonl`` and on disk before the lock goes, so
    no lock is ever cleared without a trace. An unreadable lock file can be cleared too; the
    history keeps its content. Nothing held: nothing recorded.
    """
    check_clearing(operator, reason)
    path = lock_path(directory, environment)
    try:
        lock, raw = _read(path, environment)
    except LockUnreadable as exc:
        raw = _atomic.read_bytes(path)
        if raw is None:
            return None
        lock = {"unreadable": raw[:_KEEP_UNREADABLE].decode("utf-8", "replace"), "problem": exc.problem}
    if raw is None:
        return None
    stale = is_stale(lock) if "unreadable" not in lock else None
    if stale is False and not force:
        raise LockHeld(lock, False, path, (
            "environment %s is locked by %s (lock file %s). That run is still going on this controller, so "
            "its lock is not cleared: wait for it to end, or stop it. To clear the lock of a running process "
            "anyway (it then goes on without the lock, beside the next run), add -e routing_ml_unlock_force=true; "
            "the clearing is recorded as forced, with the reason" % (environment, describe(lock), path)))
    entry = {
        "time": format_timestamp(now or datetime.datetime.now().astimezone()),
        "environment": environment,
        "action": "cleared",
        "operator": operator,
        "reason": reason,
        "lock": lock,
        "forced": bool(force),
        "holder_process": {True: "gone", False: "running"}.get(stale, "unknown"),
    }
    _append_line(history_path(directory), json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n")
    # Only the file that was recorded: a lock released and taken again meanwhile stays.
    _remove_if(path, lambda content: content == raw)
    return lock

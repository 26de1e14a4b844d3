# -*- coding: utf-8 -*-
"""The deploy lock with real files and real processes: held, stale, raced, released, cleared."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import datetime
import errno
import json
import multiprocessing
import os
import re
import subprocess
import sys

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _lock
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

NOW = datetime.datetime(2025, 10, 3, 14, 2, 11, 500, tzinfo=datetime.timezone(datetime.timedelta(hours=9)))
HOLDER = dict(job="17", playbook="playbooks/deploy_beta.yml", purpose="deploy Beta 1.4.0")


@pytest.fixture
def lock_dir(tmp_path):
    return str(tmp_path / "locks")


@contextlib.contextmanager
def sleeper():
    """A live process of this controller that is not this one."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def killed_holder_lock(lock_dir, environment="beta"):
    """A lock taken for a process that has been killed since: what a SIGKILLed run leaves."""
    with sleeper() as proc:
        lock, dummy = _lock.acquire(lock_dir, environment, pid=proc.pid, now=NOW, **HOLDER)
        proc.kill()
        proc.wait()
    return lock


def lock_bytes(lock_dir, environment="beta"):
    with open(os.path.join(lock_dir, "%s.lock" % environment), "rb") as handle:
        return handle.read()


def test_a_free_environment_is_taken_in_format_1(lock_dir):
    lock, mine = _lock.acquire(lock_dir, "beta", now=NOW, **HOLDER)
    assert mine is False
    assert set(lock) == {"format", "environment", "holder", "pid", "pid_start", "boot_id", "job", "playbook",
                         "purpose", "started", "token"}
    assert lock["format"] == 1 and lock["environment"] == "beta" and lock["pid"] == os.getpid()
    assert lock["holder"] == "%s@%s" % (_lock.controller_user(), _lock.controller_host())
    assert lock["started"] == "2025-10-03T14:02:11+09:00", "ISO8601 with offset, whole seconds"
    assert re.fullmatch(r"[0-9a-f]{32}", lock["token"])
    assert (lock["job"], lock["playbook"], lock["purpose"]) == ("17", "playbooks/deploy_beta.yml", "deploy Beta 1.4.0")
    if os.path.exists("/proc/self/stat"):
        assert lock["pid_start"] == _lock.process_start(os.getpid()) and lock["pid_start"].isdigit()
        assert lock["boot_id"] == _lock.boot_id() and lock["boot_id"]
    assert json.loads(lock_bytes(lock_dir)) == lock
    assert os.listdir(lock_dir) == ["beta.lock"], "the temporary file is gone"
    assert _lock.read(lock_dir, "beta") == lock


def test_the_directory_is_made_0755(tmp_path):
    directory = str(tmp_path / "a" / "locks")
    umask = os.umask(0o077)
    try:
        _lock.acquire(directory, "beta")
    finally:
        os.umask(umask)
    assert os.stat(directory).st_mode & 0o777 == 0o755


def test_the_same_process_gets_its_lock_again_unchanged(lock_dir):
    first, dummy = _lock.acquire(lock_dir, "beta", now=NOW, **HOLDER)
    before = lock_bytes(lock_dir)
    again, mine = _lock.acquire(lock_dir, "beta", purpose="rollback Beta 1.4.0")
    assert mine is True and again == first
    assert lock_bytes(lock_dir) == before, "not rewritten"
    assert _lock.check(lock_dir, "beta") == (first, True)


def test_a_lock_held_by_a_live_process_is_refused_and_not_stale(lock_dir):
    with sleeper() as proc:
        held, dummy = _lock.acquire(lock_dir, "beta", pid=proc.pid, now=NOW, **HOLDER)
        before = lock_bytes(lock_dir)
        with pytest.raises(_lock.LockHeld) as caught:
            _lock.acquire(lock_dir, "beta", purpose="deploy GA 1.4.0")
        assert _lock.is_stale(held) is False
        with pytest.raises(_lock.LockHeld):
            _lock.check(lock_dir, "beta")
    exc = caught.value
    assert exc.lock == held and exc.stale is False and exc.path == os.path.join(lock_dir, "beta.lock")
    message = str(exc)
    for part in (held["holder"], "pid %d" % proc.pid, "job 17", "playbooks/deploy_beta.yml", '"deploy Beta 1.4.0"',
                 "since 2025-10-03T14:02:11+09:00", exc.path, "still going"):
        assert part in message, (part, message)
    assert "unlock.yml" not in message, "a live run is waited for, not cleared"
    assert lock_bytes(lock_dir) == before


def test_a_killed_holder_leaves_a_stale_lock_that_is_told_not_taken(lock_dir):
    held = killed_holder_lock(lock_dir)
    assert _lock.is_stale(held) is True
    before = lock_bytes(lock_dir)
    with pytest.raises(_lock.LockHeld) as caught:
        _lock.acquire(lock_dir, "beta")
    assert caught.value.stale is True and caught.value.lock == held
    message = str(caught.value)
    assert "that process is gone: a killed run" in message
    assert ("ansible-playbook playbooks/unlock.yml -e routing_ml_environment=beta "
            "-e 'routing_ml_unlock_reason=\"...\"'") in message
    assert lock_bytes(lock_dir) == before, "a stale lock is cleared deliberately, never taken over"


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="start times come from /proc")
def test_a_pid_given_to_another_process_is_stale(lock_dir):
    lock, dummy = _lock.acquire(lock_dir, "beta")
    assert _lock.is_stale(lock) is False
    assert _lock.is_stale(dict(lock, pid_start=str(int(lock["pid_start"]) + 1))) is True
    assert _lock.is_mine(dict(lock, pid_start="1"), os.getpid()) is False


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="process states come from /proc")
def test_a_zombie_holder_is_stale(lock_dir):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    lock, dummy = _lock.acquire(lock_dir, "beta", pid=proc.pid)
    try:
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: a zombie
        assert _lock.is_stale(lock) is True
    finally:
        proc.wait()


def test_a_lock_from_another_controller_is_never_stale(lock_dir):
    held = killed_holder_lock(lock_dir)
    elsewhere = dict(held, holder="deploy@controller2")
    assert _lock.is_stale(elsewhere) is None
    assert _lock.is_stale(dict(held, boot_id="00000000-0000-0000-0000-000000000000")) is None, "another boot"
    message = _lock.describe_held(elsewhere, None)
    assert "another controller (controller2)" in message and "ask its holder" in message
    assert "that process is gone" not in message


def _racer(lock_dir, barrier, results):
    barrier.wait()
    try:
        lock, mine = _lock.acquire(lock_dir, "race")
        results.put(("won", os.getpid(), lock["token"], mine))
    except _lock.LockHeld as exc:
        results.put(("held", os.getpid(), exc.lock and exc.lock["token"], None))
    except Exception as exc:
        results.put(("error", os.getpid(), repr(exc), None))


def test_eight_racers_one_winner(lock_dir):
    os.makedirs(lock_dir)
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(8)
    results = ctx.Queue()
    racers = [ctx.Process(target=_racer, args=(lock_dir, barrier, results)) for dummy in range(8)]
    for racer in racers:
        racer.start()
    outcomes = [results.get(timeout=20) for dummy in racers]
    for racer in racers:
        racer.join(timeout=20)
    kinds = sorted(outcome[0] for outcome in outcomes)
    assert kinds == ["held"] * 7 + ["won"], outcomes
    winner = [outcome for outcome in outcomes if outcome[0] == "won"][0]
    assert winner[3] is False
    assert all(outcome[2] == winner[2] for outcome in outcomes), "every loser saw the winner's lock"
    assert json.loads(lock_bytes(lock_dir, "race"))["pid"] == winner[1]
    assert sorted(os.listdir(lock_dir)) == ["race.lock"]


def test_release_needs_the_token(lock_dir):
    lock, dummy = _lock.acquire(lock_dir, "beta")
    before = lock_bytes(lock_dir)
    assert _lock.release(lock_dir, "beta", "0" * 32) is False
    assert _lock.release(lock_dir, "beta", "") is False
    assert lock_bytes(lock_dir) == before
    assert _lock.release(lock_dir, "beta", lock["token"]) is True
    assert os.listdir(lock_dir) == []
    assert _lock.release(lock_dir, "beta", lock["token"]) is False, "nothing held"
    assert _lock.read(lock_dir, "beta") is None


def test_a_lock_that_does_not_match_once_moved_aside_is_put_back(lock_dir):
    _lock.acquire(lock_dir, "beta")
    before = lock_bytes(lock_dir)
    assert _lock._remove_if(os.path.join(lock_dir, "beta.lock"), lambda raw: False) is False
    assert lock_bytes(lock_dir) == before and os.listdir(lock_dir) == ["beta.lock"]


@pytest.mark.parametrize("content, problem", [
    (b"", "not JSON"),
    (b'{"format": 1, "environment": "beta", "holder": "x@y", "pid": 42', "not JSON"),
    (b"[]", "not a JSON object"),
    (b'{"format": 2, "environment": "beta", "holder": "x@y", "pid": 42, "started": "t", "token": "t"}', "format 2"),
    (b'{"format": 1, "environment": "beta", "holder": "x@y", "pid": 42, "started": "t"}', "token is None"),
    (b'{"format": 1, "environment": "beta", "holder": "x@y", "pid": 0, "started": "t", "token": "t"}', "pid is 0"),
    (b'{"format": 1, "environment": "beta", "holder": "x@y", "pid": -1, "started": "t", "token": "t"}', "pid is -1"),
    (b'{"format": 1, "environment": "ga", "holder": "x@y", "pid": 42, "started": "t", "token": "t"}', "'ga'"),
    (b"\xff\xfe", "not JSON"),
])
def test_a_malformed_lock_counts_as_held_and_is_left_alone(lock_dir, content, problem):
    os.makedirs(lock_dir)
    path = os.path.join(lock_dir, "beta.lock")
    with open(path, "wb") as handle:
        handle.write(content)
    for attempt in (lambda: _lock.acquire(lock_dir, "beta"), lambda: _lock.read(lock_dir, "beta"),
                    lambda: _lock.check(lock_dir, "beta")):
        with pytest.raises(_lock.LockUnreadable) as caught:
            attempt()
        assert isinstance(caught.value, _lock.LockHeld)
        assert path in str(caught.value) and "treated as held" in str(caught.value)
        assert problem in str(caught.value), str(caught.value)
    assert _lock.release(lock_dir, "beta", "t") is False
    assert lock_bytes(lock_dir) == content and os.listdir(lock_dir) == ["beta.lock"]


def test_clear_records_then_removes(lock_dir):
    held = killed_holder_lock(lock_dir)
    old = _lock.clear(lock_dir, "beta", "DEPLOY-LEE", "job 17 was killed by the OOM killer", now=NOW)
    assert old == held
    assert not os.path.exists(os.path.join(lock_dir, "beta.lock"))
    with open(os.path.join(lock_dir, "lock_history.jsonl"), encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == {"time": "2025-10-03T14:02:11+09:00", "environment": "beta", "action": "cleared",
                                    "operator": "DEPLOY-LEE", "reason": "job 17 was killed by the OOM killer",
                                    "lock": held, "forced": False, "holder_process": "gone"}
    assert _lock.clear(lock_dir, "beta", "DEPLOY-LEE", "again", now=NOW) is None, "nothing held: no error"
    with open(os.path.join(lock_dir, "lock_history.jsonl"), encoding="utf-8") as handle:
        assert len(handle.read().splitlines()) == 1, "nothing held: nothing recorded"
    _lock.acquire(lock_dir, "beta")
    _lock.clear(lock_dir, "beta", "DEPLOY-LEE", "second clearing", now=NOW, force=True)
    with open(os.path.join(lock_dir, "lock_history.jsonl"), encoding="utf-8") as handle:
        assert [json.loads(line)["reason"] for line in handle] == ["job 17 was killed by the OOM killer",
                                                                   "second clearing"]


def test_the_history_line_is_written_before_the_lock_goes(lock_dir, monkeypatch):
    _lock.acquire(lock_dir, "beta")

    def fail(path, matches):
        raise OSError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(_lock, "_remove_if", fail)
    with pytest.raises(OSError):
        _lock.clear(lock_dir, "beta", "DEPLOY-LEE", "killed run", now=NOW, force=True)
    assert os.path.exists(os.path.join(lock_dir, "beta.lock"))
    with open(os.path.join(lock_dir, "lock_history.jsonl"), encoding="utf-8") as handle:
        assert json.loads(handle.read())["reason"] == "killed run"


@pytest.mark.parametrize("operator, reason, message", [
    ("DEPLOY-LEE", "", "reason '' must not be empty"),
    ("DEPLOY-LEE", None, "reason None must not be empty"),
    ("DEPLOY-LEE", "two\nlines", "one line"),
    ("DEPLOY-LEE", " padded", "white space"),
    ("DEPLOY-LEE", "...", "placeholder"),
    ("", "killed run", "operator '' must not be empty"),
])
def test_clear_needs_who_and_why(lock_dir, operator, reason, message):
    _lock.acquire(lock_dir, "beta")
    before = lock_bytes(lock_dir)
    with pytest.raises(ValidationError, match=re.escape(message)):
        _lock.clear(lock_dir, "beta", operator, reason)
    assert lock_bytes(lock_dir) == before
    assert not os.path.exists(os.path.join(lock_dir, "lock_history.jsonl"))


def test_an_unreadable_lock_can_be_cleared_and_its_content_is_kept(lock_dir):
    os.makedirs(lock_dir)
    with open(os.path.join(lock_dir, "beta.lock"), "wb") as handle:
        handle.write(b"half a lock {")
    old = _lock.clear(lock_dir, "beta", "DEPLOY-LEE", "truncated by a full disk", now=NOW)
    assert old["unreadable"] == "half a lock {" and "not JSON" in old["problem"]
    assert os.listdir(lock_dir) == ["lock_history.jsonl"]
    with open(os.path.join(lock_dir, "lock_history.jsonl"), encoding="utf-8") as handle:
        assert json.loads(handle.read())["lock"] == old


def test_a_file_system_without_hard_links_still_gets_one_holder(lock_dir, monkeypatch):
    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted", dst)

    monkeypatch.setattr(os, "link", no_links)
    lock, mine = _lock.acquire(lock_dir, "beta")
    assert mine is False and json.loads(lock_bytes(lock_dir)) == lock
    with sleeper() as proc:
        with pytest.raises(_lock.LockHeld):
            _lock.acquire(lock_dir, "beta", pid=proc.pid)
    assert json.loads(lock_bytes(lock_dir)) == lock and os.listdir(lock_dir) == ["beta.lock"]
    assert _lock.release(lock_dir, "beta", lock["token"]) is True and os.listdir(lock_dir) == []


@pytest.mark.parametrize("environment", ["../x", "a b", "x\n", "", ".hidden", "-x", "a" * 65, "a/b", None, 7])
def test_environment_names_are_strict(lock_dir, environment):
    calls = (lambda: _lock.acquire(lock_dir, environment), lambda: _lock.read(lock_dir, environment),
             lambda: _lock.release(lock_dir, environment, "t"),
             lambda: _lock.clear(lock_dir, environment, "DEPLOY-LEE", "why"))
    for call in calls:
        with pytest.raises(ValidationError) as caught:
            call()
        assert "environment %r is not valid" % (environment,) in str(caught.value)
    assert not os.path.exists(lock_dir)


def test_environment_names_that_are_fine(lock_dir):
    for environment in ("beta", "GA", "prod-eu.1", "a" * 64, "0"):
        assert _lock.acquire(lock_dir, environment)[1] is False


def test_a_live_holders_lock_is_not_cleared_unless_forced_and_forcing_is_recorded(lock_dir):
    with sleeper() as proc:
        held, dummy = _lock.acquire(lock_dir, "beta", pid=proc.pid, now=NOW, **HOLDER)
        before = lock_bytes(lock_dir)
        with pytest.raises(_lock.LockHeld, match="pid %d.*still going on this controller, so its lock is not "
                                                 "cleared.*routing_ml_unlock_force=true" % proc.pid):
            _lock.clear(lock_dir, "beta", "DEPLOY-LEE", "it looks stuck", now=NOW)
        assert lock_bytes(lock_dir) == before
        assert not os.path.exists(os.path.join(lock_dir, "lock_history.jsonl")), "refused: nothing recorded"
        assert _lock.clear(lock_dir, "beta", "DEPLOY-LEE", "it hangs on node2; stopping it by hand", now=NOW,
                           force=True) == held
    assert not os.path.exists(os.path.join(lock_dir, "beta.lock"))
    with open(os.path.join(lock_dir, "lock_history.jsonl"), encoding="utf-8") as handle:
        entry = json.loads(handle.read())
    assert (entry["forced"], entry["holder_process"], entry["reason"], entry["lock"]) == (
        True, "running", "it hangs on node2; stopping it by hand", held)


SHARE = "linux:nas1:/srv/share"


def test_a_share_is_one_environments_whatever_name_a_run_gives(lock_dir):
    with sleeper() as proc:
        _lock.acquire(lock_dir, "lab", pid=proc.pid, now=NOW, share=SHARE, **HOLDER)
        pin = os.path.join(lock_dir, "share-%s.environment" % _lock.share_key(SHARE))
        with open(pin, encoding="utf-8") as handle:
            assert json.load(handle)["environment"] == "lab"
        for attempt in (lambda: _lock.acquire(lock_dir, "other", share=SHARE),
                        lambda: _lock.check(lock_dir, "other", share=SHARE)):
            with pytest.raises(ValidationError, match=(
                    "environment other is not the environment of share %s: that share is environment lab's "
                    r"\(pinned in %s since 2025-10-03T14:02:11\+09:00\); it is locked now by .*pid %d.*"
                    "run with the inventory's routing_ml_environment \\(lab\\)" % (SHARE, re.escape(pin), proc.pid))):
                attempt()
        assert sorted(os.listdir(lock_dir)) == ["lab.lock", os.path.basename(pin)], "the other name got no lock"
    # Another share is another key; the same share under its own name is the lock as before.
    _lock.acquire(lock_dir, "other", share="linux:nas2:/srv/share")
    with pytest.raises(_lock.LockHeld, match="stale"):
        _lock.acquire(lock_dir, "lab", share=SHARE)


def test_check_mode_pins_nothing(lock_dir):
    assert _lock.check(lock_dir, "lab", share=SHARE) == (None, False)
    assert not os.path.exists(lock_dir)

# -*- coding: utf-8 -*-
"""deploy_lock as a task runs it: real lock files, the holder pid given as the worker's parent."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
from unittest.mock import MagicMock

import pytest

from ansible.errors import AnsibleActionFail
from ansible.parsing.dataloader import DataLoader

from ansible_collections.routing_ml.deploy.plugins.action.deploy_lock import ActionModule
from ansible_collections.routing_ml.deploy.plugins.module_utils import _lock


@pytest.fixture
def lock_dir(tmp_path):
    return str(tmp_path / "locks")


@pytest.fixture(autouse=True)
def no_awx(monkeypatch):
    monkeypatch.delenv("JOB_ID", raising=False)
    monkeypatch.delenv("AWX_JOB_ID", raising=False)


@pytest.fixture
def other_process():
    """A live process that is not this run's ansible-playbook."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def make_plugin(args, check_mode=False, pid=None):
    task = MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = check_mode
    task.action = "routing_ml.deploy.deploy_lock"
    connection = MagicMock()
    connection._shell.tmpdir = None
    plugin = ActionModule(task, connection, MagicMock(), DataLoader(), None, None)
    plugin._remove_tmp_path = MagicMock()
    # In a run this is os.getppid() of the worker: the ansible-playbook process.
    holder = os.getpid() if pid is None else pid
    plugin._holder_pid = lambda: holder
    plugin._default_playbook = lambda: "playbooks/deploy_beta.yml"
    return plugin


def run(args, **kwargs):
    return make_plugin(args, **kwargs).run(task_vars={"inventory_hostname": "localhost"})


def lock_file(lock_dir, environment="beta"):
    return os.path.join(lock_dir, "%s.lock" % environment)


def test_acquire_takes_the_lock_for_the_playbook_process(lock_dir, monkeypatch):
    monkeypatch.setenv("JOB_ID", "4711")
    result = run(dict(dir=lock_dir, environment="beta", purpose="deploy Beta 1.4.0"))
    assert not result.get("failed"), result
    assert result["changed"] is True and result["already_held"] is False and result["stale"] is False
    assert result["lock_path"] == lock_file(lock_dir) and result["state"] == "acquired"
    with open(lock_file(lock_dir)) as handle:
        on_disk = json.load(handle)
    assert on_disk == result["lock"] and result["token"] == on_disk["token"]
    assert (on_disk["pid"], on_disk["job"], on_disk["playbook"], on_disk["purpose"]) == (
        os.getpid(), "4711", "playbooks/deploy_beta.yml", "deploy Beta 1.4.0")
    assert os.stat(lock_dir).st_mode & 0o777 == 0o755


def test_job_and_playbook_given_win(lock_dir, monkeypatch):
    monkeypatch.setenv("AWX_JOB_ID", "99")
    result = run(dict(dir=lock_dir, environment="beta", job="manual", playbook="playbooks/rollback.yml"))
    assert (result["lock"]["job"], result["lock"]["playbook"]) == ("manual", "playbooks/rollback.yml")
    assert run(dict(dir=lock_dir, environment="ga"))["lock"]["job"] == "99"


def test_the_same_run_gets_its_lock_again(lock_dir):
    first = run(dict(dir=lock_dir, environment="beta", purpose="deploy Beta 1.4.0"))
    again = run(dict(dir=lock_dir, environment="beta", purpose="rollback Beta 1.4.0"))
    assert not again.get("failed"), again
    assert again["changed"] is False and again["already_held"] is True
    assert again["token"] == first["token"] and again["lock"] == first["lock"]


def test_a_lock_held_by_another_run_fails_naming_it(lock_dir, other_process):
    theirs = run(dict(dir=lock_dir, environment="beta", purpose="deploy Beta 1.4.0", job="17"), pid=other_process.pid)
    result = run(dict(dir=lock_dir, environment="beta", purpose="rollback Beta 1.4.0"))
    assert result["failed"] and result["changed"] is False
    assert result["lock"] == theirs["lock"] and result["stale"] is False and "token" not in result
    for part in (theirs["lock"]["holder"], "pid %d" % other_process.pid, "job 17", "deploy Beta 1.4.0",
                 theirs["lock"]["started"], "still going"):
        assert part in result["msg"], (part, result["msg"])


def test_a_stale_lock_fails_with_the_command_that_clears_it(lock_dir, other_process):
    run(dict(dir=lock_dir, environment="beta"), pid=other_process.pid)
    other_process.kill()
    other_process.wait()
    result = run(dict(dir=lock_dir, environment="beta"))
    assert result["failed"] and result["stale"] is True
    assert "a killed run" in result["msg"]
    assert "playbooks/unlock.yml -e routing_ml_environment=beta" in result["msg"]


def test_check_mode_takes_nothing_and_says_it_would(lock_dir):
    result = run(dict(dir=lock_dir, environment="beta"), check_mode=True)
    assert not result.get("failed"), result
    assert result["changed"] is True and result["lock"] is None and "token" not in result
    assert not os.path.exists(lock_dir), "not even the directory"


def test_check_mode_fails_as_a_real_run_would(lock_dir, other_process):
    run(dict(dir=lock_dir, environment="beta", purpose="deploy Beta 1.4.0"), pid=other_process.pid)
    real = run(dict(dir=lock_dir, environment="beta"))
    checked = run(dict(dir=lock_dir, environment="beta"), check_mode=True)
    assert checked["failed"] and checked["msg"] == real["msg"] and checked["lock"] == real["lock"]


def test_check_mode_when_this_run_holds_it(lock_dir):
    held = run(dict(dir=lock_dir, environment="beta"))
    checked = run(dict(dir=lock_dir, environment="beta"), check_mode=True)
    assert checked["changed"] is False and checked["already_held"] is True and checked["lock"] == held["lock"]


def test_release_by_token(lock_dir):
    held = run(dict(dir=lock_dir, environment="beta"))
    wrong = run(dict(dir=lock_dir, environment="beta", state="released", token="0" * 32))
    assert wrong["changed"] is False and wrong["lock"] == held["lock"] and os.path.exists(lock_file(lock_dir))
    checked = run(dict(dir=lock_dir, environment="beta", state="released", token=held["token"]), check_mode=True)
    assert checked["changed"] is True and checked["lock"] == held["lock"] and os.path.exists(lock_file(lock_dir))
    released = run(dict(dir=lock_dir, environment="beta", state="released", token=held["token"]))
    assert released["changed"] is True and released["lock"] is None and not os.path.exists(lock_file(lock_dir))
    assert run(dict(dir=lock_dir, environment="beta", state="released", token=held["token"]))["changed"] is False


def test_release_needs_a_token(lock_dir):
    result = run(dict(dir=lock_dir, environment="beta", state="released"))
    assert result["failed"] and "token" in result["msg"]


def test_cleared_without_a_reason_fails_naming_it(lock_dir):
    run(dict(dir=lock_dir, environment="beta"))
    missing = run(dict(dir=lock_dir, environment="beta", state="cleared"))
    assert missing["failed"] and "reason" in missing["msg"], missing["msg"]
    empty = run(dict(dir=lock_dir, environment="beta", state="cleared", reason=""))
    assert empty["failed"] and "reason '' must not be empty" in empty["msg"]
    for dummy in (True, False):
        placeholder = run(dict(dir=lock_dir, environment="beta", state="cleared", reason="..."), check_mode=dummy)
        assert placeholder["failed"] and "placeholder" in placeholder["msg"]
    assert os.path.exists(lock_file(lock_dir))
    assert not os.path.exists(os.path.join(lock_dir, "lock_history.jsonl"))


def test_cleared_records_who_and_why(lock_dir, other_process):
    held = run(dict(dir=lock_dir, environment="beta"), pid=other_process.pid)
    other_process.kill()
    other_process.wait()
    checked = run(dict(dir=lock_dir, environment="beta", state="cleared", reason="killed run"), check_mode=True)
    assert checked["changed"] is True and os.path.exists(lock_file(lock_dir))
    assert not os.path.exists(os.path.join(lock_dir, "lock_history.jsonl"))
    result = run(dict(dir=lock_dir, environment="beta", state="cleared", reason="job 17 was killed"))
    assert not result.get("failed"), result
    assert result["changed"] is True and result["lock"] == held["lock"] and result["stale"] is True
    assert result["operator"] == _lock.controller_user()
    assert result["history"] == os.path.join(lock_dir, "lock_history.jsonl")
    assert result["msg"] == "cleared the lock of beta held by %s, its process gone; recorded by %s in %s" % (
        _lock.describe(held["lock"]), _lock.controller_user(), result["history"])
    with open(result["history"]) as handle:
        entry = json.loads(handle.read())
    assert (entry["operator"], entry["reason"], entry["lock"]) == (_lock.controller_user(), "job 17 was killed",
                                                                   held["lock"])
    assert not os.path.exists(lock_file(lock_dir))
    again = run(dict(dir=lock_dir, environment="beta", state="cleared", reason="again", operator="DEPLOY-LEE"))
    assert again["changed"] is False and again["lock"] is None and not again.get("failed")


def test_query(lock_dir, other_process):
    assert run(dict(dir=lock_dir, environment="beta", state="query"))["lock"] is None
    held = run(dict(dir=lock_dir, environment="beta"), pid=other_process.pid)
    result = run(dict(dir=lock_dir, environment="beta", state="query"))
    assert result["changed"] is False and result["lock"] == held["lock"]
    assert result["stale"] is False and result["already_held"] is False
    assert held["lock"]["holder"] in result["msg"]


def test_a_malformed_lock_file_fails_naming_it(lock_dir):
    os.makedirs(lock_dir)
    with open(lock_file(lock_dir), "w") as handle:
        handle.write("{")
    for state in ("acquired", "query"):
        result = run(dict(dir=lock_dir, environment="beta", state=state))
        assert result["failed"] and lock_file(lock_dir) in result["msg"] and "treated as held" in result["msg"]
    with open(lock_file(lock_dir)) as handle:
        assert handle.read() == "{"
    released = run(dict(dir=lock_dir, environment="beta", state="released", token="t"))
    assert not released.get("failed") and released["changed"] is False and "treated as held" in released["msg"]
    cleared = run(dict(dir=lock_dir, environment="beta", state="cleared", reason="a truncated lock"))
    assert cleared["changed"] is True and cleared["lock"]["unreadable"] == "{"
    assert cleared["msg"].startswith("cleared the unreadable lock file %s (not JSON" % lock_file(lock_dir))
    assert not os.path.exists(lock_file(lock_dir))


@pytest.mark.parametrize("environment", ["../x", "a b", "x\n"])
def test_bad_environment_names_fail(lock_dir, environment):
    result = run(dict(dir=lock_dir, environment=environment))
    assert result["failed"] and "environment %r is not valid" % environment in result["msg"]
    assert not os.path.exists(lock_dir)


def test_unknown_state_and_options_are_refused(lock_dir):
    assert run(dict(dir=lock_dir, environment="beta", state="locked"))["failed"]
    with pytest.raises(AnsibleActionFail, match="Invalid options.*steal"):
        run(dict(dir=lock_dir, environment="beta", steal=True))


def test_cleared_refuses_a_running_holder_unless_forced(lock_dir):
    _lock.acquire(lock_dir, "beta", pid=os.getpid())
    for check_mode in (True, False):
        refused = run(dict(dir=lock_dir, environment="beta", state="cleared", reason="looks stuck"),
                      check_mode=check_mode)
        assert refused["failed"] and "still going on this controller" in refused["msg"], refused
        assert _lock.read(lock_dir, "beta") is not None
    forced = run(dict(dir=lock_dir, environment="beta", state="cleared", reason="stopping it by hand", force=True))
    assert forced["changed"] and forced["forced"] and forced["msg"].startswith("FORCED: cleared"), forced
    assert _lock.read(lock_dir, "beta") is None

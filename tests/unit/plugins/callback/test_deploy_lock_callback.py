# -*- coding: utf-8 -*-
"""The deploy_lock callback driven with results as core hands them over; real lock files."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from unittest.mock import MagicMock

import pytest

from ansible_collections.routing_ml.deploy.plugins.callback import deploy_lock
from ansible_collections.routing_ml.deploy.plugins.module_utils import _lock


class FakeTask(object):
    def __init__(self, action):
        self.action = action


class FakeResult(object):
    """What v2_runner_on_ok gets (ansible-core 2.19 CallbackTaskResult): ``task`` and ``result``."""

    def __init__(self, action, result):
        self.task = FakeTask(action)
        self.result = result


@pytest.fixture
def exit_hooks(monkeypatch):
    """The hooks the callback registers for interpreter exit, kept from the real atexit."""
    hooks = []
    monkeypatch.setattr(deploy_lock.atexit, "register", hooks.append)
    return hooks


@pytest.fixture
def callback(exit_hooks):
    display = MagicMock()
    display.verbosity = 0
    return deploy_lock.CallbackModule(display=display)


@pytest.fixture
def lock_dir(tmp_path):
    return str(tmp_path / "locks")


def acquired(lock_dir, environment="beta", action="routing_ml.deploy.deploy_lock", pid=None):
    """A lock taken, and the result its task returned."""
    lock, mine = _lock.acquire(lock_dir, environment, pid=pid)
    return lock, FakeResult(action, dict(changed=not mine, state="acquired", environment=environment,
                                         lock_path=os.path.join(lock_dir, "%s.lock" % environment),
                                         lock=lock, token=lock["token"], already_held=mine, stale=False))


def lines(callback, kind="display"):
    return [call.args[0] for call in getattr(callback._display, kind).call_args_list]


def test_the_end_of_the_run_releases_what_it_took(callback, lock_dir):
    dummy, beta = acquired(lock_dir, "beta")
    dummy, ga = acquired(lock_dir, "ga", action="deploy_lock")
    callback.v2_runner_on_ok(beta)
    callback.v2_runner_on_ok(beta)  # taken again by the same run: one lock, one release
    callback.v2_runner_on_ok(ga)
    callback.v2_playbook_on_stats(MagicMock())
    assert os.listdir(lock_dir) == []
    assert lines(callback) == ["deploy lock of beta released (%s/beta.lock)" % lock_dir,
                               "deploy lock of ga released (%s/ga.lock)" % lock_dir]


def test_a_lock_cleared_and_taken_by_another_run_is_left_alone(callback, lock_dir):
    dummy, ours = acquired(lock_dir)
    callback.v2_runner_on_ok(ours)
    _lock.clear(lock_dir, "beta", "DEPLOY-LEE", "looked stuck", force=True)
    theirs, dummy = acquired(lock_dir, pid=1)
    callback.v2_playbook_on_stats(MagicMock())
    assert _lock.read(lock_dir, "beta") == theirs, "not removed"
    assert lines(callback) == []
    warning = lines(callback, "warning")[0]
    assert "not released" in warning and "pid 1" in warning and theirs["holder"] in warning


def test_a_lock_released_already_is_only_reported(callback, lock_dir):
    lock, result = acquired(lock_dir)
    callback.v2_runner_on_ok(result)
    _lock.release(lock_dir, "beta", lock["token"])
    callback.v2_playbook_on_stats(MagicMock())
    assert lines(callback) == ["deploy lock of beta was released already (%s/beta.lock)" % lock_dir]


def test_other_tasks_and_results_without_a_token_are_ignored(callback, lock_dir):
    lock, result = acquired(lock_dir)
    callback.v2_runner_on_ok(FakeResult("ansible.builtin.debug", dict(result.result)))
    callback.v2_runner_on_ok(FakeResult("other.collection.lock", dict(result.result)))
    check_mode = dict(result.result, changed=True, lock=None)
    del check_mode["token"]
    callback.v2_runner_on_ok(FakeResult("routing_ml.deploy.deploy_lock", check_mode))
    callback.v2_runner_on_ok(FakeResult("routing_ml.deploy.deploy_lock", dict(result.result, state="query")))
    callback.v2_playbook_on_stats(MagicMock())
    assert _lock.read(lock_dir, "beta") == lock
    assert lines(callback) == [] and lines(callback, "warning") == []


def test_a_lock_the_playbook_released_itself_is_forgotten(callback, lock_dir):
    lock, result = acquired(lock_dir)
    callback.v2_runner_on_ok(result)
    _lock.release(lock_dir, "beta", lock["token"])
    callback.v2_runner_on_ok(FakeResult("routing_ml.deploy.deploy_lock", dict(
        changed=True, state="released", environment="beta", lock_path=result.result["lock_path"], lock=None)))
    callback.v2_playbook_on_stats(MagicMock())
    assert lines(callback) == [] and lines(callback, "warning") == []


def test_a_looped_task_is_read_item_by_item(callback, lock_dir):
    dummy, beta = acquired(lock_dir, "beta")
    dummy, ga = acquired(lock_dir, "ga")
    callback.v2_runner_on_ok(FakeResult("routing_ml.deploy.deploy_lock", dict(
        changed=True, results=[beta.result, ga.result])))
    callback.v2_playbook_on_stats(MagicMock())
    assert os.listdir(lock_dir) == []


def test_an_interrupted_run_releases_at_exit(callback, exit_hooks, lock_dir):
    dummy, result = acquired(lock_dir)
    callback.v2_runner_on_ok(result)
    callback.v2_runner_on_ok(result)
    assert exit_hooks == [callback.release_all], "registered once"
    exit_hooks[0]()  # Ctrl-C: no stats callback, the interpreter exits
    assert os.listdir(lock_dir) == []
    exit_hooks[0]()
    assert len(lines(callback)) == 1, "released once"


def test_a_result_it_cannot_read_is_a_warning_not_a_crash(callback):
    callback.v2_runner_on_ok(FakeResult("routing_ml.deploy.deploy_lock", None))
    assert "will not be released" in lines(callback, "warning")[0]
    callback.v2_playbook_on_stats(MagicMock())


def test_the_callback_is_a_notification_that_must_be_enabled():
    assert deploy_lock.CallbackModule.CALLBACK_TYPE == "notification"
    assert deploy_lock.CallbackModule.CALLBACK_NEEDS_ENABLED is True
    assert deploy_lock.CallbackModule.CALLBACK_NAME == "routing_ml.deploy.deploy_lock"

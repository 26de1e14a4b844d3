# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Take, release, query or clear the deploy lock of an environment, on the controller.

The lock belongs to the ``ansible-playbook`` process, not to this task: it must outlive the
task and be held by the one process whose end (the ``deploy_lock`` callback, in that same
process) releases it, and whose death makes the lock stale. The logic is in ``_lock``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible import context
from ansible.errors import AnsibleAction, AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.routing_ml.deploy.plugins.module_utils import _lock
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

ARGUMENT_SPEC = dict(
    dir=dict(type="path", required=True),
    environment=dict(type="str", required=True),
    state=dict(type="str", default="acquired", choices=["acquired", "released", "cleared", "query"]),
    purpose=dict(type="str", default=""),
    job=dict(type="str"),
    playbook=dict(type="str"),
    # Not a secret: it only proves which run took the lock, and the lock file shows it.
    token=dict(type="str", no_log=False),
    reason=dict(type="str"),
    operator=dict(type="str"),
    # The share the run writes to: the lock's key (one share, one environment, one lock).
    share=dict(type="str"),
    force=dict(type="bool", default=False),
)
REQUIRED_IF = [("state", "released", ["token"]), ("state", "cleared", ["reason"])]


def _holder_pid():
    """The pid of the ``ansible-playbook`` process that runs this task.

    An action plugin runs in a WorkerProcess, and that is a direct child of the main process
    (ansible-core 2.19): ``StrategyBase._queue_task`` (plugins/strategy/__init__.py), which
    runs in the main process (``TaskQueueManager.run`` calls the strategy in-process; the
    results are read there by a thread, not a process), creates ``WorkerProcess`` and calls
    its ``start()``; ``WorkerProcess`` is a ``multiprocessing`` Process of the ``fork``
    context (utils/multiprocessing.py), and its ``run`` calls ``TaskExecutor(...).run()``,
    which runs the action in that same process - no further fork between. ``_detach`` does
    ``os.setsid()``, which changes the session, not the parent. So ``os.getppid()`` here is
    the main process, for every task and every fork of one run. (Were the main process
    gone, the worker would be reparented and this would name the new parent; the worker
    dies with its run, so no lock is taken that way in practice.)
    """
    return os.getppid()


def _default_job():
    return os.environ.get("JOB_ID") or os.environ.get("AWX_JOB_ID") or ""


def _default_playbook():
    """The playbook(s) this ansible-playbook was given, as its command line named them."""
    try:
        return " ".join(context.CLIARGS.get("args") or ())
    except (AttributeError, TypeError):
        return ""


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    # Seams for the unit tests: whose lock this is, and what the run is called.
    _holder_pid = staticmethod(_holder_pid)
    _default_job = staticmethod(_default_job)
    _default_playbook = staticmethod(_default_playbook)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        try:
            dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF)
            result.update(self._run_state(args))
        except AnsibleAction as exc:
            result.update(exc.result)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _run_state(self, args):
        directory, environment = args["dir"], args["environment"]
        try:
            path = _lock.lock_path(directory, environment)
        except ValidationError as exc:
            raise AnsibleActionFail(to_native(exc))
        base = dict(changed=False, state=args["state"], environment=environment, lock_path=path,
                    lock=None, stale=None, already_held=False)
        action = getattr(self, "_%s" % args["state"])
        try:
            return action(args, base)
        except _lock.LockHeld as exc:
            base.update(lock=exc.lock, stale=exc.stale)
            raise AnsibleActionFail(to_native(exc), result=base)
        except ValidationError as exc:
            raise AnsibleActionFail(to_native(exc), result=base)
        except (IOError, OSError) as exc:
            raise AnsibleActionFail("deploy lock %s (%s): %s" % (path, args["state"], to_native(exc)),
                                    result=base)

    def _acquired(self, args, result):
        pid = self._holder_pid()
        if self._task.check_mode:
            # Change nothing, and fail exactly as a real run would when the lock is held.
            lock, mine = _lock.check(args["dir"], args["environment"], pid=pid, share=args["share"])
            result.update(lock=lock, already_held=mine, stale=False if lock else None, changed=lock is None,
                          msg="check mode: would take the lock of %s" % args["environment"] if lock is None
                          else "this run already holds the lock of %s" % args["environment"])
            return result
        lock, mine = _lock.acquire(
            args["dir"], args["environment"],
            job=args["job"] if args["job"] is not None else self._default_job(),
            playbook=args["playbook"] if args["playbook"] is not None else self._default_playbook(),
            purpose=args["purpose"], pid=pid, share=args["share"])
        result.update(lock=lock, token=lock["token"], already_held=mine, stale=False, changed=not mine,
                      msg="%s the lock of %s (%s)" % ("already holds" if mine else "took", args["environment"],
                                                      result["lock_path"]))
        return result

    def _released(self, args, result):
        environment = args["environment"]
        try:
            current = _lock.read(args["dir"], environment)
        except _lock.LockUnreadable as exc:
            # No lock this run took: left alone, as _lock.release leaves it.
            result["msg"] = "not released: %s" % to_native(exc)
            return result
        if self._task.check_mode:
            removed = current is not None and current["token"] == args["token"]
        else:
            removed = _lock.release(args["dir"], environment, args["token"])
            current = None if removed else _lock.read(args["dir"], environment)
        if removed:
            if self._task.check_mode:
                result.update(changed=True, lock=current, msg="check mode: would release the lock of %s" % environment)
            else:
                result.update(changed=True, msg="released the lock of %s" % environment)
        elif current is None:
            result["msg"] = "no lock of %s was held" % environment
        else:
            result.update(lock=current, stale=_lock.is_stale(current),
                          msg="the lock of %s is not this token's: left alone (%s)" % (
                              environment, _lock.describe(current)))
        return result

    def _cleared(self, args, result):
        operator = args["operator"] or _lock.controller_user()
        path = result["lock_path"]
        try:
            before = _lock.read(args["dir"], args["environment"])
        except _lock.LockUnreadable:
            before = None
        stale = _lock.is_stale(before) if before else None
        result.update(history=_lock.history_path(args["dir"]), operator=operator, stale=stale)
        if self._task.check_mode:
            # The same checks as a real run, then nothing written.
            _lock.check_clearing(operator, args["reason"])
            if stale is False and not args["force"]:
                raise _lock.LockHeld(before, False, path, "check mode: %s" % _lock.describe_held(before, False, path))
            exists = os.path.lexists(path)
            result.update(lock=before, changed=exists,
                          msg="check mode: would clear the lock of %s" % args["environment"] if exists
                          else "no lock of %s is held" % args["environment"])
            return result
        old = _lock.clear(args["dir"], args["environment"], operator, args["reason"], force=args["force"])
        result.update(lock=old, changed=old is not None, forced=bool(args["force"]) and old is not None)
        if old is None:
            result["msg"] = "no lock of %s is held: nothing cleared, nothing recorded" % args["environment"]
            return result
        if "unreadable" in old:
            held = "the unreadable lock file %s (%s)" % (path, old["problem"])
        else:
            held = "the lock of %s held by %s%s" % (args["environment"], _lock.describe(old), {
                True: ", its process gone", False: ", its process STILL RUNNING"}.get(stale, ""))
        result["msg"] = "%s %s; recorded by %s in %s" % (
            "FORCED: cleared" if args["force"] and stale is False else "cleared", held, operator, result["history"])
        if stale is False:
            self._display.warning(
                "the lock of %s belonged to pid %s on this controller, which is still running: that run "
                "goes on without the lock" % (args["environment"], old.get("pid")))
        return result

    def _query(self, args, result):
        lock = _lock.read(args["dir"], args["environment"])
        result.update(lock=lock, stale=_lock.is_stale(lock) if lock else None,
                      already_held=_lock.is_mine(lock, self._holder_pid()) if lock else False,
                      msg=_lock.describe_held(lock, _lock.is_stale(lock), result["lock_path"]) if lock
                      else "no lock of %s is held" % args["environment"])
        return result

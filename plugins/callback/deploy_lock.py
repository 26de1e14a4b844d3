# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release the deploy locks a run took when the run ends, however it ends.

A lock released by a task at the end of a playbook stays when the run fails before that
task (a failed host, a play broken by ``max_fail_percentage``, an unreachable host), and the
next run finds the environment locked by a run that is over. The end of the playbook is seen
here, in the ``ansible-playbook`` process that holds the lock, whatever happened to the
hosts: ``v2_playbook_on_stats`` comes after every play has ended or broken off.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: deploy_lock
type: notification
short_description: Releases the deploy locks a run took when the run ends, failed or not
description:
  - Remembers every lock the run took with C(routing_ml.deploy.deploy_lock) (C(state=acquired)),
    and releases each when the playbook ends - after its last play, or after a play was broken
    off by failed or unreachable hosts - printing one line a lock.
  - A lock is released by its token only. A lock that was cleared and taken by another run
    meanwhile is left alone, and the line says so.
  - An interrupted run (Ctrl-C) releases its locks as the process exits. A killed run
    (SIGKILL, a lost container) cannot; its lock stays and is reported stale to the next run
    on the same controller - clear it with C(playbooks/unlock.yml), which records why.
  - With several playbooks on one command line, each playbook's locks are released when that
    playbook ends.
version_added: 0.2.0
author:
  - Routing ML Release Engineering (@routing-ml-release)
requirements:
  - Enabled in C(ansible.cfg) - C(callbacks_enabled = routing_ml.deploy.deploy_lock) under
    C([defaults]) - or with C(ANSIBLE_CALLBACKS_ENABLED=routing_ml.deploy.deploy_lock).
notes:
  - The task that takes a lock must not set C(no_log); its result is where the token is read.
"""

import atexit
import os

from ansible.plugins.callback import CallbackBase

from ansible_collections.routing_ml.deploy.plugins.module_utils import _lock
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

# The names a task may give the action: FQCN, or the short name under ``collections:``.
ACTIONS = frozenset(("routing_ml.deploy.deploy_lock", "deploy_lock"))


class CallbackModule(CallbackBase):

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "routing_ml.deploy.deploy_lock"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super(CallbackModule, self).__init__(display=display)
        # (lock dir, environment) -> token, in the order the locks were taken.
        self._held = {}
        self._pid = os.getpid()
        self._exit_hook = False

    def v2_runner_on_ok(self, result):
        try:
            self._remember(result)
        except Exception as exc:
            # A callback that raises would only be warned about by core; say what it means.
            self._display.warning("deploy_lock callback: could not read a lock task's result (%s); "
                                  "its lock will not be released at the end of the run" % exc)

    def v2_playbook_on_stats(self, stats):
        self.release_all()

    def _remember(self, result):
        if getattr(result.task, "action", None) not in ACTIONS:
            return
        data = result.result
        items = [data] + [item for item in data.get("results") or () if isinstance(item, dict)]
        for item in items:
            path, token, state = item.get("lock_path"), item.get("token"), item.get("state")
            if not isinstance(path, str) or not path.endswith(".lock"):
                continue
            key = (os.path.dirname(path), item.get("environment") or os.path.basename(path)[:-len(".lock")])
            if state == "acquired" and token:
                self._held[key] = token
            elif state in ("released", "cleared") and item.get("changed"):
                self._held.pop(key, None)
        if self._held and not self._exit_hook:
            # Ctrl-C ends ansible-playbook without the stats callback; the exit hook runs then.
            atexit.register(self.release_all)
            self._exit_hook = True

    def release_all(self):
        """Release every remembered lock whose token is still the one this run took."""
        if os.getpid() != self._pid:
            return
        while self._held:
            key = next(iter(self._held))
            token = self._held.pop(key)
            self._release(key[0], key[1], token)

    def _release(self, directory, environment, token):
        path = os.path.join(directory, "%s.lock" % environment)
        try:
            if _lock.release(directory, environment, token):
                self._display.display("deploy lock of %s released (%s)" % (environment, path))
                return
            now = _lock.read(directory, environment)
        except _lock.LockHeld as exc:
            self._display.warning("deploy lock of %s not released: %s" % (environment, exc))
            return
        except (OSError, ValidationError) as exc:
            self._display.warning("deploy lock of %s (%s) could not be released: %s" % (environment, path, exc))
            return
        if now is None:
            self._display.display("deploy lock of %s was released already (%s)" % (environment, path))
        else:
            self._display.warning(
                "deploy lock of %s not released: it is no longer this run's (cleared, then taken by %s, "
                "pid %s, at %s); left alone" % (environment, now.get("holder"), now.get("pid"), now.get("started")))

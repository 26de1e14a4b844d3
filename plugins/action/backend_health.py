# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wait for a backend's /api/health, and stop waiting when its service is not running.

The deadline is for a service that is starting. When the port refuses connections, the
host is asked whether the service runs (``win_service_info`` on Windows, the stand-in's
``--status`` elsewhere); a definite "not running" ends the wait at once with the cause.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import time

from ansible.errors import AnsibleAction, AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.six.moves.http_client import HTTPException
from ansible.module_utils.six.moves.urllib.error import URLError
from ansible.plugins.action import ActionBase

from ansible_collections.routing_ml.deploy.plugins.module_utils import _health

ARGUMENT_SPEC = dict(
    url=dict(type="str", required=True),
    version=dict(type="str", required=True),
    deadline=dict(type="float", default=60),
    delay=dict(type="float", default=2),
    validate_certs=dict(type="bool", default=True),
    service=dict(type="dict", required=True, options=dict(
        platform=dict(type="str", required=True, choices=["linux", "windows"]),
        name=dict(type="str"),
        status_command=dict(type="list", elements="str"),
    ), required_if=[("platform", "windows", ["name"]), ("platform", "linux", ["status_command"])]),
    tried=dict(type="str", default=""),
    progress=dict(type="float"),
)


def _refused(exc):
    reason = getattr(exc, "reason", exc)
    return isinstance(reason, ConnectionRefusedError) or getattr(reason, "errno", None) == errno.ECONNREFUSED


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    # Seams for the unit tests: the clock, sleeping and the HTTP request.
    _clock = staticmethod(time.monotonic)
    _sleep = staticmethod(time.sleep)

    def _get(self, url, validate_certs, timeout):
        return _health.get(url, validate_certs, timeout)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        try:
            dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
            result.update(self._wait(args, task_vars or {}))
        except AnsibleAction as exc:
            result.update(exc.result)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _wait(self, args, task_vars):
        host = task_vars.get("inventory_hostname", "the host")
        started = self._clock()
        attempts, last = 0, "no answer yet"
        # The rollout's progress deadline can leave less than this check's own deadline.
        limit = args["deadline"] if args["progress"] is None else max(0.0, min(args["deadline"], args["progress"]))
        within = "%g s" % limit if limit == args["deadline"] else \
            "%g s, what was left of the rollout's progress deadline" % limit
        while True:
            attempts += 1
            remaining = limit - (self._clock() - started)
            try:
                status, body = self._get(args["url"], args["validate_certs"], max(1.0, min(10.0, remaining)))
                healthy, last, answer = _health.judge(status, body, args["version"])
                if healthy:
                    return dict(changed=False, status=status, json=answer, attempts=attempts,
                                elapsed=round(self._clock() - started, 2), url=args["url"],
                                msg="%s answered ok with version %s" % (args["url"], args["version"]))
            except (URLError, OSError, HTTPException) as exc:
                last = "no answer: %s" % to_native(getattr(exc, "reason", exc))
                if _refused(exc):
                    running, described = self._service_state(args["service"], task_vars)
                    if running is False:
                        raise AnsibleActionFail(
                            "%s: the Routing ML service is not running (%s) and %s refuses connections; "
                            "this run: %s. Not waiting out the %g s deadline, which is for a service that "
                            "is starting: start the service or read its log." % (
                                host, described, args["url"], args["tried"] or "no start was attempted",
                                args["deadline"]),
                            result=dict(attempts=attempts, url=args["url"], service=described,
                                        elapsed=round(self._clock() - started, 2)))
                    last += " (service: %s)" % described
            if self._clock() - started + args["delay"] > limit:
                raise AnsibleActionFail(
                    "%s: %s did not answer 200 with status ok and version %s within %s (%d attempts); "
                    "last: %s" % (host, args["url"], args["version"], within, attempts, last),
                    result=dict(attempts=attempts, url=args["url"], elapsed=round(self._clock() - started, 2)))
            self._sleep(args["delay"])

    def _service_state(self, service, task_vars):
        if service["platform"] == "windows":
            reply = self._execute_module(module_name="ansible.windows.win_service_info",
                                         module_args=dict(name=service["name"]), task_vars=task_vars)
        else:
            reply = self._execute_module(module_name="ansible.legacy.command",
                                         module_args=dict(argv=service["status_command"]), task_vars=task_vars)
        return _health.service_state(service["platform"], reply)

# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare a file on the managed host with a controller-side file or an expected digest.

The host is asked through ``ansible.legacy.stat`` with ``checksum_algorithm: sha256``: on a
WinRM host core runs ``ansible.windows.win_stat`` in its place, so one task serves both the
IIS farm and the nginx nodes. Only options both modules know are sent to Windows.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleAction, AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checksum
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

ARGUMENT_SPEC = dict(
    path=dict(type="str", required=True),
    src=dict(type="path"),
    checksum=dict(type="str"),
    sidecar=dict(type="path"),
    expected_from=dict(type="str"),
)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        try:
            dummy, args = self.validate_argument_spec(
                argument_spec=ARGUMENT_SPEC,
                mutually_exclusive=[("src", "checksum", "sidecar")],
                required_one_of=[("src", "checksum", "sidecar")],
            )
            path = args["path"]
            expected = self._expected(args, path)
            remote = self._remote_stat(path, task_vars)
            actual = remote["checksum"].lower()
            result.update(changed=False, path=path, expected=expected, checksum=actual,
                          size=remote.get("size"))
            if actual != expected and args["expected_from"]:
                raise AnsibleActionFail("%s on %s has sha256 %s, but %s has sha256 %s" % (
                    path, self._host_name(task_vars), actual, args["expected_from"], expected), result=result)
            if actual != expected:
                raise AnsibleActionFail(
                    "SHA256 mismatch for %s on %s: expected %s, actual %s" % (
                        path, self._host_name(task_vars), expected, actual), result=result)
            result["msg"] = "%s matches sha256 %s" % (path, expected)
        except AnsibleAction as exc:
            result.update(exc.result)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _expected(self, args, path):
        try:
            if args["checksum"] is not None:
                return _checksum.parse_digest(args["checksum"], "checksum")
            if args["sidecar"] is not None:
                sidecar = self._find_needle("files", args["sidecar"])
                windows = self._connection._shell.SHELL_FAMILY == "powershell"
                return _checksum.read_sidecar_digest(sidecar, _checksum.file_name(path, windows))
            src = self._find_needle("files", args["src"])
            return _checksum.sha256_file(src)[0]
        except ValidationError as exc:
            raise AnsibleActionFail(to_native(exc))
        except (AnsibleError, IOError, OSError) as exc:
            raise AnsibleActionFail("cannot read the controller-side file: %s" % to_native(exc))

    def _remote_stat(self, path, task_vars):
        stat_args = dict(path=path, get_checksum=True, checksum_algorithm="sha256", follow=True)
        if self._connection._shell.SHELL_FAMILY != "powershell":
            # Skip the MIME and attribute probes that stat runs by default (a subprocess each).
            stat_args.update(get_mime=False, get_attributes=False)
        reply = self._execute_module(module_name="ansible.legacy.stat", module_args=stat_args,
                                     task_vars=task_vars)
        if reply.get("failed"):
            raise AnsibleActionFail("cannot stat %s on %s: %s" % (
                path, self._host_name(task_vars), reply.get("msg", "no message")))
        stat = reply.get("stat") or {}
        if not stat.get("exists"):
            raise AnsibleActionFail("%s does not exist on %s" % (path, self._host_name(task_vars)),
                                    result=dict(path=path, exists=False))
        if stat.get("isdir"):
            raise AnsibleActionFail("%s on %s is a directory, not a file" % (path, self._host_name(task_vars)))
        if not stat.get("checksum"):
            raise AnsibleActionFail("%s on %s could not be read to compute its SHA256" % (
                path, self._host_name(task_vars)))
        return stat

    def _host_name(self, task_vars):
        # A delegated task asks the host it is delegated to, and names that one.
        delegated = list((task_vars or {}).get("ansible_delegated_vars") or ())
        return delegated[0] if len(delegated) == 1 else (task_vars or {}).get("inventory_hostname", "the host")

# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one host serves now, read-only, in one task (playbooks/status.yml).

An nginx node: one ``web_node_state`` call with the expected release's manifest digest (never
the manifest); when a release of the expected version differs, the node's own manifest
comes back and is compared here with the staged bundle's, so the answer names the first
differing file. A backend: one GET of ``/api/health`` from the controller, no connection to
the host at all.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleAction, AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.six.moves.http_client import HTTPException
from ansible.module_utils.six.moves.urllib.error import URLError
from ansible.plugins.action import ActionBase

from ansible_collections.routing_ml.deploy.plugins.module_utils import _health, _releases, _stage, _status
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

ARGUMENT_SPEC = dict(
    role=dict(type="str", required=True, choices=list(_status.ROLES)),
    version=dict(type="str"),
    manifest_sha256=dict(type="str"),
    staging=dict(type="path"),
    root=dict(type="path"),
    link=dict(type="str", default="current"),
    pidfile=dict(type="path"),
    url=dict(type="str"),
    validate_certs=dict(type="bool", default=True),
    timeout=dict(type="float", default=10),
)
# Any manifest digest is as good when nothing was recorded: the node is then asked only
# which release is live, and nothing can match this one.
_NO_DIGEST = "0" * 64


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        try:
            dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
            if args["role"] == "backend":
                if not args["url"]:
                    raise AnsibleActionFail("url is required for a backend")
                result.update(self._backend(args))
            else:
                if not args["root"]:
                    raise AnsibleActionFail("root is required for a web node")
                result.update(self._web(args, task_vars or {}))
            result["changed"] = False
        except AnsibleAction as exc:
            result.update(exc.result)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    @staticmethod
    def _backend(args):
        try:
            status, body = _health.get(args["url"], args["validate_certs"], args["timeout"])
        except (URLError, OSError, HTTPException) as exc:
            return dict(live_version=None, verified=False,
                        detail="%s gave no answer: %s" % (args["url"], to_native(getattr(exc, "reason", exc))))
        ok, summary, data = _health.answer(status, body)
        if data is None:
            return dict(live_version=None, verified=False, detail="%s answered %s" % (args["url"], summary))
        version = data.get("version") if isinstance(data.get("version"), str) else None
        return dict(live_version=version, verified=ok, health=data,
                    detail=None if ok else "%s answered %s" % (args["url"], summary))

    def _web(self, args, task_vars):
        reply = self._execute_module(
            module_name="routing_ml.deploy.web_node_state", task_vars=task_vars,
            module_args=dict(root=args["root"], link=args["link"], pidfile=args["pidfile"],
                             manifest_sha256=args["manifest_sha256"] or _NO_DIGEST, report_version=args["version"]))
        if reply.get("failed"):
            # Reported, not raised: a release folder removed while it was read (a deployment's
            # retention) must not fail the check, and whatever else it is shows in the table.
            return dict(live_version=None, verified=False, switched=False,
                        detail="the node could not be read: %s" % reply.get("msg", "web_node_state failed"))
        observed = dict(live_version=_releases.live_version(reply.get("link_target")), verified=None,
                        link_target=reply.get("link_target"), switched=bool(reply.get("switched")),
                        server_running=reply.get("server_running"), first_difference=None, how=None, more=False)
        if observed["live_version"] is None:
            observed["detail"] = ("its live pointer %s/%s names %s, no release folder" % (
                args["root"], args["link"], reply.get("link_target")) if reply.get("link_target") else
                "it has no live pointer %s/%s" % (args["root"], args["link"]))
            return observed
        if args["manifest_sha256"] and observed["live_version"] == args["version"]:
            observed["verified"] = bool(reply.get("matches"))
            if reply.get("manifest") and args["staging"]:
                observed.update(self._first_difference(args["staging"], reply["manifest"]))
        if reply.get("server_running") is False:
            observed["verified"] = False
            observed["detail"] = "nginx does not run (pid file %s)" % args["pidfile"]
        return observed

    @staticmethod
    def _first_difference(staging, live_manifest):
        try:
            staged = _stage.staged(staging)
        except (ValidationError, IOError, OSError):
            return dict(detail="no staged bundle at %s to name the differing file" % staging)
        path, how, count = _status.first_difference(staged["manifest"], live_manifest)
        return dict(first_difference=path, how=how, more=count > 1) if path else {}

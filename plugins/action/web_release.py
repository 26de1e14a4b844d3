# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One nginx node from whatever state it is in to a served, verified, recorded release, as one
task (modules/web_release.py documents the options).

Per node: one module call that hashes the live release and answers with digests; when the
node is behind, rsync (ansible.posix.synchronize) into a folder that is not live, one module
call that verifies that folder by digest, switches and reloads, the served file fetched over
HTTP here on the controller, the sync record written here, and the retention module. The
manifest never travels as a module argument: the node is given its SHA256 only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import time
import zipfile
from shlex import quote as shlex_quote

from ansible.errors import AnsibleAction, AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.six.moves.http_client import HTTPException
from ansible.module_utils.six.moves.urllib.error import URLError
from ansible.module_utils.urls import open_url
from ansible.plugins.action import ActionBase
from ansible.utils.path import unfrackpath

from ansible_collections.routing_ml.deploy.plugins.module_utils import (
    _checksum, _ledger, _records, _releases, _stage, _tree)
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError, real_workspace

ARGUMENT_SPEC = dict(
    version=dict(type="str", required=True),
    root=dict(type="str", required=True),
    link=dict(type="str", default="current"),
    staging=dict(type="path", required=True),
    bundle=dict(type="path"),
    bundle_sha256=dict(type="str"),
    workspace=dict(type="path", required=True),
    command=dict(type="list", elements="str", default=["/usr/sbin/nginx"]),
    service=dict(type="str", default="nginx"),
    pidfile=dict(type="str", default="/run/nginx.pid"),
    url=dict(type="str", required=True),
    probe_file=dict(type="str", default="index.html"),
    validate_certs=dict(type="bool", default=True),
    probe_retries=dict(type="int", default=5),
    keep_releases=dict(type="int", default=3),
    compress=dict(type="bool", default=False),
    gate=dict(type="str"),
)


def difference(expected_text, actual_text):
    """Missing, extra and changed files of a node's manifest against the bundle's."""
    return _tree.compare(_tree.parse_manifest(expected_text), _tree.parse_manifest(actual_text))


def sync_record(host, version, plan, bundle, node_difference, time_text, gate=None):
    """The frontend_sync record of one node: the fields the Stage 4 report and rollback read."""
    repaired = plan["live_version"] == version
    return _records.build(
        "frontend_sync", version, time_text, host=host, before=plan["live"], after=plan["destination"],
        digests=dict(manifest=bundle["sha256"]),
        details=dict(release=plan["path"], files=bundle["count"], repaired=repaired, difference=node_difference, gate=gate,
                     # What rollback goes back to; a repair of the same version keeps the one recorded.
                     previous=None if repaired else plan["live_version"]))


def keep_list(plan, previous):
    """The release folders retention must keep: the new live one, the one live before, and
    both folders of the recorded previous version."""
    keep = [name for name in (plan["destination"], plan["live"]) if name]
    if previous:
        keep += _releases.version_folders(previous)
    return keep


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _sleep = staticmethod(time.sleep)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        self._progress = result
        try:
            dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
            result.update(self._release(args, task_vars or {}))
        except AnsibleAction as exc:
            result.update(exc.result)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _module(self, name, module_args, task_vars, what):
        reply = self._execute_module(module_name=name, module_args=module_args, task_vars=task_vars)
        if reply.get("failed"):
            raise AnsibleActionFail("%s: %s" % (what, reply.get("msg", "failed")), result=dict(self._progress, reply=reply))
        return reply

    def _bundle(self, args):
        try:
            if args["bundle"]:
                return _stage.stage_locked(args["bundle"], args["staging"], args["bundle_sha256"])
            return _stage.staged(args["staging"])
        except (ValidationError, IOError, OSError, zipfile.BadZipfile) as exc:
            raise AnsibleActionFail("cannot stage the bundle %s: %s" % (args["bundle"] or args["staging"], to_native(exc)))

    def _release(self, args, task_vars):
        host = task_vars.get("inventory_hostname", "the node")
        bundle = self._bundle(args)
        digests = _tree.parse_manifest(bundle["manifest"])
        node = self._module("routing_ml.deploy.web_node_state", dict(
            root=args["root"], link=args["link"], manifest_sha256=bundle["sha256"], report_version=args["version"],
            pidfile=args["pidfile"]), task_vars, "%s: reading what the node serves" % host)
        node.pop("invocation", None)
        manifest_of_live = node.pop("manifest", None)
        node_difference = node.get("difference")
        if manifest_of_live is not None:
            node_difference = difference(bundle["manifest"], manifest_of_live)
        try:
            plan = _releases.plan(args["version"], node.get("link_target"), node.get("matches"),
                                  node.get("server_running"), root=args["root"])
        except ValidationError as exc:
            raise AnsibleActionFail("%s: %s" % (host, to_native(exc)))
        self._progress.update(node=node, plan=plan, switched=False, changed=False)
        if plan["up_to_date"] and not plan["start_server"]:
            return dict(self._progress, msg="%s serves %s, verified" % (host, args["version"]))
        # Before anything changes: a node that is to be changed must be provable afterwards.
        if args["probe_file"] not in digests:
            raise AnsibleActionFail("%s: probe_file %r is not a file of the %s bundle: nothing changed" % (
                host, args["probe_file"], args["version"]))
        check = bool(self._task.check_mode)
        if not plan["up_to_date"] and plan["mirror"]:
            self._mirror(args, plan, node, task_vars, host)
        switch = self._execute_module(module_name="routing_ml.deploy.web_switch", module_args=dict(
            root=args["root"], link=args["link"], folder=plan["destination"], manifest_sha256=bundle["sha256"],
            command=args["command"], reload=not plan["start_server"], test=plan["start_server"]), task_vars=task_vars)
        if switch.get("failed"):
            found = switch.pop("manifest", None)
            named = ": %s" % _tree.describe(difference(bundle["manifest"], found)) if found is not None else ""
            raise AnsibleActionFail("%s: switching to %s: %s%s" % (host, plan["destination"], switch.get("msg"), named),
                                    result=dict(self._progress, switched=bool(switch.get("switched")), reply=switch))
        self._progress.update(switched=bool(switch.get("switched")), changed=bool(switch.get("changed")))
        if "diff" in switch:
            self._progress["diff"] = switch["diff"]
        if plan["start_server"]:
            self._start(args, task_vars, host)
        if check:
            return dict(self._progress, msg="%s would serve %s from %s" % (host, args["version"], plan["destination"]))
        self._probe(args, digests[args["probe_file"]], host)
        if not plan["up_to_date"]:
            previous = self._record(args, plan, bundle, node_difference, host)
            retention = self._module("routing_ml.deploy.release_retention", dict(
                root=args["root"], keep=keep_list(plan, previous), count=args["keep_releases"]),
                task_vars, "%s: removing old release folders" % host)
            self._progress.update(removed=retention.get("removed", []))
        return dict(self._progress, msg="%s serves %s from %s, verified" % (host, args["version"], plan["destination"]))

    def _mirror(self, args, plan, node, task_vars, host):
        if not node.get("releases_folder") and not self._task.check_mode:
            self._module("ansible.builtin.file", dict(path="%s/%s" % (args["root"], _releases.RELEASES),
                                                      state="directory", mode="0755"),
                         task_vars, "%s: making the releases folder" % host)
        task = self._task.copy()
        task.args = dict(src=args["staging"].rstrip("/") + "/", dest=plan["path"] + "/", delete=True, checksum=True,
                         verify_host=True, compress=args["compress"], **self._ssh_arguments())
        # synchronize changes the play context it is given (shell, become) for its local rsync.
        rsync = self._shared_loader_obj.action_loader.get(
            "ansible.posix.synchronize", task=task, connection=self._connection, play_context=self._play_context.copy(),
            loader=self._loader, templar=self._templar, shared_loader_obj=self._shared_loader_obj)
        reply = rsync.run(task_vars=task_vars)
        if reply.get("failed"):
            raise AnsibleActionFail("%s: mirroring the bundle into %s: %s" % (host, plan["path"], reply.get("msg")),
                                    result=dict(self._progress, reply=reply))

    def _ssh_arguments(self):
        """synchronize's SSH options: the node's own (use_ssh_args) and, where the module calls
        opened a ControlMaster, its socket, so that rsync rides on that one connection
        (synchronize passes "-S none" unless told, and the socket's path is the connection's)."""
        connection = self._connection
        if connection.transport != "ssh":
            return dict(use_ssh_args=True)
        options = [connection.get_option(name) for name in ("ssh_args", "ssh_common_args", "ssh_extra_args")]
        socket = getattr(connection, "control_path", None)
        if getattr(connection, "_persistent", False) and socket and getattr(connection, "control_path_dir", None):
            socket = socket % dict(directory=unfrackpath(connection.control_path_dir))
            options.append("-o ControlPath=%s" % shlex_quote(socket))
            return dict(_ssh_args=" ".join(o for o in options if o), ssh_connection_multiplexing=True)
        return dict(use_ssh_args=True)

    def _start(self, args, task_vars, host):
        if args["service"]:
            self._module("ansible.builtin.service", dict(name=args["service"], state="started"), task_vars,
                         "%s: starting nginx" % host)
        else:
            # No service manager: nginx puts itself in the background.
            self._module("ansible.builtin.command", dict(argv=args["command"]), task_vars, "%s: starting nginx" % host)
        self._progress["changed"] = True

    def _probe(self, args, digest, host):
        url = "%s/%s" % (args["url"].rstrip("/"), args["probe_file"])
        last = None
        for attempt in range(args["probe_retries"] + 1):
            try:
                body = open_url(url, validate_certs=args["validate_certs"], timeout=10, follow_redirects="safe").read()
                served = _checksum.sha256_bytes(body)
                if served == digest:
                    self._progress["probe"] = dict(url=url, sha256=served, attempts=attempt + 1)
                    return
                last = "served sha256 %s, the manifest says %s" % (served, digest)
            except (URLError, OSError, HTTPException) as exc:
                last = to_native(getattr(exc, "reason", exc))
            if attempt < args["probe_retries"]:
                self._sleep(1)
        raise AnsibleActionFail("%s does not serve the release: %s (%d attempts): %s" % (
            host, url, args["probe_retries"] + 1, last), result=dict(self._progress))

    def _record(self, args, plan, bundle, node_difference, host):
        record = sync_record(host, args["version"], plan, bundle, node_difference,
                             _ledger.format_timestamp(datetime.datetime.now().astimezone()), args["gate"])
        try:
            workspace = real_workspace(args["workspace"])
            folder = os.path.join(workspace, "logs", "deploy")
            if not os.path.isdir(folder):
                os.makedirs(folder)
            changed, path, dummy, text = _records.write(workspace, record, carry=("previous",))
            if changed:
                _records.commit(path, text)
        except (ValidationError, IOError, OSError) as exc:
            raise AnsibleActionFail("%s: cannot write the sync record: %s" % (host, to_native(exc)),
                                    result=dict(self._progress))
        self._progress["record"] = path
        return record["details"].get("previous")

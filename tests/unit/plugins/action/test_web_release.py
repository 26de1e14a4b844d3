# -*- coding: utf-8 -*-
"""web_release's decisions that run on the controller: the sync record, what retention keeps,
and the files named when a node's release differs (the action's run is the lab's: e2e)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import zipfile

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.routing_ml.deploy.plugins.action import web_release
from ansible_collections.routing_ml.deploy.plugins.module_utils import _releases, _stage


def manifest(files):
    return "".join("%s  %s\n" % (hashlib.sha256(files[p]).hexdigest(), p) for p in sorted(files))


BUNDLE = dict(sha256="ab" * 32, count=2, manifest=manifest({"index.html": b"1.4.0", "app.js": b"js"}))


def test_an_upgrade_records_the_version_it_replaced_as_previous():
    plan = _releases.plan("1.4.0", "releases/1.3.0", False, True, root="/www")
    record = web_release.sync_record("dmz1", "1.4.0", plan, BUNDLE, None, "2026-12-01T10:00:00+09:00")
    assert record["before"] == "1.3.0" and record["after"] == "1.4.0"
    assert record["details"]["previous"] == "1.3.0" and not record["details"]["repaired"]
    assert record["details"]["files"] == 2 and record["digests"] == {"manifest": "ab" * 32}
    assert record["details"]["release"] == "/www/releases/1.4.0"


def test_a_repair_leaves_previous_to_the_record_there():
    plan = _releases.plan("1.4.0", "releases/1.4.0", False, True, root="/www")
    record = web_release.sync_record("dmz1", "1.4.0", plan, BUNDLE, {"changed": ["index.html"]}, "t")
    assert plan["destination"] == "1.4.0+1" and record["details"]["repaired"]
    assert record["details"]["previous"] is None and record["details"]["difference"] == {"changed": ["index.html"]}


def test_retention_keeps_the_new_live_the_one_before_and_both_folders_of_previous():
    plan = _releases.plan("1.4.0", "releases/1.4.0", False, True, root="/www")
    assert web_release.keep_list(plan, "1.3.0") == ["1.4.0+1", "1.4.0", "1.3.0", "1.3.0+1"]
    fresh = _releases.plan("1.4.0", None, False, False, root="/www")
    assert web_release.keep_list(fresh, None) == ["1.4.0"]


def test_the_difference_names_each_file():
    node = manifest({"index.html": b"defaced", "extra.js": b"x"})
    assert web_release.difference(BUNDLE["manifest"], node) == {
        "missing": ["app.js"], "extra": ["extra.js"], "changed": ["index.html"]}


class FakeTask(object):
    check_mode = False


def action_with(replies, calls):
    """The action without a connection: module calls answered from ``replies`` in order."""
    action = web_release.ActionModule.__new__(web_release.ActionModule)
    action._task = FakeTask()
    action._progress = {}

    def execute(module_name, module_args, task_vars):
        calls.append(module_name)
        return replies.pop(0)

    action._execute_module = execute
    return action


def staged(tmp_path):
    bundle = tmp_path / "RoutingMLFrontend_1.4.0.zip"
    with zipfile.ZipFile(str(bundle), "w") as archive:
        archive.writestr("index.html", "<html>1.4.0</html>\n")
    _stage.stage(str(bundle), str(tmp_path / "stage"))
    return dict(version="1.4.0", root="/www", link="current", staging=str(tmp_path / "stage"), bundle=None,
                workspace=str(tmp_path), command=["/usr/sbin/nginx"], service="nginx", pidfile="/run/nginx.pid",
                url="http://127.0.0.1", probe_file="index.html", validate_certs=True, probe_retries=0,
                keep_releases=3, compress=False)


def test_a_probe_file_outside_the_bundle_is_refused_before_the_node_is_changed(tmp_path):
    calls = []
    action = action_with([dict(link_target="releases/1.3.0", matches=False, server_running=True,
                               releases_folder=True, difference=None)], calls)
    with pytest.raises(AnsibleActionFail, match=r"'nope.html' is not a file of the 1.4.0 bundle: nothing changed"):
        action._release(dict(staged(tmp_path), probe_file="nope.html"), {"inventory_hostname": "dmz1"})
    assert calls == ["routing_ml.deploy.web_node_state"]


def test_an_up_to_date_node_is_left_alone_after_one_module_call(tmp_path):
    calls = []
    action = action_with([dict(link_target="releases/1.4.0", matches=True, server_running=True,
                               releases_folder=True, difference=None)], calls)
    result = action._release(dict(staged(tmp_path), probe_file="nope.html"), {"inventory_hostname": "dmz1"})
    assert calls == ["routing_ml.deploy.web_node_state"] and not result["changed"] and not result["switched"]

# -*- coding: utf-8 -*-
"""web_switch: a release folder verified by digest, the live link renamed into place, nginx
tested before and reloaded after; nothing switched to a folder that differs."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import stat

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import web_switch

FILES = {"index.html": b"<html>1.4.0</html>\n", "assets/app.js": b"console.log(1)\n"}
MANIFEST = "".join("%s  %s\n" % (hashlib.sha256(FILES[p]).hexdigest(), p) for p in sorted(FILES))
DIGEST = hashlib.sha256(MANIFEST.encode("utf-8")).hexdigest()


@pytest.fixture
def node(tmp_path):
    """A web root with 1.3.0 live and 1.4.0 mirrored beside it, and a stand-in nginx that logs its calls."""
    root = tmp_path / "www"
    for version, files in (("1.3.0", {"index.html": b"old\n"}), ("1.4.0", FILES)):
        for name, data in files.items():
            path = root / "releases" / version / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    os.symlink("releases/1.3.0", str(root / "current"))
    log = tmp_path / "nginx.log"
    nginx = tmp_path / "nginx"
    nginx.write_text('#!/bin/sh\necho "$*" >> %s\n[ "$1" = -t ] && [ -e %s ] && exit 1\nexit 0\n'
                     % (log, tmp_path / "broken"))
    nginx.chmod(nginx.stat().st_mode | stat.S_IEXEC)
    return dict(root=root, log=log, nginx=str(nginx), broken=tmp_path / "broken")


def switch(run_module, node, check_mode=False, diff=False, **extra):
    args = dict(root=str(node["root"]), folder="1.4.0", manifest_sha256=DIGEST, command=[node["nginx"]])
    args.update(extra)
    return run_module(web_switch, args, check_mode=check_mode, diff=diff)


def calls(node):
    return node["log"].read_text().splitlines() if node["log"].exists() else []


def test_switches_after_testing_and_reloads(run_module, node):
    failed, result = switch(run_module, node, diff=True)
    assert not failed and result["changed"] and result["switched"] and result["reloaded"]
    assert os.readlink(str(node["root"] / "current")) == "releases/1.4.0"
    assert calls(node) == ["-t", "-s reload"]
    assert result["diff"] == {"before": "current -> releases/1.3.0\n", "after": "current -> releases/1.4.0\n"}


def test_a_second_run_changes_nothing_and_calls_no_nginx(run_module, node):
    switch(run_module, node)
    failed, result = switch(run_module, node)
    assert not failed and not result["changed"] and not result["switched"]
    assert calls(node) == ["-t", "-s reload"]


def test_check_mode_predicts_and_touches_nothing(run_module, node):
    failed, result = switch(run_module, node, check_mode=True)
    assert not failed and result["changed"] and result["switched"]
    assert os.readlink(str(node["root"] / "current")) == "releases/1.3.0" and calls(node) == []


def test_a_folder_that_differs_is_never_switched_to_and_its_manifest_comes_back(run_module, node):
    (node["root"] / "releases/1.4.0/index.html").write_bytes(b"tampered")
    failed, result = switch(run_module, node)
    assert failed and not result["switched"] and "does not match" in result["msg"]
    assert hashlib.sha256(b"tampered").hexdigest() + "  index.html" in result["manifest"]
    assert os.readlink(str(node["root"] / "current")) == "releases/1.3.0" and calls(node) == []


def test_a_refused_configuration_leaves_the_node_as_it_was(run_module, node):
    node["broken"].write_text("")
    failed, result = switch(run_module, node)
    assert failed and not result["switched"] and "nginx -t failed" in result["msg"]
    assert os.readlink(str(node["root"] / "current")) == "releases/1.3.0" and calls(node) == ["-t"]


def test_no_reload_when_nginx_is_to_be_started_by_the_caller(run_module, node):
    failed, result = switch(run_module, node, reload=False)
    assert not failed and result["switched"] and not result["reloaded"] and calls(node) == ["-t"]


def test_the_live_release_with_test_only_tests(run_module, node):
    failed, result = switch(run_module, node, folder="1.3.0", manifest_sha256=hashlib.sha256(
        ("%s  index.html\n" % hashlib.sha256(b"old\n").hexdigest()).encode()).hexdigest(), test=True)
    assert not failed and not result["changed"] and calls(node) == ["-t"]


@pytest.mark.parametrize("extra, named", [
    (dict(folder="../etc"), "is not a release folder name"),
    (dict(folder="1.5.0"), "is not a release folder on the node"),
    (dict(manifest_sha256="xyz"), "manifest_sha256"),
])
def test_bad_input_is_refused_naming_it_and_nothing_changes(run_module, node, extra, named):
    failed, result = switch(run_module, node, **extra)
    assert failed and named in result["msg"]
    assert os.readlink(str(node["root"] / "current")) == "releases/1.3.0" and calls(node) == []


def test_a_live_path_that_is_a_real_folder_is_not_replaced(run_module, node):
    (node["root"] / "current").unlink()
    (node["root"] / "current").mkdir()
    failed, result = switch(run_module, node)
    assert failed and "is not a link" in result["msg"] and (node["root"] / "current").is_dir()

# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import web_node_state

FILES = {"index.html": b"<html>1.4.0</html>\n", "assets/app.js": b"console.log(1)\n"}
MANIFEST = "".join("%s  %s\n" % (hashlib.sha256(FILES[p]).hexdigest(), p) for p in sorted(FILES))


@pytest.fixture
def root(tmp_path):
    release = tmp_path / "releases" / "1.4.0"
    for name, data in FILES.items():
        (release / name).parent.mkdir(parents=True, exist_ok=True)
        (release / name).write_bytes(data)
    os.symlink("releases/1.4.0", str(tmp_path / "current"))
    return tmp_path


def state(run_module, root, **extra):
    failed, result = run_module(web_node_state, dict(root=str(root), expected=MANIFEST, **extra), check_mode=True)
    assert not failed, result
    assert not result["changed"]
    return result


def test_a_whole_live_release(run_module, root):
    result = state(run_module, root)
    assert result["link_target"] == "releases/1.4.0" and result["matches"]
    assert result["server_running"] is None


@pytest.mark.parametrize("damage, key, name", [
    (lambda r: (r / "releases/1.4.0/index.html").write_bytes(b"defaced"), "changed", "index.html"),
    (lambda r: (r / "releases/1.4.0/assets/app.js").unlink(), "missing", "assets/app.js"),
    (lambda r: (r / "releases/1.4.0/.hidden.js").write_bytes(b"x"), "extra", ".hidden.js"),
])
def test_each_kind_of_damage_is_named(run_module, root, damage, key, name):
    damage(root)
    result = state(run_module, root)
    assert not result["matches"] and result["difference"][key] == [name]


def test_a_planted_link_is_a_mismatch_not_a_crash(run_module, root):
    os.symlink("/etc/passwd", str(root / "releases/1.4.0/passwd"))
    result = state(run_module, root)
    assert not result["matches"] and "not a regular file" in result["difference"]["invalid"][0]


def test_no_live_pointer(run_module, root):
    (root / "current").unlink()
    result = state(run_module, root)
    assert result["link_target"] is None and not result["matches"] and result["difference"] is None
    (root / "current").mkdir()
    assert state(run_module, root)["link_target"] is None, "a folder is not a pointer that can be switched"


def test_server_running_from_the_pid_file(run_module, root, tmp_path):
    pidfile = tmp_path / "web.pid"
    assert state(run_module, root, pidfile=str(pidfile))["server_running"] is False
    pidfile.write_text("%d\n" % os.getpid())
    with open("/proc/self/comm") as handle:
        me = handle.read().strip()
    assert state(run_module, root, pidfile=str(pidfile), process_name=me)["server_running"] is True
    assert state(run_module, root, pidfile=str(pidfile))["server_running"] is False, "a reused pid is not nginx"
    pidfile.write_text("not a pid\n")
    assert state(run_module, root, pidfile=str(pidfile), process_name=me)["server_running"] is False


def test_a_bad_manifest_is_refused(run_module, root):
    failed, result = run_module(web_node_state, dict(root=str(root), expected="garbage line\n"))
    assert failed and "expected: manifest line 1" in result["msg"]

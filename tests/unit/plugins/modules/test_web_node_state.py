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


# --- folders: the target version's release folders, asked about before a rollback switches -----------------

PREVIOUS = {"index.html": b"<html>1.3.2</html>\n", "assets/app.js": b"console.log(0)\n"}
PREVIOUS_MANIFEST = "".join("%s  %s\n" % (hashlib.sha256(PREVIOUS[p]).hexdigest(), p) for p in sorted(PREVIOUS))


def release(root, name, files=None):
    for path, data in (PREVIOUS if files is None else files).items():
        (root / "releases" / name / path).parent.mkdir(parents=True, exist_ok=True)
        (root / "releases" / name / path).write_bytes(data)
    return root / "releases" / name


def ask(run_module, root, folders, expected=PREVIOUS_MANIFEST):
    failed, result = run_module(web_node_state, dict(root=str(root), expected=expected, folders=folders),
                                check_mode=True)
    assert not failed, result
    return result


@pytest.mark.parametrize("make, state", [
    (lambda r: release(r, "1.3.2"), {"exists": True, "matches": True}),
    (lambda r: (release(r, "1.3.2") / "debug.js").write_bytes(b"x"), {"exists": True, "matches": False}),
    (lambda r: (release(r, "1.3.2") / "index.html").write_bytes(b"defaced"), {"exists": True, "matches": False}),
    (lambda r: (release(r, "1.3.2") / "assets" / "app.js").unlink(), {"exists": True, "matches": False}),
    (lambda r: os.symlink("/etc/passwd", str(release(r, "1.3.2") / "assets" / "passwd")),
     {"exists": True, "matches": False}),
    (lambda r: None, {"exists": False, "matches": False}),
    (lambda r: (r / "releases" / "1.3.2").write_bytes(b"a file, not a folder"), {"exists": False, "matches": False}),
])
def test_each_folder_is_checked_against_the_manifest(run_module, root, make, state):
    make(root)
    result = ask(run_module, root, ["1.3.2"])
    assert result["folders"] == {"1.3.2": state}
    assert result["link_target"] == "releases/1.4.0" and not result["matches"], "the live release is 1.4.0's"


def test_both_folders_of_a_version(run_module, root):
    release(root, "1.3.2+1")
    result = ask(run_module, root, ["1.3.2", "1.3.2+1"])
    assert result["folders"] == {"1.3.2": {"exists": False, "matches": False},
                                 "1.3.2+1": {"exists": True, "matches": True}}


def test_a_link_named_like_a_release_is_never_followed(run_module, root):
    release(root, "1.3.2")
    os.symlink("1.3.2", str(root / "releases" / "1.3.2+1"))
    os.symlink(str(release(root.parent / "elsewhere", "1.3.2")), str(root / "releases" / "1.3.1"))
    result = ask(run_module, root, ["1.3.2", "1.3.2+1", "1.3.1"])
    assert result["folders"] == {"1.3.2": {"exists": True, "matches": True},
                                 "1.3.2+1": {"exists": False, "matches": False},
                                 "1.3.1": {"exists": False, "matches": False}}


def test_the_live_folder_can_be_asked_about_too(run_module, root):
    result = ask(run_module, root, ["1.4.0"], expected=MANIFEST)
    assert result["matches"] and result["folders"] == {"1.4.0": {"exists": True, "matches": True}}


def test_current_names_a_release_folder_not_the_live_pointer(run_module, root):
    """"current" is a valid version (and so folder) name: it is releases/current, never the live
    pointer <root>/current, which here points at a matching release."""
    result = ask(run_module, root, ["current"], expected=MANIFEST)
    assert result["folders"] == {"current": {"exists": False, "matches": False}}


@pytest.mark.parametrize("name", ["../x", "..", "1.3.2/../../etc", "/etc", ".hidden", "1.3.2+0", "1.3.2+", ""])
def test_a_name_that_is_not_a_release_folder_is_refused(run_module, root, name):
    failed, result = run_module(web_node_state, dict(root=str(root), expected=PREVIOUS_MANIFEST,
                                                     folders=["1.3.2", name]))
    assert failed
    assert result["msg"] == "folders: %r is not a release folder name (<version> or <version>+<n>)" % (name,)


def test_no_folders_asked_none_reported(run_module, root):
    assert ask(run_module, root, [])["folders"] == {}


# The digest mode: the node is given the manifest's SHA256, never the manifest.
DIGEST = hashlib.sha256(MANIFEST.encode("utf-8")).hexdigest()


def by_digest(run_module, root, **extra):
    failed, result = run_module(web_node_state, dict(root=str(root), manifest_sha256=DIGEST, **extra), check_mode=True)
    assert not failed, result
    return result


def test_by_digest_a_whole_live_release_matches_with_nothing_per_file(run_module, root):
    result = by_digest(run_module, root, report_version="1.4.0")
    assert result["matches"] and result["live_sha256"] == DIGEST and result["releases_folder"]
    assert "manifest" not in result and result["difference"] is None


def test_by_digest_a_repair_of_the_version_reports_the_live_manifest(run_module, root):
    (root / "releases/1.4.0/index.html").write_bytes(b"defaced")
    result = by_digest(run_module, root, report_version="1.4.0")
    assert not result["matches"] and result["live_sha256"] != DIGEST
    assert "  index.html\n" in result["manifest"] and hashlib.sha256(b"defaced").hexdigest() in result["manifest"]


def test_by_digest_another_live_version_is_not_reported_file_by_file(run_module, root):
    failed, result = run_module(web_node_state, dict(root=str(root), manifest_sha256="0" * 64, report_version="1.5.0"),
                                check_mode=True)
    assert not failed and not result["matches"] and "manifest" not in result


def test_by_digest_a_planted_link_is_invalid(run_module, root):
    os.symlink("/etc/passwd", str(root / "releases/1.4.0/passwd"))
    result = by_digest(run_module, root, report_version="1.4.0")
    assert not result["matches"] and "not a regular file" in result["difference"]["invalid"][0]


def test_by_digest_folders_are_checked_by_digest(run_module, root):
    result = by_digest(run_module, root, folders=["1.4.0", "1.4.0+1"])
    assert result["folders"] == {"1.4.0": {"exists": True, "matches": True}, "1.4.0+1": {"exists": False, "matches": False}}


def test_a_fresh_node_has_no_releases_folder(run_module, tmp_path):
    result = by_digest(run_module, tmp_path)
    assert result["link_target"] is None and not result["releases_folder"] and not result["matches"]


@pytest.mark.parametrize("args, named", [
    (dict(manifest_sha256="not-a-digest"), "manifest_sha256"),
    (dict(manifest_sha256=DIGEST, expected=MANIFEST), "mutually exclusive"),
    (dict(), "one of the following is required"),
])
def test_the_expected_content_is_given_once_and_well_formed(run_module, root, args, named):
    failed, result = run_module(web_node_state, dict(root=str(root), **args), check_mode=True)
    assert failed and named in result["msg"]


def test_a_switch_while_the_node_is_hashed_is_reported_never_mixed(run_module, root, monkeypatch):
    other = root / "releases" / "1.5.0"
    other.mkdir()
    (other / "index.html").write_bytes(b"<html>1.5.0</html>\n")
    real = web_node_state._tree.tree_manifest
    hashed = []

    def hash_then_switch(folder):
        hashed.append(folder)
        tree = real(folder)
        os.symlink("releases/1.5.0", str(root / "current.new"))
        os.rename(str(root / "current.new"), str(root / "current"))
        return tree

    monkeypatch.setattr(web_node_state._tree, "tree_manifest", hash_then_switch)
    result = state(run_module, root)
    # The folder the link named when read was hashed whole, and the move is reported.
    assert hashed == [os.path.join(str(root), "releases/1.4.0")]
    assert result["link_target"] == "releases/1.4.0"
    assert result["switched"] is True and result["matches"] is False


def test_an_unmoved_link_is_not_switched(run_module, root):
    result = state(run_module, root)
    assert result["switched"] is False and result["matches"] is True

# -*- coding: utf-8 -*-
"""offline_package: the zip for sites without VPN holds the bundle, its manifest and the check
script, and the same bundle always gives the same zip."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import subprocess
import zipfile

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import offline_package

FILES = {
    "index.html": b"<html>1.4.0</html>\n",
    "assets/app-1a2b.js": b"console.log(1)\n" * 300,
    "assets/img/logo.svg": b"<svg/>",
    u"locales/ko/안내.json": u'{"hello": "안녕"}\n'.encode("utf-8"),
}
SCRIPT = b"param($Path, $Manifest)\r\n# Verify-RoutingMLFrontend\r\n"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def parts(tmp_path):
    src = tmp_path / "stage" / "1.4.0"
    for name, data in FILES.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(data)
    script = tmp_path / "files" / "Verify-RoutingMLFrontend.ps1"
    script.parent.mkdir()
    script.write_bytes(SCRIPT)
    (tmp_path / "build" / "windows").mkdir(parents=True)
    return dict(src=str(src), script=str(script), dest=str(tmp_path / "build" / "windows" / "RoutingMLFrontend_1.4.0.zip"))


def build(run_module, parts, check_mode=False, **extra):
    return run_module(offline_package, dict(parts, **extra), check_mode=check_mode)


def test_the_package_holds_the_bundle_its_manifest_and_the_script(run_module, parts):
    failed, result = build(run_module, parts)
    assert not failed and result["changed"]
    data = open(parts["dest"], "rb").read()
    assert result["sha256"] == sha256(data) and result["files"] == len(FILES)
    with zipfile.ZipFile(parts["dest"]) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert sorted(names) == sorted(["RoutingMLFrontend/%s" % p for p in FILES] +
                                       ["MANIFEST.sha256", "Verify-RoutingMLFrontend.ps1"])
        for path, content in FILES.items():
            assert archive.read("RoutingMLFrontend/" + path) == content
        assert archive.read("Verify-RoutingMLFrontend.ps1") == SCRIPT
        manifest = archive.read("MANIFEST.sha256").decode("utf-8")
    assert manifest == "".join("%s  RoutingMLFrontend/%s\n" % (sha256(FILES[p]), p) for p in sorted(FILES))
    assert sorted(os.listdir(os.path.dirname(parts["dest"]))) == ["RoutingMLFrontend_1.4.0.zip"], "no temporary file"


def test_an_operator_can_check_the_unpacked_package_with_sha256sum(run_module, parts, tmp_path):
    build(run_module, parts)
    unpacked = tmp_path / "site"
    with zipfile.ZipFile(parts["dest"]) as archive:
        archive.extractall(str(unpacked))
    check = subprocess.run(["sha256sum", "--quiet", "-c", "MANIFEST.sha256"], cwd=str(unpacked),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    assert check.returncode == 0, check.stdout
    (unpacked / "RoutingMLFrontend" / "index.html").write_bytes(b"tampered")
    check = subprocess.run(["sha256sum", "--quiet", "-c", "MANIFEST.sha256"], cwd=str(unpacked),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    assert check.returncode != 0 and b"RoutingMLFrontend/index.html" in check.stdout


def test_a_second_run_is_unchanged_and_leaves_the_zip_alone(run_module, parts):
    failed, first = build(run_module, parts)
    before = os.stat(parts["dest"])
    failed, second = build(run_module, parts)
    assert not failed and not second["changed"] and second["sha256"] == first["sha256"]
    after = os.stat(parts["dest"])
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_the_same_bundle_gives_the_same_bytes_unpacked_anywhere_at_any_time(run_module, parts, tmp_path):
    failed, first = build(run_module, parts)
    again = tmp_path / "elsewhere" / "1.4.0"
    for name, data in sorted(FILES.items(), reverse=True):
        (again / name).parent.mkdir(parents=True, exist_ok=True)
        (again / name).write_bytes(data)
        os.utime(str(again / name), (1700000000, 1700000000))
    other = tmp_path / "other.zip"
    failed, second = build(run_module, parts, src=str(again), dest=str(other))
    assert not failed and second["changed"] and second["sha256"] == first["sha256"]
    assert other.read_bytes() == open(parts["dest"], "rb").read()


def test_a_changed_bundle_file_changes_the_package(run_module, parts):
    failed, first = build(run_module, parts)
    with open(os.path.join(parts["src"], "index.html"), "wb") as handle:
        handle.write(b"<html>1.4.0 hotfix</html>\n")
    failed, second = build(run_module, parts)
    assert not failed and second["changed"] and second["sha256"] != first["sha256"]
    with zipfile.ZipFile(parts["dest"]) as archive:
        assert archive.read("RoutingMLFrontend/index.html") == b"<html>1.4.0 hotfix</html>\n"
        assert sha256(b"<html>1.4.0 hotfix</html>\n") in archive.read("MANIFEST.sha256").decode()


def test_check_mode_predicts_without_writing(run_module, parts):
    failed, predicted = build(run_module, parts, check_mode=True)
    assert not failed and predicted["changed"] and not os.path.exists(parts["dest"])
    assert os.listdir(os.path.dirname(parts["dest"])) == []
    failed, built = build(run_module, parts)
    assert built["sha256"] == predicted["sha256"], "check mode reports the digest the real run writes"
    before = open(parts["dest"], "rb").read()
    failed, unchanged = build(run_module, parts, check_mode=True)
    assert not failed and not unchanged["changed"]
    with open(os.path.join(parts["src"], "index.html"), "wb") as handle:
        handle.write(b"changed")
    failed, changed = build(run_module, parts, check_mode=True)
    assert not failed and changed["changed"] and changed["sha256"] != built["sha256"]
    assert open(parts["dest"], "rb").read() == before
    assert os.listdir(os.path.dirname(parts["dest"])) == ["RoutingMLFrontend_1.4.0.zip"]


def test_a_link_in_the_bundle_is_refused_and_nothing_is_written(run_module, parts):
    os.symlink("/etc/passwd", os.path.join(parts["src"], "assets", "passwd"))
    failed, result = build(run_module, parts)
    assert failed and result["msg"] == "%s is not a regular file" % os.path.join(parts["src"], "assets", "passwd")
    assert os.listdir(os.path.dirname(parts["dest"])) == []


def test_a_missing_bundle_is_refused_by_name(run_module, parts, tmp_path):
    missing = str(tmp_path / "stage" / "1.3.2")
    failed, result = build(run_module, parts, src=missing)
    assert failed and result["msg"] == "%s is not a directory" % missing
    assert os.listdir(os.path.dirname(parts["dest"])) == []


def test_a_missing_script_leaves_the_old_package_and_no_temporary_file(run_module, parts, tmp_path):
    build(run_module, parts)
    before = open(parts["dest"], "rb").read()
    missing = str(tmp_path / "files" / "Missing.ps1")
    failed, result = build(run_module, parts, script=missing)
    assert failed and result["msg"].startswith("cannot build %s: " % parts["dest"]) and missing in result["msg"]
    assert open(parts["dest"], "rb").read() == before
    assert os.listdir(os.path.dirname(parts["dest"])) == ["RoutingMLFrontend_1.4.0.zip"]


def test_a_missing_destination_folder_is_refused_by_name(run_module, parts, tmp_path):
    dest = str(tmp_path / "no" / "such" / "RoutingMLFrontend_1.4.0.zip")
    failed, result = build(run_module, parts, dest=dest)
    assert failed and result["msg"].startswith("cannot build %s: " % dest)
    assert not os.path.exists(str(tmp_path / "no"))


def test_a_tree_that_is_not_the_bundle_is_refused_and_nothing_is_written(run_module, parts):
    manifest = "".join("%s  %s\n" % (sha256(data), name) for name, data in sorted(FILES.items()))
    with open(os.path.join(parts["src"], "index.html"), "wb") as handle:
        handle.write(b"edited in the cache")
    failed, result = build(run_module, parts, manifest=manifest)
    assert failed and result["msg"] == "%s is not the bundle's files: 1 changed (index.html)" % parts["src"]
    assert not os.path.exists(parts["dest"])
    with open(os.path.join(parts["src"], "index.html"), "wb") as handle:
        handle.write(FILES["index.html"])
    failed, result = build(run_module, parts, manifest=manifest)
    assert not failed and result["files"] == len(FILES)

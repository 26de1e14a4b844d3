# -*- coding: utf-8 -*-
"""_zip: the same members give the same zip, byte for byte; an identical zip is left alone."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import stat
import zipfile

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _zip


def sha256(path):
    return hashlib.sha256(open(str(path), "rb").read()).hexdigest()


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "bundle"
    (root / "assets" / "img").mkdir(parents=True)
    (root / "index.html").write_bytes(b"<html>1.4.0</html>\n")
    (root / "assets" / "app-1a2b.js").write_bytes(b"console.log(1)\n" * 500)
    (root / "assets" / "img" / "logo.svg").write_bytes(b"<svg/>")
    (root / u"안내.txt").write_bytes(u"오프라인 설치\n".encode("utf-8"))
    return root


def test_folder_members_names_every_file_under_the_prefix(folder):
    members = _zip.folder_members(str(folder), "RoutingMLFrontend")
    assert members == {
        "RoutingMLFrontend/index.html": str(folder / "index.html"),
        "RoutingMLFrontend/assets/app-1a2b.js": str(folder / "assets" / "app-1a2b.js"),
        "RoutingMLFrontend/assets/img/logo.svg": str(folder / "assets" / "img" / "logo.svg"),
        u"RoutingMLFrontend/안내.txt": str(folder / u"안내.txt"),
    }


def test_writes_members_from_files_and_bytes(folder, tmp_path):
    members = _zip.folder_members(str(folder), "F")
    members["MANIFEST.sha256"] = b"digest lines\n"
    target = tmp_path / "out.zip"
    digest, changed = _zip.write_reproducible(members, str(target))
    assert changed and digest == sha256(target)
    with zipfile.ZipFile(str(target)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == sorted(members), "members in name order"
        assert archive.read("MANIFEST.sha256") == b"digest lines\n"
        assert archive.read("F/assets/app-1a2b.js") == (folder / "assets" / "app-1a2b.js").read_bytes()
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert stat.S_IMODE(info.external_attr >> 16) == 0o644
            assert info.compress_type == zipfile.ZIP_DEFLATED
    assert stat.S_IMODE(os.stat(str(target)).st_mode) == 0o644
    assert sorted(os.listdir(str(tmp_path))) == ["bundle", "out.zip"], "no temporary file is left"


def test_the_same_members_give_the_same_bytes_whatever_the_order_and_file_times(folder, tmp_path):
    members = _zip.folder_members(str(folder), "F")
    first, dummy = _zip.write_reproducible(members, str(tmp_path / "a.zip"))
    for path in members.values():
        os.utime(path, (1700000000, 1700000000))
    os.chmod(str(folder / "index.html"), 0o600)
    reversed_members = dict(reversed(list(members.items())))
    second, dummy = _zip.write_reproducible(reversed_members, str(tmp_path / "b.zip"))
    assert first == second
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_an_identical_zip_is_left_alone(folder, tmp_path):
    members = _zip.folder_members(str(folder), "F")
    target = tmp_path / "out.zip"
    digest, changed = _zip.write_reproducible(members, str(target))
    before = os.stat(str(target))
    again, changed = _zip.write_reproducible(members, str(target))
    after = os.stat(str(target))
    assert not changed and again == digest
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns), "not rewritten"


def test_a_changed_member_replaces_the_zip(folder, tmp_path):
    target = tmp_path / "out.zip"
    first, dummy = _zip.write_reproducible(_zip.folder_members(str(folder), "F"), str(target))
    (folder / "index.html").write_bytes(b"<html>1.4.1</html>\n")
    second, changed = _zip.write_reproducible(_zip.folder_members(str(folder), "F"), str(target))
    assert changed and second != first and second == sha256(target)
    with zipfile.ZipFile(str(target)) as archive:
        assert archive.read("F/index.html") == b"<html>1.4.1</html>\n"


def test_dry_run_reports_without_writing(folder, tmp_path):
    members = _zip.folder_members(str(folder), "F")
    target = tmp_path / "out.zip"
    digest, changed = _zip.write_reproducible(members, str(target), dry_run=True)
    assert changed and not target.exists()
    assert sorted(os.listdir(str(tmp_path))) == ["bundle"]
    real, dummy = _zip.write_reproducible(members, str(target))
    assert real == digest, "the dry run's digest is the zip's"
    (folder / "index.html").write_bytes(b"changed")
    before = target.read_bytes()
    dummy, changed = _zip.write_reproducible(_zip.folder_members(str(folder), "F"), str(target), dry_run=True)
    assert changed and target.read_bytes() == before
    _zip.write_reproducible(_zip.folder_members(str(folder), "F"), str(target))
    dummy, changed = _zip.write_reproducible(_zip.folder_members(str(folder), "F"), str(target), dry_run=True)
    assert not changed, "a dry run against an identical zip changes nothing"
    assert sorted(os.listdir(str(tmp_path))) == ["bundle", "out.zip"]


def test_a_missing_source_leaves_the_old_zip_and_no_temporary_file(folder, tmp_path):
    target = tmp_path / "out.zip"
    _zip.write_reproducible({"a.txt": b"a"}, str(target))
    before = target.read_bytes()
    with pytest.raises(OSError):
        _zip.write_reproducible({"a.txt": b"a", "b.txt": str(tmp_path / "missing.txt")}, str(target))
    assert target.read_bytes() == before
    assert sorted(os.listdir(str(tmp_path))) == ["bundle", "out.zip"]


def test_an_empty_member_set_is_a_valid_empty_zip(tmp_path):
    target = tmp_path / "empty.zip"
    digest, changed = _zip.write_reproducible({}, str(target))
    assert changed and digest == sha256(target)
    with zipfile.ZipFile(str(target)) as archive:
        assert archive.namelist() == []

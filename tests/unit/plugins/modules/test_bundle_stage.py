# -*- coding: utf-8 -*-
"""bundle_stage: the bundle zip unpacked once into the controller's cache, with its manifest;
a member that would land outside the cache is refused before anything is written."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import shutil
import stat
import warnings
import zipfile

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import bundle_stage
from ansible_collections.routing_ml.deploy.tests.unit.plugins.modules.trees import snapshot

FILES = {
    "index.html": b"<html>1.4.0</html>\n",
    "assets/app-1a2b.js": b"console.log(1)\n" * 200,
    "assets/img/logo.svg": b"<svg/>",
    u"locales/ko/안내.json": u'{"hello": "안녕"}\n'.encode("utf-8"),
}
NEXT = {"index.html": b"<html>1.4.1</html>\n", "assets/app-9f8e.js": b"console.log(2)\n"}


def manifest_of(files):
    return "".join("%s  %s\n" % (hashlib.sha256(files[p]).hexdigest(), p) for p in sorted(files))


def make_zip(path, members):
    """``members``: ``(name, bytes)`` pairs, or ``(ZipInfo, bytes)`` for a crafted entry; duplicates allowed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name, which is the point
        with zipfile.ZipFile(str(path), "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return path


def symlink_entry(name):
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def files_in(root):
    return dict((k, v) for k, v in snapshot(root).items() if v is not None)


@pytest.fixture
def layout(tmp_path):
    """The workspace's build folder and its (existing) stage folder, kept apart from the rest of tmp_path."""
    (tmp_path / "build").mkdir()
    (tmp_path / "stage").mkdir()
    bundle = make_zip(tmp_path / "build" / "RoutingMLFrontend_1.4.0.zip", sorted(FILES.items()))
    return tmp_path, bundle, tmp_path / "stage" / "1.4.0"


def stage(run_module, src, dest):
    return run_module(bundle_stage, dict(src=str(src), dest=str(dest)))


def test_unpacks_the_bundle_and_returns_its_manifest(run_module, layout):
    root, bundle, dest = layout
    failed, result = stage(run_module, bundle, dest)
    assert not failed and result["changed"]
    assert files_in(dest) == FILES
    assert result["manifest"] == manifest_of(FILES)
    assert result["count"] == len(FILES)
    assert result["sha256"] == hashlib.sha256(manifest_of(FILES).encode("utf-8")).hexdigest()
    manifest_file = root / "stage" / "1.4.0.manifest.sha256"
    source_file = root / "stage" / "1.4.0.source.sha256"
    assert manifest_file.read_text(encoding="utf-8") == result["manifest"]
    assert source_file.read_text() == hashlib.sha256(bundle.read_bytes()).hexdigest() + "\n"
    assert stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o755, "web servers get a mirror of it and must read it"
    assert sorted(os.listdir(str(root / "stage"))) == ["1.4.0", "1.4.0.manifest.sha256", "1.4.0.source.sha256"]


def test_a_second_run_is_unchanged_and_unpacks_nothing(run_module, layout):
    root, bundle, dest = layout
    failed, first = stage(run_module, bundle, dest)
    before = snapshot(root)
    inode = os.stat(str(dest)).st_ino
    failed, second = stage(run_module, bundle, str(dest) + "/")
    assert not failed and not second["changed"]
    assert (second["manifest"], second["count"], second["sha256"]) == (first["manifest"], first["count"], first["sha256"])
    assert snapshot(root) == before and os.stat(str(dest)).st_ino == inode


def test_a_new_bundle_replaces_the_cache_whole(run_module, layout):
    root, bundle, dest = layout
    stage(run_module, bundle, dest)
    make_zip(bundle, sorted(NEXT.items()))
    failed, result = stage(run_module, bundle, dest)
    assert not failed and result["changed"]
    assert files_in(dest) == NEXT, "files of the old bundle are gone"
    assert result["manifest"] == manifest_of(NEXT) == (root / "stage" / "1.4.0.manifest.sha256").read_text()
    assert (root / "stage" / "1.4.0.source.sha256").read_text().strip() == hashlib.sha256(bundle.read_bytes()).hexdigest()
    assert sorted(os.listdir(str(root / "stage"))) == ["1.4.0", "1.4.0.manifest.sha256", "1.4.0.source.sha256"]


def test_a_lost_manifest_file_unpacks_again(run_module, layout):
    root, bundle, dest = layout
    stage(run_module, bundle, dest)
    (dest / "index.html").write_bytes(b"edited in the cache")
    (root / "stage" / "1.4.0.manifest.sha256").unlink()
    failed, result = stage(run_module, bundle, dest)
    assert not failed and result["changed"] and files_in(dest) == FILES
    assert result["manifest"] == manifest_of(FILES)


def test_a_missing_stage_parent_is_made(run_module, tmp_path):
    bundle = make_zip(tmp_path / "b.zip", sorted(FILES.items()))
    dest = tmp_path / "ws" / ".stage" / "frontend" / "1.4.0"
    failed, result = stage(run_module, bundle, dest)
    assert not failed and result["changed"] and files_in(dest) == FILES


def test_a_removed_cache_folder_is_unpacked_again(run_module, layout):
    dummy, bundle, dest = layout
    stage(run_module, bundle, dest)
    shutil.rmtree(str(dest))
    failed, result = stage(run_module, bundle, dest)
    assert not failed
    assert files_in(dest) == FILES and result["changed"]


# --- members that would land outside the cache: refused before a byte is written ------------------------------

ESCAPES = [
    pytest.param("../evil.txt", id="parent"),
    pytest.param("assets/../../evil.txt", id="parent-in-the-middle"),
    pytest.param("assets/img/../../../../evil.txt", id="deep-parent"),
    pytest.param("/tmp/evil.txt", id="absolute"),
    pytest.param("//evil.txt", id="double-slash-absolute"),
]


def planted(root):
    """Any file named like the payload anywhere under the test's folder (or at an absolute path)."""
    found = [p for p in snapshot(root) if os.path.basename(p) == "evil.txt"]
    if os.path.exists("/evil.txt"):
        found.append("/evil.txt")
    return found


@pytest.mark.parametrize("name", ESCAPES)
def test_a_member_outside_the_bundle_is_refused_and_nothing_is_written(run_module, tmp_path, name):
    (tmp_path / "stage").mkdir()
    bundle = make_zip(tmp_path / "bad.zip", sorted(FILES.items()) + [(name, b"payload")])
    before = snapshot(tmp_path)
    failed, result = stage(run_module, bundle, tmp_path / "stage" / "1.4.0")
    assert failed
    assert result["msg"] == "bundle member %r would land outside the bundle" % name
    assert snapshot(tmp_path) == before, "no cache, no sidecar, no temporary folder, nothing outside"
    assert planted(tmp_path) == []


def test_the_refusal_comes_before_any_member_is_unpacked(run_module, tmp_path):
    """The bad member is the last one: the good ones before it must not have been unpacked either."""
    (tmp_path / "stage").mkdir()
    bundle = make_zip(tmp_path / "bad.zip", sorted(FILES.items()) + [("../evil.txt", b"payload")])
    failed, result = stage(run_module, bundle, tmp_path / "stage" / "1.4.0")
    assert failed and result["msg"] == "bundle member '../evil.txt' would land outside the bundle"
    assert os.listdir(str(tmp_path / "stage")) == []


@pytest.mark.parametrize("name, target", [
    ("assets/passwd", "/etc/passwd"),
    ("escape", "../../.."),
    ("inside", "index.html"),
])
def test_a_link_member_is_refused_wherever_it_points(run_module, tmp_path, name, target):
    (tmp_path / "stage").mkdir()
    bundle = make_zip(tmp_path / "bad.zip", sorted(FILES.items()) + [(symlink_entry(name), target)])
    before = snapshot(tmp_path)
    failed, result = stage(run_module, bundle, tmp_path / "stage" / "1.4.0")
    assert failed and result["msg"] == "bundle member %r would land outside the bundle" % name
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("bad", [
    ("../evil.txt", b"payload"),
    ("/tmp/evil.txt", b"payload"),
    (symlink_entry("link"), "/etc/passwd"),
], ids=["parent", "absolute", "link"])
def test_a_refused_bundle_leaves_the_previous_cache_as_it_was(run_module, layout, bad):
    root, bundle, dest = layout
    stage(run_module, bundle, dest)
    before = snapshot(root / "stage")
    make_zip(bundle, sorted(NEXT.items()) + [bad])
    failed, result = stage(run_module, bundle, dest)
    assert failed and "would land outside the bundle" in result["msg"]
    assert snapshot(root / "stage") == before, "the cache, its manifest and its source digest are untouched"
    failed, result = stage(run_module, make_zip(root / "build" / "old.zip", sorted(FILES.items())), dest)
    assert not failed and not result["changed"], "the old bundle is still the cached one"


def test_duplicate_names_give_one_file_and_a_manifest_that_describes_it(run_module, layout):
    """A zip may carry two members of one name. What lands is what zip readers return for that name
    (the last member), once; the manifest and what a node is sent are that file, nothing else."""
    root, bundle, dest = layout
    members = sorted(FILES.items()) + [("index.html", b"<html>second</html>\n")]
    make_zip(bundle, members)
    with zipfile.ZipFile(str(bundle)) as archive:
        assert [i.filename for i in archive.infolist()].count("index.html") == 2
        by_name = archive.read("index.html")
    failed, result = stage(run_module, bundle, dest)
    assert not failed
    on_disk = files_in(dest)
    assert sorted(on_disk) == sorted(FILES)
    assert on_disk["index.html"] == by_name == b"<html>second</html>\n"
    assert result["manifest"] == manifest_of(on_disk) and result["count"] == len(FILES)
    assert planted(root) == []


def test_a_member_that_cannot_be_unpacked_leaves_no_half_unpacked_cache(run_module, layout):
    """A file and a folder of the same name: unpacking fails part way, after some files were written."""
    root, bundle, dest = layout
    stage(run_module, bundle, dest)
    before = snapshot(root / "stage")
    make_zip(bundle, [("a.js", b"1"), ("assets", b"a file"), ("assets/app.js", b"2")])
    failed, result = stage(run_module, bundle, dest)
    assert failed and result["msg"].startswith("cannot unpack %s: " % bundle)
    assert snapshot(root / "stage") == before


def test_a_file_that_is_not_a_zip_is_refused_by_name(run_module, tmp_path):
    (tmp_path / "stage").mkdir()
    bogus = tmp_path / "RoutingMLFrontend_1.4.0.zip"
    bogus.write_bytes(b"<html>404 Not Found</html>")
    failed, result = stage(run_module, bogus, tmp_path / "stage" / "1.4.0")
    assert failed and result["msg"].startswith("cannot unpack %s: " % bogus) and "zip" in result["msg"]
    assert os.listdir(str(tmp_path / "stage")) == []


def test_a_missing_zip_is_refused_by_name(run_module, tmp_path):
    (tmp_path / "stage").mkdir()
    failed, result = stage(run_module, tmp_path / "missing.zip", tmp_path / "stage" / "1.4.0")
    assert failed and result["msg"].startswith("cannot unpack %s: " % (tmp_path / "missing.zip"))
    assert os.listdir(str(tmp_path / "stage")) == []


def test_check_mode_is_refused(run_module, layout):
    root, bundle, dest = layout
    failed, result = run_module(bundle_stage, dict(src=str(bundle), dest=str(dest)), check_mode=True)
    assert not failed and result.get("skipped") and "check mode" in result["msg"]
    assert os.listdir(str(root / "stage")) == []

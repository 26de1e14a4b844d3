# -*- coding: utf-8 -*-
"""_stage: the controller's cache of an unpacked bundle, unpacked once however many nodes ask."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import threading
import zipfile

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _stage, _tree
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


@pytest.fixture
def bundle(tmp_path):
    path = tmp_path / "RoutingMLFrontend_1.4.0.zip"
    with zipfile.ZipFile(str(path), "w") as archive:
        archive.writestr("index.html", "<html>1.4.0</html>\n")
        archive.writestr("assets/app.js", "console.log(1)\n")
    return str(path)


def test_the_workers_of_one_play_unpack_the_bundle_once(tmp_path, bundle, monkeypatch):
    unpacked = []
    real = _stage.unpack
    monkeypatch.setattr(_stage, "unpack", lambda src, dest: (unpacked.append(dest), real(src, dest)))
    dest = str(tmp_path / "stage" / "frontend" / "1.4.0")
    results = []
    workers = [threading.Thread(target=lambda: results.append(_stage.stage_locked(bundle, dest))) for dummy in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(unpacked) == 1 and len(results) == 8
    assert sum(1 for r in results if r["changed"]) == 1
    assert len(set(r["sha256"] for r in results)) == 1 and results[0]["count"] == 2


def test_staged_is_what_staging_returned(tmp_path, bundle):
    dest = str(tmp_path / "1.4.0")
    staged = _stage.stage(bundle, dest)
    assert dict(_stage.staged(dest), source_sha256=staged["source_sha256"]) == dict(staged, changed=False)
    assert _stage.staged(dest)["manifest"] == staged["manifest"]


def test_staged_of_a_bundle_never_staged_names_the_folder(tmp_path):
    with pytest.raises(ValidationError, match="1.9.0 is not a staged bundle"):
        _stage.staged(str(tmp_path / "1.9.0"))


def test_a_cache_edited_with_a_manifest_to_match_is_unpacked_again(tmp_path, bundle):
    """A workspace writer edits the unpacked tree and its manifest; the zip is unchanged."""
    dest = str(tmp_path / "1.4.0")
    first = _stage.stage(bundle, dest)
    with open(dest + "/index.html", "w") as handle:
        handle.write("<script>evil()</script>")
    with open(dest + ".manifest.sha256", "w") as handle:
        handle.write(_tree.manifest_text(_tree.tree_manifest(dest)))
    again = _stage.stage(bundle, dest)
    assert again["changed"] is True and again["sha256"] == first["sha256"]
    assert open(dest + "/index.html").read() == "<html>1.4.0</html>\n"
    assert _stage.stage(bundle, dest)["changed"] is False


def test_a_file_added_to_the_cache_is_unpacked_away(tmp_path, bundle):
    dest = str(tmp_path / "1.4.0")
    _stage.stage(bundle, dest)
    open(dest + "/extra.js", "w").close()
    assert _stage.stage(bundle, dest)["changed"] is True
    assert not (tmp_path / "1.4.0" / "extra.js").exists()


def test_a_bundle_that_changed_since_the_pin_is_refused_and_nothing_is_staged(tmp_path, bundle):
    pinned = hashlib.sha256(open(bundle, "rb").read()).hexdigest()
    with zipfile.ZipFile(bundle, "a") as archive:
        archive.writestr("swapped.js", "evil()\n")
    dest = str(tmp_path / "1.4.0")
    with pytest.raises(ValidationError, match="has sha256 [0-9a-f]{64}, but this run deploys sha256 %s" % pinned):
        _stage.stage(bundle, dest, pinned)
    assert not (tmp_path / "1.4.0").exists()


def test_the_manifest_comes_from_the_zip(tmp_path, bundle):
    dest = str(tmp_path / "1.4.0")
    staged = _stage.stage(bundle, dest)
    assert _stage.bundle_manifest(bundle) == dict(staged, changed=False)
    assert staged["manifest"] == _tree.manifest_text(_tree.tree_manifest(dest))

# -*- coding: utf-8 -*-
"""_stage: the controller's cache of an unpacked bundle, unpacked once however many nodes ask."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import zipfile

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _stage
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
    assert _stage.staged(dest) == dict(staged, changed=False)
    assert _stage.staged(dest)["manifest"] == staged["manifest"]


def test_staged_of_a_bundle_never_staged_names_the_folder(tmp_path):
    with pytest.raises(ValidationError, match="1.9.0 is not a staged bundle"):
        _stage.staged(str(tmp_path / "1.9.0"))

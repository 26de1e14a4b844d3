# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import subprocess

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _tree, _zip
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_bytes(b"<html>")
    (root / "assets" / "a-1.js").write_bytes(b"a")
    return root


def test_manifest_is_what_sha256sum_checks(tree):
    manifest = _tree.tree_manifest(str(tree))
    assert manifest == {"index.html": hashlib.sha256(b"<html>").hexdigest(),
                        "assets/a-1.js": hashlib.sha256(b"a").hexdigest()}
    text = _tree.manifest_text(manifest)
    assert text.splitlines()[0].endswith("  assets/a-1.js")
    (tree / "M.sha256").write_text(text)
    check = subprocess.run(["sha256sum", "-c", "M.sha256"], cwd=str(tree), stdout=subprocess.PIPE, check=False)
    assert check.returncode == 0
    assert _tree.parse_manifest(text) == manifest


def test_compare_names_missing_extra_changed(tree):
    expected = _tree.tree_manifest(str(tree))
    (tree / "assets" / "a-1.js").write_bytes(b"changed")
    (tree / "old.js").write_bytes(b"x")
    os.unlink(str(tree / "index.html"))
    difference = _tree.compare(expected, _tree.tree_manifest(str(tree)))
    assert difference == {"missing": ["index.html"], "extra": ["old.js"], "changed": ["assets/a-1.js"]}
    assert _tree.describe(difference) == "1 missing (index.html); 1 extra (old.js); 1 changed (assets/a-1.js)"


@pytest.mark.parametrize("line", ["nohash", "%s  ../up" % ("0" * 64), "%s  /abs" % ("0" * 64), "xyz  a"])
def test_bad_manifest_lines(line):
    with pytest.raises(ValidationError):
        _tree.parse_manifest(line + "\n")


def test_links_are_refused(tree):
    os.symlink("index.html", str(tree / "link.html"))
    with pytest.raises(ValidationError):
        _tree.tree_manifest(str(tree))


def test_reproducible_zip_from_a_folder(tree, tmp_path):
    first = _zip.write_reproducible(_zip.folder_members(str(tree), "X"), str(tmp_path / "a.zip"))
    os.utime(str(tree / "index.html"), (1, 1))
    second = _zip.write_reproducible(_zip.folder_members(str(tree), "X"), str(tmp_path / "b.zip"))
    assert first[0] == second[0] and first[1] and second[1]
    assert _zip.write_reproducible(_zip.folder_members(str(tree), "X"), str(tmp_path / "a.zip")) == (first[0], False)

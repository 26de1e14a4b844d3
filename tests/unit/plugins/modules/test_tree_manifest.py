# -*- coding: utf-8 -*-
"""tree_manifest: the manifest of a folder, the proof that a node's release folder is the bundle,
and the manifest file written only when it changes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import subprocess

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import tree_manifest
from ansible_collections.routing_ml.deploy.tests.unit.plugins.modules.trees import snapshot

FILES = {
    "index.html": b"<html>1.4.0</html>\n",
    "assets/app-1a2b.js": b"console.log(1)\n",
    "assets/img/logo.svg": b"<svg/>",
    u"docs/안내 문서.txt": u"배포 안내\n".encode("utf-8"),
}


def line(path, data):
    return "%s  %s\n" % (hashlib.sha256(data).hexdigest(), path)


MANIFEST = "".join(line(path, FILES[path]) for path in sorted(FILES))


@pytest.fixture
def release(tmp_path):
    root = tmp_path / "releases" / "1.4.0"
    for name, data in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def test_the_manifest_of_a_tree(run_module, release):
    failed, result = run_module(tree_manifest, dict(path=str(release)))
    assert not failed and not result["changed"]
    assert result["manifest"] == MANIFEST
    assert result["count"] == len(FILES)
    assert result["sha256"] == hashlib.sha256(MANIFEST.encode("utf-8")).hexdigest()
    assert "matches" not in result and "difference" not in result and "link_target" not in result


def test_the_manifest_is_what_sha256sum_checks(run_module, release, tmp_path):
    failed, result = run_module(tree_manifest, dict(path=str(release)))
    assert not failed
    (tmp_path / "MANIFEST.sha256").write_text(result["manifest"], encoding="utf-8")
    check = subprocess.run(["sha256sum", "--quiet", "-c", str(tmp_path / "MANIFEST.sha256")], cwd=str(release),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    assert check.returncode == 0, check.stdout


def test_an_empty_folder(run_module, tmp_path):
    failed, result = run_module(tree_manifest, dict(path=str(tmp_path)))
    assert not failed and result["manifest"] == "" and result["count"] == 0
    assert result["sha256"] == hashlib.sha256(b"").hexdigest()


def test_a_tree_that_matches_its_manifest(run_module, release):
    failed, result = run_module(tree_manifest, dict(path=str(release), expected=MANIFEST))
    assert not failed and not result["changed"]
    assert result["matches"] is True
    assert result["difference"] == {"missing": [], "extra": [], "changed": []}


def test_the_expected_manifest_may_be_upper_case_and_unsorted(run_module, release):
    shuffled = "".join(line(path, FILES[path]).upper().replace(path.upper(), path) for path in reversed(sorted(FILES)))
    failed, result = run_module(tree_manifest, dict(path=str(release), expected="\n" + shuffled + "\n"))
    assert not failed and result["matches"]


def damage(root):
    (root / "index.html").write_bytes(b"defaced")
    (root / "assets" / "img" / "logo.svg").unlink()
    (root / "assets" / "old-0000.js").write_bytes(b"stale")


def test_a_mismatch_fails_naming_every_missing_extra_and_changed_file(run_module, release):
    damage(release)
    failed, result = run_module(tree_manifest, dict(path=str(release), expected=MANIFEST))
    assert failed
    assert result["msg"] == ("%s does not match its manifest: 1 missing (assets/img/logo.svg); "
                             "1 extra (assets/old-0000.js); 1 changed (index.html)" % release)
    assert result["matches"] is False
    assert result["difference"] == {"missing": ["assets/img/logo.svg"], "extra": ["assets/old-0000.js"],
                                    "changed": ["index.html"]}


def test_a_mismatch_is_reported_not_failed_when_asked(run_module, release):
    damage(release)
    failed, result = run_module(tree_manifest, dict(path=str(release), expected=MANIFEST, fail_on_mismatch=False))
    assert not failed and not result["changed"] and result["matches"] is False
    assert result["difference"]["changed"] == ["index.html"]
    assert result["count"] == len(FILES)


def test_many_differences_are_summarised(run_module, release):
    for number in range(12):
        (release / ("extra-%02d.js" % number)).write_bytes(b"x")
    failed, result = run_module(tree_manifest, dict(path=str(release), expected=MANIFEST))
    assert failed and "12 extra (extra-00.js, " in result["msg"] and "extra-09.js and 2 more)" in result["msg"]
    assert len(result["difference"]["extra"]) == 12


def test_a_missing_folder_is_a_mismatch_when_reported_and_an_error_otherwise(run_module, tmp_path):
    missing = tmp_path / "releases" / "1.3.2"
    failed, result = run_module(tree_manifest, dict(path=str(missing), expected=MANIFEST, fail_on_mismatch=False))
    assert not failed and result["matches"] is False and result["difference"] is None and result["count"] == 0
    failed, result = run_module(tree_manifest, dict(path=str(missing), expected=MANIFEST))
    assert failed and result["msg"] == "%s is not a directory" % missing
    failed, result = run_module(tree_manifest, dict(path=str(missing)))
    assert failed and result["msg"] == "%s is not a directory" % missing


def test_a_link_inside_the_tree_is_refused_not_followed(run_module, release):
    os.symlink("/etc/passwd", str(release / "assets" / "passwd"))
    failed, result = run_module(tree_manifest, dict(path=str(release)))
    assert failed and result["msg"] == "%s is not a regular file" % (release / "assets" / "passwd")


@pytest.mark.parametrize("expected, number", [
    ("garbage\n", 1),
    (MANIFEST + "%s  ../../etc/passwd\n" % ("a" * 64), len(FILES) + 1),
    (MANIFEST + "%s  /etc/passwd\n" % ("a" * 64), len(FILES) + 1),
    ("%s  index.html\n" % ("z" * 64), 1),
])
def test_a_bad_expected_manifest_names_its_line(run_module, release, tmp_path, expected, number):
    dest = tmp_path / "MANIFEST.sha256"
    failed, result = run_module(tree_manifest, dict(path=str(release), expected=expected, dest=str(dest)))
    assert failed and "manifest line %d" % number in result["msg"]
    bad = expected.splitlines()[number - 1]
    assert repr(bad) in result["msg"] or repr(bad.split("  ")[0]) in result["msg"]
    assert not dest.exists()


def test_dest_is_written_then_left_alone(run_module, release, tmp_path):
    dest = tmp_path / "1.4.0.manifest.sha256"
    failed, result = run_module(tree_manifest, dict(path=str(release), dest=str(dest)))
    assert not failed and result["changed"]
    assert dest.read_bytes() == MANIFEST.encode("utf-8")
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == result["sha256"]
    before = os.stat(str(dest))
    failed, again = run_module(tree_manifest, dict(path=str(release), dest=str(dest)))
    assert not failed and not again["changed"] and again["manifest"] == MANIFEST
    assert os.stat(str(dest)).st_mtime_ns == before.st_mtime_ns and os.stat(str(dest)).st_ino == before.st_ino
    (release / "index.html").write_bytes(b"<html>1.4.1</html>\n")
    failed, third = run_module(tree_manifest, dict(path=str(release), dest=str(dest)))
    assert not failed and third["changed"] and dest.read_text(encoding="utf-8") == third["manifest"] != MANIFEST
    assert sorted(os.listdir(str(tmp_path))) == ["1.4.0.manifest.sha256", "releases"], "no temporary file left"


def test_check_mode_reports_the_change_and_writes_nothing(run_module, release, tmp_path):
    dest = tmp_path / "1.4.0.manifest.sha256"
    failed, result = run_module(tree_manifest, dict(path=str(release), dest=str(dest)), check_mode=True)
    assert not failed and result["changed"] and result["manifest"] == MANIFEST
    assert not dest.exists()
    dest.write_bytes(b"an older manifest\n")
    failed, result = run_module(tree_manifest, dict(path=str(release), dest=str(dest)), check_mode=True)
    assert not failed and result["changed"] and dest.read_bytes() == b"an older manifest\n"
    dest.write_bytes(MANIFEST.encode("utf-8"))
    failed, result = run_module(tree_manifest, dict(path=str(release), dest=str(dest)), check_mode=True)
    assert not failed and not result["changed"]


def test_check_mode_still_verifies(run_module, release):
    damage(release)
    failed, result = run_module(tree_manifest, dict(path=str(release), expected=MANIFEST), check_mode=True)
    assert failed and result["matches"] is False


def test_reading_never_changes_the_tree(run_module, release, tmp_path):
    before = snapshot(tmp_path)
    run_module(tree_manifest, dict(path=str(release), expected=MANIFEST))
    run_module(tree_manifest, dict(path=str(release), expected="x\n", fail_on_mismatch=False))
    assert snapshot(tmp_path) == before


def test_a_mismatch_does_not_write_dest(run_module, release, tmp_path):
    damage(release)
    dest = tmp_path / "1.4.0.manifest.sha256"
    failed, result = run_module(tree_manifest, dict(path=str(release), expected=MANIFEST, dest=str(dest)))
    assert failed and result["matches"] is False and not dest.exists()


def test_link_target_is_where_the_live_link_points(run_module, release, tmp_path):
    os.symlink("releases/1.4.0", str(tmp_path / "current"))
    failed, result = run_module(tree_manifest, dict(path=str(tmp_path / "current"), link=str(tmp_path / "current"),
                                                    expected=MANIFEST))
    assert not failed and result["link_target"] == "releases/1.4.0" and result["matches"]
    failed, result = run_module(tree_manifest, dict(path=str(release), link=str(release)))
    assert not failed and result["link_target"] is None, "a folder is not a link"
    failed, result = run_module(tree_manifest, dict(path=str(release), link=str(tmp_path / "missing"),
                                                    expected=MANIFEST))
    assert not failed and result["link_target"] is None and result["matches"]


def test_link_target_is_reported_even_when_the_folder_is_missing(run_module, tmp_path):
    os.symlink("releases/1.3.2", str(tmp_path / "current"))
    failed, result = run_module(tree_manifest, dict(path=str(tmp_path / "releases" / "1.3.2"),
                                                    link=str(tmp_path / "current"),
                                                    expected=MANIFEST, fail_on_mismatch=False))
    assert not failed and result["link_target"] == "releases/1.3.2" and result["matches"] is False

# -*- coding: utf-8 -*-
"""release_report: both files written atomically and only when their bytes differ, check and diff mode."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import os

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _ledger, _records
from ansible_collections.routing_ml.deploy.plugins.modules import release_report

KST = datetime.timezone(datetime.timedelta(hours=9))


def sha256(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def approve(root, gate, hour, reason="smoke tests passed"):
    _ledger.append(str(root), dict(gate=gate, status="Next Stage Ready", version="1.4.0", approver="QA-KIM",
                                   reason=reason, evidence="deliverables/onboarding_evidence/Stage9_%s_20251003" % gate,
                                   manifest_sha256="a" * 64), now=datetime.datetime(2025, 10, 3, hour, tzinfo=KST))


@pytest.fixture
def release(workspace):
    approve(workspace, "Alpha", 10)
    (workspace / "logs" / "deploy").mkdir(parents=True)
    record = _records.build("upload", "1.4.0", "2025-10-03T09:30:00+09:00", after="nas1:/srv/share/releases/1.4.0",
                            digests={"RoutingMLInstaller_1.4.0.exe": "1" * 64, "RoutingMLFrontend_1.4.0.zip": "2" * 64})
    dummy, path, dummy2, text = _records.write(str(workspace), record)
    _records.commit(path, text)
    return workspace


def test_writes_both_files_and_a_second_run_changes_nothing(run_module, release):
    failed, first = run_module(release_report, dict(workspace=str(release), version="1.4.0"))
    assert not failed and first["changed"], first
    folder = str(release / "deliverables")
    assert first["html_path"] == os.path.join(folder, "release_report_1.4.0.html")
    assert first["markdown_path"] == os.path.join(folder, "release_report_1.4.0.md")
    assert first["html_sha256"] == sha256(first["html_path"]) and first["markdown_sha256"] == sha256(first["markdown_path"])
    text = open(first["html_path"], encoding="utf-8").read()
    assert '<tr class="gate" data-gate="Alpha"' in text and "1" * 64 in text
    assert "no verify records for 1.4.0" in first["missing"]
    stamps = [os.stat(p).st_mtime_ns for p in (first["html_path"], first["markdown_path"])]
    failed, second = run_module(release_report, dict(workspace=str(release), version="1.4.0"))
    assert not failed and not second["changed"], second
    assert (second["html_sha256"], second["markdown_sha256"]) == (first["html_sha256"], first["markdown_sha256"])
    assert [os.stat(p).st_mtime_ns for p in (first["html_path"], first["markdown_path"])] == stamps
    # No temporary file left behind.
    assert sorted(n for n in os.listdir(folder) if n.startswith("release_report")) == [
        "release_report_1.4.0.html", "release_report_1.4.0.md"]


def test_check_mode_writes_nothing_and_predicts_truthfully(run_module, release, tmp_path):
    dest = tmp_path / "reports"
    args = dict(workspace=str(release), version="1.4.0", dest=str(dest))
    failed, result = run_module(release_report, args, check_mode=True)
    assert not failed and result["changed"], result
    assert not dest.exists()
    failed, real = run_module(release_report, args)
    assert not failed and real["changed"] and real["html_sha256"] == result["html_sha256"]
    # Links go from where the report is to the workspace.
    assert 'href="../release/deliverables/onboarding_evidence/Stage9_Alpha_20251003"' in (
        dest / "release_report_1.4.0.html").read_text(encoding="utf-8")
    before = (dest / "release_report_1.4.0.md").read_bytes()
    approve(release, "Beta", 11)
    failed, predicted = run_module(release_report, args, check_mode=True)
    assert not failed and predicted["changed"] and (dest / "release_report_1.4.0.md").read_bytes() == before
    failed, again = run_module(release_report, args, check_mode=True)
    assert again["changed"]  # still unwritten
    run_module(release_report, args)
    failed, after = run_module(release_report, args, check_mode=True)
    assert not failed and not after["changed"]


def test_diff_mode_shows_the_markdown_before_and_after(run_module, release):
    failed, first = run_module(release_report, dict(workspace=str(release), version="1.4.0"), diff=True)
    assert not failed and first["diff"]["before"] == ""
    assert first["diff"]["after_header"] == "deliverables/release_report_1.4.0.md"
    assert "## Stage 9 타임라인 (Stage 9 timeline)" in first["diff"]["after"]
    approve(release, "Beta", 11, reason="beta *feedback* [link](x)")
    failed, second = run_module(release_report, dict(workspace=str(release), version="1.4.0"), diff=True)
    assert not failed and second["changed"]
    assert second["diff"]["before"] == first["diff"]["after"]
    assert "beta \\*feedback\\* \\[link\\](x)" in second["diff"]["after"]
    failed, third = run_module(release_report, dict(workspace=str(release), version="1.4.0"), diff=True)
    assert not third["changed"] and "diff" not in third


def test_an_empty_workspace_still_gives_a_report(run_module, workspace):
    failed, result = run_module(release_report, dict(workspace=str(workspace), version="1.4.0"))
    assert not failed and result["changed"], result
    assert result["missing"][0] == "no ledger records for 1.4.0"
    assert "no ledger records for 1.4.0" in open(result["markdown_path"], encoding="utf-8").read()


@pytest.mark.parametrize("version", ["1.4.0\n", "1.4.0/../x"])
def test_a_malformed_version_fails_naming_it(run_module, workspace, version):
    failed, result = run_module(release_report, dict(workspace=str(workspace), version=version))
    assert failed and "version %r is not valid" % version in result["msg"]
    assert not (workspace / "deliverables" / "release_report_1.4.0.html").exists()


def test_a_dest_that_is_a_file_fails(run_module, workspace):
    (workspace / "taken").write_text("x")
    failed, result = run_module(release_report, dict(workspace=str(workspace), version="1.4.0",
                                                     dest=str(workspace / "taken")))
    assert failed and "is not a folder" in result["msg"]

# -*- coding: utf-8 -*-
"""document_line: one owned line in a section of a Markdown report, replaced or added, with the
rest of the file (line endings, byte order mark) left exactly as it was."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import document_line

REPORT = u"""# Stage 4 Frontend Report

## 배포 준비
- 체크리스트 검토 완료
- frontend 1.3.2 sync: 6 nodes

## 결과
- frontend 1.4.0 sync: written by hand in another section
"""
KEY = "frontend 1.4.0 sync"
LINE = "- frontend 1.4.0 sync: 6 nodes, [records](../logs/deploy/)"


@pytest.fixture
def report(tmp_path):
    path = tmp_path / "stage4_frontend_report.md"
    path.write_bytes(REPORT.encode("utf-8"))
    return path


def edit(run_module, path, check_mode=False, diff=False, **args):
    params = dict(path=str(path), section=u"배포 준비", key=KEY, line=LINE)
    params.update(args)
    return run_module(document_line, params, check_mode=check_mode, diff=diff)


def test_adds_the_line_at_the_end_of_its_section_then_is_idempotent(run_module, report):
    failed, result = edit(run_module, report)
    assert not failed and result["changed"] and result["line"] == LINE
    assert report.read_bytes().decode("utf-8") == REPORT.replace(
        u"- frontend 1.3.2 sync: 6 nodes\n", u"- frontend 1.3.2 sync: 6 nodes\n%s\n" % LINE)
    after = report.read_bytes()
    mtime = os.stat(str(report)).st_mtime_ns
    failed, again = edit(run_module, report)
    assert not failed and not again["changed"] and again["line"] == LINE
    assert report.read_bytes() == after and os.stat(str(report)).st_mtime_ns == mtime


def test_replaces_the_owned_line_in_place(run_module, report):
    edit(run_module, report)
    newer = "- frontend 1.4.0 sync: 5 nodes, node6 failed"
    failed, result = edit(run_module, report, line=newer)
    assert not failed and result["changed"]
    text = report.read_bytes().decode("utf-8")
    assert text == REPORT.replace(u"- frontend 1.3.2 sync: 6 nodes\n", u"- frontend 1.3.2 sync: 6 nodes\n%s\n" % newer)
    assert LINE not in text
    assert text.count(KEY) == 2, "the hand-written line of the other section is not touched"


def test_only_the_first_owned_line_of_the_section_is_replaced(run_module, tmp_path):
    path = tmp_path / "r.md"
    path.write_text(u"## 배포 준비\n- frontend 1.4.0 sync: old\n- frontend 1.4.0 sync: older\n", encoding="utf-8")
    failed, result = edit(run_module, path)
    assert not failed and result["changed"]
    assert path.read_text(encoding="utf-8") == u"## 배포 준비\n%s\n- frontend 1.4.0 sync: older\n" % LINE


def test_a_missing_section_is_added_at_the_end(run_module, report):
    failed, result = edit(run_module, report, section=u"Sync 기록")
    assert not failed and result["changed"]
    assert report.read_bytes().decode("utf-8") == REPORT + u"\n## Sync 기록\n%s\n" % LINE
    failed, again = edit(run_module, report, section=u"Sync 기록")
    assert not failed and not again["changed"]


def test_the_section_is_found_whatever_its_case_and_spacing(run_module, tmp_path):
    path = tmp_path / "r.md"
    path.write_text(u"### Release  Prep ###\n- a\n\n\n## Next\n", encoding="utf-8")
    failed, result = edit(run_module, path, section="release prep")
    assert not failed and result["changed"]
    assert path.read_text(encoding="utf-8") == u"### Release  Prep ###\n- a\n%s\n\n\n## Next\n" % LINE


def test_a_heading_inside_a_code_block_is_not_a_section(run_module, tmp_path):
    path = tmp_path / "r.md"
    original = u"# R\n\n```\n## 배포 준비\n```\n"
    path.write_text(original, encoding="utf-8")
    failed, result = edit(run_module, path)
    assert not failed and result["changed"]
    assert path.read_text(encoding="utf-8") == original + u"\n## 배포 준비\n%s\n" % LINE


def test_line_endings_and_byte_order_mark_are_kept(run_module, tmp_path):
    path = tmp_path / "crlf.md"
    original = u"\ufeff# 보고서\r\n\r\n## 배포 준비\r\n- 검토\r\n\r\n## 결과\r\n끝"
    path.write_bytes(original.encode("utf-8"))
    failed, result = edit(run_module, path)
    assert not failed and result["changed"]
    assert path.read_bytes() == (u"\ufeff# 보고서\r\n\r\n## 배포 준비\r\n- 검토\r\n%s\r\n\r\n## 결과\r\n끝" % LINE).encode("utf-8")
    failed, again = edit(run_module, path)
    assert not failed and not again["changed"]


def test_an_empty_file_gets_the_section(run_module, tmp_path):
    path = tmp_path / "empty.md"
    path.write_bytes(b"")
    failed, result = edit(run_module, path)
    assert not failed and result["changed"]
    assert path.read_text(encoding="utf-8") == u"## 배포 준비\n%s\n" % LINE


def test_check_mode_reports_and_writes_nothing(run_module, report):
    before = report.read_bytes()
    failed, result = edit(run_module, report, check_mode=True)
    assert not failed and result["changed"] and result["line"] == LINE
    assert report.read_bytes() == before
    assert sorted(os.listdir(str(report.parent))) == [report.name]
    edit(run_module, report)
    failed, result = edit(run_module, report, check_mode=True)
    assert not failed and not result["changed"]


def test_diff_shows_the_whole_file_before_and_after(run_module, report):
    failed, result = edit(run_module, report, check_mode=True, diff=True)
    assert not failed and result["changed"]
    assert result["diff"] == dict(before_header=str(report), after_header=str(report), before=REPORT,
                                  after=REPORT.replace(u"6 nodes\n\n", u"6 nodes\n%s\n\n" % LINE, 1))
    failed, result = edit(run_module, report, diff=True)
    assert result["diff"]["after"] == report.read_bytes().decode("utf-8")
    failed, result = edit(run_module, report, diff=True)
    assert not result["changed"] and "diff" not in result


@pytest.mark.parametrize("line", [
    "- frontend 1.3.2 sync: done",
    "- frontend 1.4.0 sync: done\n## injected heading",
    "",
])
def test_a_line_without_the_key_or_of_several_lines_is_refused_by_name(run_module, report, line):
    before = report.read_bytes()
    failed, result = edit(run_module, report, line=line)
    assert failed
    assert result["msg"] == "line %r must be one line containing key %r" % (line, KEY)
    assert report.read_bytes() == before


def test_a_line_with_a_carriage_return_is_refused(run_module, report):
    before = report.read_bytes()
    line = "- frontend 1.4.0 sync: done\r## injected heading"
    failed, result = edit(run_module, report, line=line)
    assert failed and repr(line) in result["msg"]
    assert report.read_bytes() == before


def test_an_empty_key_is_refused_and_nothing_is_overwritten(run_module, report):
    before = report.read_bytes()
    failed, result = edit(run_module, report, key="", line="- frontend 1.4.0 sync: 6 nodes")
    assert report.read_bytes() == before, "the hand-written line was overwritten"
    assert failed and "key" in result["msg"]


@pytest.mark.parametrize("key", [" ", "\t"])
def test_a_blank_key_is_refused_by_name(run_module, report, key):
    before = report.read_bytes()
    failed, result = edit(run_module, report, key=key, line="- frontend 1.4.0 sync: 6 nodes")
    assert failed and result["msg"] == "key %r must not be empty or only blanks" % key
    assert report.read_bytes() == before


def test_a_missing_file_is_refused_by_name_and_not_created(run_module, tmp_path):
    missing = tmp_path / "docs" / "missing.md"
    failed, result = edit(run_module, missing)
    assert failed and result["msg"].startswith("cannot edit %s: " % missing)
    assert not missing.exists()


def test_a_file_that_is_not_utf8_is_refused_by_name_and_left_alone(run_module, tmp_path):
    path = tmp_path / "cp949.md"
    original = u"## 배포 준비\n- 검토\n".encode("cp949")
    path.write_bytes(original)
    try:
        failed, result = edit(run_module, path)
    finally:
        assert path.read_bytes() == original
    assert failed and str(path) in result["msg"]

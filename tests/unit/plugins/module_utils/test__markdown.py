# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils._markdown import Document, checklist_summary
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

REPORT = """# Stage 4 Frontend Report

## 개요
내용.

```markdown
## 배포 준비
- [ ] not a real item (inside a fence)
```

## 배포 준비
- [x] 번들 빌드
- [ ] IIS 동기화
  - [X] 노드1

### 세부
- [ ] DMZ 캐시

## 다음 단계
- [ ] after the section
"""


def test_korean_section_with_subsections_and_fences():
    doc = Document(REPORT)
    items = doc.checklist("배포 준비")
    assert [(i["checked"], i["text"]) for i in items] == [
        (True, "번들 빌드"), (False, "IIS 동기화"), (True, "노드1"), (False, "DMZ 캐시")]
    assert items[0]["line"] == 12
    summary = checklist_summary(items)
    assert summary["unchecked"] == ["IIS 동기화", "DMZ 캐시"] and not summary["all_checked"]


def test_section_prefix_match_and_case():
    doc = Document("# T\n\n## Phase 5 - 배포 및 승인\n- [ ] Stage 9 Alpha\n## Phase 50\n")
    assert [i["text"] for i in doc.checklist("phase 5")] == ["Stage 9 Alpha"]


def test_missing_section_lists_headings():
    with pytest.raises(ValidationError) as exc:
        Document(REPORT, "report.md").checklist("Rollback")
    assert "'Rollback'" in str(exc.value) and "'배포 준비'" in str(exc.value) and "report.md" in str(exc.value)


def test_upsert_line_touches_only_its_line_and_keeps_crlf_and_bom():
    text = "\ufeff# Notes\r\n\r\n## Highlights\r\n- [a](x/)\r\n\r\n## Other\r\nkeep  me \r\n"
    doc = Document(text)
    assert doc.upsert_line("Highlights", lambda l: "](y/)" in l, "- [b](y/)")
    assert doc.text() == "\ufeff# Notes\r\n\r\n## Highlights\r\n- [a](x/)\r\n- [b](y/)\r\n\r\n## Other\r\nkeep  me \r\n"
    assert not doc.upsert_line("Highlights", lambda l: "](y/)" in l, "- [b](y/)")
    assert doc.upsert_line("Highlights", lambda l: "](y/)" in l, "- [c](y/)")
    assert doc.text().count("](y/)") == 1 and "- [c](y/)" in doc.text()


def test_upsert_line_creates_a_missing_section_at_the_end():
    doc = Document("# Notes\n\ntext\n")
    assert doc.upsert_line("Highlights", lambda l: False, "- new")
    assert doc.text() == "# Notes\n\ntext\n\n## Highlights\n- new\n"


def test_set_checkbox_checks_existing_item_keeping_indent():
    doc = Document("## Phase 5\n  - [ ] Stage 9 Beta 승인 대기\n- [ ] other\n")
    assert doc.set_checkbox("Phase 5", "Stage 9 Beta", "Stage 9 Beta — 1.0: Next Stage Ready")
    assert doc.text() == "## Phase 5\n  - [x] Stage 9 Beta — 1.0: Next Stage Ready\n- [ ] other\n"
    assert not doc.set_checkbox("Phase 5", "Stage 9 Beta", "Stage 9 Beta — 1.0: Next Stage Ready")


def test_set_checkbox_adds_missing_item():
    doc = Document("## Phase 5\n- [ ] other\n\n## Phase 6\n")
    assert doc.set_checkbox("Phase 5", "Stage 9 GA", "Stage 9 GA — 1.0: GA Approved")
    assert doc.text() == "## Phase 5\n- [ ] other\n- [x] Stage 9 GA — 1.0: GA Approved\n\n## Phase 6\n"


def test_table_rows_are_upserted_by_first_cell():
    doc = Document("## SHA256 Checksums\n\n| File | SHA256 |\n|---|---|\n| a.exe | 11 |\n\nafter\n")
    assert doc.upsert_table_rows("SHA256 Checksums", ["File", "SHA256"], [["a.exe", "22"], ["b.zip", "33"]])
    assert doc.text() == ("## SHA256 Checksums\n\n| File | SHA256 |\n|---|---|\n| a.exe | 22 |\n"
                          "| b.zip | 33 |\n\nafter\n")
    assert not doc.upsert_table_rows("SHA256 Checksums", ["File", "SHA256"], [["b.zip", "33"]])


def test_table_is_created_in_a_section_without_one():
    doc = Document("## Rollback\n이력 없음\n")
    assert doc.upsert_table_rows("Rollback", ["Time", "Result"], [["t1", "ok"]])
    assert doc.text() == "## Rollback\n이력 없음\n\n| Time | Result |\n| --- | --- |\n| t1 | ok |\n"


def test_table_cells_with_pipes_are_refused():
    with pytest.raises(ValidationError):
        Document("").upsert_table_rows("X", ["a"], [["a|b"]])


@pytest.mark.parametrize("text", ["", "\n", "no newline", "a\n\n\n", "\ufeffa\r\nb\r\n", "a\x0cb\u2028c\n"])
def test_round_trip_is_exact(text):
    assert Document(text).text() == text


# --------------------------------------------------------------------------- escaping (issue 23)

from ansible_collections.routing_ml.deploy.plugins.module_utils._markdown import escape  # noqa: E402


@pytest.mark.parametrize("raw, escaped", [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('<img src=x onerror="alert(1)">', '&lt;img src=x onerror="alert(1)"&gt;'),
    ("[click](javascript:alert(1))", "\\[click\\](javascript:alert(1))"),
    ("<javascript:alert(1)>", "&lt;javascript:alert(1)&gt;"),
    ("![x](http://evil/x.png)", "!\\[x\\](http://evil/x.png)"),
    ("`code", "\\`code"),
    ("a \\<b>", "a \\\\&lt;b&gt;"),
    ("CHG-1 & &lt;", "CHG-1 &amp; &amp;lt;"),
    ("CHG-42 users report errors (targets 1.4.0, 1.3.2)", "CHG-42 users report errors (targets 1.4.0, 1.3.2)"),
])
def test_escape_makes_html_and_links_inert(raw, escaped):
    assert escape(raw) == escaped
    assert "<" not in escape(raw) and "](" not in escape(raw).replace("\\](", "")


def test_an_escaped_row_is_one_table_row_and_idempotent():
    doc = Document("# Notes\n\n## Rollback\n")
    row = ["2025-10-03T14:02:11+09:00", "1.5.0", "1.4.0", "verified", escape("GA: <script>x</script> [a](javascript:b)")]
    assert doc.upsert_table_rows("Rollback", ["Time", "From", "To", "Result", "Note"], [row])
    assert not doc.upsert_table_rows("Rollback", ["Time", "From", "To", "Result", "Note"], [row])
    assert "<script>" not in doc.text() and "&lt;script&gt;x&lt;/script&gt; \\[a\\](javascript:b)" in doc.text()

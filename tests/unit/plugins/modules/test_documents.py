# -*- coding: utf-8 -*-
"""checklist_status, release_notes and audit_log_search: the document helpers."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import audit_log_search, checklist_status, release_notes

QA = """# Routing Enhancement QA

## QA 체크리스트
- [x] RSL 그룹 저장
- [ ] 감사 로그 IP 기록
- [ ] 프런트엔드 빌드 경고 없음

## 메모
- [ ] not part of the checklist
"""
DIGEST = "ab" * 32


@pytest.fixture
def qa(tmp_path):
    path = tmp_path / "routing_enhancement_qa.md"
    path.write_text(QA, encoding="utf-8")
    return path


def test_checklist_reports_items(run_module, qa):
    failed, result = run_module(checklist_status, dict(path=str(qa), section="QA 체크리스트"))
    assert not failed and not result["changed"] and not result["all_checked"]
    assert result["checked"] == ["RSL 그룹 저장"]
    assert result["unchecked"] == ["감사 로그 IP 기록", "프런트엔드 빌드 경고 없음"]


def test_checklist_require_all_lists_every_unchecked_item(run_module, qa):
    failed, result = run_module(checklist_status, dict(path=str(qa), section="QA 체크리스트", require_all=True))
    assert failed and "2 unchecked" in result["msg"]
    assert "감사 로그 IP 기록" in result["msg"] and "프런트엔드 빌드 경고 없음" in result["msg"]
    qa.write_text(QA.replace("- [ ]", "- [x]"), encoding="utf-8")
    failed, result = run_module(checklist_status, dict(path=str(qa), section="QA 체크리스트", require_all=True))
    assert not failed and result["all_checked"]


def test_checklist_missing_section_and_empty_section(run_module, qa):
    failed, result = run_module(checklist_status, dict(path=str(qa), section="Phase 5"))
    assert failed and "'Phase 5'" in result["msg"]
    qa.write_text("## Phase 5\nnothing yet\n")
    failed, result = run_module(checklist_status, dict(path=str(qa), section="Phase 5", require_all=True))
    assert failed and "no checklist items" in result["msg"]


@pytest.fixture
def notes(tmp_path):
    path = tmp_path / "release_notes_2025-09-29.md"
    path.write_bytes("# Release 2025-09-29\r\n\r\n## Highlights\r\n- 기능 A\r\n\r\n## 기타\r\n끝\r\n".encode("utf-8"))
    return path


def test_release_notes_sections_are_idempotent_and_keep_the_rest(run_module, notes):
    args = dict(path=str(notes),
                digests=[dict(file="RoutingMLInstaller_1.4.0.exe", sha256="sha256:" + DIGEST.upper())],
                highlights=[dict(text="Stage9 Alpha", link="onboarding_evidence/Stage9_Alpha_20251003/")],
                rollback=dict(timestamp="2025-10-03T15:10:00+09:00", from_version="1.4.0", to_version="1.3.2",
                              result="success", note="node2 health"))
    failed, first = run_module(release_notes, args, diff=True)
    assert not failed and first["changed"]
    assert first["sections"] == ["SHA256 Checksums", "Highlights", "Rollback"]
    text = notes.read_bytes().decode("utf-8")
    assert text.startswith("# Release 2025-09-29\r\n\r\n## Highlights\r\n- 기능 A\r\n"
                           "- [Stage9 Alpha](onboarding_evidence/Stage9_Alpha_20251003/)\r\n\r\n## 기타\r\n끝\r\n")
    assert "| RoutingMLInstaller_1.4.0.exe | %s |\r\n" % DIGEST in text
    assert "| 2025-10-03T15:10:00+09:00 | 1.4.0 | 1.3.2 | success | node2 health |" in text
    assert "\n" not in text.replace("\r\n", "")
    failed, second = run_module(release_notes, args)
    assert not failed and not second["changed"] and notes.read_bytes().decode("utf-8") == text


def test_release_notes_check_mode_and_bad_digest(run_module, notes):
    before = notes.read_bytes()
    failed, result = run_module(release_notes, dict(path=str(notes), digests=[dict(file="a.zip", sha256=DIGEST)]),
                                check_mode=True)
    assert not failed and result["changed"] and notes.read_bytes() == before
    failed, result = run_module(release_notes, dict(path=str(notes), digests=[dict(file="a.zip", sha256="12ab")]))
    assert failed and "'12ab'" in result["msg"] and "a.zip" in result["msg"] and notes.read_bytes() == before
    failed, result = run_module(release_notes, dict(path=str(notes), rollback=dict(
        timestamp="later", from_version="1.4.0", to_version="1.3.2", result="ok")))
    assert failed and "'later'" in result["msg"] and notes.read_bytes() == before


@pytest.fixture
def audit(tmp_path):
    path = tmp_path / "rsl.audit.log"
    path.write_text(
        '2025-10-03T14:00:00+09:00 ip=10.0.0.5 action="GET /api/health"\n'
        '2025-10-03T14:02:11+09:00 ip=127.0.0.1 action="POST /api/rsl/groups name=spot-42"\n')
    return path


def test_audit_search_finds_the_spot_test(run_module, audit):
    failed, result = run_module(audit_log_search, dict(path=[str(audit)], since="2025-10-03T05:01:00Z",
                                                       client_ip="127.0.0.1", action="spot-42"))
    assert not failed and result["count"] == 1
    assert result["matches"][0]["line"] == 2 and result["matches"][0]["file"] == str(audit)


def test_audit_search_fails_saying_what_it_looked_for(run_module, audit):
    failed, result = run_module(audit_log_search, dict(path=[str(audit)], client_ip="127.0.0.9", action="spot-42"))
    assert failed and result["count"] == 0
    assert "client_ip=127.0.0.9" in result["msg"] and "spot-42" in result["msg"]
    failed, result = run_module(audit_log_search, dict(path=[str(audit)], since="noon"))
    assert failed and "'noon'" in result["msg"]

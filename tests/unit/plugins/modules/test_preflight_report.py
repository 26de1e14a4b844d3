# -*- coding: utf-8 -*-
"""preflight_report: SOP 2 checked in the release workspace and on the backend hosts, every gap
reported in one failure, nothing in the workspace touched."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import preflight_report
from ansible_collections.routing_ml.deploy.tests.unit.plugins.modules.trees import snapshot

GOOD_BUILD = u"> tsc -b && vite build\n✓ 1843 modules transformed.\n✓ built in 14.82s\n"
BAD_BUILD = u"> tsc -b && vite build\nsrc/RslGroups.tsx(41,7): error TS2322: Type 'string' is not assignable.\n"
GOOD_PYTEST = (u"collected 12 items\n\ntests/test_rsl_routing_groups.py ............ [100%]\n\n"
               u"============================= 12 passed in 3.41s ==============================\n")
FAILED_PYTEST = GOOD_PYTEST.replace(u"12 passed", u"11 passed, 1 failed")
APPROVED = u"""# Routing ML Release Notes 2025-09-29

## Highlights
- RSL 그룹 저장 기능 추가

## 승인 (Approval)
- [x] QA 리드
- [x] Release Owner
"""
QA = u"""# Routing Enhancement QA

## QA Checklist
- [x] RSL 그룹 저장
- [x] 감사 로그 IP 기록
"""
NOTES = "deliverables/release_notes_2025-09-29.md"
HOSTS = {"backend1": {"present": True, "path": "C:\\RoutingML\\data\\rsl.accdb", "exists": True},
         "backend2": {"present": True, "path": "\\\\nas\\db\\rsl.accdb", "exists": True}}


def write(root, relpath, text):
    path = root.joinpath(*relpath.split("/"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


@pytest.fixture
def ready(workspace):
    """The workspace of tests/unit/conftest.py with everything SOP 2 asks for in place."""
    write(workspace, "logs/qa/frontend_build_20250928.log", BAD_BUILD)
    write(workspace, "logs/qa/frontend_build_20250929.log", GOOD_BUILD)
    write(workspace, "logs/qa/pytest_rsl_routing_groups_20250929.log", GOOD_PYTEST)
    write(workspace, NOTES, APPROVED)
    write(workspace, "docs/sprint/routing_enhancement_qa.md", QA)
    return workspace


def report(run_module, workspace, check_mode=False, **extra):
    args = dict(workspace=str(workspace), release_notes=NOTES, hosts=HOSTS)
    args.update(extra)
    return run_module(preflight_report, args, check_mode=check_mode)


def test_a_ready_release_passes_and_names_what_it_read(run_module, ready):
    failed, result = report(run_module, ready)
    assert not failed, result.get("msg")
    assert not result["changed"] and result["problems"] == [] and result["host_problems"] == {}
    assert result["checked"] == {
        "build_log": "logs/qa/frontend_build_20250929.log",
        "pytest_log": "logs/qa/pytest_rsl_routing_groups_20250929.log",
        "release_notes": NOTES,
        "qa_checklist": "docs/sprint/routing_enhancement_qa.md",
    }


def test_the_newest_log_by_name_is_the_one_that_counts(run_module, ready):
    write(ready, "logs/qa/frontend_build_20250930.log", BAD_BUILD)
    failed, result = report(run_module, ready)
    assert failed and result["checked"]["build_log"] == "logs/qa/frontend_build_20250930.log"
    assert result["problems"] == [
        "logs/qa/frontend_build_20250930.log shows a build error: "
        "src/RslGroups.tsx(41,7): error TS2322: Type 'string' is not assignable.",
        "logs/qa/frontend_build_20250930.log has no successful 'built in' line",
    ]


def test_every_gap_is_reported_at_once(run_module, ready):
    write(ready, "logs/qa/frontend_build_20250930.log", BAD_BUILD)
    write(ready, "logs/qa/pytest_rsl_routing_groups_20250930.log", FAILED_PYTEST)
    write(ready, NOTES, APPROVED.replace(u"- [x] Release Owner", u"- [ ] Release Owner"))
    os.unlink(str(ready / "docs" / "sprint" / "routing_enhancement_qa.md"))
    hosts = dict(HOSTS, backend2={"present": False},
                 backend3={"present": True, "path": "D:\\db\\rsl.accdb", "exists": False})
    failed, result = report(run_module, ready, hosts=hosts)
    assert failed
    assert result["problems"] == [
        "logs/qa/frontend_build_20250930.log shows a build error: "
        "src/RslGroups.tsx(41,7): error TS2322: Type 'string' is not assignable.",
        "logs/qa/frontend_build_20250930.log has no successful 'built in' line",
        "logs/qa/pytest_rsl_routing_groups_20250930.log: 11 passed, 1 failed",
        "release notes %s: unchecked: Release Owner" % NOTES,
        "QA checklist docs/sprint/routing_enhancement_qa.md does not exist",
    ]
    assert result["host_problems"] == {
        "backend2": ["ROUTING_ML_RSL_DATABASE_URL is not set"],
        "backend3": ["the database file D:\\db\\rsl.accdb named by ROUTING_ML_RSL_DATABASE_URL is not reachable"],
    }
    lines = result["msg"].splitlines()
    assert lines[0] == "pre-deployment checklist (SOP 2) not met:"
    assert lines[1:] == ["- %s" % p for p in result["problems"]] + [
        "- backend2: ROUTING_ML_RSL_DATABASE_URL is not set",
        "- backend3: the database file D:\\db\\rsl.accdb named by ROUTING_ML_RSL_DATABASE_URL is not reachable",
    ]


def test_a_host_problem_alone_fails_the_check(run_module, ready):
    failed, result = report(run_module, ready, hosts=dict(HOSTS, backend9={"error": "backend9 did not answer"}))
    assert failed and result["problems"] == []
    assert result["host_problems"] == {"backend9": ["ROUTING_ML_RSL_DATABASE_URL is not set", "backend9 did not answer"]}
    assert "- backend9: backend9 did not answer" in result["msg"].splitlines()


def test_the_variable_named_in_messages_is_the_one_asked_for(run_module, ready):
    failed, result = report(run_module, ready, variable="RSL_DB", hosts={"backend1": {"present": False}})
    assert failed and result["host_problems"] == {"backend1": ["RSL_DB is not set"]}


def test_no_hosts_means_no_host_checks(run_module, ready):
    failed, result = report(run_module, ready, hosts={})
    assert not failed and result["host_problems"] == {}


def test_missing_logs_are_named_by_their_pattern(run_module, ready):
    for name in os.listdir(str(ready / "logs" / "qa")):
        os.unlink(str(ready / "logs" / "qa" / name))
    failed, result = report(run_module, ready)
    assert failed
    assert result["problems"][:2] == ["no frontend build log matches logs/qa/frontend_build_*.log",
                                      "no pytest log matches logs/qa/pytest_rsl_routing_groups_*.log"]
    assert "build_log" not in result["checked"] and "pytest_log" not in result["checked"]


def test_other_log_globs_and_pytest_target(run_module, ready):
    write(ready, "ci/build-7.txt", GOOD_BUILD)
    write(ready, "ci/pytest-7.txt", GOOD_PYTEST.replace(u"tests/test_rsl_routing_groups.py", u"tests/test_api.py"))
    failed, result = report(run_module, ready, build_log="ci/build-*.txt", pytest_log="ci/pytest-*.txt",
                            pytest_target="tests/test_api.py")
    assert not failed, result.get("msg")
    assert result["checked"]["build_log"] == "ci/build-7.txt" and result["checked"]["pytest_log"] == "ci/pytest-7.txt"
    failed, result = report(run_module, ready, pytest_log="ci/pytest-*.txt")
    assert failed and result["problems"] == ["ci/pytest-7.txt does not mention tests/test_rsl_routing_groups.py"]


def test_a_missing_or_empty_approval_section_is_a_problem(run_module, ready):
    write(ready, NOTES, APPROVED.replace(u"## 승인 (Approval)", u"## Sign-off"))
    failed, result = report(run_module, ready)
    assert failed and result["problems"] == [
        "section '승인 (Approval)' not found in %s (headings: 'Routing ML Release Notes 2025-09-29', "
        "'Highlights', 'Sign-off')" % NOTES]
    failed, result = report(run_module, ready, approval_section="Highlights")
    assert failed and result["problems"] == ["release notes %s: section 'Highlights' has no checkboxes" % NOTES]
    failed, result = report(run_module, ready, approval_section="Sign-off")
    assert not failed


def test_the_qa_checklist_and_section_can_be_named(run_module, ready):
    write(ready, "docs/qa.md", u"## 검증\n- [x] 스모크\n- [ ] 부하\n")
    failed, result = report(run_module, ready, qa_checklist="docs/qa.md", qa_section=u"검증")
    assert failed and result["problems"] == ["QA checklist docs/qa.md: unchecked: 부하"]
    assert result["checked"]["qa_checklist"] == "docs/qa.md"


@pytest.mark.parametrize("option, value, what", [
    ("release_notes", "../outside.md", "release notes"),
    ("release_notes", "/etc/passwd", "release notes"),
    ("qa_checklist", "docs/../../outside.md", "QA checklist"),
    ("build_log", "../*.log", "frontend build log"),
    ("pytest_log", "/var/log/*.log", "pytest log"),
])
def test_a_path_outside_the_workspace_is_refused_by_name(run_module, ready, option, value, what):
    failed, result = report(run_module, ready, **{option: value})
    assert failed and result["problems"] == [] and result["checked"] == {}
    dirname = os.path.dirname(value) if option.endswith("_log") else value
    assert result["msg"] == "%s %r escapes the workspace %s" % (what, dirname, os.path.realpath(str(ready)))


def test_a_linked_document_that_leads_outside_is_refused(run_module, ready, tmp_path):
    outside = write(tmp_path, "elsewhere/notes.md", APPROVED)
    os.unlink(str(ready / NOTES))
    os.symlink(str(outside), str(ready / NOTES))
    failed, result = report(run_module, ready)
    assert failed and result["msg"] == "release notes %r escapes the workspace %s" % (NOTES, os.path.realpath(str(ready)))


def test_a_missing_workspace_is_refused_by_name(run_module, tmp_path):
    missing = str(tmp_path / "no-such-release")
    failed, result = run_module(preflight_report, dict(workspace=missing, release_notes=NOTES))
    assert failed and result["msg"] == "workspace %r is not an existing directory" % missing


def test_check_mode_is_the_same_run_and_nothing_is_written(run_module, ready):
    before = snapshot(ready)
    failed, normal = report(run_module, ready)
    failed, checked = report(run_module, ready, check_mode=True)
    assert not failed and checked == normal
    assert snapshot(ready) == before
    write(ready, "logs/qa/frontend_build_20250930.log", BAD_BUILD)
    before = snapshot(ready)
    failed, normal = report(run_module, ready)
    failed, checked = report(run_module, ready, check_mode=True)
    assert failed and checked == normal and not checked["changed"]
    assert snapshot(ready) == before

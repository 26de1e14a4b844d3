# -*- coding: utf-8 -*-
"""A minimal release workspace (DESIGN.md layout) for the unit tests."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

TASKLIST = """# Routing ML Tasklist

## Phase 4 - 검증
- [x] QA 체크리스트

## Phase 5 - 배포 및 승인
- [ ] Stage 9 Alpha 승인 (QA 리드)
- [ ] Stage 9 Beta 승인 (Deployment Engineer)
- [ ] Stage 9 GA 승인 (Release Owner)

## Phase 6
- [ ] 회고
"""

RELEASE_NOTES = """# Routing ML Release Notes 2025-09-29

## Highlights
- RSL 그룹 저장 기능 추가

## Known Issues
- 없음
"""

EVIDENCE = {
    "Alpha": ["frontend_build_20251003.log", "pytest_rsl_routing_groups_20251003.log", "verify_1.4.0_backend1.json"],
    "Beta": ["verify_1.4.0_backend1.json", "upload_1.4.0.json", "feedback_summary.md"],
    "GA": ["change_approval.pdf", "user_notice.md", "verify_1.4.0_backend1.json"],
}


@pytest.fixture
def workspace(tmp_path):
    root = tmp_path / "release"
    for folder in ("logs/qa", "deliverables", "docs/sprint", "incoming"):
        (root / folder).mkdir(parents=True)
    (root / "Tasklist.md").write_text(TASKLIST, encoding="utf-8")
    (root / "deliverables" / "release_notes_2025-09-29.md").write_text(RELEASE_NOTES, encoding="utf-8")
    for gate, names in EVIDENCE.items():
        (root / "incoming" / gate).mkdir()
        for name in names:
            (root / "incoming" / gate / name).write_text("%s evidence %s\n" % (gate, name), encoding="utf-8")
    return root


@pytest.fixture
def evidence_sources():
    """``(name, source)`` pairs of a gate's default-policy evidence in the workspace."""
    return lambda gate: [(name, "incoming/%s/%s" % (gate, name)) for name in EVIDENCE[gate]]

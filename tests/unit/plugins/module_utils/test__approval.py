# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _approval, _evidence, _ledger
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

KST = datetime.timezone(datetime.timedelta(hours=9))
NOTES = "deliverables/release_notes_2025-09-29.md"


def at(hour):
    return datetime.datetime(2025, 10, 3, hour, 0, tzinfo=KST)


@pytest.fixture
def make_request(workspace, evidence_sources):
    """A ``Request`` for ``gate`` with that gate's evidence archived first."""
    def make(workspace, gate, approver="QA-KIM", version="1.4.0", **kwargs):
        plan = _evidence.plan(str(workspace), gate, version, "20251003", evidence_sources(gate),
                              created="2025-10-03T09:00:00+09:00")
        plan.apply()
        return _approval.Request(str(workspace), gate, version, approver,
                                 _evidence.folder_relpath(gate, "20251003"), NOTES, "Tasklist.md", **kwargs)
    return make


def test_alpha_beta_ga_in_order_with_documents_in_step(workspace, make_request):
    results = []
    for hour, (gate, approver) in enumerate([("Alpha", "QA-KIM"), ("Beta", "DEPLOY-LEE"), ("GA", "OWNER-PARK")], 10):
        results.append(_approval.record(make_request(workspace, gate, approver), now=at(hour)))
    assert all(r["changed"] and r["appended"] for r in results)
    records = _ledger.verify(str(workspace))
    assert [(r.fields["gate"], r.fields["status"]) for r in records] == [
        ("Alpha", "Next Stage Ready"), ("Beta", "Next Stage Ready"), ("GA", "GA Approved")]
    assert results[2]["record"]["sha256"] == records[2].digest
    tasklist = (workspace / "Tasklist.md").read_text()
    assert ("- [x] Stage 9 Alpha — 1.4.0: Next Stage Ready (QA Lead QA-KIM, 2025-10-03T10:00:00+09:00, ledger %s)"
            % records[0].digest[:12]) in tasklist
    assert "- [ ] Stage 9" not in tasklist and "- [ ] 회고" in tasklist
    notes = (workspace / NOTES).read_text()
    assert ("- Stage 9 Beta evidence for 1.4.0: [Stage9_Beta_20251003](onboarding_evidence/Stage9_Beta_20251003/) "
            "(manifest sha256 `%s`)" % records[1].fields["manifest_sha256"]) in notes
    highlights = notes.split("## Highlights")[1].split("## Known Issues")[0]
    assert highlights.count("evidence for 1.4.0") == 3 and "RSL 그룹 저장 기능 추가" in highlights


def test_same_approval_twice_changes_nothing(workspace, make_request):
    first = _approval.record(make_request(workspace, "Alpha"), now=at(10))
    snapshot = [(p, open(p, "rb").read()) for p in _files(workspace)]
    second = _approval.record(make_request(workspace, "Alpha"), now=at(11))
    assert not second["changed"] and not second["appended"]
    assert second["record"] == first["record"]
    assert [(p, open(p, "rb").read()) for p in _files(workspace)] == snapshot


def test_documents_are_repaired_when_the_ledger_already_has_the_record(workspace, make_request):
    _approval.record(make_request(workspace, "Alpha"), now=at(10))
    tasklist = workspace / "Tasklist.md"
    tasklist.write_text(tasklist.read_text().replace("- [x] Stage 9 Alpha", "- [ ] Stage 9 Alpha"))
    result = _approval.record(make_request(workspace, "Alpha"), now=at(11))
    assert result["changed"] and not result["appended"] and result["documents"] == ["Tasklist.md"]
    assert len(_ledger.verify(str(workspace))) == 1


def test_beta_without_alpha_is_refused_with_every_reason(workspace, make_request, evidence_sources):
    os.unlink(str(workspace / "incoming/Beta/feedback_summary.md"))
    with pytest.raises(ValidationError):
        make_request(workspace, "Beta")
    beta = _evidence.plan(str(workspace), "Beta", "1.4.0", "20251003",
                          evidence_sources("Beta")[:2], created="x")
    beta.apply()
    req = _approval.Request(str(workspace), "Beta", "1.4.0", "ops", _evidence.folder_relpath("Beta", "20251003"),
                            NOTES, "Tasklist.md", operator="OPS", forbid_self_approval=True)
    before = [(p, open(p, "rb").read()) for p in _files(workspace)]
    with pytest.raises(ValidationError) as exc:
        _approval.record(req, now=at(10))
    message = str(exc.value)
    assert "Alpha's 'Next Stage Ready' for version 1.4.0" in message
    assert "'feedback_summary*'" in message
    assert "launched this run" in message
    assert [(p, open(p, "rb").read()) for p in _files(workspace)] == before


def test_alpha_of_another_version_does_not_open_beta(workspace, make_request):
    _approval.record(make_request(workspace, "Alpha", version="1.3.9"), now=at(10))
    with pytest.raises(ValidationError) as exc:
        _approval.record(make_request(workspace, "Beta", "DEPLOY-LEE", version="1.4.0"), now=at(11))
    assert "for version 1.4.0" in str(exc.value)


def test_tampered_evidence_blocks_the_gate(workspace, make_request):
    req = make_request(workspace, "Alpha")
    folder = workspace / _evidence.folder_relpath("Alpha", "20251003")
    (folder / "verify_1.4.0_backend1.json").write_text("{}")
    with pytest.raises(ValidationError) as exc:
        _approval.record(req, now=at(10))
    assert "'verify_1.4.0_backend1.json'" in str(exc.value) and "mismatch" in str(exc.value)


def test_check_mode_predicts_and_writes_nothing(workspace, make_request):
    req = make_request(workspace, "Alpha")
    before = [(p, open(p, "rb").read()) for p in _files(workspace)]
    predicted = _approval.record(req, check_mode=True, now=at(10))
    assert predicted["changed"] and predicted["appended"]
    assert sorted(predicted["documents"]) == sorted(["Tasklist.md", NOTES])
    assert [(p, open(p, "rb").read()) for p in _files(workspace)] == before
    done = _approval.record(req, now=at(10))
    assert done["record"]["line"] == predicted["record"]["line"]


@pytest.mark.parametrize("kwargs,named", [
    (dict(evidence="../elsewhere"), "'../elsewhere'"),
    (dict(release_notes="/etc/passwd"), "'/etc/passwd'"),
    (dict(approver=" "), "approver"),
    (dict(version="1.4.0 beta"), "'1.4.0 beta'"),
    (dict(gate="beta"), "'beta'"),
])
def test_bad_requests_are_refused_naming_the_value(workspace, kwargs, named):
    args = dict(workspace=str(workspace), gate="Alpha", version="1.4.0", approver="QA-KIM",
                evidence="deliverables", release_notes=NOTES, tasklist="Tasklist.md")
    args.update(kwargs)
    with pytest.raises(ValidationError) as exc:
        _approval.Request(**args)
    assert named in str(exc.value)


def _files(workspace):
    found = []
    for folder, dummy, names in os.walk(str(workspace)):
        found += [os.path.join(folder, n) for n in names if n != _ledger.LOCK_NAME]
    return sorted(found)


def test_documents_name_the_record_appended_even_across_a_clock_tick(workspace, make_request, monkeypatch):
    """Each reading of the clock is a second later: the Tasklist must still name the record."""
    ticks = iter(range(100))

    class TickingClock(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime(2025, 10, 3, 10, 0, next(ticks), tzinfo=KST)

    monkeypatch.setattr(_approval.datetime, "datetime", TickingClock)
    monkeypatch.setattr(_ledger.datetime, "datetime", TickingClock)
    result = _approval.record(make_request(workspace, "Alpha"))
    record = _ledger.verify(str(workspace))[0]
    assert result["record"]["sha256"] == record.digest
    assert "ledger %s" % record.digest[:12] in (workspace / "Tasklist.md").read_text()

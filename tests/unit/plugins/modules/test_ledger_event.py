# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _gate_policy, _ledger, _records
from ansible_collections.routing_ml.deploy.plugins.modules import ledger_event

KST = datetime.timezone(datetime.timedelta(hours=9))
BUNDLE = hashlib.sha256(b"bundle 1.3.2").hexdigest()


def rollback_record(workspace, host, version="1.4.0", component="frontend", target="1.3.2"):
    """A rollback record as roles/rollback/tasks/frontend.yml writes it."""
    (workspace / "logs" / "deploy").mkdir(parents=True, exist_ok=True)
    record = _records.build(
        "rollback", version, "2025-10-03T15:00:00+09:00", host=host, before="1.4.0+1", after=target,
        digests={"manifest": BUNDLE},
        details={"component": component, "target": target, "release": "/srv/routing_ml/www/releases/%s" % target,
                 "mirrored": False, "reason": "health check failed on backend1", "operator": "deploy-bot",
                 "automatic": False})
    changed, path, _before, after = _records.write(str(workspace), record)
    _records.commit(path, after)
    return path


def sidecar_digest(paths):
    """SHA256 of ``<sha256>  <name>\\n`` lines sorted by name: what ``sha256sum`` of the files lists."""
    named = sorted((p.rsplit("/", 1)[-1], p) for p in paths)
    text = "".join("%s  %s\n" % (hashlib.sha256(open(p, "rb").read()).hexdigest(), name) for name, p in named)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def args(workspace, **extra):
    result = dict(workspace=str(workspace), status="Rolled Back", gate="Beta", version="1.4.0", approver="DEPLOY-LEE",
                  operator="deploy-bot", reason="health check failed on backend1", target=["1.3.2", "1.3.0", "1.3.2"],
                  outcome="verified")
    result.update(extra)
    return result


def ledger_lines(workspace):
    return [r.text for r in _ledger.verify(str(workspace))]


@pytest.fixture
def approved(workspace):
    """Alpha approved 1.4.0 (so the chain is not empty) and two nodes rolled back at Beta."""
    _ledger.append(str(workspace), dict(gate="Alpha", status="Next Stage Ready", version="1.4.0", approver="QA-KIM",
                                        evidence="deliverables/onboarding_evidence/Stage9_Alpha_20251002",
                                        manifest_sha256="a" * 64),
                   now=datetime.datetime(2025, 10, 2, 9, tzinfo=KST))
    rollback_record(workspace, "node2")
    rollback_record(workspace, "node1")
    return workspace


def test_rolled_back_appends_one_line_with_targets_outcome_and_evidence(run_module, approved):
    # Not this rollback's evidence: another version's rollback, and another kind of record of 1.4.0.
    rollback_record(approved, "node1", version="1.3.2", target="1.3.0")
    (approved / "logs" / "deploy" / "frontend_sync_1.4.0_node1.json").write_text("{}\n")
    before = ledger_lines(approved)
    failed, result = run_module(ledger_event, args(approved))
    assert not failed and result["changed"], result
    after = ledger_lines(approved)
    assert after[:-1] == before and len(after) == len(before) + 1
    line = after[-1]
    assert result["record"]["line"] == line and result["record"]["sha256"] == hashlib.sha256(line.encode()).hexdigest()
    folder = str(approved / "logs" / "deploy")
    digest = sidecar_digest([folder + "/rollback_1.4.0_node1.json", folder + "/rollback_1.4.0_node2.json"])
    assert line.split(" | ", 1)[1] == (
        "Stage9 | gate=Beta | status=Rolled Back | version=1.4.0 | approver=DEPLOY-LEE | operator=deploy-bot "
        "| reason=health check failed on backend1 | target=1.3.0,1.3.2 | outcome=verified "
        "| evidence=logs/deploy/rollback_1.4.0_*.json | manifest_sha256=%s | prev=%s" % (
            digest, hashlib.sha256(before[-1].encode()).hexdigest()))
    blocked = _gate_policy.rollback_block("1.4.0", _ledger.verify(str(approved)))
    assert blocked is not None and blocked.text == line


def test_without_rollback_records_the_manifest_is_the_empty_one(run_module, workspace):
    failed, result = run_module(ledger_event, args(workspace, target=[], outcome=None, operator=None))
    assert not failed and result["changed"], result
    assert result["record"]["manifest_sha256"] == hashlib.sha256(b"").hexdigest()
    assert "target=" not in result["record"]["line"] and "outcome=" not in result["record"]["line"]
    assert result["record"]["prev"] == "0" * 64


def test_a_second_identical_call_appends_nothing(run_module, approved):
    _failed, first = run_module(ledger_event, args(approved))
    count = len(ledger_lines(approved))
    failed, second = run_module(ledger_event, args(approved))
    assert not failed and not second["changed"], second
    assert second["record"]["sha256"] == first["record"]["sha256"]
    assert len(ledger_lines(approved)) == count


def test_a_rollback_at_another_gate_is_its_own_record(run_module, approved):
    """Each gate's rollback is its own record (the stage, its hosts, its targets): a Beta rollback in
    force does not stand for the GA one, so the GA one is appended; the version stays blocked."""
    _failed, beta = run_module(ledger_event, args(approved))
    count = len(ledger_lines(approved))
    failed, ga = run_module(ledger_event, args(approved, gate="GA", target=["1.3.0"]))
    assert not failed and ga["changed"], ga
    records = _ledger.verify(str(approved))
    assert len(records) == count + 1 and records[-1].fields["gate"] == "GA" and records[-1].prev == \
        beta["record"]["sha256"]
    assert _gate_policy.rollback_block("1.4.0", records).fields["gate"] == "GA"


def test_a_rerun_of_the_first_gate_s_rollback_appends_nothing(run_module, approved):
    """Alpha rolled back 1.4.0, then Beta did; neither was unblocked. A re-run of the Alpha rollback
    (DOCUMENTATION: a Rolled Back record of the same gate and version still in force is not written
    again; roles/rollback/tasks/record.yml: a re-run adds nothing) must not append a second one."""
    _failed, alpha = run_module(ledger_event, args(approved, gate="Alpha"))
    run_module(ledger_event, args(approved, gate="Beta"))
    count = len(ledger_lines(approved))
    failed, again = run_module(ledger_event, args(approved, gate="Alpha"))
    assert not failed, again
    assert len(ledger_lines(approved)) == count
    assert not again["changed"] and again["record"]["sha256"] == alpha["record"]["sha256"]


def test_unblocked_with_nothing_blocked_changes_nothing(run_module, approved):
    before = ledger_lines(approved)
    failed, result = run_module(ledger_event, args(approved, status="Unblocked", approver="OWNER-PARK",
                                                   reason="CHG-1234"))
    assert not failed and not result["changed"] and result["record"] is None
    assert result["msg"] == "1.4.0 is not blocked by a rollback"
    assert ledger_lines(approved) == before


def test_unblocked_after_rolled_back_lifts_the_block(run_module, approved):
    run_module(ledger_event, args(approved))
    failed, result = run_module(ledger_event, args(approved, status="Unblocked", approver="OWNER-PARK",
                                                   reason="CHG-1234 root cause fixed, build unchanged"))
    assert not failed and result["changed"], result
    records = _ledger.verify(str(approved))
    assert records[-1].text == result["record"]["line"]
    assert records[-1].fields["status"] == "Unblocked" and records[-1].fields["approver"] == "OWNER-PARK"
    assert "target" not in records[-1].fields and "outcome" not in records[-1].fields, "Rolled Back only"
    assert _gate_policy.rollback_block("1.4.0", records) is None
    # Unblocked once is enough; a second call has nothing left to unblock.
    failed, again = run_module(ledger_event, args(approved, status="Unblocked", approver="OWNER-PARK",
                                                  reason="CHG-1234 root cause fixed, build unchanged"))
    assert not failed and not again["changed"] and len(_ledger.verify(str(approved))) == len(records)
    # And a rollback after the unblock is in force again: a new record.
    failed, third = run_module(ledger_event, args(approved))
    assert not failed and third["changed"]
    assert _gate_policy.rollback_block("1.4.0", _ledger.verify(str(approved))).digest == third["record"]["sha256"]


BAD_FIELDS = [("reason", "health | check"), ("reason", "health check\nstatus=GA Approved"), ("reason", " health check"),
              ("reason", ""), ("approver", "DEPLOY|LEE")]


@pytest.mark.parametrize("status, field, value", [("Rolled Back", f, v) for f, v in BAD_FIELDS + [
    ("outcome", "verified\r"), ("operator", "bot\tx")]] + [("Unblocked", f, v) for f, v in BAD_FIELDS])
def test_a_bad_field_is_refused_naming_it_and_writes_nothing(run_module, approved, status, field, value):
    if status == "Unblocked":
        run_module(ledger_event, args(approved))  # something to unblock
    before = ledger_lines(approved)
    failed, result = run_module(ledger_event, args(approved, status=status, **{field: value}))
    assert failed, result
    assert "%s %r" % (field, value) in result["msg"]
    assert ledger_lines(approved) == before


def test_a_bad_target_version_is_refused(run_module, approved):
    failed, result = run_module(ledger_event, args(approved, target=["1.3.2", "1.3.0|x"]))
    assert failed and "version '1.3.0|x' is not valid" in result["msg"]
    assert len(ledger_lines(approved)) == 1


@pytest.mark.parametrize("status", ["Rolled Back", "Unblocked"])
def test_check_mode_says_changed_and_writes_nothing(run_module, approved, status):
    if status == "Unblocked":
        run_module(ledger_event, args(approved))
    files = dict((p, open(p).read()) for p in _ledger.ledger_files(str(approved)))
    failed, result = run_module(ledger_event, args(approved, status=status, reason="CHG-9"), check_mode=True)
    assert not failed and result["changed"], result
    assert result["record"]["status"] == status and result["record"]["line"].split(" | ")[1:4] == [
        "Stage9", "gate=Beta", "status=%s" % status]
    assert dict((p, open(p).read()) for p in _ledger.ledger_files(str(approved))) == files


def test_the_chain_verifies_after_all_of_it(run_module, approved):
    run_module(ledger_event, args(approved))                                  # appended
    run_module(ledger_event, args(approved))                                  # in force: nothing
    run_module(ledger_event, args(approved, gate="GA"))                       # its own record
    run_module(ledger_event, args(approved, reason="bad | reason", gate="Alpha"))  # refused
    run_module(ledger_event, args(approved), check_mode=True)                 # nothing written
    run_module(ledger_event, args(approved, status="Unblocked", reason="CHG-1"))  # appended
    run_module(ledger_event, args(approved, status="Unblocked", reason="CHG-1"))  # nothing blocked
    records = _ledger.verify(str(approved))
    assert [(r.fields["gate"], r.fields["status"]) for r in records] == [
        ("Alpha", "Next Stage Ready"), ("Beta", "Rolled Back"), ("GA", "Rolled Back"), ("Beta", "Unblocked")]
    for earlier, later in zip(records, records[1:]):
        assert later.prev == earlier.digest

# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import multiprocessing
import os

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checksum, _ledger
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

KST = datetime.timezone(datetime.timedelta(hours=9))


def fields(gate="Alpha", version="1.4.0", approver="QA-KIM", **extra):
    result = dict(gate=gate, status="Next Stage Ready", version=version, approver=approver,
                  evidence="deliverables/onboarding_evidence/Stage9_%s_20251003" % gate,
                  manifest_sha256="a" * 64)
    result.update(extra)
    return result


def at(day, hour, minute=0):
    return datetime.datetime(2025, 10, day, hour, minute, tzinfo=KST)


@pytest.fixture
def ledger(workspace):
    """Five records over two days: 03 (three), 04 (two)."""
    moments = [at(3, 14, 2), at(3, 15), at(3, 16), at(4, 9), at(4, 10)]
    for number, moment in enumerate(moments):
        _ledger.append(str(workspace), fields(approver="A%d" % number), now=moment)
    return workspace


def lines(path):
    return path.read_text().splitlines()


def test_record_format_and_chain(ledger):
    day3 = ledger / "logs/task_execution_20251003.log"
    first = lines(day3)[0]
    assert first == ("2025-10-03T14:02:00+09:00 | Stage9 | gate=Alpha | status=Next Stage Ready | version=1.4.0 "
                     "| approver=A0 | evidence=deliverables/onboarding_evidence/Stage9_Alpha_20251003 "
                     "| manifest_sha256=%s | prev=%s" % ("a" * 64, "0" * 64))
    records = _ledger.verify(str(ledger))
    assert [os.path.basename(r.path) for r in records] == ["task_execution_20251003.log"] * 3 + ["task_execution_20251004.log"] * 2
    for before, after in zip(records, records[1:]):
        assert after.prev == _checksum.sha256_bytes(before.text.encode()) == before.digest


def assert_broken_at(workspace, where, reason):
    with pytest.raises(_ledger.LedgerError) as exc:
        _ledger.verify(str(workspace))
    assert exc.value.where == where, str(exc.value)
    assert reason in str(exc.value)


def test_edited_record_is_detected_at_the_next_line(ledger):
    day3 = ledger / "logs/task_execution_20251003.log"
    text = day3.read_text().replace("approver=A1", "approver=QA-LEE")
    day3.write_text(text)
    assert_broken_at(ledger, "logs/task_execution_20251003.log line 3", "chain broken")


def test_edit_of_the_last_record_of_a_day_is_detected_in_the_next_file(ledger):
    day3 = ledger / "logs/task_execution_20251003.log"
    day3.write_text(day3.read_text().replace("approver=A2", "approver=A9"))
    assert_broken_at(ledger, "logs/task_execution_20251004.log line 1", "chain broken")


def test_removed_record_is_detected(ledger):
    day3 = ledger / "logs/task_execution_20251003.log"
    kept = lines(day3)
    del kept[1]
    day3.write_text("\n".join(kept) + "\n")
    assert_broken_at(ledger, "logs/task_execution_20251003.log line 2", "chain broken")


def test_reordered_records_are_detected(ledger):
    day3 = ledger / "logs/task_execution_20251003.log"
    kept = lines(day3)
    kept[1], kept[2] = kept[2], kept[1]
    day3.write_text("\n".join(kept) + "\n")
    assert_broken_at(ledger, "logs/task_execution_20251003.log line 2", "chain broken")


def test_removed_file_is_detected(ledger):
    os.unlink(str(ledger / "logs/task_execution_20251003.log"))
    assert_broken_at(ledger, "logs/task_execution_20251004.log line 1", "chain broken")


def test_garbage_and_half_lines_are_detected(ledger):
    day4 = ledger / "logs/task_execution_20251004.log"
    day4.write_text(day4.read_text() + "hand-written note\n")
    assert_broken_at(ledger, "logs/task_execution_20251004.log line 3", "not a ledger record")
    day4.write_text("\n".join(lines(day4)[:2]) + "\n" + "2025-10-04T11:00:00+09:00 | Stage9 | gate=Al")
    assert_broken_at(ledger, "logs/task_execution_20251004.log line 3", "incomplete")


def test_truncated_tail_needs_an_anchor(ledger):
    head = _ledger.verify(str(ledger))[-1].digest
    os.unlink(str(ledger / "logs/task_execution_20251004.log"))
    assert len(_ledger.verify(str(ledger))) == 3
    with pytest.raises(_ledger.LedgerError) as exc:
        _ledger.verify(str(ledger), anchors=[head])
    assert head in str(exc.value)


def test_nothing_is_appended_to_a_broken_ledger(ledger):
    day3 = ledger / "logs/task_execution_20251003.log"
    day3.write_text(day3.read_text().replace("approver=A1", "approver=X"))
    before = (ledger / "logs/task_execution_20251004.log").read_text()
    with pytest.raises(_ledger.LedgerError):
        _ledger.append(str(ledger), fields(), now=at(4, 11))
    assert (ledger / "logs/task_execution_20251004.log").read_text() == before


def test_clock_behind_the_ledger_is_refused(ledger):
    with pytest.raises(_ledger.LedgerError) as exc:
        _ledger.append(str(ledger), fields(), now=at(4, 9, 30))
    assert "behind" in str(exc.value)


@pytest.mark.parametrize("bad", [dict(approver="QA|KIM"), dict(approver=""), dict(version="1.0/x"),
                                 dict(gate="Gamma"), dict(manifest_sha256="xyz"), dict(colour="red")])
def test_bad_fields_write_nothing(workspace, bad):
    with pytest.raises(ValidationError) as exc:
        _ledger.append(str(workspace), fields(**bad), now=at(3, 9))
    assert list(bad.values())[0] in str(exc.value) or list(bad)[0] in str(exc.value)
    assert _ledger.ledger_files(str(workspace)) == []


def _writer(workspace, name, count, start):
    start.wait()
    for number in range(count):
        _ledger.append(workspace, fields(approver="%s-%d" % (name, number)))


def test_two_processes_appending_at_once_lose_nothing(workspace):
    context = multiprocessing.get_context("fork")
    start = context.Barrier(2)
    writers = [context.Process(target=_writer, args=(str(workspace), name, 40, start)) for name in ("P", "Q")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
        assert writer.exitcode == 0
    records = _ledger.verify(str(workspace))
    approvers = sorted(r.fields["approver"] for r in records)
    assert approvers == sorted(["P-%d" % n for n in range(40)] + ["Q-%d" % n for n in range(40)])


def rollback_fields(**extra):
    result = dict(gate="Beta", status="Rolled Back", version="1.4.0", approver="DEPLOY-LEE", operator="deploy-bot",
                  reason="health check failed on backend1", target="1.3.0,1.3.2", outcome="verified",
                  evidence="logs/deploy/rollback_1.4.0_*.json", manifest_sha256="c" * 64)
    result.update(extra)
    return result


def test_target_and_outcome_come_after_reason_and_round_trip():
    line = _ledger.format_record("2025-10-03T15:00:00+09:00", rollback_fields(), "0" * 64)
    assert line == ("2025-10-03T15:00:00+09:00 | Stage9 | gate=Beta | status=Rolled Back | version=1.4.0 "
                    "| approver=DEPLOY-LEE | operator=deploy-bot | reason=health check failed on backend1 "
                    "| target=1.3.0,1.3.2 | outcome=verified | evidence=logs/deploy/rollback_1.4.0_*.json "
                    "| manifest_sha256=%s | prev=%s" % ("c" * 64, "0" * 64))
    record = _ledger.parse_record(line, "task_execution_20251003.log", 1)
    assert record.fields == rollback_fields() and record.prev == "0" * 64 and record.text == line


@pytest.mark.parametrize("absent", ["operator", "reason", "target", "outcome"])
def test_each_optional_field_may_be_left_out(absent):
    kept = rollback_fields()
    del kept[absent]
    line = _ledger.format_record("2025-10-03T15:00:00+09:00", kept, "0" * 64)
    assert "%s=" % absent not in line
    assert _ledger.parse_record(line, "x", 1).fields == kept


def test_records_with_target_and_outcome_chain_and_verify(ledger):
    appended = _ledger.append(str(ledger), rollback_fields(), now=at(4, 11))
    unblocked = _ledger.append(str(ledger), rollback_fields(status="Unblocked", target=None, outcome=None,
                                                            approver="OWNER-PARK", reason="CHG-1234"), now=at(4, 12))
    records = _ledger.verify(str(ledger))
    assert [r.digest for r in records[-2:]] == [appended.digest, unblocked.digest]
    assert records[-2].fields["target"] == "1.3.0,1.3.2" and records[-2].fields["outcome"] == "verified"
    assert "target" not in records[-1].fields and records[-1].prev == appended.digest
    assert records[-2].as_dict(str(ledger))["line"] == 3


@pytest.mark.parametrize("swap", [("target", "outcome"), ("reason", "target"), ("outcome", "evidence"),
                                  ("operator", "outcome")])
def test_fields_out_of_order_are_refused(ledger, swap):
    line = _ledger.format_record("2025-10-04T11:00:00+09:00", rollback_fields(),
                                 _ledger.verify(str(ledger))[-1].digest)
    parts = line.split(" | ")
    names = [p.partition("=")[0] for p in parts]
    first, second = names.index(swap[0]), names.index(swap[1])
    parts[first], parts[second] = parts[second], parts[first]
    shuffled = " | ".join(parts)
    with pytest.raises(_ledger.LedgerError, match="not in the ledger's order"):
        _ledger.parse_record(shuffled, "x", 1)
    day4 = ledger / "logs/task_execution_20251004.log"
    day4.write_text(day4.read_text() + shuffled + "\n")
    assert_broken_at(ledger, "logs/task_execution_20251004.log line 3", "not in the ledger's order")


@pytest.mark.parametrize("bad", [dict(target="1.3.0|1.3.2"), dict(outcome="verified\nstatus=GA Approved"),
                                 dict(target=""), dict(outcome=" verified")])
def test_bad_target_or_outcome_writes_nothing(workspace, bad):
    with pytest.raises(ValidationError) as exc:
        _ledger.append(str(workspace), rollback_fields(**bad), now=at(3, 9))
    name, value = list(bad.items())[0]
    assert "%s %r" % (name, value) in str(exc.value)
    assert _ledger.ledger_files(str(workspace)) == []

# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _ledger, _records, _status

DIGEST = "ab" * 32
OTHER = "cd" * 32
ALL = ["stage_alpha", "stage_beta", "stage_ga"]
HOSTS = {
    "node1": dict(role="web", groups=["iis_farm", "web"] + ALL),
    "node2": dict(role="web", groups=["iis_farm", "web", "stage_beta", "stage_ga"]),
    "node3": dict(role="web", groups=["iis_farm", "web", "stage_ga"]),
    "backend1": dict(role="backend", groups=["backend"] + ALL),
}


def at(minute):
    return datetime.datetime(2025, 10, 3, 14, minute, tzinfo=datetime.timezone(datetime.timedelta(hours=9)))


def write_record(workspace, kind, version, host, minute, after, gate=None, component=None, outcome="ok"):
    details = dict(gate=gate)
    if component:
        details["component"] = component
    record = _records.build(kind, version, _ledger.format_timestamp(at(minute)), host=host, after=after,
                            digests=dict(manifest=DIGEST) if kind != "verify" else None, outcome=outcome,
                            details=details)
    dummy, path, dummy, text = _records.write(workspace, record)
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    _records.commit(path, text)


def approve(workspace, gate, version, minute, status="Next Stage Ready", **extra):
    fields = dict(gate=gate, status=status, version=version, approver="QA-KIM", evidence="e", manifest_sha256=DIGEST)
    fields.update(extra)
    _ledger.append(workspace, fields, now=at(minute))


def expect(workspace):
    return _status.expectations(_status.ledger_lines(_ledger.verify(workspace)), _status.read_records(workspace), HOSTS)


@pytest.fixture
def workspace(tmp_path):
    """1.3.0 through every gate, then 1.4.0 deployed at Alpha and approved, then at Beta."""
    path = str(tmp_path)
    approve(path, "Alpha", "1.3.0", 0)
    approve(path, "Beta", "1.3.0", 0)
    for host in ("node1", "node2", "node3"):
        write_record(path, "frontend_sync", "1.3.0", host, 1, "1.3.0", gate="GA")
    write_record(path, "verify", "1.3.0", "backend1", 1, "1.3.0", gate="GA")
    approve(path, "GA", "1.3.0", 2, status="GA Approved")
    write_record(path, "frontend_sync", "1.4.0", "node1", 10, "1.4.0", gate="Alpha")
    write_record(path, "verify", "1.4.0", "backend1", 10, "1.4.0", gate="Alpha")
    approve(path, "Alpha", "1.4.0", 11)
    write_record(path, "frontend_sync", "1.4.0", "node2", 20, "1.4.0", gate="Beta")
    return path


def test_each_host_is_expected_at_the_newest_run_of_its_stages(workspace):
    expected = expect(workspace)
    assert expected["node1"]["expected_version"] == "1.4.0"
    assert expected["node2"]["expected_version"] == "1.4.0"
    # node3 is in stage_ga only: the Alpha and Beta runs of 1.4.0 are not its business.
    assert expected["node3"]["expected_version"] == "1.3.0"
    assert expected["backend1"]["expected_version"] == "1.4.0"
    assert expected["node2"]["manifest_sha256"] == DIGEST


def test_approved_is_the_newest_approval_at_the_hosts_gates(workspace):
    expected = expect(workspace)
    assert (expected["node1"]["approved_version"], expected["node1"]["approved_gate"]) == ("1.4.0", "Alpha")
    # node2 is not in stage_alpha: Alpha's approval of 1.4.0 does not approve what it serves.
    assert (expected["node2"]["approved_version"], expected["node2"]["approved_gate"]) == ("1.3.0", "GA")


def test_a_host_a_failed_batch_never_reached_is_left_behind(workspace):
    # A second Beta-stage farm node that the Beta run of 1.4.0 never reached.
    hosts = dict(HOSTS, node4=dict(role="web", groups=["iis_farm", "web", "stage_beta", "stage_ga"]))
    write_record(workspace, "frontend_sync", "1.3.0", "node4", 1, "1.3.0", gate="GA")
    expected = _status.expectations(_status.ledger_lines(_ledger.verify(workspace)),
                                    _status.read_records(workspace), hosts)
    assert expected["node4"]["expected_version"] == "1.4.0"
    row = _status.judge("node4", expected["node4"], dict(live_version="1.3.0", verified=None))
    assert row["state"] == "drift"
    assert "serves 1.3.0, but frontend_sync_1.4.0_node2.json puts 1.4.0 on it (left behind by the Beta run)" \
        == row["drift"]


def test_a_rollback_in_the_ledger_takes_the_stage_back(workspace):
    approve(workspace, "Beta", "1.4.0", 30, status="Rolled Back", target="1.3.0", outcome="verified")
    expected = expect(workspace)
    assert expected["node2"]["expected_version"] == "1.3.0"
    assert expected["node2"]["approved_version"] == "1.3.0"
    # node1 is in stage_beta too: the rollback at Beta is newer than its Alpha record.
    assert expected["node1"]["expected_version"] == "1.3.0"
    assert expected["node3"]["expected_version"] == "1.3.0"


def test_a_rollback_to_several_versions_leaves_it_to_the_hosts_records(workspace):
    approve(workspace, "Beta", "1.4.0", 30, status="Rolled Back", target="1.3.0, 1.2.0", outcome="verified")
    write_record(workspace, "rollback", "1.4.0", "node2", 30, "1.3.0+1", gate="Beta", component="frontend",
                 outcome="ok")
    expected = expect(workspace)
    assert expected["node2"]["expected_version"] == "1.3.0"
    assert expected["node2"]["expected_by"] == "rollback_1.4.0_node2.json"


def test_a_gate_run_the_ledger_does_not_back_is_untrusted(workspace):
    # A GA record of 1.4.0, but the ledger has no Beta approval of 1.4.0.
    write_record(workspace, "frontend_sync", "1.4.0", "node3", 40, "1.4.0", gate="GA")
    expected = expect(workspace)
    assert "the ledger has no Beta 'Next Stage Ready' of 1.4.0" in expected["node3"]["untrusted"]
    row = _status.judge("node3", expected["node3"], dict(live_version="1.4.0", verified=True))
    assert row["state"] == "drift"


def test_failed_and_halted_records_put_nobody_anywhere(workspace):
    write_record(workspace, "verify", "1.5.0", "backend1", 50, "1.5.0", gate="Alpha", outcome="failed")
    assert expect(workspace)["backend1"]["expected_version"] == "1.4.0"


@pytest.mark.parametrize("observed, state, drift", [
    (dict(live_version="1.4.0", verified=True), "ok", None),
    (dict(live_version="1.4.0", verified=False, first_difference="index.html", how="changed", more=True),
     "drift", "index.html of 1.4.0 differs from its manifest (changed, and more)"),
    (dict(live_version="1.3.0", verified=None), "drift", "serves 1.3.0, but frontend_sync_1.4.0_node2.json puts 1.4.0 on it"),
    (dict(live_version="1.4.0", verified=True, switched=True), "drift", "its live pointer moved while it was checked"),
    (dict(live_version="1.4.0", verified=None), "drift", "no manifest of 1.4.0 to verify it against"),
    (dict(live_version=None, verified=None, detail="it has no live pointer /www/current"), "drift",
     "it has no live pointer /www/current"),
    (dict(unreachable="ssh: connect refused"), "unreachable", "unreachable: ssh: connect refused"),
])
def test_judge(workspace, observed, state, drift):
    row = _status.judge("node2", expect(workspace)["node2"], observed)
    assert (row["state"], row["drift"]) == (state, drift)


def test_during_a_deployment_a_host_that_differs_is_in_progress_never_ok(workspace):
    expected = expect(workspace)["node2"]
    switched = _status.judge("node2", expected, dict(live_version="1.4.0", verified=True, switched=True), deploying=True)
    assert switched["state"] == "in progress"
    other = _status.judge("node2", expected, dict(live_version="1.5.0", verified=None), deploying=True)
    assert other["state"] == "in progress"
    assert _status.judge("node2", expected, dict(live_version="1.4.0", verified=True), deploying=True)["state"] == "ok"
    # Unreachable stays unreachable: a lock is no excuse for a host nobody can ask.
    assert _status.judge("node2", expected, dict(unreachable="x"), deploying=True)["state"] == "unreachable"


def test_a_host_no_run_has_reached_is_not_deployed(tmp_path):
    expected = _status.expectations([], [], dict(node9=dict(role="web", groups=["web", "stage_ga"])))
    row = _status.judge("node9", expected["node9"], dict(live_version=None, verified=None, detail="no pointer"))
    assert row["state"] == "not deployed"
    served = _status.judge("node9", expected["node9"],
                           dict(live_version="1.4.0", verified=None, link_target="releases/1.4.0"))
    assert served["state"] == "drift"
    assert served["drift"] == "serves 1.4.0, which no deployment record or ledger line puts on it"


def test_first_difference_is_in_path_order_and_counts():
    expected = "%s  a.js\n%s  b.js\n%s  c.js\n" % (DIGEST, DIGEST, DIGEST)
    live = "%s  a.js\n%s  c.js\n%s  d.js\n" % (DIGEST, OTHER, DIGEST)
    assert _status.first_difference(expected, live) == ("b.js", "missing", 3)
    assert _status.first_difference(expected, expected) == (None, None, 0)


def test_answers_come_from_the_task_that_ran():
    skipped = dict(skipped=True)
    web = dict(live_version="1.4.0", verified=True)
    assert _status.answer_of("linux", web, None, skipped) == dict(node_status=web)
    assert _status.answer_of("linux", skipped, None, dict(live_version="1.4.0")) == dict(
        node_status=dict(live_version="1.4.0"))
    assert _status.answer_of("windows", skipped, dict(result=dict(matches=True)), skipped) == dict(
        windows=dict(matches=True))
    assert _status.answer_of("windows", skipped, skipped, skipped) == dict(windows=dict(skipped=True))
    assert _status.answer_of("linux", dict(unreachable=True, msg="timed out"), None, skipped) == dict(
        unreachable="timed out")
    assert "left the play" in _status.answer_of("linux", None, None, None)["unreachable"]


def test_an_iis_answer_names_its_first_difference():
    observed = _status.observed_from(dict(windows=dict(
        link_target="D:\\sites\\routing_ml\\releases\\1.4.0+1",
        matches=False, difference=dict(missing=[], extra=["debug.js"], changed=["app.js"], invalid=[]))), "1.4.0")
    assert (observed["live_version"], observed["verified"]) == ("1.4.0", False)
    assert (observed["first_difference"], observed["how"], observed["more"]) == ("app.js", "changed", True)


def test_the_report_sorts_hosts_and_fails_on_drift_only(workspace):
    expected = expect(workspace)
    answers = dict(node1=dict(node_status=dict(live_version="1.4.0", verified=True)),
                   node2=dict(node_status=dict(live_version="1.4.0", verified=True)),
                   node3=dict(node_status=dict(live_version="1.3.0", verified=True)),
                   backend1=dict(node_status=dict(live_version="1.4.0", verified=True)))
    record = _status.report(expected, answers, time="t")
    assert [row["host"] for row in record["nodes"]] == ["backend1", "node1", "node2", "node3"]
    assert record["drift"] is False, [(r["host"], r["drift"]) for r in record["nodes"]]
    del answers["node3"]
    record = _status.report(expected, answers, time="t")
    assert record["drift"] is True
    assert record["nodes"][3]["state"] == "unreachable"
    lines = _status.table(record["nodes"])
    assert lines[0].split() == ["host", "role", "live", "verified", "approved", "state", "drift"]
    assert all(line == line.rstrip() for line in lines)

# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _ledger, _records
from ansible_collections.routing_ml.deploy.plugins.modules import rollback_plan

KST = datetime.timezone(datetime.timedelta(hours=9))
BUNDLE = hashlib.sha256(b"bundle manifest").hexdigest()


def at(day, hour, minute=0):
    return datetime.datetime(2025, 10, day, hour, minute, tzinfo=KST)


def put(workspace, record):
    (workspace / "logs" / "deploy").mkdir(parents=True, exist_ok=True)
    changed, path, _before, after = _records.write(str(workspace), record, ["previous"])
    if changed:
        _records.commit(path, after)


def sync(workspace, host, previous, version="1.4.0", before=None, day=3):
    """As roles/frontend "Record the sync of this node" writes it."""
    before = before or previous
    put(workspace, _records.build(
        "frontend_sync", version, _ledger.format_timestamp(at(day, 14)), host=host, before=before, after=version,
        digests={"manifest": BUNDLE},
        details={"release": "/srv/routing_ml/www/releases/%s" % version, "files": 2, "repaired": False,
                 "difference": {"missing": [], "extra": [], "changed": []}, "previous": previous}))


def backup(workspace, host, version, replaced_by="1.4.0", day=3):
    """As roles/backup/tasks/record.yml writes it."""
    put(workspace, _records.build(
        "backup", version, _ledger.format_timestamp(at(day, 13)), host=host, before=version,
        after="/srv/share/routing_ml/backup/%s" % version,
        digests={"RoutingMLInstaller_%s.exe" % version: hashlib.sha256(version.encode()).hexdigest(),
                 "update.bat": hashlib.sha256(b"update").hexdigest()},
        details={"replaced_by": replaced_by}))


def event(workspace, status, when, version="1.4.0", gate="Beta", reason="health check failed on backend1"):
    fields = dict(gate=gate, status=status, version=version, approver="DEPLOY-LEE", reason=reason,
                  evidence="logs/deploy/rollback_%s_*.json" % version, manifest_sha256=hashlib.sha256(b"").hexdigest())
    if status == "Rolled Back":
        fields.update(target="1.3.2", outcome="verified")
    return _ledger.append(str(workspace), fields, now=when)


def args(workspace, **extra):
    result = dict(workspace=str(workspace), version="1.4.0", gate="Beta", web=["node1", "node2"], backend=["backend1"])
    result.update(extra)
    return result


@pytest.fixture
def deployed(workspace):
    """1.4.0 deployed at Beta: node1 over 1.3.2, node2 over 1.3.0, backend1 over 1.3.2."""
    sync(workspace, "node1", "1.3.2")
    sync(workspace, "node2", "1.3.0")
    backup(workspace, "backend1", "1.3.2")
    _ledger.append(str(workspace), dict(gate="Alpha", status="Next Stage Ready", version="1.4.0", approver="QA-KIM",
                                        evidence="deliverables/onboarding_evidence/Stage9_Alpha_20251002",
                                        manifest_sha256="a" * 64), now=at(2, 9))
    return workspace


@pytest.mark.parametrize("check_mode", [False, True])
def test_targets_for_every_host(run_module, deployed, check_mode):
    failed, result = run_module(rollback_plan, args(deployed), check_mode=check_mode)
    assert not failed and not result["changed"], result
    assert {name: entry["target"] for name, entry in result["hosts"].items()} == {
        "node1": "1.3.2", "node2": "1.3.0", "backend1": "1.3.2"}
    assert result["hosts"]["node1"]["source"] == "logs/deploy/frontend_sync_1.4.0_node1.json"
    assert result["hosts"]["backend1"]["backup"]["record"] == "logs/deploy/backup_1.3.2_backend1.json"
    assert result["hosts"]["backend1"]["backup"]["folder"] == "/srv/share/routing_ml/backup/1.3.2"
    assert result["targets"] == ["1.3.0", "1.3.2"], "sorted and distinct"
    assert result["recorded"] is None


def test_the_plan_says_when_the_rollback_began(run_module, deployed):
    before = datetime.datetime.now().astimezone().replace(microsecond=0)
    failed, result = run_module(rollback_plan, args(deployed))
    after = datetime.datetime.now().astimezone()
    assert not failed, result
    started = datetime.datetime.fromisoformat(result["started"])
    assert started.tzinfo is not None and before <= started <= after, result["started"]


def test_check_mode_returns_the_same(run_module, deployed):
    event(deployed, "Rolled Back", at(3, 15))
    _failed, real = run_module(rollback_plan, args(deployed, web=["node1", "node2", "node9"]))
    _failed, checked = run_module(rollback_plan, args(deployed, web=["node1", "node2", "node9"]), check_mode=True)
    assert real.pop("started") <= checked.pop("started")
    assert real == checked and real["recorded"] is not None


def test_a_host_without_a_target_is_not_among_the_targets(run_module, deployed):
    failed, result = run_module(rollback_plan, args(deployed, web=["node1", "node9"], backend=["backend1", "backend2"]))
    assert not failed, result
    assert result["targets"] == ["1.3.2"]
    assert result["hosts"]["node9"]["target"] is None and "node9: no release before 1.4.0" in \
        result["hosts"]["node9"]["problem"]
    assert result["hosts"]["backend2"]["target"] is None and "backend2: no backup" in \
        result["hosts"]["backend2"]["problem"]


def test_to_is_the_one_target(run_module, deployed):
    backup(deployed, "backend1", "1.3.0", replaced_by="1.3.2", day=1)
    failed, result = run_module(rollback_plan, args(deployed, to="1.3.0", web=["node1", "node9"]))
    assert not failed, result
    assert result["targets"] == ["1.3.0"]
    assert all(h["target"] == "1.3.0" and h["source"] == "routing_ml_rollback_to" for h in result["hosts"].values())


def test_the_rolled_back_record_in_force_for_the_gate_is_recorded(run_module, deployed):
    rolled = event(deployed, "Rolled Back", at(3, 15))
    failed, result = run_module(rollback_plan, args(deployed))
    assert not failed, result
    recorded = result["recorded"]
    assert recorded["sha256"] == rolled.digest and recorded["status"] == "Rolled Back"
    assert (recorded["gate"], recorded["version"], recorded["target"]) == ("Beta", "1.4.0", "1.3.2")
    assert recorded["file"] == "logs/task_execution_20251003.log" and recorded["line"] == 1
    # Another gate's rollback of the version is not this gate's record.
    _failed, alpha = run_module(rollback_plan, args(deployed, gate="Alpha"))
    assert alpha["recorded"] is None
    # Another version's rollback neither.
    _failed, other = run_module(rollback_plan, args(deployed, version="1.3.2", web=[], backend=[]))
    assert other["recorded"] is None


def test_nothing_is_recorded_after_an_unblock(run_module, deployed):
    event(deployed, "Rolled Back", at(3, 15))
    event(deployed, "Unblocked", at(3, 16), reason="CHG-1234 root cause fixed")
    failed, result = run_module(rollback_plan, args(deployed))
    assert not failed and result["recorded"] is None
    # A second rollback after the unblock is in force again, and it is the one recorded.
    again = event(deployed, "Rolled Back", at(3, 17))
    assert run_module(rollback_plan, args(deployed))[1]["recorded"]["sha256"] == again.digest


def test_a_gate_s_rollback_stays_recorded_after_another_gate_s(run_module, deployed):
    """Alpha and Beta both rolled back 1.4.0 and nobody unblocked it: the Alpha rollback is still
    in force, so a re-run of the Alpha rollback finds it (RETURN: the newest Rolled Back record
    of this gate and version when no Unblocked record follows it)."""
    alpha = event(deployed, "Rolled Back", at(3, 15), gate="Alpha")
    event(deployed, "Rolled Back", at(3, 16), gate="Beta")
    failed, result = run_module(rollback_plan, args(deployed, gate="Alpha"))
    assert not failed, result
    assert result["recorded"] is not None and result["recorded"]["sha256"] == alpha.digest


def test_all_refused_hosts_in_one_failure_that_says_nothing_changed(run_module, deployed):
    sync(deployed, "node3", "1.3.2")
    event(deployed, "Rolled Back", at(3, 15), version="1.3.2", gate="Alpha")
    failed, result = run_module(rollback_plan, args(deployed, web=["node1", "node2", "node3"]))
    assert failed
    assert result["msg"].startswith("rollback of 1.4.0 refused before any host changed: ")
    for host in ("node1", "node3", "backend1"):
        assert "%s: 1.3.2 was itself rolled back at Alpha on 2025-10-03T15:00:00+09:00" % host in result["msg"]
    assert "node2" not in result["msg"]
    assert [p.split(":")[0] for p in result["problems"]] == ["node1", "node3", "backend1"]


def test_a_named_target_without_a_backup_is_refused(run_module, deployed):
    failed, result = run_module(rollback_plan, args(deployed, to="1.2.0"))
    assert failed and result["problems"] == [
        "backend1: no backup of 1.2.0 in logs/deploy (the backup role writes backup_<version>_backend1.json when "
        "it installs over a version)"]


def test_the_version_itself_is_no_target(run_module, deployed):
    failed, result = run_module(rollback_plan, args(deployed, to="1.4.0", backend=[]))
    assert failed and result["problems"] == [
        "node1: the rollback target 1.4.0 is the version being rolled back",
        "node2: the rollback target 1.4.0 is the version being rolled back"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_broken_ledger_fails_naming_file_and_line(run_module, deployed, check_mode):
    event(deployed, "Rolled Back", at(3, 15))
    day2 = deployed / "logs" / "task_execution_20251002.log"
    day2.write_text(day2.read_text().replace("approver=QA-KIM", "approver=QA-LEE"))
    failed, result = run_module(rollback_plan, args(deployed), check_mode=check_mode)
    assert failed and "hosts" not in result
    assert result["msg"].startswith("logs/task_execution_20251003.log line 1: chain broken")


def test_bad_input_is_named(run_module, deployed):
    failed, result = run_module(rollback_plan, args(deployed, version="1.4.0/.."))
    assert failed and "version '1.4.0/..' is not valid" in result["msg"]
    failed, result = run_module(rollback_plan, dict(args(deployed), workspace=str(deployed / "missing")))
    assert failed and "is not an existing directory" in result["msg"]

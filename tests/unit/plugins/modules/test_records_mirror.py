# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import os

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _evidence, _ledger
from ansible_collections.routing_ml.deploy.plugins.modules import records_mirror

KST = datetime.timezone(datetime.timedelta(hours=9))


def gate(root, name, day, hour, approver="QA-KIM"):
    """Evidence (folder and zip), a statement and the ledger record of one gate."""
    root = str(root)
    date = "202510%02d" % day
    source = os.path.join(root, "incoming", "%s.log" % name)
    os.makedirs(os.path.dirname(source), exist_ok=True)
    with open(source, "w") as handle:
        handle.write("%s evidence by %s\n" % (name, approver))
    plan = _evidence.plan(root, name, "1.4.0", date, [("smoke.log", source)], created="2025-10-03T14:00:00+09:00")
    plan.apply()
    _evidence.write_zip(plan.folder, plan.folder + ".zip")
    statement = os.path.join(root, "deliverables", "approvals", "1.4.0", "%s.statement.json" % name)
    os.makedirs(os.path.dirname(statement), exist_ok=True)
    with open(statement, "w") as handle:
        handle.write('{"gate": "%s", "approver": "%s"}\n' % (name, approver))
    return _ledger.append(root, dict(
        gate=name, status="Next Stage Ready", version="1.4.0", approver=approver,
        evidence=_evidence.folder_relpath(name, date), manifest_sha256=plan.manifest_sha256),
        now=datetime.datetime(2025, 10, day, hour, tzinfo=KST))


def tree(root):
    found = {}
    for folder, dummy, names in os.walk(str(root)):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, str(root))] = hashlib.sha256(handle.read()).hexdigest()
    return found


@pytest.fixture
def sides(tmp_path):
    workspace, share = tmp_path / "workspace", tmp_path / "share"
    workspace.mkdir()
    share.mkdir()
    gate(share, "Alpha", 3, 14)
    gate(share, "Beta", 4, 9, approver="DEPLOY-LEE")
    return workspace, share


def args(workspace, share, **extra):
    return dict(dict(workspace=str(workspace), view=str(share)), **extra)


def test_compared_reports_and_writes_nothing(run_module, sides):
    workspace, share = sides
    before = tree(workspace), tree(share)
    failed, result = run_module(records_mirror, args(workspace, share))
    assert not failed and not result["changed"]
    assert result["pulled"] == [] and result["pushed"] == [] and result["conflicts"] == []
    assert "logs/task_execution_20251004.log" in result["plan"]["pull"] and result["plan"]["push"] == []
    assert (result["records_local"], result["records_share"]) == (0, 2)
    assert (tree(workspace), tree(share)) == before


def test_pulled_in_check_mode_tells_the_truth_and_writes_nothing(run_module, sides):
    workspace, share = sides
    failed, check = run_module(records_mirror, args(workspace, share, state="pulled"), check_mode=True)
    assert not failed and check["changed"] and "logs/task_execution_20251003.log" in check["pulled"]
    assert tree(workspace) == {}
    failed, real = run_module(records_mirror, args(workspace, share, state="pulled"))
    assert not failed and real["changed"] and real["pulled"] == check["pulled"]
    records = dict((k, v) for k, v in tree(share).items() if not k.startswith(("incoming", "logs/.")))
    assert dict((k, v) for k, v in tree(workspace).items() if not k.startswith("logs/.")) == records
    failed, again = run_module(records_mirror, args(workspace, share, state="pulled"))
    assert not failed and not again["changed"] and again["pulled"] == []


def test_pulled_with_a_conflict_fails_with_all_of_them_and_writes_nothing(run_module, sides):
    workspace, share = sides
    run_module(records_mirror, args(workspace, share, state="pulled"))
    mine = gate(workspace, "GA", 5, 10, approver="OWNER-PARK")
    theirs = gate(share, "GA", 5, 11, approver="OWNER-KIM")
    before = tree(workspace), tree(share)
    failed, result = run_module(records_mirror, args(workspace, share, state="pulled"))
    assert failed and "nothing was copied" in result["msg"]
    assert ("record 3: workspace logs/task_execution_20251005.log line 1 sha256 %s, share "
            "logs/task_execution_20251005.log line 1 sha256 %s" % (mine.digest, theirs.digest)) in result["conflicts"]
    assert any("GA.statement.json exists on both sides" in c for c in result["conflicts"])
    assert all(c in result["msg"] for c in result["conflicts"])
    assert (tree(workspace), tree(share)) == before


def test_pushed_to_a_local_folder_then_verified(run_module, sides, tmp_path):
    workspace, share = sides
    run_module(records_mirror, args(workspace, share, state="pulled"))
    gate(workspace, "GA", 5, 10, approver="OWNER-PARK")
    failed, result = run_module(records_mirror, args(workspace, share, state="verified"))
    assert failed and "logs/task_execution_20251005.log is missing on the share" in result["problems"]
    failed, check = run_module(records_mirror, args(workspace, share, state="pushed"), check_mode=True)
    assert not failed and check["changed"] and "logs/task_execution_20251005.log" in check["pushed"]
    assert "logs/task_execution_20251005.log" not in tree(share)
    failed, result = run_module(records_mirror, args(workspace, share, state="pushed"))
    assert not failed and result["pushed"] == check["pushed"]
    failed, result = run_module(records_mirror, args(workspace, share, state="verified"))
    assert not failed and not result["changed"] and result["problems"] == []
    fresh = tmp_path / "new-share" / "stage9"
    failed, result = run_module(records_mirror, args(workspace, fresh, state="pushed"))
    assert not failed and fresh.is_dir() and "logs/task_execution_20251003.log" in result["pushed"]


def test_a_missing_view_is_refused_by_name(run_module, sides, tmp_path):
    workspace, dummy = sides
    failed, result = run_module(records_mirror, args(workspace, tmp_path / "nope", state="pulled"))
    assert failed and "nope" in result["msg"] and "not an existing directory" in result["msg"]


def test_view_and_smb_root_are_exclusive(run_module, sides):
    workspace, share = sides
    failed, result = run_module(records_mirror, args(workspace, share, smb_root="\\\\nas\\share\\stage9"))
    assert failed and "mutually exclusive" in result["msg"]
    failed, result = run_module(records_mirror, dict(workspace=str(workspace)))
    assert failed and "one of the following is required" in result["msg"]

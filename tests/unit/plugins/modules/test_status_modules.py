# -*- coding: utf-8 -*-
"""status_expected and status_report: what playbooks/status.yml does on the controller."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import os
import zipfile

from ansible_collections.routing_ml.deploy.plugins.module_utils import _ledger, _lock, _records, _stage, _tree
from ansible_collections.routing_ml.deploy.plugins.modules import status_expected, status_report

GROUPS = {"all": ["node1", "backend1"], "web": ["node1"], "backend": ["backend1"],
          "stage_alpha": ["node1", "backend1"], "ungrouped": []}
KST = datetime.timezone(datetime.timedelta(hours=9))


def deployed(workspace, manifest_sha256):
    for kind, host, digests in (("frontend_sync", "node1", dict(manifest=manifest_sha256)), ("verify", "backend1", None)):
        record = _records.build(kind, "1.4.0", "2025-10-03T14:00:00+09:00", host=host, after="1.4.0", digests=digests,
                                details=dict(gate="Alpha"))
        dummy, path, dummy, text = _records.write(workspace, record)
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        _records.commit(path, text)
    _ledger.append(workspace, dict(gate="Alpha", status="Next Stage Ready", version="1.4.0", approver="QA-KIM",
                                   evidence="e", manifest_sha256="ab" * 32),
                   now=datetime.datetime(2025, 10, 3, 14, 5, tzinfo=KST))


def expected(run_module, workspace, **extra):
    args = dict(workspace=workspace, hosts=["node1", "backend1"], groups=GROUPS)
    args.update(extra)
    return run_module(status_expected, args, check_mode=True)


def test_expectations_come_from_the_records_and_the_ledger(run_module, tmp_path):
    workspace = str(tmp_path)
    deployed(workspace, "ab" * 32)
    failed, result = expected(run_module, workspace)
    assert not failed, result
    assert not result["changed"] and result["deploying"] is False and result["lock"] is None
    node = result["hosts"]["node1"]
    assert (node["role"], node["expected_version"], node["approved_version"]) == ("web", "1.4.0", "1.4.0")
    assert node["manifest_sha256"] == "ab" * 32 and node["staging"] is None
    assert result["hosts"]["backend1"]["role"] == "backend"
    assert result["ledger_head"] == _ledger.read_records(workspace)[-1].digest


def uploaded(workspace, data):
    """The version's bundle zip in the workspace and its upload record."""
    path = os.path.join(workspace, "build", "frontend", "RoutingMLFrontend_1.4.0.zip")
    os.makedirs(os.path.dirname(path))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("index.html", data)
    record = _records.build("upload", "1.4.0", "2025-10-03T13:00:00+09:00", after="nas1:/share",
                            digests={"RoutingMLFrontend_1.4.0.zip": hashlib.sha256(open(path, "rb").read()).hexdigest()})
    dummy, record_path, dummy, text = _records.write(workspace, record)
    _records.commit(record_path, text)
    return path


def test_a_node_is_judged_against_the_approved_bundle_never_the_cache(run_module, tmp_path):
    workspace = str(tmp_path)
    os.makedirs(os.path.join(workspace, "logs", "deploy"))
    bundle = _stage.stage(uploaded(workspace, b"1.4.0"), str(tmp_path / ".stage" / "frontend" / "1.4.0"))
    deployed(workspace, bundle["sha256"])
    failed, result = expected(run_module, workspace, stage=str(tmp_path / ".stage"), manifests=True)
    assert not failed, result
    assert result["hosts"]["node1"]["staging"] == str(tmp_path / ".stage" / "frontend" / "1.4.0")
    assert result["manifests"] == {"1.4.0": bundle["manifest"]}
    # A workspace writer edits the cache, its manifest and the sync record's digest: the node
    # is still judged against the approved zip, and the cache is made the zip's tree again.
    folder = tmp_path / ".stage" / "frontend" / "1.4.0"
    (folder / "index.html").write_bytes(b"evil")
    forged = _tree.manifest_text(_tree.tree_manifest(str(folder)))
    (tmp_path / ".stage" / "frontend" / "1.4.0.manifest.sha256").write_text(forged)
    deployed(workspace, _tree.text_sha256(forged))
    failed, result = expected(run_module, workspace, stage=str(tmp_path / ".stage"), manifests=True)
    assert result["hosts"]["node1"]["manifest_sha256"] == bundle["sha256"]
    assert result["manifests"] == {"1.4.0": bundle["manifest"]}
    assert result["hosts"]["node1"]["staging"] == str(folder) and (folder / "index.html").read_bytes() == b"1.4.0"


def test_a_swapped_bundle_in_the_workspace_leaves_the_node_unjudged_and_says_why(run_module, tmp_path):
    workspace = str(tmp_path)
    os.makedirs(os.path.join(workspace, "logs", "deploy"))
    path = uploaded(workspace, b"1.4.0")
    deployed(workspace, "ab" * 32)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("index.html", b"evil")
    failed, result = expected(run_module, workspace)
    node = result["hosts"]["node1"]
    assert node["manifest_sha256"] is None
    assert "is not the bundle logs/deploy/upload_1.4.0.json approved" in node["untrusted"]


def test_without_an_approved_bundle_the_record_names_the_manifest(run_module, tmp_path):
    workspace = str(tmp_path)
    deployed(workspace, "cd" * 32)
    failed, result = expected(run_module, workspace, stage=os.path.join(workspace, ".stage"))
    assert result["hosts"]["node1"]["staging"] is None
    assert result["hosts"]["node1"]["manifest_sha256"] == "cd" * 32


def test_a_host_in_neither_group_is_refused_by_name(run_module, tmp_path):
    failed, result = expected(run_module, str(tmp_path), hosts=["node1", "nas1"])
    assert failed
    assert "'nas1' is in neither the web nor the backend group" in result["msg"]


def test_a_broken_ledger_is_refused(run_module, tmp_path):
    workspace = str(tmp_path)
    deployed(workspace, "ab" * 32)
    _ledger.append(workspace, dict(gate="Beta", status="Next Stage Ready", version="1.4.0", approver="DEPLOY-LEE",
                                   evidence="e", manifest_sha256="ab" * 32),
                   now=datetime.datetime(2025, 10, 3, 15, 0, tzinfo=KST))
    path = _ledger.read_records(workspace)[0].path
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text.replace("approver=QA-KIM", "approver=MALLORY"))
    failed, result = expected(run_module, workspace)
    assert failed and "ledger broken, nothing to compare the hosts with" in result["msg"]


def test_a_live_lock_means_a_deployment_is_in_progress_a_stale_one_does_not(run_module, tmp_path):
    workspace, locks = str(tmp_path / "ws"), str(tmp_path / "locks")
    os.makedirs(workspace)
    deployed(workspace, "ab" * 32)
    lock, dummy = _lock.acquire(locks, "beta", purpose="deploy Beta 1.4.0", pid=os.getpid())
    failed, result = expected(run_module, workspace, lock_dir=locks, environment="beta")
    assert not failed and result["deploying"] is True and "deploy Beta 1.4.0" in result["lock"]
    _lock.release(locks, "beta", lock["token"])
    stale = _lock.build("beta", 2 ** 22 + 12345, purpose="killed")
    with open(_lock.lock_path(locks, "beta"), "w") as handle:
        handle.write(_lock.text(stale))
    failed, result = expected(run_module, workspace, lock_dir=locks, environment="beta")
    assert not failed and result["deploying"] is False


def test_the_report_is_kept_and_names_the_drift(run_module, tmp_path):
    workspace = str(tmp_path)
    deployed(workspace, "ab" * 32)
    dummy, hosts = expected(run_module, workspace)
    answers = {"node1": {"node_status": {"live_version": "1.4.0", "verified": False, "first_difference": "index.html",
                                         "how": "changed"}},
               "backend1": {"node_status": {"live_version": "1.4.0", "verified": True}}}
    args = dict(workspace=workspace, expected=hosts["hosts"], answers=answers)
    failed, result = run_module(status_report, args, check_mode=True)
    assert not failed and result["drift"] is True
    assert not os.path.exists(result["path"])  # check mode writes nothing
    failed, result = run_module(status_report, args)
    assert result["problems"] == ["node1: index.html of 1.4.0 differs from its manifest (changed)"]
    with open(result["path"]) as handle:
        kept = json.load(handle)
    assert kept["format"] == 1 and kept["drift"] is True
    assert [row["host"] for row in kept["nodes"]] == ["backend1", "node1"]
    assert result["table"][0].split()[0] == "host"

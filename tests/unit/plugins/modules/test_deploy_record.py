# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import deploy_record


def args(workspace, **extra):
    return dict(dict(workspace=str(workspace), kind="verify", version="1.4.0", host="backend1",
                     details={"health": {"status": "ok", "version": "1.4.0"}}), **extra)


def test_check_mode_then_write_then_unchanged(run_module, workspace):
    (workspace / "logs" / "deploy").mkdir(parents=True)
    path = workspace / "logs" / "deploy" / "verify_1.4.0_backend1.json"
    failed, result = run_module(deploy_record, args(workspace), check_mode=True, diff=True)
    assert not failed and result["changed"] and not path.exists()
    assert json.loads(result["diff"]["after"])["details"]["health"]["status"] == "ok"
    failed, result = run_module(deploy_record, args(workspace))
    assert not failed and result["changed"] and json.loads(path.read_text())["kind"] == "verify"
    failed, again = run_module(deploy_record, args(workspace))
    assert not failed and not again["changed"] and again["record"]["time"] == result["record"]["time"]


def test_bad_input_names_the_value_and_writes_nothing(run_module, workspace):
    (workspace / "logs" / "deploy").mkdir(parents=True)
    failed, result = run_module(deploy_record, args(workspace, version="1.4.0\n"))
    assert failed and "version '1.4.0\\n'" in result["msg"]
    failed, result = run_module(deploy_record, args(workspace, digests={"installer": "xyz"}))
    assert failed and "digest of installer" in result["msg"]
    assert list((workspace / "logs" / "deploy").iterdir()) == []


BUNDLE = "cd" * 32


def sync_args(workspace, before, after, previous, version="1.4.0", **details):
    """As roles/frontend "Record the sync of this node" passes them."""
    fields = dict(release="/srv/routing_ml/www/releases/%s" % after, files=2, repaired=before == version,
                  difference={"missing": [], "extra": [], "changed": []}, previous=previous)
    fields.update(details)
    return dict(workspace=str(workspace), kind="frontend_sync", version=version, host="node1", before=before,
                after=after, digests={"manifest": BUNDLE}, details=fields, carry=["previous"])


def written(workspace, name="frontend_sync_1.4.0_node1.json"):
    return json.loads((workspace / "logs" / "deploy" / name).read_text())


@pytest.fixture
def switched(run_module, workspace):
    """node1 switched from 1.3.2 to 1.4.0."""
    (workspace / "logs" / "deploy").mkdir(parents=True)
    failed, result = run_module(deploy_record, sync_args(workspace, "1.3.2", "1.4.0", "1.3.2"))
    assert not failed and result["changed"], result
    return workspace


def test_a_repair_keeps_the_version_live_before(run_module, switched):
    failed, result = run_module(deploy_record, sync_args(switched, "1.4.0", "1.4.0+1", None, repaired=True,
                                                         difference={"missing": [], "extra": [],
                                                                     "changed": ["index.html"]}))
    assert not failed and result["changed"], result
    record = written(switched)
    assert (record["before"], record["after"], record["details"]["previous"]) == ("1.4.0", "1.4.0+1", "1.3.2")
    assert record["details"]["difference"]["changed"] == ["index.html"]
    assert result["record"]["details"]["previous"] == "1.3.2", "what the retention step reads"
    # The repair of the repair still knows it.
    failed, result = run_module(deploy_record, sync_args(switched, "1.4.0+1", "1.4.0", None, repaired=True))
    assert not failed and written(switched)["details"]["previous"] == "1.3.2"


def test_a_rerun_with_the_same_facts_changes_nothing(run_module, switched):
    first = written(switched)
    failed, result = run_module(deploy_record, sync_args(switched, "1.3.2", "1.4.0", None), diff=True)
    assert not failed and not result["changed"], result
    assert result["record"] == first and written(switched) == first
    assert result["diff"]["before"] == result["diff"]["after"]


def test_check_mode_shows_the_carried_value_and_writes_nothing(run_module, switched):
    text = (switched / "logs" / "deploy" / "frontend_sync_1.4.0_node1.json").read_text()
    failed, result = run_module(deploy_record, sync_args(switched, "1.4.0", "1.4.0+1", None), check_mode=True,
                                diff=True)
    assert not failed and result["changed"], result
    assert json.loads(result["diff"]["after"])["details"]["previous"] == "1.3.2"
    assert result["diff"]["before"] == text
    assert (switched / "logs" / "deploy" / "frontend_sync_1.4.0_node1.json").read_text() == text


def test_a_new_value_wins(run_module, switched):
    failed, result = run_module(deploy_record, sync_args(switched, "1.3.0", "1.4.0", "1.3.0"))
    assert not failed and result["changed"] and written(switched)["details"]["previous"] == "1.3.0"


def test_without_carry_the_null_is_written(run_module, switched):
    failed, result = run_module(deploy_record, dict(sync_args(switched, "1.4.0", "1.4.0+1", None), carry=[]))
    assert not failed and result["changed"] and written(switched)["details"]["previous"] is None


def test_a_new_version_is_another_record_and_carries_nothing(run_module, switched):
    failed, result = run_module(deploy_record, sync_args(switched, "1.4.0", "1.5.0", None, version="1.5.0"))
    assert not failed and result["changed"], result
    assert result["path"].endswith("/logs/deploy/frontend_sync_1.5.0_node1.json")
    assert written(switched, "frontend_sync_1.5.0_node1.json")["details"]["previous"] is None
    assert written(switched)["details"]["previous"] == "1.3.2", "1.4.0's record is left as it was"

# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import evidence_archive, gate_record, ledger_verify

NOTES = "deliverables/release_notes_2025-09-29.md"


@pytest.fixture
def collected(run_module, workspace, evidence_sources):
    def collect(gate):
        failed, result = run_module(evidence_archive, dict(
            workspace=str(workspace), gate=gate, version="1.4.0",
            files=[dict(src=src, name=name) for name, src in evidence_sources(gate)]))
        assert not failed, result
        return result["folder"]
    return collect


def gate_args(workspace, gate, evidence, **overrides):
    result = dict(workspace=str(workspace), gate=gate, version="1.4.0", approver="QA-KIM", evidence=evidence,
                  release_notes=NOTES, tasklist="Tasklist.md")
    result.update(overrides)
    return result


def test_record_then_idempotent_then_ledger_verifies(run_module, workspace, collected):
    folder = collected("Alpha")
    failed, first = run_module(gate_record, gate_args(workspace, "Alpha", folder), diff=True)
    assert not failed and first["changed"] and first["appended"]
    assert first["record"]["line"].endswith("| prev=" + "0" * 64)
    assert sorted(d["after_header"] for d in first["diff"]) == sorted(
        ["Tasklist.md", NOTES, first["record"]["file"]])
    failed, second = run_module(gate_record, gate_args(workspace, "Alpha", folder))
    assert not failed and not second["changed"] and "diff" not in second
    failed, ledger = run_module(ledger_verify, dict(workspace=str(workspace), anchors=[first["record"]["sha256"]]))
    assert not failed and ledger["count"] == 1 and ledger["head"] == first["record"]["sha256"]


def test_beta_before_alpha_is_refused(run_module, workspace, collected):
    failed, result = run_module(gate_record, gate_args(workspace, "Beta", collected("Beta"), approver="DEPLOY-LEE"))
    assert failed and "Alpha's 'Next Stage Ready' for version 1.4.0" in result["msg"]
    assert not (workspace / "logs").exists() or not list((workspace / "logs").glob("task_execution_*.log"))


def test_self_approval_is_refused_when_asked(run_module, workspace, collected):
    folder = collected("Alpha")
    failed, result = run_module(gate_record, gate_args(workspace, "Alpha", folder, operator="qa-kim",
                                                       forbid_self_approval=True))
    assert failed and "'QA-KIM' launched this run" in result["msg"]


@pytest.mark.parametrize("override,named", [
    (dict(version="v 1"), "'v 1'"),
    (dict(approver=""), "approver ''"),
    (dict(approver="QA|KIM"), "'QA|KIM'"),
    (dict(evidence="../../etc"), "'../../etc'"),
    (dict(gate="Gamma"), "Gamma"),
    (dict(policy={"Alpha": {}, "Beta": {}, "GA": {}}), "gate policy for Alpha lacks: approver_role"),
])
def test_bad_input_is_named(run_module, workspace, collected, override, named):
    args = gate_args(workspace, "Alpha", collected("Alpha"))
    args.update(override)
    failed, result = run_module(gate_record, args)
    assert failed and named in result["msg"]
    assert not list((workspace / "logs").glob("task_execution_*.log"))


def test_broken_ledger_is_reported_with_file_and_line(run_module, workspace, collected):
    folder = collected("Alpha")
    failed, first = run_module(gate_record, gate_args(workspace, "Alpha", folder))
    ledger = workspace / first["record"]["file"]
    ledger.write_text(ledger.read_text().replace("QA-KIM", "QA-LEE"))
    failed, result = run_module(ledger_verify, dict(workspace=str(workspace), anchors=[first["record"]["sha256"]]))
    assert failed and result["broken"] is None and first["record"]["sha256"] in result["msg"]
    ledger.write_text(ledger.read_text() + ledger.read_text())
    failed, result = run_module(ledger_verify, dict(workspace=str(workspace)))
    assert failed and result["broken"] == first["record"]["file"] + " line 2"

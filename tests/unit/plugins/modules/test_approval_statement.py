# -*- coding: utf-8 -*-
"""The approval_statement module: what an approver is asked to sign, and what it refuses."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _evidence
from ansible_collections.routing_ml.deploy.plugins.modules import approval_statement

INSTALLER = "build/windows/RoutingMLInstaller_1.4.0.exe"
BUNDLE = "build/frontend/RoutingMLFrontend_1.4.0.zip"


@pytest.fixture
def signers(tmp_path):
    keys = {}
    lines = []
    for name, namespace in (("QA-KIM", "routing-ml-approval-qa-lead"),
                            ("DEPLOY-LEE", "routing-ml-approval-deployment-engineer")):
        path = str(tmp_path / name)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path], check=True)
        with open(path + ".pub") as handle:
            lines.append('%s namespaces="%s" %s\n' % (name, namespace, " ".join(handle.read().split()[:2])))
        keys[name] = path
    (tmp_path / "allowed_signers").write_text("".join(lines))
    keys["allowed"] = str(tmp_path / "allowed_signers")
    return keys


@pytest.fixture
def args(workspace, evidence_sources, signers):
    for rel in (INSTALLER, BUNDLE):
        os.makedirs(os.path.dirname(str(workspace / rel)), exist_ok=True)
        (workspace / rel).write_bytes(rel.encode())
    plan = _evidence.plan(str(workspace), "Alpha", "1.4.0", "20251003", evidence_sources("Alpha"), created="x")
    plan.apply()
    return dict(workspace=str(workspace), gate="Alpha", version="1.4.0", approver="QA-KIM",
                evidence=os.path.relpath(plan.folder, str(workspace)), installer=INSTALLER, bundle=BUNDLE,
                allowed_signers=signers["allowed"])


def test_check_mode_writes_nothing_and_says_it_would(run_module, workspace, args):
    failed, result = run_module(approval_statement, args, check_mode=True)
    assert not failed and result["changed"] and not result["signed"]
    assert not os.path.exists(str(workspace / result["statement"]))


def test_written_once_then_kept_then_signed(run_module, workspace, args, signers):
    failed, first = run_module(approval_statement, args, diff=True)
    assert not failed and first["changed"] and first["namespace"] == "routing-ml-approval-qa-lead"
    path = str(workspace / first["statement"])
    with open(path) as handle:
        assert json.load(handle) == first["content"]
    assert first["sign_command"].endswith("-n routing-ml-approval-qa-lead deliverables/approvals/1.4.0/Alpha.statement.json")
    failed, again = run_module(approval_statement, args)
    assert not failed and not again["changed"] and again["content"] == first["content"]
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-f", signers["QA-KIM"], "-n", first["namespace"], path],
                   check=True)
    failed, signed = run_module(approval_statement, args)
    assert not failed and signed["signed"] and signed["problem"] is None


def test_a_signature_by_another_key_is_reported_not_trusted(run_module, workspace, args, signers):
    failed, first = run_module(approval_statement, args)
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-f", signers["DEPLOY-LEE"], "-n", first["namespace"],
                    str(workspace / first["statement"])], check=True)
    failed, result = run_module(approval_statement, args)
    assert not failed and not result["signed"] and "DEPLOY-LEE" in result["problem"]


@pytest.mark.parametrize("change, expected", [
    (dict(approver="DEPLOY-LEE"), "'DEPLOY-LEE' is enrolled"),
    (dict(approver="NOBODY"), "'NOBODY' is not enrolled"),
    (dict(approver=" QA-KIM"), "must not start or end with white space"),
    (dict(version="1.4.0\n"), "is not valid"),
    (dict(gate="Beta", approver="DEPLOY-LEE"), "is for Alpha 1.4.0, not Beta 1.4.0"),
    (dict(installer="build/missing.exe"), "build/missing.exe is not an existing file"),
    (dict(evidence="../outside"), "escapes the workspace"),
])
def test_refusals_name_the_value_and_write_nothing(run_module, workspace, args, change, expected):
    failed, result = run_module(approval_statement, dict(args, **change))
    assert failed and expected in result["msg"], result["msg"]
    assert not os.path.exists(str(workspace / "deliverables" / "approvals"))


def test_changed_evidence_rewrites_the_statement_and_moves_the_old_signature_aside(
        run_module, workspace, args, signers):
    failed, first = run_module(approval_statement, args)
    path = str(workspace / first["statement"])
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-f", signers["QA-KIM"], "-n", first["namespace"], path],
                   check=True)
    (workspace / INSTALLER).write_bytes(b"rebuilt")
    failed, result = run_module(approval_statement, args)
    assert not failed and result["changed"] and not result["signed"]
    assert result["stale_signature"].startswith("deliverables/approvals/1.4.0/Alpha.statement.json.sig.stale-")
    assert not os.path.exists(path + ".sig")

# -*- coding: utf-8 -*-
"""Signed Stage 9 approvals on a lab, the way people do it: the deployment writes the
statement, the approver reviews and signs it with ssh-keygen, a second run records it; and
what an attacker with write access to the workspace tries."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess

import pytest

from labtools import host_roots, running_lab, sign_and_record, tree_digest
from rml_lab import release, signing

from ansible_collections.routing_ml.deploy.plugins.module_utils import _ledger

VERSION = "1.4.0"
ENV = {"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A fresh lab: the chain of signed records starts here, at the first gate of an
    environment whose ledger is empty."""
    with running_lab(str(tmp_path_factory.mktemp("signed-lab")), farm=1, dmz=1) as started:
        yield started


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("signed") / "release")
    release.build(path, release.Options(version=VERSION, date="2025-09-29", files=40))
    return path


def play(lab, name, workspace, *extra):
    return lab.playbook(name, "-e", "routing_ml_workspace=%s" % workspace, "-e", "routing_ml_version=%s" % VERSION,
                        *extra, **ENV)


def ledger_lines(workspace):
    return [r.text for r in _ledger.read_records(workspace)]


def statement(workspace, gate):
    return os.path.join(workspace, "deliverables", "approvals", VERSION, "%s.statement.json" % gate)


@pytest.fixture(scope="module")
def alpha_deployed(lab, workspace):
    rc, output, dummy = play(lab, "deploy_alpha.yml", workspace)
    assert rc == 0, output[-4000:]
    return output


def test_the_deployment_writes_the_statement_and_waits_for_the_signature(workspace, alpha_deployed):
    assert "Alpha for 1.4.0 is not recorded yet: it needs QA-KIM's signature" in alpha_deployed
    assert "ssh-keygen -Y sign -f ~/.ssh/id_ed25519 -n routing-ml-approval-qa-lead " \
           "deliverables/approvals/1.4.0/Alpha.statement.json" in alpha_deployed
    assert ledger_lines(workspace) == []
    with open(statement(workspace, "Alpha")) as handle:
        said = json.load(handle)
    assert said["_type"] == "https://in-toto.io/Statement/v1"
    assert said["predicate"]["approver"] == "QA-KIM" and said["predicate"]["role"] == "QA Lead"
    names = sorted(s["name"] for s in said["subject"])
    assert names[:2] == ["RoutingMLFrontend_1.4.0.zip", "RoutingMLInstaller_1.4.0.exe"]
    assert names[2].endswith("/MANIFEST.sha256")


def test_recording_without_a_signature_is_refused(lab, workspace, alpha_deployed):
    rc, output, dummy = play(lab, "record_gate.yml", workspace, "-e", "routing_ml_gate=Alpha")
    assert rc != 0 and "is not signed yet" in output
    assert ledger_lines(workspace) == []


def test_show_approval_says_what_is_signed(lab, workspace, alpha_deployed):
    rc, output, dummy = play(lab, "show_approval.yml", workspace, "-e", "routing_ml_gate=Alpha")
    assert rc == 0, output[-3000:]
    assert "QA-KIM (QA Lead) approves Alpha of 1.4.0" in output
    assert "RoutingMLInstaller_1.4.0.exe  sha256 " in output and "frontend_build_" in output
    assert "matches the workspace now" in output


def test_a_signature_by_someone_else_is_refused_naming_them(lab, workspace, alpha_deployed):
    """The wiring, once: the rule for every other approver is test__signing's."""
    signer = "DEPLOY-LEE"
    path = statement(workspace, "Alpha") + ".sig"
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-f", signing.key(lab.dir, signer), "-n",
                    "routing-ml-approval-qa-lead", statement(workspace, "Alpha")], check=True)
    try:
        rc, output, dummy = play(lab, "record_gate.yml", workspace, "-e", "routing_ml_gate=Alpha")
    finally:
        os.unlink(path)
    assert rc != 0 and "is refused" in output and signer in output, output[-3000:]
    assert ledger_lines(workspace) == []


@pytest.fixture(scope="module")
def alpha_recorded(lab, workspace, alpha_deployed):
    """QA-KIM signs; the signature goes in as text, as an AWX survey passes it."""
    path = signing.sign_statement(lab.dir, workspace, VERSION, "Alpha")
    with open(path) as handle:
        text = handle.read()
    os.unlink(path)
    rc, output, dummy = play(lab, "record_gate.yml", workspace, "-e", "routing_ml_gate=Alpha",
                             "-e", json.dumps({"routing_ml_gate_signature": text.replace("\n", "\r\n")}))
    assert rc == 0, output[-4000:]
    return text


def test_a_signature_given_as_text_records_the_gate_and_is_kept(workspace, alpha_recorded):
    lines = ledger_lines(workspace)
    assert len(lines) == 1 and "| approval=" in lines[0] and "approver=QA-KIM" in lines[0]
    with open(statement(workspace, "Alpha") + ".sig") as handle:
        assert handle.read() == alpha_recorded
    assert os.path.isfile(os.path.join(workspace, "logs", "checkpoints",
                                       "%s.sig" % _ledger.read_records(workspace)[0].digest))


def test_the_auditor_verifies_the_record(lab, workspace, alpha_recorded):
    rc, output, dummy = play(lab, "verify_ledger.yml", workspace)
    assert rc == 0, output[-3000:]
    assert "PASS: 1 record(s), 1 gate(s) of 1.4.0, 1 signed approval(s)" in output
    assert "1 checkpoint(s) by routing-ml-controller" in output


def test_recording_again_changes_nothing(lab, workspace, alpha_recorded):
    before = tree_digest(workspace)
    rc, output, counts = play(lab, "record_gate.yml", workspace, "-e", "routing_ml_gate=Alpha")
    assert rc == 0 and "already recorded" in output, output[-3000:]
    assert counts["localhost"]["changed"] == 0 and tree_digest(workspace) == before


def share_stage9(lab):
    return os.path.join(lab.hosts["nas1"]["share"], "stage9")


def fresh_controller(tmp_path, name):
    """The same release on a controller that never ran it: artifacts, no logs (as under AWX)."""
    path = str(tmp_path / name)
    release.build(path, release.Options(version=VERSION, date="2025-09-29", files=40))
    return path


def test_a_fresh_controller_continues_the_chain_from_the_share(lab, workspace, alpha_recorded, tmp_path):
    fresh = fresh_controller(tmp_path, "fresh")
    assert ledger_lines(fresh) == []
    rc, output, dummy = play(lab, "deploy_beta.yml", fresh)
    assert rc == 0, output[-4000:]
    # Alpha came from the share, checkpoint and approval with it; Beta waits for its signature.
    assert ledger_lines(fresh) == ledger_lines(workspace)
    assert "Beta for 1.4.0 is not recorded yet" in output
    rc, output, dummy = sign_and_record(lab, fresh, VERSION, "Beta")
    assert rc == 0, output[-4000:]
    with open(os.path.join(share_stage9(lab), "logs", os.path.basename(_ledger.ledger_files(fresh)[-1]))) as handle:
        assert handle.read().splitlines() == ledger_lines(fresh)
    rc, output, dummy = play(lab, "verify_ledger.yml", share_stage9(lab))
    assert rc == 0 and "2 signed approval(s)" in output, output[-3000:]


def test_a_ledger_that_disagrees_with_the_share_is_refused_and_nothing_is_overwritten(
        lab, workspace, alpha_recorded, tmp_path):
    other = fresh_controller(tmp_path, "other")
    # Another chain of its own: Alpha signed and recorded here without the share (an extra
    # variable may not switch signatures off: test_attacks_trust.py).
    elsewhere = ("-e", "routing_ml_records_share_folder=elsewhere")
    rc, output, dummy = play(lab, "deploy_alpha.yml", other, *elsewhere)
    assert rc == 0, output[-4000:]
    rc, output, dummy = sign_and_record(lab, other, VERSION, "Alpha", *elsewhere)
    assert rc == 0, output[-4000:]
    before = (tree_digest(other), tree_digest(share_stage9(lab)))
    rc, output, counts = play(lab, "deploy_beta.yml", other)
    assert rc != 0
    assert "record 1" in output and "workspace logs/task_execution_" in output and "share logs/task_execution_" in output
    assert set(h for h, c in counts.items() if c["changed"]) <= {"localhost"}
    assert (tree_digest(other), tree_digest(share_stage9(lab))) == before


def isolated_copy(workspace, tmp_path, name):
    """A copy of the workspace with a share folder of its own (the lab's share stays as it is)."""
    copy = str(tmp_path / name)
    shutil.copytree(workspace, copy, ignore=shutil.ignore_patterns(".stage"))
    return copy, ["-e", "routing_ml_records_share_folder=stage9-%s" % name]


def test_evidence_edited_after_the_approval_is_found_by_the_auditor_and_the_next_gate(
        lab, workspace, alpha_recorded, tmp_path):
    copy, share = isolated_copy(workspace, tmp_path, "edited")
    folder = os.path.join(copy, _ledger.read_records(copy)[0].fields["evidence"])
    victim = sorted(n for n in os.listdir(folder) if n.startswith("frontend_build_"))[0]
    with open(os.path.join(folder, victim), "a") as handle:
        handle.write("one more line, after the approval\n")
    rc, output, dummy = play(lab, "verify_ledger.yml", copy)
    assert rc != 0 and "logs/task_execution_" in output and victim in output, output[-3000:]
    before = tree_digest(*host_roots(lab))
    rc, output, counts = play(lab, "deploy_beta.yml", copy, *share)
    assert rc != 0 and "Beta for 1.4.0 cannot start" in output and victim in output, output[-3000:]
    assert "PLAY [Pre-deployment checklist" not in output and tree_digest(*host_roots(lab)) == before


def test_a_forged_record_with_a_correct_prev_stops_the_next_gate_before_any_host(
        lab, workspace, alpha_recorded, tmp_path):
    copy, share = isolated_copy(workspace, tmp_path, "forged")
    alpha = _ledger.read_records(copy)[0]
    forged = dict(alpha.fields, gate="Beta", approver="DEPLOY-LEE", approval=None)
    _ledger.append(copy, forged)  # prev = SHA256 of the last line, as docs/formats.md says
    rc, output, dummy = play(lab, "verify_ledger.yml", copy)
    assert rc != 0 and "line 2" in output and "no checkpoint" in output, output[-3000:]
    before = tree_digest(*host_roots(lab))
    rc, output, counts = play(lab, "deploy_ga.yml", copy, *share)
    assert rc != 0 and "GA for 1.4.0 cannot start" in output and "line 2" in output, output[-3000:]
    assert "PLAY [Pre-deployment checklist" not in output and tree_digest(*host_roots(lab)) == before


def test_beta_and_ga_signed_in_turn(lab, workspace, alpha_recorded):
    # Beta may already be on the share (the fresh controller's): this run continues from there.
    for gate in ("Beta", "GA"):
        rc, output, dummy = play(lab, "deploy_%s.yml" % gate.lower(), workspace)
        assert rc == 0, output[-4000:]
        rc, output, dummy = sign_and_record(lab, workspace, VERSION, gate)
        assert rc == 0, output[-4000:]
    assert [line.split(" | ")[2] for line in ledger_lines(workspace)] == ["gate=Alpha", "gate=Beta", "gate=GA"]
    rc, output, dummy = play(lab, "verify_ledger.yml", workspace)
    assert rc == 0 and "3 signed approval(s)" in output, output[-3000:]

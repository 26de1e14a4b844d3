# -*- coding: utf-8 -*-
"""Issue 23, item 4: the trust settings are one extra variable away.

The signature mode, the allowed_signers in force and the environment's name are pinned in the
Stage 9 record (deliverables/approvals/trust/) by the first gate run; a gate run or an audit
that sees others - an extra variable, a survey answer - is refused before the lock, any host or
the share changes, naming both values. Only a change the Release Owner signed against the
allowed_signers in force moves them. Every attack starts from ./dev run's lab (conftest.deployed).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess

import pytest

from labtools import host_roots, tree_digest
from rml_lab import release, signing

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checksum, _ledger

ENV = {"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
OFF = ["-e", "routing_ml_approval_signatures=off"]
REFUSED = "refusing: the trust settings of this run are not the ones recorded for the environment in " \
          "deliverables/approvals/trust/0001.json (Trust Pinned)"


@pytest.fixture(scope="module")
def lab(deployed):
    return deployed.restore()


@pytest.fixture(scope="module")
def workspace(deployed):
    return deployed.workspace


def stage9(lab):
    return os.path.join(lab.hosts["nas1"]["share"], "stage9")


def play(lab, name, workspace, *extra):
    return lab.playbook(name, "-e", "routing_ml_workspace=%s" % workspace, *extra, **ENV)


def state(lab, workspace):
    """Every host (the share too), the locks and the workspace, as one digest each."""
    return (tree_digest(*host_roots(lab)), tree_digest(os.path.join(lab.dir, "locks")), tree_digest(workspace))


def assert_refused_before_any_change(lab, workspace, before, rc, output, counts, *words):
    assert rc != 0, output[-3000:]
    for word in words:
        assert word in output, (word, output[-3000:])
    # Only the controller ran, and the share host was read (its Stage 9 records); no lock taken.
    assert set(counts) <= {"localhost", "nas1"}, counts
    assert all(c["changed"] == 0 for c in counts.values()), counts
    assert state(lab, workspace) == before


def launcher_signers(tmp_path):
    """The launcher's own key, enrolled as every approver and as the controller in a file of theirs."""
    key = str(tmp_path / "launcher")
    if not os.path.exists(key):
        subprocess.check_call(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "launcher", "-f", key])
    blob = " ".join(open(key + ".pub").read().split()[:2])
    path = str(tmp_path / "allowed_signers")
    with open(path, "w") as handle:
        for principal, namespace in (("QA-KIM", "routing-ml-approval-qa-lead"),
                                     ("DEPLOY-LEE", "routing-ml-approval-deployment-engineer"),
                                     ("OWNER-PARK", "routing-ml-approval-release-owner"),
                                     ("routing-ml-controller", "routing-ml-ledger")):
            handle.write('%s namespaces="%s" %s\n' % (principal, namespace, blob))
    return key, path


def lab_signers_digest(lab):
    return _checksum.sha256_file(lab.state["signing"]["allowed_signers"])[0]


def test_the_first_gate_run_pinned_the_inventory_settings_and_the_share_holds_them(lab, workspace):
    for root in (workspace, stage9(lab)):
        pinned = json.load(open(os.path.join(root, "deliverables", "approvals", "trust", "0001.json")))
        assert pinned["status"] == "Trust Pinned"
        assert pinned["settings"] == {"signatures": "required", "environment": "lab",
                                      "allowed_signers_sha256": lab_signers_digest(lab)}


@pytest.mark.parametrize("name, extra", [
    # The attack: GA Approved recorded by an unenrolled name without a signature.
    ("deploy_ga.yml", OFF + ["-e", "routing_ml_approver=MALLORY", "-e", "routing_ml_gate_rerecord=true"]),
    ("record_gate.yml", OFF + ["-e", "routing_ml_gate=GA", "-e", "routing_ml_version=1.4.0",
                               "-e", "routing_ml_gate_rerecord=true"]),
])
def test_signatures_off_as_an_extra_variable_is_refused_before_any_change(lab, workspace, name, extra):
    before = state(lab, workspace)
    rc, output, counts = play(lab, name, workspace, *extra)
    assert_refused_before_any_change(
        lab, workspace, before, rc, output, counts, REFUSED,
        "routing_ml_approval_signatures is 'off' in this run, the environment's recorded setting is 'required'")


def test_the_launchers_own_allowed_signers_are_refused_before_any_change(lab, workspace, tmp_path):
    """A file of the launcher's that enrols the launcher's own key as every approver."""
    dummy, mine = launcher_signers(tmp_path)
    before = state(lab, workspace)
    for name, extra in (("deploy_ga.yml", ["-e", "routing_ml_gate_rerecord=true"]),
                        ("record_gate.yml", ["-e", "routing_ml_gate=GA", "-e", "routing_ml_version=1.4.0",
                                             "-e", "routing_ml_gate_rerecord=true"]),
                        # Mine: the unblock's signature would be checked with the launcher's file.
                        ("unblock.yml", ["-e", "routing_ml_gate=GA", "-e", "routing_ml_version=1.4.0",
                                         "-e", "routing_ml_approver=OWNER-PARK",
                                         "-e", json.dumps({"routing_ml_reason": "signed with my own key"})])):
        rc, output, counts = play(lab, name, workspace, "-e", "routing_ml_allowed_signers=%s" % mine, *extra)
        assert_refused_before_any_change(
            lab, workspace, before, rc, output, counts, REFUSED,
            "routing_ml_allowed_signers is sha256 %s in this run (%s), the environment's recorded setting is "
            "sha256 %s" % (_checksum.sha256_file(mine)[0], mine, lab_signers_digest(lab)))


def test_a_gate_policy_given_at_launch_is_refused_before_any_change(lab, workspace):
    """Mine: a policy of the launcher's, where GA (and so the trust settings) is approved by a role
    whose key the launcher holds, or needs no signature at all."""
    before = state(lab, workspace)
    policy = {"routing_ml_gate_policy": {"GA": {"status": "GA Approved", "approver_role": "qa-lead"}}}
    rc, output, counts = play(lab, "deploy_ga.yml", workspace, "-e", json.dumps(policy),
                              "-e", "routing_ml_gate_rerecord=true")
    assert_refused_before_any_change(
        lab, workspace, before, rc, output, counts,
        "routing_ml_gate_policy is given as an extra variable (or a survey answer)")


def test_another_environments_name_is_refused_before_its_lock(lab, workspace):
    before = state(lab, workspace)
    rc, output, counts = play(lab, "deploy_ga.yml", workspace, "-e", "routing_ml_environment=elsewhere")
    assert_refused_before_any_change(
        lab, workspace, before, rc, output, counts, REFUSED,
        "routing_ml_environment is 'elsewhere' in this run, the environment's recorded setting is 'lab'")
    assert not os.path.exists(os.path.join(lab.dir, "locks", "elsewhere.lock"))


def test_an_auditor_handed_other_settings_is_refused_and_the_recorded_ones_pass(lab, workspace, tmp_path):
    dummy, mine = launcher_signers(tmp_path)
    share = stage9(lab)
    before = state(lab, workspace)
    for extra, words in ((OFF, "routing_ml_approval_signatures is 'off' in this run"),
                         (["-e", "routing_ml_allowed_signers=%s" % mine],
                          "routing_ml_allowed_signers is sha256 %s in this run" % _checksum.sha256_file(mine)[0]),
                         # One of my own: no allowed_signers at all, so that nothing can be checked.
                         (["-e", "routing_ml_allowed_signers="], "routing_ml_allowed_signers is unset in this run")):
        for root in (share, workspace):
            rc, output, counts = play(lab, "verify_ledger.yml", root, *extra)
            assert rc != 0 and REFUSED in output and words in output, output[-3000:]
            assert "PASS" not in output
    assert state(lab, workspace) == before
    rc, output, counts = play(lab, "verify_ledger.yml", share)
    assert rc == 0 and "PASS: 3 record(s)" in output, output[-3000:]


def test_a_new_environment_is_never_pinned_from_an_extra_variable(lab, tmp_path):
    """The first gate run of an environment pins what it sees: never from a launch. A fresh
    controller with a share folder nobody wrote to yet (a new environment), signatures off."""
    fresh = str(tmp_path / "fresh")
    release.build(fresh, release.Options(version="1.4.0", date="2025-09-29", files=20))
    before = state(lab, fresh)
    rc, output, counts = play(lab, "deploy_alpha.yml", fresh, "-e", "routing_ml_records_share_folder=stage9-new", *OFF)
    assert_refused_before_any_change(
        lab, fresh, before, rc, output, counts,
        "refusing to pin the environment's trust settings from a launch: routing_ml_approval_signatures='off' given "
        "as an extra variable (or a survey answer)")
    assert not os.path.exists(os.path.join(fresh, "deliverables", "approvals", "trust"))


def test_an_empty_allowed_signers_is_refused_before_any_change(lab, workspace):
    """My own, one extra variable: no allowed_signers, so that no signature could be checked."""
    before = state(lab, workspace)
    rc, output, counts = play(lab, "deploy_ga.yml", workspace, "-e", "routing_ml_allowed_signers=")
    assert_refused_before_any_change(lab, workspace, before, rc, output, counts, REFUSED,
                                     "routing_ml_allowed_signers is unset in this run")


def test_a_trust_change_signed_with_the_launchers_key_under_their_allowed_signers_is_refused(
        lab, workspace, tmp_path, deployed):
    """My own, one extra variable on the new playbook: the launcher proposes signatures off with
    their allowed_signers and signs as OWNER-PARK with their key; the signature is checked against
    the allowed_signers in force, so nothing is recorded."""
    key, mine = launcher_signers(tmp_path)
    args = OFF + ["-e", "routing_ml_allowed_signers=%s" % mine, "-e", "routing_ml_trust_approver=OWNER-PARK",
                  "-e", json.dumps({"routing_ml_trust_reason": "mine"})]
    try:
        rc, output, counts = play(lab, "trust_change.yml", workspace, *args)
        assert rc == 0 and "waits for the signature of OWNER-PARK" in output, output[-3000:]
        subprocess.check_call(["ssh-keygen", "-q", "-Y", "sign", "-f", key, "-n", "routing-ml-approval-release-owner",
                               os.path.join(workspace, "logs", "trust_change.json")])
        rc, output, counts = play(lab, "trust_change.yml", workspace, *args)
        assert rc != 0 and "logs/trust_change.json.sig does not verify" in output, output[-3000:]
        for root in (workspace, stage9(lab)):
            assert sorted(n for n in os.listdir(os.path.join(root, "deliverables", "approvals", "trust"))
                          if n.endswith(".json")) == ["0001.json"]
    finally:
        deployed.restore()


def test_a_forged_change_record_planted_in_the_workspace_is_refused_before_any_change(lab, workspace, tmp_path, deployed):
    """My own, workspace writer: a Trust Changed record to signatures off, signed with the
    writer's own key, planted beside the pin; the run that relies on it is refused."""
    key, dummy = launcher_signers(tmp_path)
    trust = os.path.join(workspace, "deliverables", "approvals", "trust")
    first = open(os.path.join(trust, "0001.json"), "rb").read()
    pinned = json.loads(first.decode())
    forged = dict(pinned, sequence=2, status="Trust Changed", previous=_checksum.sha256_bytes(first),
                  settings=dict(pinned["settings"], signatures="off"), approver="OWNER-PARK", role="Release Owner",
                  reason="mine")
    path = os.path.join(trust, "0002.json")
    try:
        with open(path, "w") as handle:
            handle.write(json.dumps(forged, indent=2, sort_keys=True) + "\n")
        subprocess.check_call(["ssh-keygen", "-q", "-Y", "sign", "-f", key, "-n", "routing-ml-approval-release-owner", path])
        before = state(lab, workspace)
        rc, output, counts = play(lab, "deploy_ga.yml", workspace, *OFF)
        assert_refused_before_any_change(lab, workspace, before, rc, output, counts,
                                         "deliverables/approvals/trust/0002.json.sig does not verify")
    finally:
        deployed.restore()


def test_a_change_the_release_owner_signed_moves_the_settings(lab, workspace, deployed):
    """The way a change is made: proposed, signed by the Release Owner's enrolled key, recorded
    and mirrored; the audit then holds to the new setting and refuses the old one."""
    args = OFF + ["-e", "routing_ml_trust_approver=OWNER-PARK",
                  "-e", json.dumps({"routing_ml_trust_reason": "CHG-1 the lab records unsigned"})]
    try:
        rc, output, counts = play(lab, "trust_change.yml", workspace, *args)
        assert rc == 0 and "waits for the signature of OWNER-PARK" in output, output[-3000:]
        signing.sign_trust_change(lab.dir, workspace)
        rc, output, counts = play(lab, "trust_change.yml", workspace, *args)
        assert rc == 0 and "recorded the change of the trust settings signed by OWNER-PARK" in output, output[-3000:]
        changed = json.load(open(os.path.join(stage9(lab), "deliverables", "approvals", "trust", "0002.json")))
        assert changed["status"] == "Trust Changed" and changed["settings"]["signatures"] == "off"
        rc, output, counts = play(lab, "verify_ledger.yml", stage9(lab), *OFF)
        assert rc == 0 and "PASS" in output, output[-3000:]
        rc, output, counts = play(lab, "verify_ledger.yml", stage9(lab))
        assert rc != 0 and "deliverables/approvals/trust/0002.json (Trust Changed)" in output, output[-3000:]
        assert "routing_ml_approval_signatures is 'required' in this run, the environment's recorded setting is 'off'" \
            in output
        assert [r.text for r in _ledger.read_records(workspace)] == [r.text for r in _ledger.read_records(stage9(lab))]
    finally:
        deployed.restore()

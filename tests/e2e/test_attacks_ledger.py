# -*- coding: utf-8 -*-
"""Issue 23, items 3 and 5, as an attacker tries them on the lab `./dev run` deployed (1.4.0
through GA, signed approvals required): lifting a rollback's block without the Release Owner's
signature, and cutting the ledger back (its last record and checkpoint, in the workspace and on
the share) so that a rolled-back version goes out again.

The rollback's ledger record is written the way rollback.yml's last step writes it
(routing_ml.deploy.ledger_event, on the controller, with the controller's key): the deployed lab
has no release before 1.4.0 to roll back to, and the hosts play no part in what is tested here.
Tests run in file order, each from the state the one before left.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest

from drills import changed_hosts, ledger, lock_file, play, read_only
from labtools import ROOT, host_roots, tree_digest
from rml_lab import signing

VERSION = "1.4.0"
NOTES = "deliverables/release_notes_2025-09-29.md"
STATEMENT = "deliverables/approvals/%s/GA.unblock.statement.json" % VERSION
NAMESPACE = "routing-ml-approval-release-owner"


@pytest.fixture(scope="module")
def lab(deployed):
    return deployed.restore()


@pytest.fixture(scope="module")
def ws(lab, deployed):
    return deployed.workspace


def share(lab):
    return os.path.join(lab.hosts["nas1"]["share"], "stage9")


def rolled_back(lab, workspace, reason):
    """The Rolled Back record rollback.yml's last step appends, and the records on the share."""
    result = lab.ansible("localhost", "routing_ml.deploy.ledger_event", json.dumps({
        "workspace": workspace, "status": "Rolled Back", "gate": "GA", "version": VERSION,
        "approver": "DEPLOY-LEE", "reason": reason, "target": ["1.3.0"], "outcome": "verified",
        "signatures": "required", "allowed_signers": allowed_signers(lab),
        "checkpoint_key": signing.key(lab.dir, signing.CONTROLLER), "release_notes": NOTES}))["localhost"]
    assert result["changed"], result
    push(lab, workspace)
    return result["record"]["sha256"]


def push(lab, workspace):
    rc, output, dummy = play(lab, "records_push.yml", "-e", "routing_ml_workspace=%s" % workspace)
    assert rc == 0, output[-3000:]


def allowed_signers(lab):
    return os.path.join(signing.directory(lab.dir), "allowed_signers")


def unblock(lab, workspace, approver, reason="CHG-77 cause fixed, build unchanged", *extra, **env):
    return play(lab, "unblock.yml", "-e", "routing_ml_workspace=%s" % workspace, "-e", "routing_ml_version=%s" % VERSION,
                "-e", "routing_ml_gate=GA", "-e", "routing_ml_approver=%s" % approver,
                "-e", json.dumps({"routing_ml_reason": reason}), *extra, **env)


def verify_ledger(lab, workspace, *extra):
    return play(lab, "verify_ledger.yml", "-e", "routing_ml_workspace=%s" % workspace, *extra)


def sha256_file(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def state(lab, workspace):
    """What a refused run must leave as it was: every host (the share too) and the ledger."""
    return tree_digest(*host_roots(lab)), ledger(workspace)


def last_ledger_file(folder):
    logs = os.path.join(folder, "logs")
    return os.path.join(logs, sorted(n for n in os.listdir(logs) if n.startswith("task_execution_"))[-1])


def cut_last_record(folder):
    """Remove the last record and its checkpoint; returns what puts them back."""
    path = last_ledger_file(folder)
    text = open(path).read()
    lines = text.splitlines(True)
    digest = hashlib.sha256(lines[-1].rstrip("\n").encode()).hexdigest()
    checkpoint = os.path.join(folder, "logs", "checkpoints", "%s.sig" % digest)
    signature = open(checkpoint).read()
    with open(path, "w") as handle:
        handle.write("".join(lines[:-1]))
    os.unlink(checkpoint)

    def put_back():
        with open(path, "w") as handle:
            handle.write(text)
        with open(checkpoint, "w") as handle:
            handle.write(signature)
    return digest, put_back


def test_a_rolled_back_record_cut_from_both_copies_is_refused_by_the_next_run_and_the_auditor(lab, ws):
    blocked = rolled_back(lab, ws, "CHG-76 users report errors")
    notes = open(os.path.join(ws, NOTES)).read()
    assert "Stage 9 ledger head: `%s`" % blocked in notes, "the run notes the head it left, whole"
    puts = [cut_last_record(ws), cut_last_record(share(lab))]
    assert puts[0][0] == puts[1][0] == blocked
    try:
        before = state(lab, ws)
        # Before: the rolled-back version was deployed again and the audit passed.
        rc, output, counts = play(lab, "deploy_ga.yml", "-e", "routing_ml_workspace=%s" % ws,
                                  "-e", "routing_ml_version=%s" % VERSION)
        assert rc != 0
        assert "the ledger was cut back: %s names ledger head %s, which is not in the ledger" % (NOTES, blocked) \
            in output, output[-4000:]
        assert read_only(counts) and state(lab, ws) == before, counts
        assert not os.path.exists(lock_file(lab))
        rc, output, counts = verify_ledger(lab, ws)
        assert rc != 0 and "the ledger was cut back: %s names ledger head %s" % (NOTES, blocked) in output, \
            output[-4000:]
        # The head an AWX job left (set_stats) catches it without the release notes' line.
        with open(os.path.join(ws, NOTES), "w") as handle:
            handle.write("\n".join(l for l in notes.split("\n") if "Stage 9 ledger head:" not in l))
        for name, run in (("verify_ledger.yml", lambda: verify_ledger(lab, ws, "-e", "routing_ml_ledger_head=%s" % blocked)),
                          ("unblock.yml", lambda: unblock(lab, ws, "OWNER-PARK", "CHG-1", "-e",
                                                          "routing_ml_ledger_head=%s" % blocked))):
            rc, output, counts = run()
            assert rc != 0 and "anchored record %s is not in the ledger" % blocked in output, (name, output[-4000:])
            assert state(lab, ws) == before, name
    finally:
        for dummy, put_back in puts:
            put_back()
        with open(os.path.join(ws, NOTES), "w") as handle:
            handle.write(notes)
    assert ledger_digest(ws, -1) == blocked and ledger(share(lab)) == ledger(ws), "put back as it was"


def test_an_unblock_by_a_name_that_is_not_enrolled_is_refused(lab, ws):
    before = state(lab, ws)
    rc, output, counts = unblock(lab, ws, "MALLORY")
    assert rc != 0
    assert "cannot record Unblocked for %s at GA: approver 'MALLORY' is not enrolled in allowed_signers" % VERSION \
        in output, output[-3000:]
    assert "an unblock is signed by the Release Owner" in output
    assert state(lab, ws) == before and read_only(counts)
    assert not os.path.exists(os.path.join(ws, STATEMENT))


def test_an_unblock_by_the_release_owner_who_signed_nothing_is_refused_saying_how_to_sign(lab, ws):
    before = state(lab, ws)
    rc, output, counts = unblock(lab, ws, "OWNER-PARK")
    assert rc != 0
    assert "cannot record Unblocked for %s at GA: %s is not signed yet (no %s.sig)" % (VERSION, STATEMENT, STATEMENT) \
        in output, output[-3000:]
    assert "ssh-keygen -Y sign -f <key> -n %s %s" % (NAMESPACE, STATEMENT) in output
    assert state(lab, ws) == before and changed_hosts(counts) <= {"localhost"}
    said = json.load(open(os.path.join(ws, STATEMENT)))["predicate"]
    assert (said["status"], said["approver"], said["role"], said["ledger_head"]) == (
        "Unblocked", "OWNER-PARK", "Release Owner", ledger_digest(ws, -1))


def ledger_digest(workspace, index):
    return hashlib.sha256(ledger(workspace)[index].encode()).hexdigest()


def test_the_release_owners_gate_approval_signature_does_not_unblock(lab, ws):
    # Same key, same namespace: only what the statement says tells the two decisions apart.
    approval = os.path.join(ws, "deliverables/approvals/%s/GA.statement.json" % VERSION)
    shutil.copyfile(approval, os.path.join(ws, STATEMENT))
    shutil.copyfile(approval + ".sig", os.path.join(ws, STATEMENT) + ".sig")
    before = ledger(ws)
    rc, output, counts = unblock(lab, ws, "OWNER-PARK")
    assert rc != 0 and "%s is not signed yet" % STATEMENT in output, output[-3000:]
    assert "the statement there before was for another decision, and was moved with its signature to" in output
    assert ledger(ws) == before


def test_an_unblock_signed_for_another_version_is_refused(lab, ws):
    path = os.path.join(ws, STATEMENT)
    statement = json.load(open(path))
    statement["predicate"]["version"] = "1.3.0"
    with open(path, "w") as handle:
        handle.write(json.dumps(statement, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    sign(lab, ws)
    before = ledger(ws)
    rc, output, counts = unblock(lab, ws, "OWNER-PARK")
    assert rc != 0 and "%s is not signed yet" % STATEMENT in output, output[-3000:]
    assert "was moved with its signature" in output
    assert ledger(ws) == before


def sign(lab, workspace):
    """The Release Owner's part, as the lab does it: ./dev lab sign ... --unblock."""
    completed = subprocess.run(
        [sys.executable, "-m", "rml_lab", "--dir", lab.dir, "sign", workspace, "--version", VERSION, "--gate", "GA",
         "--unblock"], cwd=ROOT, env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lab")),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert completed.returncode == 0, completed.stdout


def test_a_signed_unblock_is_recorded_noted_and_passes_the_audit(lab, ws):
    # The statement the last run wrote for this unblock, signed as the Release Owner would.
    sign(lab, ws)
    rc, output, counts = unblock(lab, ws, "OWNER-PARK", ANSIBLE_SHOW_CUSTOM_STATS="1")
    assert rc == 0, output[-4000:]
    last = ledger(ws)[-1]
    assert "| status=Unblocked | version=%s | approver=OWNER-PARK |" % VERSION in last
    assert "| approval=%s |" % sha256_file(os.path.join(ws, STATEMENT)) in last
    head = ledger_digest(ws, -1)
    assert "Stage 9 ledger head: `%s`" % head in open(os.path.join(ws, NOTES)).read()
    assert '"routing_ml_ledger_head": "%s"' % head in output, "the head is the job's artifact"
    assert ledger(share(lab)) == ledger(ws)
    rc, output, counts = verify_ledger(lab, ws, "-e", "routing_ml_ledger_head=%s" % head)
    assert rc == 0 and "PASS: " in output, output[-4000:]


def test_a_signed_unblock_does_not_lift_a_later_rollback(lab, ws):
    rolled_back(lab, ws, "CHG-78 errors again")
    before = ledger(ws)
    rc, output, counts = unblock(lab, ws, "OWNER-PARK")
    assert rc != 0 and "is not signed yet" in output and "was moved with its signature" in output, output[-3000:]
    assert ledger(ws) == before


def test_the_auditor_refuses_an_unblock_recorded_without_a_signature(lab, ws, deployed):
    try:
        # What `-e routing_ml_approval_signatures=off` on unblock.yml recorded before: MALLORY,
        # no statement, the controller's checkpoint.
        result = lab.ansible("localhost", "routing_ml.deploy.ledger_event", json.dumps({
            "workspace": ws, "status": "Unblocked", "gate": "GA", "version": VERSION, "approver": "MALLORY",
            "reason": "trust me", "signatures": "off", "allowed_signers": allowed_signers(lab),
            "checkpoint_key": signing.key(lab.dir, signing.CONTROLLER)}))["localhost"]
        assert result["changed"], result
        rc, output, counts = verify_ledger(lab, ws)
        assert rc != 0
        assert "Unblocked for %s at GA has no signed statement" % VERSION in output, output[-3000:]
    finally:
        deployed.restore()

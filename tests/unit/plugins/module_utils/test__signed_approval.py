# -*- coding: utf-8 -*-
"""Signed approvals and ledger checkpoints end to end in Python, against the real ssh-keygen:
what an attacker with write access to the workspace tries, and what the auditor's check finds."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import multiprocessing
import os
import shutil
import subprocess

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import (
    _approval, _evidence, _ledger, _ledger_audit, _statement)
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

KST = datetime.timezone(datetime.timedelta(hours=9))
NOTES = "deliverables/release_notes_2025-09-29.md"
ROLES = {"QA-KIM": "qa-lead", "DEPLOY-LEE": "deployment-engineer", "OWNER-PARK": "release-owner"}
APPROVER = {"Alpha": "QA-KIM", "Beta": "DEPLOY-LEE", "GA": "OWNER-PARK"}


def at(hour, minute=0):
    return datetime.datetime(2025, 10, 3, hour, minute, tzinfo=KST)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """Keys of the sample approvers, the controller, and MALLORY (enrolled nowhere)."""
    folder = tmp_path_factory.mktemp("keys")
    lines = []
    for name in list(ROLES) + ["controller", "MALLORY"]:
        path = str(folder / name)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path], check=True)
        with open(path + ".pub") as handle:
            public = " ".join(handle.read().split()[:2])
        if name in ROLES:
            lines.append('%s namespaces="routing-ml-approval-%s" %s\n' % (name, ROLES[name], public))
        elif name == "controller":
            lines.append('routing-ml-controller namespaces="routing-ml-ledger" %s\n' % public)
    allowed = folder / "allowed_signers"
    allowed.write_text("".join(lines))
    return {"dir": str(folder), "allowed": str(allowed), "controller": str(folder / "controller")}


def key_of(keys, name):
    return os.path.join(keys["dir"], name)


def artifacts(workspace, version, content=b""):
    paths = ("build/windows/RoutingMLInstaller_%s.exe" % version, "build/frontend/RoutingMLFrontend_%s.zip" % version)
    for rel in paths:
        full = os.path.join(str(workspace), rel)
        if not os.path.isdir(os.path.dirname(full)):
            os.makedirs(os.path.dirname(full))
        with open(full, "wb") as handle:
            handle.write(b"%s %s %s" % (rel.encode(), version.encode(), content))
    return paths


def sign(keys, signer, path, namespace):
    if os.path.exists(path + ".sig"):
        os.unlink(path + ".sig")
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-f", key_of(keys, signer), "-n", namespace, path], check=True)


def prepare(workspace, keys, gate, version="1.4.0", approver=None, day="20251003"):
    """The deployment run's part: evidence collected, statement written. Returns its path."""
    approver = approver or APPROVER[gate]
    installer, bundle = artifacts(workspace, version) if not os.path.exists(
        os.path.join(str(workspace), "build/windows/RoutingMLInstaller_%s.exe" % version)) else (
        "build/windows/RoutingMLInstaller_%s.exe" % version, "build/frontend/RoutingMLFrontend_%s.zip" % version)
    sources = [(n, "incoming/%s/%s" % (gate, n)) for n in os.listdir(os.path.join(str(workspace), "incoming", gate))]
    plan = _evidence.plan(str(workspace), gate, version, day, sources, created="2025-10-03T09:00:00+09:00")
    plan.apply()
    folder = os.path.relpath(plan.folder, str(workspace))
    result = _approval.write_statement(str(workspace), gate, version, approver, folder, installer, bundle,
                                       keys["allowed"], reason="tests passed", now=at(9))
    return os.path.join(str(workspace), result["statement"]), folder


def request(workspace, keys, gate, version="1.4.0", approver=None, folder=None, **extra):
    folder = folder or _evidence.folder_relpath(gate, "20251003")
    options = dict(signatures="required", allowed_signers=keys["allowed"], checkpoint_key=keys["controller"],
                   installer="build/windows/RoutingMLInstaller_%s.exe" % version,
                   bundle="build/frontend/RoutingMLFrontend_%s.zip" % version)
    options.update(extra)
    return _approval.Request(str(workspace), gate, version, approver or APPROVER[gate], folder, NOTES,
                             "Tasklist.md", **options)


def approve(workspace, keys, gate, version="1.4.0", hour=10, signer=None, day="20251003"):
    statement, folder = prepare(workspace, keys, gate, version, day=day)
    sign(keys, signer or APPROVER[gate], statement, "routing-ml-approval-%s" % ROLES[APPROVER[gate]])
    return _approval.record(request(workspace, keys, gate, version, folder=folder), now=at(hour))


def audit(workspace, keys, **options):
    return _ledger_audit.audit(str(workspace), allowed_signers=keys["allowed"], signatures="required", **options)


def test_signed_alpha_beta_ga_pass_the_audit(workspace, keys):
    for hour, gate in enumerate(("Alpha", "Beta", "GA"), 10):
        result = approve(workspace, keys, gate, hour=hour)
        assert result["appended"] and "approval=" in result["record"]["line"]
    records, summary = audit(workspace, keys)
    assert summary["signed_approvals"] == 3 and summary["unsigned_approvals"] == 0
    assert summary["checkpoints"]["signed"] == 3 and summary["checkpoints"]["signers"] == ["routing-ml-controller"]
    assert summary["versions"] == ["1.4.0"]
    # The record names the statement it rests on, byte for byte.
    with open(os.path.join(str(workspace), _statement.relpath("1.4.0", "Beta")), "rb") as handle:
        assert records[1].fields["approval"] == __import__("hashlib").sha256(handle.read()).hexdigest()


def test_a_second_recording_changes_nothing(workspace, keys):
    first = approve(workspace, keys, "Alpha")
    again = _approval.record(request(workspace, keys, "Alpha"), now=at(11))
    assert not again["appended"] and again["record"] == first["record"]


def test_an_unsigned_statement_is_refused_with_the_command_that_signs_it(workspace, keys):
    prepare(workspace, keys, "Alpha")
    with pytest.raises(ValidationError) as caught:
        _approval.record(request(workspace, keys, "Alpha"), now=at(10))
    assert "is not signed yet" in str(caught.value)
    assert "ssh-keygen -Y sign -f <key> -n routing-ml-approval-qa-lead deliverables/approvals/1.4.0/Alpha.statement.json" \
        in str(caught.value)
    assert _ledger.read_records(str(workspace)) == []


@pytest.mark.parametrize("signer, expected", [
    ("MALLORY", "not in allowed_signers"),
    ("DEPLOY-LEE", "DEPLOY-LEE"),
])
def test_a_signature_by_another_key_is_refused_by_name(workspace, keys, signer, expected):
    statement, dummy = prepare(workspace, keys, "Alpha")
    # MALLORY and DEPLOY-LEE sign in QA-KIM's namespace: the key is what counts.
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-f", key_of(keys, signer), "-n",
                    "routing-ml-approval-qa-lead", statement], check=True)
    with pytest.raises(ValidationError) as caught:
        _approval.record(request(workspace, keys, "Alpha"), now=at(10))
    assert "signature" in str(caught.value) and expected in str(caught.value)
    assert _ledger.read_records(str(workspace)) == []


def test_a_deployment_engineer_cannot_approve_ga(workspace, keys):
    for hour, gate in enumerate(("Alpha", "Beta"), 10):
        approve(workspace, keys, gate, hour=hour)
    with pytest.raises(ValidationError) as caught:
        prepare(workspace, keys, "GA", approver="DEPLOY-LEE")
    assert "'DEPLOY-LEE' is enrolled" in str(caught.value) and "Release Owner" in str(caught.value)
    # Signed in the Release Owner's namespace with DEPLOY-LEE's own key, for a statement naming him.
    statement, folder = prepare(workspace, keys, "GA")
    data = json.loads(open(statement).read())
    data["predicate"]["approver"] = "DEPLOY-LEE"
    with open(statement, "w") as handle:
        handle.write(_statement.dumps(data))
    sign(keys, "DEPLOY-LEE", statement, "routing-ml-approval-release-owner")
    with pytest.raises(ValidationError) as caught:
        _approval.record(request(workspace, keys, "GA", approver="DEPLOY-LEE", folder=folder), now=at(12))
    assert "DEPLOY-LEE" in str(caught.value)
    assert len(_ledger.read_records(str(workspace))) == 2


def test_an_approval_for_another_version_or_an_earlier_release_is_refused(workspace, keys):
    approve(workspace, keys, "Alpha", version="1.3.0")
    old = os.path.join(str(workspace), _statement.relpath("1.3.0", "Alpha"))
    statement, folder = prepare(workspace, keys, "Alpha", version="1.4.0", day="20251004")
    shutil.copy(old, statement)
    shutil.copy(old + ".sig", statement + ".sig")
    with pytest.raises(ValidationError) as caught:
        _approval.record(request(workspace, keys, "Alpha", folder=folder), now=at(11))
    message = str(caught.value)
    assert "'1.3.0'" in message and "'1.4.0'" in message
    assert len(_ledger.read_records(str(workspace))) == 1


def test_a_forged_append_with_a_correct_prev_is_refused_by_the_audit_and_the_next_gate(workspace, keys):
    approve(workspace, keys, "Alpha")
    records = _ledger.read_records(str(workspace))
    forged = dict(records[0].fields, gate="Beta", approver="DEPLOY-LEE")
    forged.pop("approval")
    _ledger.append(str(workspace), forged, now=at(11))  # prev recomputed, as formats.md documents
    with pytest.raises(_ledger.LedgerError) as caught:
        audit(workspace, keys)
    assert caught.value.where == "logs/task_execution_20251003.log line 2"
    assert "no checkpoint" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        approve(workspace, keys, "GA", hour=12)
    assert "line 2" in str(caught.value)
    # And the deployment of the next gate stops in its first play, before any host.
    problems = early(workspace, keys, "GA")
    assert len(problems) == 1 and "line 2" in problems[0] and "no checkpoint" in problems[0]


def test_an_unsigned_record_after_signed_ones_is_refused_even_with_signatures_off(workspace, keys):
    approve(workspace, keys, "Alpha")
    _ledger.append(str(workspace), dict(_ledger.read_records(str(workspace))[0].fields, approval=None), now=at(11))
    with pytest.raises(_ledger.LedgerError) as caught:
        _ledger_audit.audit(str(workspace), allowed_signers=keys["allowed"], signatures="off")
    assert "line 2" in str(caught.value)


@pytest.fixture
def small_record(workspace, keys):
    """A one-gate signed record, to be damaged copy by copy."""
    approve(workspace, keys, "Alpha")
    audit(workspace, keys)
    return workspace


FLIPPED = {
    "ledger": "logs/task_execution_20251003.log",
    "statement": "deliverables/approvals/1.4.0/Alpha.statement.json",
    "signature": "deliverables/approvals/1.4.0/Alpha.statement.json.sig",
    "manifest": "deliverables/onboarding_evidence/Stage9_Alpha_20251003/MANIFEST.sha256",
    "checkpoint": None,  # logs/checkpoints/<sha256 of the record>.sig
}


@pytest.mark.parametrize("kind", sorted(FLIPPED))
# Each position of each file in turn: a reader that forgives anything is caught here.
def test_every_flipped_byte_is_caught(small_record, keys, tmp_path, kind):
    copy = tmp_path / "copy"
    shutil.copytree(str(small_record), str(copy))
    if kind == "checkpoint":
        path = copy / "logs/checkpoints/{0}.sig".format(_ledger.read_records(str(copy))[0].digest)
    else:
        path = copy / FLIPPED[kind]
    original = path.read_bytes()
    missed = []
    for position in range(len(original)):
        damaged = bytearray(original)
        damaged[position] ^= 0x01
        path.write_bytes(bytes(damaged))
        try:
            audit(copy, keys)
            missed.append(position)
        except (_ledger.LedgerError, ValidationError, UnicodeDecodeError):
            pass
    path.write_bytes(original)
    audit(copy, keys)
    assert missed == [], "%s: flips at %s went unnoticed" % (kind, missed[:10])


def _record_in_process(args):
    workspace, keys, version, day = args
    try:
        approve(workspace, keys, "Alpha", version=version, hour=10, day=day)
        return None
    except Exception as exc:  # reported to the parent
        return repr(exc)


def test_two_recorders_at_once_both_land_with_chain_and_checkpoints_intact(workspace, keys):
    for version in ("1.4.0", "1.4.1"):
        artifacts(workspace, version)
    context = multiprocessing.get_context("fork")
    with context.Pool(2) as pool:
        outcomes = pool.map(_record_in_process, [(str(workspace), keys, v, d) for v, d in (("1.4.0", "20251003"), ("1.4.1", "20251004"))])
    assert outcomes == [None, None]
    records, summary = audit(workspace, keys)
    assert sorted(r.fields["version"] for r in records) == ["1.4.0", "1.4.1"]
    assert summary["checkpoints"]["signed"] == 2


def early(workspace, keys, gate, approver=None):
    from ansible_collections.routing_ml.deploy.plugins.module_utils import _gate_checks
    return _gate_checks.early_check(os.path.realpath(str(workspace)), gate, "1.4.0", approver=approver or APPROVER[gate],
                                    allowed_signers=keys["allowed"], signatures="required",
                                    checkpoint_key=keys["controller"])["problems"]


def test_the_next_gates_early_check_refuses_a_forged_record_and_edited_evidence(workspace, keys):
    approve(workspace, keys, "Alpha")
    assert early(workspace, keys, "Beta") == []
    folder = os.path.join(str(workspace), _evidence.folder_relpath("Alpha", "20251003"))
    victim = os.path.join(folder, sorted(n for n in os.listdir(folder) if not n.startswith("MANIFEST"))[0])
    with open(victim, "ab") as handle:
        handle.write(b"edited after the approval\n")
    problems = early(workspace, keys, "Beta")
    assert len(problems) == 1 and "line 1" in problems[0] and os.path.basename(victim) in problems[0]


def test_the_early_check_refuses_an_approver_not_enrolled_for_the_role(workspace, keys):
    approve(workspace, keys, "Alpha")
    approve(workspace, keys, "Beta", hour=11)
    problems = early(workspace, keys, "GA", approver="DEPLOY-LEE")
    assert len(problems) == 1 and "'DEPLOY-LEE' is enrolled" in problems[0] and "Release Owner" in problems[0]
    assert "'NOBODY' is not enrolled" in early(workspace, keys, "GA", approver="NOBODY")[0]


def test_signed_approvals_without_the_controllers_key_are_refused_early(workspace, keys):
    from ansible_collections.routing_ml.deploy.plugins.module_utils import _gate_checks
    problems = _gate_checks.early_check(os.path.realpath(str(workspace)), "Alpha", "1.4.0", approver="QA-KIM",
                                        allowed_signers=keys["allowed"], signatures="required")["problems"]
    assert problems == ["signed approvals are required and there is no controller key to sign the ledger record "
                        "with (set routing_ml_ledger_signing_key: a vault file or an AWX credential)"]

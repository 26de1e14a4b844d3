# -*- coding: utf-8 -*-
"""Issue 23, items 8 to 11: the records themselves.

* 8: a gate recorded again the same day (after a rollback and an unblock) collected into the
  folder its first record sealed: the run changed every host, then failed on the evidence.
* 9: the auditor (verify_ledger.yml) passed an evidence zip with a flipped byte, and an evidence
  file or folder replaced by a symbolic link.
* 10: a reason or approver with markup landed unescaped in the release notes and Tasklist.md.
* 11: non-UTF-8 input gave a raw codec error; a share installer replaced with a matching sidecar
  was refused with a message that blamed the workspace.

The first tests start from ./dev run's lab (conftest.deployed) and put back what they damage;
the last one from the drilled lab (conftest.drilled: 1.5.0 through GA over 1.4.0, gates
unsigned), where it rolls back, unblocks and records GA again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import hashlib
import json
import os
import re
import shutil

import pytest

from drills import NEW, NOTES, UNSIGNED, deploy, ledger, play, read_only, rollback
from labtools import host_roots, tree_digest

VERSION = "1.4.0"
ENV = {"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
# A boolean, not the string "true" (a conditional refuses a string).
RERECORD = "-e", json.dumps({"routing_ml_gate_rerecord": True})
MARKUP = '<script>alert(1)</script> <img src=x onerror="alert(2)"> [click](javascript:alert(3))'


@pytest.fixture(scope="module")
def lab(deployed):
    return deployed.restore()


@pytest.fixture(scope="module")
def workspace(deployed):
    return deployed.workspace


def run(lab, name, workspace, *extra):
    return lab.playbook(name, "-e", "routing_ml_workspace=%s" % workspace, *extra, **ENV)


def state(lab, workspace):
    return (tree_digest(*host_roots(lab)), tree_digest(os.path.join(lab.dir, "locks")), tree_digest(workspace))


def evidence(workspace, pattern):
    found = sorted(glob.glob(os.path.join(workspace, "deliverables", "onboarding_evidence", pattern)))
    assert found, pattern
    return found[0]


def rel(path, workspace):
    return os.path.relpath(path, workspace).replace(os.sep, "/")


def assert_audit_fails_naming(lab, workspace, *words):
    rc, output, counts = run(lab, "verify_ledger.yml", workspace)
    assert rc != 0 and "PASS:" not in output, output[-3000:]
    for word in words:
        assert word in output, (word, output[-3000:])


def test_the_auditor_passes_the_deployed_record(lab, workspace):
    rc, output, counts = run(lab, "verify_ledger.yml", workspace)
    assert rc == 0 and "PASS:" in output, output[-3000:]


# 9. The offline verifier -----------------------------------------------------------------------

def test_an_evidence_zip_with_a_flipped_byte_fails_the_audit_naming_it(lab, workspace):
    path = evidence(workspace, "Stage9_Alpha_*.zip")
    original = open(path, "rb").read()
    flipped = bytearray(original)
    flipped[len(flipped) // 2] ^= 0x01
    try:
        with open(path, "wb") as handle:
            handle.write(bytes(flipped))
        assert_audit_fails_naming(lab, workspace, "evidence zip %s has sha256 %s" % (
            rel(path, workspace), hashlib.sha256(bytes(flipped)).hexdigest()))
    finally:
        with open(path, "wb") as handle:
            handle.write(original)


def test_an_evidence_file_or_folder_replaced_by_a_symlink_fails_the_audit_naming_it(lab, workspace, tmp_path):
    folder = evidence(workspace, "Stage9_Beta_*[0-9]")
    name = sorted(n for n in os.listdir(folder) if n.endswith(".json") and n != "manifest.json")[0]
    aside = str(tmp_path / "aside")
    shutil.copytree(folder, aside)
    try:
        # The same bytes, elsewhere: whoever can write there changes the record after the audit.
        os.unlink(os.path.join(folder, name))
        os.symlink(os.path.join(aside, name), os.path.join(folder, name))
        assert_audit_fails_naming(lab, workspace, "%s/%s is a symbolic link" % (rel(folder, workspace), name))
        shutil.rmtree(folder)
        os.symlink(aside, folder)
        assert_audit_fails_naming(lab, workspace, "%s is a symbolic link" % rel(folder, workspace))
    finally:
        if os.path.islink(folder):
            os.unlink(folder)
        elif os.path.isdir(folder):
            shutil.rmtree(folder)
        shutil.copytree(aside, folder)
    rc, output, counts = run(lab, "verify_ledger.yml", workspace)
    assert rc == 0 and "PASS:" in output, output[-3000:]


def test_mine_a_ledger_file_or_an_approval_replaced_by_a_symlink_fails_the_audit(lab, workspace, tmp_path):
    """One of my own: the same for the ledger itself and a signed statement."""
    ledger_file = sorted(glob.glob(os.path.join(workspace, "logs", "task_execution_*.log")))[-1]
    statement = sorted(glob.glob(os.path.join(workspace, "deliverables", "approvals", VERSION, "*.statement.json")))[0]
    for path in (ledger_file, statement):
        copy = str(tmp_path / os.path.basename(path))
        shutil.copy2(path, copy)
        try:
            os.unlink(path)
            os.symlink(copy, path)
            assert_audit_fails_naming(lab, workspace, "%s is a symbolic link" % rel(path, workspace))
        finally:
            os.unlink(path)
            shutil.copy2(copy, path)


# 11. Non-UTF-8 input; a share copy changed after publishing -------------------------------------

def test_a_release_notes_file_that_is_not_utf8_is_refused_naming_it_before_any_host(lab, workspace):
    path = os.path.join(workspace, NOTES)
    original = open(path, "rb").read()
    before = tree_digest(*host_roots(lab))
    try:
        with open(path, "wb") as handle:
            handle.write(original.decode("utf-8").encode("utf-16-le"))
        rc, output, counts = run(lab, "deploy_alpha.yml", workspace)
        assert rc != 0, output[-3000:]
        assert "%s is not UTF-8 text" % os.path.basename(path) in output, output[-3000:]
        assert "Traceback" not in output and "UnicodeDecodeError" not in output, output[-3000:]
        assert tree_digest(*host_roots(lab)) == before
    finally:
        with open(path, "wb") as handle:
            handle.write(original)


def test_a_share_installer_replaced_with_a_matching_sidecar_is_refused_naming_the_share(lab, workspace):
    folder = os.path.join(lab.hosts["nas1"]["share"], "releases", VERSION)
    installer = os.path.join(folder, "RoutingMLInstaller_%s.exe" % VERSION)
    original, sidecar = open(installer, "rb").read(), open(installer + ".sha256", "rb").read()
    published = hashlib.sha256(original).hexdigest()
    evil = original + b"\x00planted"
    digest = hashlib.sha256(evil).hexdigest()
    try:
        with open(installer, "wb") as handle:
            handle.write(evil)
        with open(installer + ".sha256", "w") as handle:
            handle.write("%s  %s\n" % (digest, os.path.basename(installer)))
        before = state(lab, workspace)
        rc, output, counts = run(lab, "deploy_alpha.yml", workspace)
        assert rc != 0, output[-3000:]
        assert read_only(counts), counts
        assert state(lab, workspace) == before
        # The share is the side that differs; the workspace holds what was published.
        assert "RoutingMLInstaller_%s.exe of version %s at nas1:%s.sha256 has sha256 %s" % (
            VERSION, VERSION, installer, digest) in output, output[-3000:]
        assert "published with sha256 %s" % published in output
        assert "build it as a new version" not in output, "the workspace is not what changed"
    finally:
        with open(installer, "wb") as handle:
            handle.write(original)
        with open(installer + ".sha256", "wb") as handle:
            handle.write(sidecar)


# 10. and 8., on the drilled lab ---------------------------------------------------------------

def gate_records(workspace, gate, version):
    return [line for line in ledger(workspace)
            if "| gate=%s | status=" % gate in line and "| version=%s |" % version in line
            and "status=Rolled Back" not in line and "status=Unblocked" not in line]


def test_after_a_rollback_and_an_unblock_ga_is_recorded_again_into_a_folder_of_its_own(drilled):
    """Items 10 and 8. A rollback's reason with markup reaches the release notes escaped; an
    unblock or a gate by an approver named with markup is refused naming the name, before any
    host; then GA recorded again the same day collects into a new folder (it failed after every
    host had changed, on the folder the first GA record had sealed)."""
    lab = drilled.restore()
    new = drilled.workspaces[NEW]
    try:
        rc, output, counts = rollback(lab, new, NEW, "GA", reason="CHG-9 " + MARKUP)
        assert rc == 0, output[-5000:]
        notes = open(os.path.join(new, NOTES), encoding="utf-8").read()
        assert "<script>" not in notes and "<img" not in notes and not re.search(r"(?<!\\)\]\(javascript:", notes)
        assert "GA: CHG-9 &lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=\"alert(2)\"&gt; " \
               "\\[click\\](javascript:alert(3))" in notes

        lines = ledger(new)
        for name in ("<script>alert(1)</script>", "javascript:alert(1)"):
            rc, output, counts = play(lab, "unblock.yml", "-e", "routing_ml_workspace=%s" % new,
                                      "-e", "routing_ml_version=%s" % NEW, "-e", "routing_ml_gate=GA",
                                      "-e", json.dumps({"routing_ml_reason": "CHG-10 fixed", "routing_ml_approver": name}),
                                      *UNSIGNED)
            assert rc != 0 and "approver %r is not a name" % name in output, output[-3000:]
            assert read_only(counts) and ledger(new) == lines
        # The drilled environment records its gates unsigned (drills.trust_off); signed unblocks
        # are test_attacks_ledger's.
        rc, output, counts = play(lab, "unblock.yml", "-e", "routing_ml_workspace=%s" % new,
                                  "-e", "routing_ml_version=%s" % NEW, "-e", "routing_ml_gate=GA",
                                  "-e", json.dumps({"routing_ml_reason": "CHG-10 fixed"}), *UNSIGNED)
        assert rc == 0, output[-3000:]

        before = tree_digest(*host_roots(lab))
        name = '<img src=x onerror="alert(1)">'
        rc, output, counts = deploy(lab, new, NEW, "ga", *RERECORD,
                                    "-e", json.dumps({"routing_ml_approver": name}))
        assert rc != 0 and "approver %r is not a name" % name in output, output[-3000:]
        assert read_only(counts) and tree_digest(*host_roots(lab)) == before

        first = gate_records(new, "GA", NEW)
        rc, output, counts = deploy(lab, new, NEW, "ga", *RERECORD)
        if rc != 0:
            # A refusal is acceptable only before any host changed.
            assert read_only(counts) and tree_digest(*host_roots(lab)) == before, output[-5000:]
            pytest.fail("GA recorded again was refused: %s" % output[-3000:])
        records = gate_records(new, "GA", NEW)
        assert len(records) == len(first) + 1, records
        folders = [re.search(r"\| evidence=(\S+) \|", line).group(1) for line in records]
        assert folders[-1] not in folders[:-1], folders
        assert os.path.isfile(os.path.join(new, folders[-1] + ".zip"))
        tasklist = open(os.path.join(new, "Tasklist.md"), encoding="utf-8").read()
        assert "<img" not in tasklist and "<script" not in tasklist
    finally:
        drilled.restore()

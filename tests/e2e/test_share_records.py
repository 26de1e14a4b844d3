# -*- coding: utf-8 -*-
"""The Stage 9 records on the share: push from one workspace, continue from the share in another,
and a divergence refused with nothing overwritten, against the lab's nas1 (SSH) and its Samba."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess

import pytest

from labtools import BIN, ROOT, recap, tree_digest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checkpoints, _evidence, _ledger

KST = datetime.timezone(datetime.timedelta(hours=9))
PLAYBOOK = "tests/e2e/playbooks/records_mirror.yml"


def gate(root, name, day, hour, approver, key, version="1.4.0"):
    """Evidence folder and zip, a statement and its signature, the ledger record and its checkpoint
    (signed with the controller key ``key``: a pull checks the share's records as the auditor does)."""
    root = str(root)
    date = "202510%02d" % day
    moment = datetime.datetime(2025, 10, day, hour, tzinfo=KST)
    source = os.path.join(root, "logs", "qa", "%s_%s.log" % (name, date))
    os.makedirs(os.path.dirname(source), exist_ok=True)
    with open(source, "w") as handle:
        handle.write("%s smoke tests of %s passed (%s)\n" % (name, version, approver))
    plan = _evidence.plan(root, name, version, date, [("smoke.log", source)], created=moment.isoformat())
    plan.apply()
    _evidence.write_zip(plan.folder, plan.folder + ".zip")
    approvals = os.path.join(root, "deliverables", "approvals", version)
    os.makedirs(approvals, exist_ok=True)
    for suffix in ("", ".sig"):
        with open(os.path.join(approvals, "%s.statement.json%s" % (name, suffix)), "w") as handle:
            handle.write(json.dumps(dict(gate=name, approver=approver, suffix=suffix), sort_keys=True) + "\n")
    record = _ledger.append(root, dict(gate=name, status="Next Stage Ready", version=version, approver=approver,
                                       evidence=_evidence.folder_relpath(name, date),
                                       manifest_sha256=plan.manifest_sha256), now=moment,
                            signer=_checkpoints.signer(key))
    return record


def in_scope(root):
    """``{rel: sha256}`` of the Stage 9 records under ``root``."""
    found = {}
    for folder, dirs, names in os.walk(str(root)):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, str(root)).replace(os.sep, "/")
            if name.startswith(".") or not (
                    re.match(r"^logs/(task_execution_[^/]*\.log|checkpoints/[^/]*\.sig)$", rel)
                    or rel.startswith("deliverables/approvals/")
                    or re.match(r"^deliverables/onboarding_evidence/Stage9_[^/]*(\.zip|/.+)$", rel)):
                continue
            with open(path, "rb") as handle:
                found[rel] = hashlib.sha256(handle.read()).hexdigest()
    return found


def run(lab, *args):
    completed = subprocess.run([os.path.join(BIN, "ansible-playbook"), PLAYBOOK] + list(args), cwd=ROOT,
                               env=lab.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, check=False)
    return completed.returncode, completed.stdout


def workspace_with_two_gates(path, key):
    os.makedirs(str(path))
    gate(path, "Alpha", 3, 14, "QA-KIM", key)
    gate(path, "Beta", 4, 9, "DEPLOY-LEE", key)
    # Not records: never mirrored.
    for rel in ("logs/deploy/upload_1.4.0.json", ".stage/frontend/1.4.0/index.html", "Tasklist.md"):
        os.makedirs(os.path.dirname(os.path.join(str(path), rel)) or str(path), exist_ok=True)
        with open(os.path.join(str(path), rel), "w") as handle:
            handle.write("not a record\n")
    return str(path)


def mirror_round_trip(lab, stage9, tmp_path, extra):
    """Push, push again (nothing changes), pull into an empty workspace: byte-identical."""
    first = workspace_with_two_gates(tmp_path / "first", lab.state["signing"]["controller_key"])
    rc, output = run(lab, "-e", "records_push_workspace=%s" % first, "--check", *extra)
    assert rc == 0, output[-5000:]
    assert not os.path.exists(stage9), "check mode wrote to the share"
    rc, output = run(lab, "-e", "records_push_workspace=%s" % first, *extra)
    assert rc == 0, output[-5000:]
    assert in_scope(stage9) == in_scope(first) and len(in_scope(first)) == 2 * 8
    assert not os.path.exists(os.path.join(stage9, "logs", "deploy"))
    assert not os.path.exists(os.path.join(stage9, "Tasklist.md"))
    rc, output = run(lab, "-e", "records_push_workspace=%s" % first, *extra)
    assert rc == 0, output[-5000:]
    assert sum(counts["changed"] for counts in recap(output).values()) == 0, output[-5000:]

    second = str(tmp_path / "second")
    os.makedirs(second)
    rc, output = run(lab, "-e", "records_pull_workspace=%s" % second, *extra)
    assert rc == 0, output[-5000:]
    assert in_scope(second) == in_scope(first)
    assert [r.digest for r in _ledger.verify(second)] == [r.digest for r in _ledger.verify(first)]
    assert not os.path.exists(os.path.join(second, "logs", "deploy"))
    return first, second


def divergence_is_refused(lab, stage9, first, second, extra):
    """Both workspaces record GA on their own; the share gets ``second``'s. ``first`` cannot
    push or pull, and nothing changes on either side."""
    key = lab.state["signing"]["controller_key"]
    mine = gate(first, "GA", 5, 10, "OWNER-PARK", key)
    theirs = gate(second, "GA", 5, 11, "OWNER-KIM", key)
    rc, output = run(lab, "-e", "records_push_workspace=%s" % second, *extra)
    assert rc == 0, output[-5000:]
    assert in_scope(stage9) == in_scope(second)
    before = tree_digest(first), tree_digest(stage9)
    expected = ("record 3: workspace logs/task_execution_20251005.log line 1 sha256 %s, share "
                "logs/task_execution_20251005.log line 1 sha256 %s" % (mine.digest, theirs.digest))
    for which in ("records_push_workspace", "records_pull_workspace"):
        rc, output = run(lab, "-e", "%s=%s" % (which, first), *extra)
        assert rc != 0, output[-5000:]
        assert expected in output, output[-5000:]
        assert "GA.statement.json exists on both sides with different content" in output
        assert (tree_digest(first), tree_digest(stage9)) == before


@pytest.fixture
def share_stage9(lab):
    stage9 = os.path.join(lab.hosts["nas1"]["share"], "stage9")
    shutil.rmtree(stage9, ignore_errors=True)  # the first run: the share has no records yet
    yield stage9
    shutil.rmtree(stage9, ignore_errors=True)


def test_records_pushed_over_ssh_arrive_byte_identical_in_an_empty_workspace(lab, share_stage9, tmp_path):
    first, second = mirror_round_trip(lab, share_stage9, tmp_path, [])
    divergence_is_refused(lab, share_stage9, first, second, [])


def test_records_over_smb(lab, share_stage9, tmp_path):
    smb = lab.state["samba"]
    if smb is None:
        assert os.geteuid() != 0, "a lab started as root must run Samba"
        pytest.skip("Samba runs only when the lab is started as root; this run is not root")
    with open(smb["password_file"]) as handle:
        password = handle.read()
    extra_vars = tmp_path / "smb-vars.json"
    extra_vars.write_text(json.dumps(dict(
        routing_ml_share_platform="smb", routing_ml_share_root="\\\\%s\\%s" % (smb["address"], smb["share"]),
        routing_ml_share_port=smb["port"], routing_ml_share_user=smb["user"], routing_ml_share_password=password)))
    extra = ["-e", "@%s" % extra_vars]
    first, second = mirror_round_trip(lab, share_stage9, tmp_path, extra)
    divergence_is_refused(lab, share_stage9, first, second, extra)
    rc, output = run(lab, "-e", "records_pull_workspace=%s" % second, "-vvv", *extra)
    assert rc == 0 and password not in output, output[-3000:]

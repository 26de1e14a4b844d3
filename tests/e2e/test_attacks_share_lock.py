# -*- coding: utf-8 -*-
"""Issue 23, items 6 and 7, on the deployed lab (./dev run's: 1.4.0 through GA, signed).

A share writer's records are checked before they are copied: a planted ledger record or
evidence file is refused naming the share, and the workspace stays as it was. The deploy lock
is not cleared under a running holder unless forced (and then on the record), and a run that
renames the environment gets no lock of its own beside the held one. Each attack is refused
early (the records pull, or the lock, both before the first host), so each test costs seconds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import glob
import json
import os
import subprocess
import sys

import pytest

from labtools import BIN, ROOT, host_roots, tree_digest
from rml_lab import signing

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checkpoints, _ledger, _ledger_audit, _lock

RECORDS_PLAYBOOK = "tests/e2e/playbooks/records_mirror.yml"
REFUSED = "the share's Stage 9 records at %s do not verify, so nothing was copied and the workspace is as it was"


@pytest.fixture
def fresh(deployed):
    """Every test starts from ./dev run's estate and leaves it so."""
    lab = deployed.restore()
    try:
        yield lab
    finally:
        deployed.restore()


def stage9(lab):
    return os.path.join(lab.hosts["nas1"]["share"], "stage9")


def share_name(lab):
    return "nas1:%s/stage9" % lab.hosts["nas1"]["share"]


def ledger_digest(workspace):
    """The workspace's whole Stage 9 record: ledger, checkpoints, approvals, evidence."""
    return tree_digest(*[os.path.join(workspace, p) for p in ("logs", "deliverables")])


def plant_record(root, signer=None, status="Unblocked"):
    """Append a record to the share's ledger with a valid chain: an unblock by a name nobody
    enrolled (the kind of decision that moves a version), or a rollback (one that stops it),
    checkpointed by ``signer`` or not."""
    last = _ledger.verify(root)[-1]
    fields = dict((k, v) for k, v in last.fields.items() if k != "approval")
    fields.update(status=status, approver="MALLORY", reason="planted on the share")
    return _ledger.append(root, fields, signer=signer)


def plant_evidence(root):
    folder = sorted(glob.glob(os.path.join(root, "deliverables", "onboarding_evidence", "Stage9_GA_*[0-9]")))[-1]
    with open(os.path.join(folder, "planted.html"), "w") as handle:
        handle.write("<p>collected by nobody</p>\n")
    return os.path.relpath(folder, root)


def deploy_ga(lab, workspace, *extra):
    return lab.playbook("deploy_ga.yml", "-e", "routing_ml_workspace=%s" % workspace, *extra)


def refused_at_the_pull(lab, workspace, expected):
    """A re-run of GA for the approved version is refused before any host, naming the share;
    the workspace's records, the hosts and the share stay as they were."""
    before = ledger_digest(workspace), tree_digest(*host_roots(lab))
    rc, output, counts = deploy_ga(lab, workspace)
    assert rc != 0, output[-4000:]
    assert (REFUSED % share_name(lab)) in output, output[-4000:]
    assert expected in output, output[-4000:]
    assert (ledger_digest(workspace), tree_digest(*host_roots(lab))) == before
    assert not any(c["changed"] for c in counts.values()), counts
    # The workspace still verifies as it did: the next run is not refused for it.
    _ledger_audit.audit(workspace, allowed_signers=lab.state["signing"]["allowed_signers"], signatures="required")
    return output


def test_an_unsigned_ledger_record_planted_on_the_share_is_refused_naming_the_share(fresh, deployed):
    record = plant_record(stage9(fresh))
    refused_at_the_pull(fresh, deployed.workspace, "%s: record has no checkpoint" % record.where(stage9(fresh)))


def test_an_extra_evidence_file_planted_on_the_share_is_refused_naming_the_share(fresh, deployed):
    folder = plant_evidence(stage9(fresh))
    output = refused_at_the_pull(fresh, deployed.workspace, "evidence %s" % folder)
    assert "planted.html" in output


def pull_into_an_empty_workspace(lab, workspace, *extra):
    os.makedirs(workspace)
    completed = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), RECORDS_PLAYBOOK, "-e", "records_pull_workspace=%s" % workspace,
         "-e", "routing_ml_approval_signatures=required"] + list(extra),
        cwd=ROOT, env=lab.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
        check=False)
    return completed.returncode, completed.stdout


def test_a_fresh_controller_pulls_the_shares_signed_records_and_they_verify(fresh, tmp_path):
    """Not an attack: the check must let the share's good records through (an AWX job)."""
    workspace = str(tmp_path / "awx")
    rc, output = pull_into_an_empty_workspace(fresh, workspace)
    assert rc == 0, output[-4000:]
    records, summary = _ledger_audit.audit(workspace, allowed_signers=fresh.state["signing"]["allowed_signers"],
                                           signatures="required")
    assert summary["signed_approvals"] == 3 and [r.digest for r in records] == [
        r.digest for r in _ledger.verify(stage9(fresh))]


def test_a_fresh_controller_is_not_poisoned_by_a_record_checkpointed_with_an_approvers_key(fresh, tmp_path):
    """One approver's key: OWNER-PARK checkpoints a planted record in the ledger's namespace.
    A fresh controller (an empty workspace, as under AWX) refuses it and writes nothing."""
    owner = signing.key(fresh.dir, "OWNER-PARK")
    record = plant_record(stage9(fresh), signer=_checkpoints.signer(owner))
    workspace = str(tmp_path / "awx")
    rc, output = pull_into_an_empty_workspace(fresh, workspace)
    assert rc != 0, output[-4000:]
    assert (REFUSED % share_name(fresh)) in output, output[-4000:]
    assert "%s: checkpoint logs/checkpoints/%s.sig does not verify" % (
        record.where(stage9(fresh)), record.digest) in output, output[-4000:]
    assert os.listdir(workspace) == [".stage"] or os.listdir(workspace) == []


def test_a_record_checkpointed_with_the_launchers_key_is_not_pulled_under_their_allowed_signers(fresh, tmp_path):
    """Mine: a share writer who also launches the job. Their allowed_signers is the lab's (public)
    plus their own key as a controller; their record verifies under it. The share is checked
    with the allowed_signers its trust records pin, so it is refused and nothing is copied."""
    key = str(tmp_path / "launcher")
    subprocess.check_call(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "launcher", "-f", key])
    theirs = str(tmp_path / "allowed_signers")
    with open(fresh.state["signing"]["allowed_signers"]) as handle, open(theirs, "w") as mine:
        mine.write(handle.read())
        mine.write('routing-ml-controller namespaces="routing-ml-ledger" %s\n'
                   % " ".join(open(key + ".pub").read().split()[:2]))
    # A rollback of the approved version: no signature needed, so it blocks GA for good.
    record = plant_record(stage9(fresh), signer=_checkpoints.signer(key), status="Rolled Back")
    _ledger_audit.audit(stage9(fresh), allowed_signers=theirs, signatures="required")  # it does verify under theirs
    workspace = str(tmp_path / "awx")
    rc, output = pull_into_an_empty_workspace(fresh, workspace, "-e", "routing_ml_allowed_signers=%s" % theirs)
    assert rc != 0, output[-4000:]
    assert (REFUSED % share_name(fresh)) in output, output[-4000:]
    assert "%s: checkpoint logs/checkpoints/%s.sig does not verify" % (
        record.where(stage9(fresh)), record.digest) in output, output[-4000:]
    assert [n for n in os.listdir(workspace) if not n.startswith(".")] == []


def test_a_planted_record_is_refused_over_smb_too(fresh, tmp_path):
    smb = fresh.state["samba"]
    if smb is None:
        assert os.geteuid() != 0, "a lab started as root must run Samba"
        pytest.skip("Samba runs only when the lab is started as root; this run is not root")
    with open(smb["password_file"]) as handle:
        password = handle.read()
    root = "\\\\%s\\%s" % (smb["address"], smb["share"])
    extra_vars = tmp_path / "smb-vars.json"
    extra_vars.write_text(json.dumps(dict(
        routing_ml_share_platform="smb", routing_ml_share_root=root, routing_ml_share_port=smb["port"],
        routing_ml_share_user=smb["user"], routing_ml_share_password=password)))
    plant_record(stage9(fresh))
    workspace = str(tmp_path / "awx")
    rc, output = pull_into_an_empty_workspace(fresh, workspace, "-e", "@%s" % extra_vars)
    assert rc != 0, output[-4000:]
    named = "the share's Stage 9 records at %s\\stage9 do not verify" % root
    # The callback may show a backslash escaped.
    assert named in output or named.replace("\\", "\\\\") in output, output[-4000:]
    assert "record has no checkpoint" in output and password not in output
    assert [n for n in os.listdir(workspace) if not n.startswith(".")] == []


# --- the deploy lock ------------------------------------------------------------------------

@contextlib.contextmanager
def held_lock(lab):
    """The lab's lock, held by a live process of this controller (a run that is still going)."""
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        lock, dummy = _lock.acquire(os.path.join(lab.dir, "locks"), "lab", pid=holder.pid,
                                    purpose="deploy GA 1.4.0", playbook="deploy_ga.yml")
        yield holder, lock
    finally:
        holder.kill()
        holder.wait()


def history(lab):
    path = os.path.join(lab.dir, "locks", "lock_history.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle]


def test_unlock_refuses_the_lock_of_a_run_that_is_still_going(fresh):
    lock_file = os.path.join(fresh.dir, "locks", "lab.lock")
    with held_lock(fresh) as (holder, lock):
        before = history(fresh)
        rc, output, dummy = fresh.playbook("unlock.yml", "-e", 'routing_ml_unlock_reason="it looks stuck"')
        assert rc != 0, output[-3000:]
        assert "environment lab is locked by %s (pid %d" % (lock["holder"], holder.pid) in output, output[-3000:]
        assert "still going on this controller, so its lock is not cleared" in output
        assert "routing_ml_unlock_force=true" in output
        with open(lock_file) as handle:
            assert json.load(handle) == lock
        assert history(fresh) == before, "refused: nothing recorded"


def test_a_forced_unlock_clears_it_and_records_the_reason(fresh):
    lock_file = os.path.join(fresh.dir, "locks", "lab.lock")
    with held_lock(fresh) as (holder, lock):
        rc, output, dummy = fresh.playbook(
            "unlock.yml", "-e", "routing_ml_unlock_force=true", "-e", "routing_ml_operator=OWNER-PARK",
            "-e", 'routing_ml_unlock_reason="job 41 hangs on node2 and is being stopped by hand"')
        assert rc == 0, output[-3000:]
        assert not os.path.exists(lock_file)
        said = " ".join(output.split())  # the callback folds long lines
        assert "FORCED: cleared the lock of lab held by %s" % lock["holder"] in said, output[-3000:]
        assert "its process STILL RUNNING" in said, output[-3000:]
        entry = history(fresh)[-1]
        assert (entry["operator"], entry["reason"], entry["forced"], entry["holder_process"], entry["lock"]) == (
            "OWNER-PARK", "job 41 hangs on node2 and is being stopped by hand", True, "running", lock)


def test_a_run_that_renames_the_environment_gets_no_lock_beside_the_held_one(fresh, deployed):
    locks = os.path.join(fresh.dir, "locks")
    with held_lock(fresh) as (holder, lock):
        before = ledger_digest(deployed.workspace), tree_digest(*host_roots(fresh)), sorted(os.listdir(locks))
        rc, output, counts = deploy_ga(fresh, deployed.workspace, "-e", "routing_ml_environment=other")
        assert rc != 0, output[-4000:]
        refusal = "environment other is not the environment of share linux:nas1:%s: that share is environment " \
                  "lab's" % fresh.hosts["nas1"]["share"]
        if refusal in output:
            assert "it is locked now by %s (pid %d" % (lock["holder"], holder.pid) in output
        else:
            # The trust settings pinned from the inventory (item 4) may refuse the name earlier.
            assert "routing_ml_environment" in output and "other" in output, output[-4000:]
        assert (ledger_digest(deployed.workspace), tree_digest(*host_roots(fresh)), sorted(os.listdir(locks))) \
            == before, "no host, no record and no lock of its own"
        assert not any(c["changed"] for h, c in counts.items() if h != "localhost"), counts

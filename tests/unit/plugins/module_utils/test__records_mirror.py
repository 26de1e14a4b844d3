# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import os
import re
import shutil

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _evidence, _ledger, _records_mirror, _trust
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

KST = datetime.timezone(datetime.timedelta(hours=9))
LEDGER_3 = "logs/task_execution_20251003.log"
LEDGER_4 = "logs/task_execution_20251004.log"


def at(day, hour, minute=0):
    return datetime.datetime(2025, 10, day, hour, minute, tzinfo=KST)


def gate_records(root, gate, moment, approver="QA-KIM", version="1.4.0"):
    """What a gate leaves: evidence folder and zip, a statement and its signature, a checkpoint,
    and the ledger record."""
    root = str(root)
    day = moment.strftime("%Y%m%d")
    source = os.path.join(root, "incoming", "%s_%s.log" % (gate, day))
    os.makedirs(os.path.dirname(source), exist_ok=True)
    with open(source, "w") as handle:
        handle.write("%s evidence of %s by %s\n" % (gate, day, approver))
    plan = _evidence.plan(root, gate, version, day, [("smoke.log", source)], created=moment.isoformat())
    plan.apply()
    _evidence.write_zip(plan.folder, plan.folder + ".zip")
    approvals = os.path.join(root, "deliverables", "approvals", version)
    os.makedirs(approvals, exist_ok=True)
    for name in ("%s.statement.json" % gate, "%s.statement.json.sig" % gate):
        with open(os.path.join(approvals, name), "w") as handle:
            handle.write("%s %s %s\n" % (name, approver, moment.isoformat()))
    record = _ledger.append(root, dict(
        gate=gate, status="Next Stage Ready", version=version, approver=approver,
        evidence=_evidence.folder_relpath(gate, day), manifest_sha256=plan.manifest_sha256), now=moment)
    checkpoints = os.path.join(root, "logs", "checkpoints")
    os.makedirs(checkpoints, exist_ok=True)
    with open(os.path.join(checkpoints, record.digest + ".sig"), "w") as handle:
        handle.write("signature of %s\n" % record.digest)
    return record


def out_of_scope(root):
    """Files that look alike but are never mirrored."""
    for rel in (".stage/stage9-share/logs/task_execution_20251003.log", "logs/deploy/upload_1.4.0.json",
                "logs/qa/frontend_build.log", "logs/.task_execution.lock", "deliverables/release_notes.md",
                "deliverables/onboarding_evidence/Other_Alpha/x.log", "logs/checkpoints/.x.sig.tmp"):
        path = os.path.join(str(root), *rel.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write("not a Stage 9 record: %s\n" % rel)


def tree(root):
    """``{rel: sha256}`` of every file under ``root``."""
    found = {}
    for folder, dummy, names in os.walk(str(root)):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, str(root)).replace(os.sep, "/")] = hashlib.sha256(handle.read()).hexdigest()
    return found


def records_of(root):
    return dict((rel, digest) for rel, digest in tree(root).items() if _records_mirror.in_scope(rel))


@pytest.fixture
def sides(tmp_path):
    workspace, share = tmp_path / "workspace", tmp_path / "share"
    workspace.mkdir()
    share.mkdir()
    return workspace, share


@pytest.fixture
def share_ahead(sides):
    """The share went through Alpha (03) and Beta (04); the workspace is empty (AWX)."""
    workspace, share = sides
    gate_records(share, "Alpha", at(3, 14))
    gate_records(share, "Beta", at(4, 9), approver="DEPLOY-LEE")
    out_of_scope(share)
    return workspace, share


def test_scope_is_the_stage9_records_only(share_ahead):
    dummy, share = share_ahead
    files, problems = _records_mirror.scope(str(share))
    assert not problems
    assert all(not f.startswith((".stage", "logs/deploy", "logs/qa")) for f in files)
    assert LEDGER_3 in files and LEDGER_4 in files
    assert "deliverables/approvals/1.4.0/Beta.statement.json.sig" in files
    assert "deliverables/onboarding_evidence/Stage9_Alpha_20251003/MANIFEST.sha256" in files
    assert "deliverables/onboarding_evidence/Stage9_Alpha_20251003.zip" in files
    assert len([f for f in files if f.startswith("logs/checkpoints/")]) == 2
    assert "logs/checkpoints/.x.sig.tmp" not in files and "logs/.task_execution.lock" not in files
    assert not [f for f in files if "Other_Alpha" in f or f.endswith("release_notes.md")]


def test_empty_workspace_continues_from_the_share(share_ahead):
    workspace, share = share_ahead
    plan = _records_mirror.compare(str(workspace), str(share))
    assert plan.conflicts == [] and plan.push == []
    assert plan.records == dict(workspace=0, share=2)
    assert sorted(plan.pull) == sorted(records_of(share))
    assert plan.pull[-2:] == [LEDGER_3, LEDGER_4], "ledger files come last"
    pulled = _records_mirror.apply_pull(str(workspace), str(share), plan)
    assert sorted(pulled) == sorted(plan.pull)
    assert records_of(workspace) == records_of(share)
    assert not os.path.exists(str(workspace / ".stage")) and not (workspace / "logs/deploy").exists()
    assert len(_ledger.verify(str(workspace))) == 2
    again = _records_mirror.compare(str(workspace), str(share))
    assert (again.pull, again.push, again.conflicts) == ([], [], [])
    assert not [f for f in tree(workspace) if f.endswith(".tmp")]


def test_workspace_ahead_is_a_push_list(share_ahead):
    workspace, share = share_ahead
    plan = _records_mirror.compare(str(workspace), str(share))
    _records_mirror.apply_pull(str(workspace), str(share), plan)
    record = gate_records(workspace, "GA", at(5, 10), approver="OWNER-PARK")
    plan = _records_mirror.compare(str(workspace), str(share))
    assert plan.conflicts == [] and plan.pull == []
    assert plan.records == dict(workspace=3, share=2)
    assert set(plan.push) == {
        "logs/task_execution_20251005.log", "logs/checkpoints/%s.sig" % record.digest,
        "deliverables/approvals/1.4.0/GA.statement.json", "deliverables/approvals/1.4.0/GA.statement.json.sig",
        "deliverables/onboarding_evidence/Stage9_GA_20251005.zip",
        "deliverables/onboarding_evidence/Stage9_GA_20251005/MANIFEST.sha256",
        "deliverables/onboarding_evidence/Stage9_GA_20251005/manifest.json",
        "deliverables/onboarding_evidence/Stage9_GA_20251005/smoke.log"}
    pushed = _records_mirror.apply_push(str(workspace), str(share), plan)
    assert sorted(pushed) == sorted(plan.push)
    assert records_of(workspace) == records_of(share)
    assert _records_mirror.verify_pushed(str(workspace), str(share))[1] == []


def test_a_ledger_file_that_grew_is_planned_and_grown(share_ahead):
    workspace, share = share_ahead
    _records_mirror.apply_pull(str(workspace), str(share), _records_mirror.compare(str(workspace), str(share)))
    gate_records(share, "GA", at(4, 17), approver="OWNER-PARK")  # same day: the file grows
    before = (workspace / LEDGER_4).read_bytes()
    plan = _records_mirror.compare(str(workspace), str(share))
    assert plan.conflicts == [] and LEDGER_4 in plan.pull and plan.push == []
    _records_mirror.apply_pull(str(workspace), str(share), plan)
    after = (workspace / LEDGER_4).read_bytes()
    assert after.startswith(before) and after == (share / LEDGER_4).read_bytes()
    gate_records(workspace, "GA", at(4, 18), approver="OWNER-PARK", version="1.4.1")
    plan = _records_mirror.compare(str(workspace), str(share))
    assert plan.push[-1] == LEDGER_4 and plan.conflicts == []
    _records_mirror.apply_push(str(workspace), str(share), plan)
    assert (share / LEDGER_4).read_bytes() == (workspace / LEDGER_4).read_bytes()


def test_divergent_chains_are_refused_naming_the_first_differing_record(share_ahead):
    workspace, share = share_ahead
    _records_mirror.apply_pull(str(workspace), str(share), _records_mirror.compare(str(workspace), str(share)))
    mine = gate_records(workspace, "GA", at(4, 17), approver="OWNER-PARK")
    theirs = gate_records(share, "GA", at(4, 18), approver="OWNER-KIM")
    plan = _records_mirror.compare(str(workspace), str(share))
    expected = ("record 3: workspace %s line 2 sha256 %s, share %s line 2 sha256 %s"
                % (LEDGER_4, mine.digest, LEDGER_4, theirs.digest))
    assert expected in plan.conflicts
    # the statement of GA exists on both sides with other content, named too; the ledger file only once
    assert any(c.startswith("deliverables/approvals/1.4.0/GA.statement.json exists on both sides") for c in plan.conflicts)
    assert not any(c.startswith(LEDGER_4) for c in plan.conflicts)


def test_same_name_different_bytes_is_a_conflict_with_both_digests(share_ahead):
    workspace, share = share_ahead
    _records_mirror.apply_pull(str(workspace), str(share), _records_mirror.compare(str(workspace), str(share)))
    statement = share / "deliverables/approvals/1.4.0/Alpha.statement.json"
    statement.write_text("rewritten on the share\n")
    plan = _records_mirror.compare(str(workspace), str(share))
    local_digest = records_of(workspace)["deliverables/approvals/1.4.0/Alpha.statement.json"]
    share_digest = records_of(share)["deliverables/approvals/1.4.0/Alpha.statement.json"]
    assert plan.conflicts == ["deliverables/approvals/1.4.0/Alpha.statement.json exists on both sides with "
                              "different content: workspace sha256 %s, share sha256 %s" % (local_digest, share_digest)]


def test_nothing_is_written_on_either_side_when_there_are_conflicts(share_ahead):
    workspace, share = share_ahead
    gate_records(workspace, "Alpha", at(3, 15), approver="QA-LEE")  # another history from the start
    before = (tree(workspace), tree(share))
    plan = _records_mirror.compare(str(workspace), str(share))
    assert plan.conflicts and plan.conflicts[0].startswith("record 1: workspace %s line 1" % LEDGER_3)
    assert plan.pull  # Beta's records would be pulled, but not while the chains disagree
    for apply in (_records_mirror.apply_pull, _records_mirror.apply_push):
        with pytest.raises(ValidationError) as exc:
            apply(str(workspace), str(share), plan)
        assert "record 1" in str(exc.value) and "nothing was copied" in str(exc.value)
    assert (tree(workspace), tree(share)) == before


def test_a_ledger_appended_after_the_comparison_is_not_replaced(share_ahead):
    workspace, share = share_ahead
    plan = _records_mirror.compare(str(workspace), str(share))
    _records_mirror.apply_pull(str(workspace), str(share), plan)
    gate_records(share, "GA", at(4, 17), approver="OWNER-PARK")
    plan = _records_mirror.compare(str(workspace), str(share))
    # meanwhile, this controller records something of its own on the same day
    _ledger.append(str(workspace), dict(gate="GA", status="GA Approved", version="1.4.0", approver="X",
                                        evidence="e", manifest_sha256="b" * 64), now=at(4, 18))
    before = tree(workspace)
    with pytest.raises(ValidationError) as exc:
        _records_mirror.apply_pull(str(workspace), str(share), plan)
    assert LEDGER_4 in str(exc.value) and "no longer a line-prefix" in str(exc.value)
    assert tree(workspace) == before


def test_a_file_that_appeared_after_the_comparison_is_not_replaced(share_ahead):
    workspace, share = share_ahead
    plan = _records_mirror.compare(str(workspace), str(share))
    target = workspace / "deliverables/approvals/1.4.0/Alpha.statement.json"
    target.parent.mkdir(parents=True)
    target.write_text("mine\n")
    with pytest.raises(ValidationError) as exc:
        _records_mirror.apply_pull(str(workspace), str(share), plan)
    assert "Alpha.statement.json exists in the workspace already" in str(exc.value)
    assert target.read_text() == "mine\n" and not (workspace / "logs").exists()


def test_a_source_changed_after_the_comparison_is_refused(share_ahead):
    workspace, share = share_ahead
    plan = _records_mirror.compare(str(workspace), str(share))
    (share / "deliverables/onboarding_evidence/Stage9_Alpha_20251003.zip").write_bytes(b"swapped")
    with pytest.raises(ValidationError) as exc:
        _records_mirror.apply_pull(str(workspace), str(share), plan)
    assert "changed since it was compared" in str(exc.value)
    assert not (workspace / "deliverables/onboarding_evidence/Stage9_Alpha_20251003.zip").exists()
    assert not [f for f in tree(workspace) if f.endswith(".tmp")]


def test_a_ledger_that_does_not_parse_is_named_by_file_and_line(share_ahead):
    workspace, share = share_ahead
    with open(str(share / LEDGER_4), "a") as handle:
        handle.write("hand-written note\n")
    plan = _records_mirror.compare(str(workspace), str(share))
    assert any(c.startswith("share ledger does not parse: %s line 2" % LEDGER_4) for c in plan.conflicts), plan.conflicts
    assert plan.records["share"] is None


def test_a_broken_chain_on_the_share_is_a_conflict(share_ahead):
    workspace, share = share_ahead
    shutil.copy(str(share / LEDGER_3), str(workspace / "x"))
    (share / LEDGER_3).unlink()  # Beta's record now follows nothing
    plan = _records_mirror.compare(str(workspace), str(share))
    assert any(c.startswith("share ledger does not verify: %s line 1" % LEDGER_4) for c in plan.conflicts), plan.conflicts


def test_a_link_in_scope_is_named_not_followed(share_ahead):
    workspace, share = share_ahead
    os.symlink("/etc/hostname", str(share / "deliverables/approvals/1.4.0/link.json"))
    plan = _records_mirror.compare(str(workspace), str(share))
    assert "share: deliverables/approvals/1.4.0/link.json is not a regular file; the records mirror only regular files" in plan.conflicts


def test_verify_same_names_missing_and_differing_files(share_ahead):
    workspace, share = share_ahead
    _records_mirror.apply_pull(str(workspace), str(share), _records_mirror.compare(str(workspace), str(share)))
    assert _records_mirror.verify_same(str(workspace), str(share), sorted(records_of(workspace))) == []
    (share / LEDGER_3).unlink()
    zip_rel = "deliverables/onboarding_evidence/Stage9_Beta_20251004.zip"
    (share / zip_rel).write_bytes(b"other")
    problems = _records_mirror.verify_same(str(workspace), str(share), [LEDGER_3, zip_rel])
    assert problems[0] == "%s is missing on the share" % LEDGER_3
    assert problems[1].startswith("%s differs: workspace sha256 " % zip_rel)
    assert sorted(_records_mirror.verify_pushed(str(workspace), str(share))[1]) == sorted(problems)


@pytest.mark.parametrize("rel,expected", [
    ("logs/task_execution_20251003.log", True),
    ("logs/task_execution_notes.log", True),
    ("logs/deploy/upload_1.4.0.json", False),
    ("logs/checkpoints/ab.sig", True),
    ("logs/checkpoints/ab.txt", False),
    ("deliverables/approvals/1.4.0/Alpha.statement.json", True),
    ("deliverables/onboarding_evidence/Stage9_Alpha_20251003/smoke.log", True),
    ("deliverables/onboarding_evidence/Stage9_Alpha_20251003.zip", True),
    ("deliverables/onboarding_evidence/Stage9_Alpha_20251003.tar", False),
    ("deliverables/onboarding_evidence/Other/smoke.log", False),
    ("deliverables/approvals/1.4.0/.Alpha.statement.json.x1.tmp", False),
    (".stage/stage9-share/logs/task_execution_20251003.log", False),
    # A backslash separates on the share: this would land two folders up.
    ("deliverables/approvals/a\\..\\..\\x", False),
    ("deliverables/onboarding_evidence/Stage9_Alpha_20251003/..\\..\\index.html", False),
])
def test_in_scope(rel, expected):
    assert _records_mirror.in_scope(rel) is expected


class FakeShare(object):
    """``_smb.Share`` and ``smbclient`` over a local folder: UNC ``\\\\nas\\s\\stage9`` is ``root``."""

    port = 445

    def __init__(self, root):
        self.root = str(root)
        self.puts = []

    def local(self, unc):
        rel = unc[len("\\\\nas\\s\\stage9"):].strip("\\")
        return os.path.join(self.root, *rel.split("\\")) if rel else self.root

    def tree(self, unc):
        return dict((rel, None) for rel in tree(self.local(unc)))

    def sha256(self, unc):
        path = self.local(unc)
        return hashlib.sha256(open(path, "rb").read()).hexdigest() if os.path.isfile(path) else None

    def put(self, local, unc, expected):
        self.puts.append(unc)
        os.makedirs(os.path.dirname(self.local(unc)), exist_ok=True)
        shutil.copyfile(local, self.local(unc))
        return True

    def open_file(self, unc, mode="rb", port=None):
        path = self.local(unc)
        if not os.path.exists(path):
            raise OSError(2, "No such file", unc)
        return open(path, mode)


def test_smb_push_writes_only_what_the_share_lacks_and_rechecks_each_target(share_ahead, tmp_path):
    workspace, share = share_ahead
    smb = FakeShare(share)
    view = tmp_path / "view"
    view.mkdir()
    _records_mirror.fetch_smb_view(smb, "\\\\nas\\s\\stage9", str(view), smb)
    assert records_of(view) == records_of(share)
    _records_mirror.apply_pull(str(workspace), str(view), _records_mirror.compare(str(workspace), str(view)))
    gate_records(workspace, "GA", at(4, 17), approver="OWNER-PARK")
    plan = _records_mirror.compare(str(workspace), str(view))
    assert _records_mirror.push_smb(smb, "\\\\nas\\s\\stage9", str(workspace), plan, smb, check_mode=True) == plan.push
    assert smb.puts == []
    # another controller appends to the share's ledger of that day meanwhile
    _ledger.append(str(share), dict(gate="GA", status="GA Approved", version="1.4.0", approver="OWNER-KIM",
                                    evidence="e", manifest_sha256="c" * 64), now=at(4, 18))
    before = tree(share)
    with pytest.raises(ValidationError) as exc:
        _records_mirror.push_smb(smb, "\\\\nas\\s\\stage9", str(workspace), plan, smb)
    assert "%s on the share changed since it was compared" % LEDGER_4 in str(exc.value)
    assert smb.puts == [] and tree(share) == before
    # and a file that appeared on the share is not replaced either
    statement = share / "deliverables/approvals/1.4.0/GA.statement.json"
    statement.write_text("theirs\n")
    with pytest.raises(ValidationError) as exc:
        _records_mirror.push_smb(smb, "\\\\nas\\s\\stage9", str(workspace), plan, smb)
    assert "appeared on the share since it was compared" in str(exc.value)
    assert smb.puts == [] and statement.read_text() == "theirs\n"


def test_smb_push_grows_the_ledger_and_reads_back(share_ahead, tmp_path):
    workspace, share = share_ahead
    smb = FakeShare(share)
    _records_mirror.apply_pull(str(workspace), str(share), _records_mirror.compare(str(workspace), str(share)))
    gate_records(workspace, "GA", at(4, 17), approver="OWNER-PARK")
    plan = _records_mirror.compare(str(workspace), str(share))
    pushed = _records_mirror.push_smb(smb, "\\\\nas\\s\\stage9", str(workspace), plan, smb)
    assert pushed == plan.push and pushed[-1] == LEDGER_4
    assert smb.puts[-1] == "\\\\nas\\s\\stage9\\logs\\task_execution_20251004.log"
    assert records_of(workspace) == records_of(share)


SHARE_NAME = "nas1:/srv/share/stage9"


def test_check_share_passes_records_that_verify_and_names_the_share_when_they_do_not(share_ahead):
    dummy, share = share_ahead
    # Without checkpoints and with signatures off, these records are what the auditor accepts.
    shutil.rmtree(os.path.join(str(share), "logs", "checkpoints"))
    _records_mirror.check_share(str(share), SHARE_NAME)
    with pytest.raises(ValidationError, match=re.escape(
            "the share's Stage 9 records at %s do not verify, so nothing was copied and the workspace is as "
            "it was: %s line 1: record has no checkpoint" % (SHARE_NAME, LEDGER_3))):
        _records_mirror.check_share(str(share), SHARE_NAME, signatures="required")
    evidence = os.path.join(str(share), "deliverables", "onboarding_evidence", "Stage9_Beta_20251004")
    with open(os.path.join(evidence, "planted.txt"), "w") as handle:
        handle.write("not collected by any gate\n")
    with pytest.raises(ValidationError, match=r"records at %s do not verify.*Stage9_Beta_20251004.*planted\.txt" % (
            re.escape(SHARE_NAME))):
        _records_mirror.check_share(str(share), SHARE_NAME)


def test_check_share_refuses_a_forged_checkpoint(share_ahead):
    dummy, share = share_ahead
    with pytest.raises(ValidationError, match=r"records at %s do not verify.*checkpoint" % re.escape(SHARE_NAME)):
        _records_mirror.check_share(str(share), SHARE_NAME)


def test_check_share_checks_the_share_with_the_settings_its_trust_records_pin(share_ahead, tmp_path):
    """One extra variable (signatures off, or the launcher's own allowed_signers) must not decide
    how the share's records are checked before they are copied in."""
    dummy, share = share_ahead
    shutil.rmtree(os.path.join(str(share), "logs", "checkpoints"))
    head = _ledger.read_records(str(share))[-1].digest
    # Without trust records, the run's settings are all there is.
    _records_mirror.check_share(str(share), SHARE_NAME, signatures="off")
    _trust.pin(str(share), _trust.settings("required", None, "lab"), None, head)
    theirs = tmp_path / "launchers_signers"
    theirs.write_text('mallory namespaces="routing-ml-ledger" ssh-ed25519 AAAA\n')
    for launched in (dict(signatures="off"), dict(signatures="off", allowed_signers=str(theirs))):
        with pytest.raises(ValidationError, match=re.escape(
                "the share's Stage 9 records at %s do not verify, so nothing was copied and the workspace is as "
                "it was: %s line 1: record has no checkpoint" % (SHARE_NAME, LEDGER_3))):
            _records_mirror.check_share(str(share), SHARE_NAME, **launched)


def test_check_share_verifies_with_the_pinned_allowed_signers_copy_and_refuses_a_swapped_copy(share_ahead, tmp_path):
    dummy, share = share_ahead
    shutil.rmtree(os.path.join(str(share), "logs", "checkpoints"))
    head = _ledger.read_records(str(share))[-1].digest
    signers = tmp_path / "allowed_signers"
    signers.write_text('routing-ml-controller namespaces="routing-ml-ledger" ssh-ed25519 AAAA\n')
    seen = _trust.settings("off", str(signers), "lab")
    _trust.pin(str(share), seen, str(signers), head)
    _records_mirror.check_share(str(share), SHARE_NAME, signatures="required")
    copy = os.path.join(str(share), *_trust.copy_rel(seen["allowed_signers_sha256"]).split("/"))
    with open(copy, "a") as handle:
        handle.write('mallory namespaces="routing-ml-ledger" ssh-ed25519 BBBB\n')
    with pytest.raises(ValidationError, match="allowed_signers_%s, the allowed_signers that "
                       "deliverables/approvals/trust/0001.json puts in force, is missing or is not the file it names"
                       % seen["allowed_signers_sha256"]):
        _records_mirror.check_share(str(share), SHARE_NAME)

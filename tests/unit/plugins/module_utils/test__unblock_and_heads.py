# -*- coding: utf-8 -*-
"""Issue 23, items 3 and 5 in Python against the real ssh-keygen: an Unblocked record rests on
the Release Owner's signed statement, verified like a gate approval, and a ledger cut back below
a head the workspace saw (the release notes' note, a statement's ledger_head) is refused."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import (
    _approval, _checkpoints, _ledger, _ledger_audit, _statement)
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

# keys is a fixture: the tests name it as an argument.
from ansible_collections.routing_ml.deploy.tests.unit.plugins.module_utils.test__signed_approval import (  # noqa: F401 pylint: disable=unused-import
    NOTES, approve, at, audit, keys, sign)

EVIDENCE = "logs/deploy/rollback_1.4.0_*.json"
STATEMENT = "deliverables/approvals/1.4.0/GA.unblock.statement.json"


def rolled_back(workspace, keys, hour):
    fields = dict(gate="GA", status="Rolled Back", version="1.4.0", approver="DEPLOY-LEE", reason="CHG-1 errors",
                  target="1.3.0", outcome="verified", evidence=EVIDENCE, manifest_sha256="0" * 64)
    return _ledger.append(str(workspace), fields, now=at(hour), signer=_checkpoints.signer(keys["controller"]))


def unblock(workspace, keys, approver, hour, reason="CHG-2 fixed"):
    records = _ledger.verify(str(workspace))
    from ansible_collections.routing_ml.deploy.plugins.module_utils import _gate_policy
    blocked = _gate_policy.rollback_block("1.4.0", records)
    approval = _approval.check_signed_unblock(str(workspace), "GA", "1.4.0", approver, reason, EVIDENCE,
                                              keys["allowed"], records, blocked, now=at(hour))
    fields = dict(gate="GA", status="Unblocked", version="1.4.0", approver=approver, reason=reason,
                  approval=approval, evidence=EVIDENCE, manifest_sha256="0" * 64)
    return _ledger.append(str(workspace), fields, now=at(hour), signer=_checkpoints.signer(keys["controller"]))


@pytest.fixture
def blocked(workspace, keys):
    for hour, gate in enumerate(("Alpha", "Beta", "GA"), 10):
        approve(workspace, keys, gate, hour=hour)
    return rolled_back(workspace, keys, 13)


def test_only_the_release_owners_signature_over_this_unblock_lifts_the_block(workspace, keys, blocked):
    with pytest.raises(ValidationError) as caught:
        unblock(workspace, keys, "MALLORY", 14)
    assert "cannot record Unblocked for 1.4.0 at GA: approver 'MALLORY' is not enrolled" in str(caught.value)
    assert not os.path.exists(os.path.join(str(workspace), STATEMENT))
    with pytest.raises(ValidationError) as caught:
        unblock(workspace, keys, "DEPLOY-LEE", 14)
    assert "Release Owner" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        unblock(workspace, keys, "OWNER-PARK", 14)
    assert "%s is not signed yet" % STATEMENT in str(caught.value)
    assert "ssh-keygen -Y sign -f <key> -n routing-ml-approval-release-owner %s" % STATEMENT in str(caught.value)
    path = os.path.join(str(workspace), STATEMENT)
    said = json.load(open(path))
    assert said["predicate"]["ledger_head"] == blocked.digest
    assert said["subject"] == [{"name": "rolled_back_record", "digest": {"sha256": blocked.digest}}]
    # Signed by another key in the Release Owner's namespace: refused by name.
    sign(keys, "DEPLOY-LEE", path, "routing-ml-approval-release-owner")
    with pytest.raises(ValidationError) as caught:
        unblock(workspace, keys, "OWNER-PARK", 14)
    assert "signature" in str(caught.value) and "refused" in str(caught.value)
    sign(keys, "OWNER-PARK", path, "routing-ml-approval-release-owner")
    record = unblock(workspace, keys, "OWNER-PARK", 14)
    assert record.fields["approval"] == _ledger_audit._checksum.sha256_file(path)[0]
    records, summary = audit(workspace, keys)
    assert summary["unblocks"] == 1 and records[-1].digest == record.digest
    # The same signed statement does not lift a later rollback of the version.
    rolled_back(workspace, keys, 15)
    with pytest.raises(ValidationError) as caught:
        unblock(workspace, keys, "OWNER-PARK", 16)
    assert "not signed yet" in str(caught.value) and "moved with its signature" in str(caught.value)
    # The first unblock's statement, moved aside, still proves its record.
    assert audit(workspace, keys)[1]["unblocks"] == 1


def test_the_audit_refuses_an_unsigned_unblock_when_signatures_are_required(workspace, keys, blocked):
    fields = dict(gate="GA", status="Unblocked", version="1.4.0", approver="MALLORY", reason="trust me",
                  evidence=EVIDENCE, manifest_sha256="0" * 64)
    _ledger.append(str(workspace), fields, now=at(14), signer=_checkpoints.signer(keys["controller"]))
    with pytest.raises(_ledger.LedgerError) as caught:
        audit(workspace, keys)
    assert "Unblocked for 1.4.0 at GA has no signed statement" in str(caught.value)
    assert caught.value.where == "logs/task_execution_20251003.log line 5"


def test_an_unblock_statement_edited_after_signing_fails_the_audit(workspace, keys, blocked):
    path = os.path.join(str(workspace), STATEMENT)
    with pytest.raises(ValidationError):
        unblock(workspace, keys, "OWNER-PARK", 14)
    sign(keys, "OWNER-PARK", path, "routing-ml-approval-release-owner")
    unblock(workspace, keys, "OWNER-PARK", 14)
    data = json.load(open(path))
    data["predicate"]["reason"] = "CHG-3 something else"
    with open(path, "w") as handle:
        handle.write(_statement.dumps(data))
    with pytest.raises(_ledger.LedgerError) as caught:
        audit(workspace, keys)
    assert "no unblock statement %s" % STATEMENT in str(caught.value)


def cut_last(workspace):
    records = _ledger.read_records(str(workspace))
    last = records[-1]
    with open(last.path) as handle:
        lines = handle.read().splitlines(True)
    with open(last.path, "w") as handle:
        handle.write("".join(lines[:-1]))
    os.unlink(_ledger.checkpoint_path(str(workspace), last.digest))
    return last


def test_a_ledger_cut_below_the_head_the_release_notes_keep_is_refused(workspace, keys, blocked):
    notes = open(os.path.join(str(workspace), NOTES)).read()
    assert "Stage 9 ledger head: `%s` (3 records" % _ledger.read_records(str(workspace))[2].digest in notes
    # The rollback's own note (ledger_event writes it after the record) names the newest head.
    document = _approval._markdown.Document(notes, NOTES)
    document.upsert_line("Highlights", lambda text: _ledger.NOTE_KEY in text, _ledger.head_note(blocked.digest, 4))
    with open(os.path.join(str(workspace), NOTES), "w") as handle:
        handle.write(document.text())
    cut_last(workspace)
    for check in (lambda: _ledger.verify(str(workspace)), lambda: audit(workspace, keys)):
        with pytest.raises(_ledger.LedgerError) as caught:
            check()
        assert "the ledger was cut back: %s names ledger head %s, which is not in the ledger" % (
            NOTES, blocked.digest) in str(caught.value)


def test_a_ledger_cut_below_a_statements_head_is_refused(workspace, keys, blocked):
    with pytest.raises(ValidationError):
        unblock(workspace, keys, "OWNER-PARK", 14)  # the statement, made against the Rolled Back record
    with open(os.path.join(str(workspace), NOTES)) as handle:
        notes = handle.read()
    with open(os.path.join(str(workspace), NOTES), "w") as handle:
        handle.write("\n".join(l for l in notes.split("\n") if _ledger.NOTE_KEY not in l))
    cut_last(workspace)
    with pytest.raises(_ledger.LedgerError) as caught:
        _ledger.verify(str(workspace))
    assert "%s names ledger head %s" % (STATEMENT, blocked.digest) in str(caught.value)

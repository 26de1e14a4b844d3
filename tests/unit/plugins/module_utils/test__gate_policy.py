# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _gate_policy as gp
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def test_default_policy_is_valid_and_chains_alpha_beta_ga():
    policy = gp.check_policy(gp.default_policy())
    assert policy["Alpha"]["requires"] is None
    assert policy["Beta"]["requires"] == {"gate": "Alpha", "status": "Next Stage Ready"}
    assert policy["GA"]["requires"] == {"gate": "Beta", "status": "Next Stage Ready"}


def mutate(change):
    policy = gp.default_policy()
    change(policy)
    return policy


@pytest.mark.parametrize("change,named", [
    (lambda p: p.pop("GA"), "GA"),
    (lambda p: p.update(Gamma={}), "Gamma"),
    (lambda p: p["Beta"].pop("evidence"), "evidence"),
    (lambda p: p["Beta"].update(colour="red"), "colour"),
    (lambda p: p["Beta"].update(requires={"gate": "GA", "status": "x"}), "'GA'"),
    (lambda p: p["Alpha"].update(requires={"gate": "Alpha", "status": "x"}), "'Alpha'"),
    (lambda p: p["GA"].update(evidence="change_approval*"), "evidence"),
    (lambda p: p["GA"].update(status=""), "status"),
])
def test_malformed_policies_are_refused(change, named):
    with pytest.raises(ValidationError) as exc:
        gp.check_policy(mutate(change))
    assert named in str(exc.value)


class FakeRecord(object):
    def __init__(self, **fields):
        self.fields = fields


def test_unmet_preconditions_are_all_listed():
    policy = gp.default_policy()
    records = [FakeRecord(gate="Alpha", version="1.3.0", status="Next Stage Ready")]
    problems = gp.unmet_preconditions(policy, "Beta", "1.4.0", records, ["verify_1.4.0_backend1.json"], "DEPLOY-LEE",
                                      operator="deploy-lee", forbid_self_approval=True)
    assert len(problems) == 4
    assert "Alpha's 'Next Stage Ready' for version 1.4.0" in problems[0]
    assert "'upload_*.json'" in problems[1] and "'feedback_summary*'" in problems[2]
    assert "launched this run" in problems[3]


def test_preconditions_met():
    policy = gp.default_policy()
    records = [FakeRecord(gate="Alpha", version="1.4.0", status="Next Stage Ready")]
    names = ["verify_1.4.0_backend1.json", "upload_1.4.0.json", "feedback_summary.md"]
    assert gp.unmet_preconditions(policy, "Beta", "1.4.0", records, names, "DEPLOY-LEE", operator="ops") == []


class _Record(object):
    def __init__(self, gate, version, status, reason=None):
        self.fields = {"gate": gate, "version": version, "status": status}
        if reason:
            self.fields["reason"] = reason
        self.timestamp = "2025-10-03T14:02:11+09:00"


NSR = "Next Stage Ready"
ROLLBACK = "rolled back at"


@pytest.mark.parametrize("gate, version, ledger, blocked", [
    ("Alpha", "1.4.0", [], None),
    ("Beta", "1.4.0", [], "order"),
    ("Beta", "1.4.0-evidence", [], "order"),
    ("GA", "evidence", [], "order"),
    ("Beta", "1.4.0", [("Alpha", "1.4.0", NSR)], None),
    ("Beta", "1.4.0", [("Alpha", "1.4.1", NSR)], "order"),
    ("GA", "1.4.0", [("Alpha", "1.4.0", NSR)], "order"),
    ("GA", "1.4.0", [("Beta", "1.4.0", NSR)], None),
    # A rollback blocks the version at every gate, the same one included, until unblocked.
    ("Alpha", "1.4.0", [("Alpha", "1.4.0", "Rolled Back")], ROLLBACK),
    ("Beta", "1.4.0", [("Alpha", "1.4.0", NSR), ("Alpha", "1.4.0", "Rolled Back")], ROLLBACK),
    ("GA", "1.4.0", [("Beta", "1.4.0", NSR), ("Alpha", "1.4.0", "Rolled Back")], ROLLBACK),
    ("Beta", "1.4.0", [("Alpha", "1.4.0", NSR), ("Alpha", "1.4.0", "Rolled Back"),
                       ("Alpha", "1.4.0", "Unblocked", "CHG-1 fixed")], None),
    ("Beta", "1.4.0", [("Alpha", "1.4.0", NSR), ("Alpha", "1.4.0", "Rolled Back"),
                       ("Alpha", "1.4.0", "Unblocked", "CHG-1"), ("Beta", "1.4.0", "Rolled Back")], ROLLBACK),
    # Another version's rollback is not this version's business.
    ("Beta", "1.4.0", [("Alpha", "1.4.0", NSR), ("Alpha", "1.3.9", "Rolled Back")], None),
    # An unblock with nothing before it is no approval: the order still decides.
    ("Beta", "1.4.0", [("Alpha", "1.4.0", "Unblocked", "why")], "order"),
])
def test_order_alone_decides_the_early_check(gate, version, ledger, blocked):
    problems = gp.unmet_order(gp.default_policy(), gate, version, [_Record(*r) for r in ledger])
    assert bool(problems) is bool(blocked), problems
    if blocked == "order":
        assert problems == ["%s needs %s's 'Next Stage Ready' for version %s in the ledger; there is none" % (
            gate, gp.DEFAULT_POLICY[gate]["requires"]["gate"], version)]
    elif blocked == ROLLBACK:
        assert len(problems) == 1 and "version %s was rolled back at" % version in problems[0]
        assert "'Unblocked' record with a reason" in problems[0] and "playbooks/unblock.yml" in problems[0]


RB, UB = gp.ROLLED_BACK, gp.UNBLOCKED


@pytest.mark.parametrize("ledger, blocking", [
    ([], None),
    ([("Alpha", "1.4.0", NSR)], None),
    ([("Beta", "1.4.0", RB)], 0),
    # The latest Rolled Back / Unblocked record of the version decides, whatever its gate.
    ([("Beta", "1.4.0", RB), ("Beta", "1.4.0", UB, "CHG-1")], None),
    ([("Beta", "1.4.0", RB), ("GA", "1.4.0", UB, "CHG-1")], None),
    ([("Alpha", "1.4.0", RB), ("Beta", "1.4.0", RB)], 1),
    ([("Alpha", "1.4.0", RB), ("Beta", "1.4.0", RB), ("Beta", "1.4.0", UB, "CHG-2")], None),
    ([("Beta", "1.4.0", RB), ("Beta", "1.4.0", UB, "CHG-1"), ("GA", "1.4.0", RB)], 2),
    # A later approval is no unblock; another version's records do not count.
    ([("Beta", "1.4.0", RB), ("Beta", "1.4.0", NSR)], 0),
    ([("Beta", "1.4.0", RB), ("Beta", "1.4.1", UB, "CHG-3")], 0),
    ([("Beta", "1.4.1", RB)], None),
    ([("Beta", "1.4.0", UB, "why")], None),
])
def test_rollback_block_is_the_rolled_back_record_in_force(ledger, blocking):
    records = [_Record(*r) for r in ledger]
    found = gp.rollback_block("1.4.0", records)
    if blocking is None:
        assert found is None
    else:
        assert found is records[blocking]

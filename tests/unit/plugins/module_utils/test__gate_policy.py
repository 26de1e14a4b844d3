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

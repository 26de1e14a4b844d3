# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.routing_ml.deploy.plugins.filter.rollback import FilterModule, changed_hosts, host_facts, rollback_outcome

FAILURE = {"host": "node2", "component": "frontend", "task": "The node serves the release", "message": "HTTP 502"}
HOSTVARS = {
    "node1": {"inventory_hostname": "node1"},
    "node2": {"routing_ml_failure": FAILURE,
              "routing_ml_rollback_result": {"host": "node2", "outcome": "rolled back", "from": "1.4.0",
                                             "to": "1.3.2"}},
    "node3": {"routing_ml_failure": "", "routing_ml_rollback_result": None},
    "backend1": {"routing_ml_failure": {"host": "backend1", "component": "backend", "task": "Health",
                                        "message": "status 500"},
                 "routing_ml_rollback_result": {"host": "backend1", "outcome": "failed", "message": "Reinstall: rc 2"}},
}


def test_host_facts_in_host_order_only_those_that_have_one():
    failures = host_facts(HOSTVARS, ["backend1", "node1", "node2", "node3"], "routing_ml_failure")
    assert [f["host"] for f in failures] == ["backend1", "node2"]
    assert host_facts(HOSTVARS, ["node2", "backend1"], "routing_ml_failure")[0] is FAILURE
    assert host_facts(HOSTVARS, ["node1", "node3"], "routing_ml_failure") == []
    assert host_facts(HOSTVARS, [], "routing_ml_failure") == []


def test_rollback_outcome_is_the_closing_message():
    failures = host_facts(HOSTVARS, sorted(HOSTVARS), "routing_ml_failure")
    results = host_facts(HOSTVARS, sorted(HOSTVARS), "routing_ml_rollback_result")
    lines = rollback_outcome(failures, "1.4.0", "Beta", results).splitlines()
    assert lines[0] == "Stage 9 Beta deployment of 1.4.0 failed; no later batch started."
    assert "  backend1 (backend): Health: status 500" in lines
    assert "  node2 (frontend): The node serves the release: HTTP 502" in lines
    assert "Rolled back (this run's changes only): node2 1.4.0 -> 1.3.2" in lines
    assert "  ROLLBACK FAILED on backend1: Reinstall: rc 2" in lines
    assert lines[-1] == "State now: rollback failed on backend1: attention needed; every other host serves one whole, verified version"


def test_rollback_outcome_without_results_and_with_halt():
    assert "Rolled back (this run's changes only): nothing (no host had been changed)" in \
        rollback_outcome([FAILURE], "1.4.0", "Beta").splitlines()
    halted = rollback_outcome([FAILURE], "1.4.0", "Beta", None, "halt")
    assert "Rolled back: nothing (routing_ml_on_failure=halt)" in halted
    assert "  node2 (frontend): The node serves the release: HTTP 502" in halted.splitlines()


@pytest.mark.parametrize("on_failure", ["continue", "", None, "Rollback"])
def test_rollback_outcome_refuses_an_unknown_on_failure(on_failure):
    with pytest.raises(AnsibleFilterError, match="rollback_outcome: on_failure %r is not rollback or halt" % (
            on_failure,)):
        rollback_outcome([FAILURE], "1.4.0", "Beta", [], on_failure)


def test_the_filters_are_registered_under_their_names():
    filters = FilterModule().filters()
    assert filters["host_facts"] is host_facts and filters["rollback_outcome"] is rollback_outcome
    assert filters["changed_hosts"] is changed_hosts


def test_changed_hosts_are_the_switched_the_reinstalled_and_the_lost_in_stage_order():
    hostvars = {
        "node1": {"_routing_ml_frontend_switch": {"changed": True}},
        "node2": {"_routing_ml_frontend_switch": {"changed": False}},
        "node3": {},
        "dmz1": {"_routing_ml_frontend_switch": {"changed": False}},
        "backend1": {"routing_ml_running_version": "1.3.2"},
        "backend2": {"routing_ml_running_version": "1.4.0"},
        "backend3": {"routing_ml_running_version": ""},
    }
    order = ["backend3", "backend2", "backend1", "dmz1", "node3", "node2", "node1"]
    assert changed_hosts(hostvars, order, "1.4.0") == ["backend3", "backend1", "node1"]
    assert changed_hosts(hostvars, order, "1.4.0", ["dmz1"]) == ["backend3", "backend1", "dmz1", "node1"]
    # An unchanged re-run changed nothing; a host outside the list given is never named.
    assert changed_hosts(hostvars, ["node2", "backend2"], "1.4.0") == []
    assert changed_hosts(hostvars, ["node2"], "1.4.0", ["node9"]) == []

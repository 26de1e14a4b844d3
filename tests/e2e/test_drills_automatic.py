# -*- coding: utf-8 -*-
"""Failure drills (issue 9), part 2: automatic rollback. A backend that fails its health check,
a halted run left for inspection, a web batch that fails after its switch, and the rollback
playbook given the hosts a workflow published. From the drilled lab (NEW over OLD,
conftest.drilled), in file order, each test from the state the one before left.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import time
import urllib.error

import pytest

from drills import (NEW, NOTES, assert_no_torn_page, assert_rollback_durations, changed_hosts, deploy, health,
                    ledger, lock_file, poller, read_only, rollback, through, versions_live)
from labtools import host_roots, tree_digest

UNHEALTHY, HALTED, BATCH = "1.5.1", "1.5.2", "1.6.0"


@pytest.fixture(scope="module")
def lab(drilled):
    return drilled.restore()


def test_a_backend_that_fails_health_is_rolled_back_automatically(lab, release_of):
    workspace = release_of(UNHEALTHY, unhealthy=True)
    with poller(lab, [NEW]) as watching:
        started = time.monotonic()
        rc, output, counts = deploy(lab, workspace, UNHEALTHY, "alpha")
        seconds = time.monotonic() - started
    print(watching.format_report())
    assert rc != 0
    message = output[output.index("Stage 9 Alpha deployment of %s failed" % UNHEALTHY):]
    assert "backend1 (backend): Wait for /api/health" in message and "HTTP 500" in message
    assert "Rolled back (this run's changes only): backend1 %s -> %s" % (UNHEALTHY, NEW) in message
    assert_rollback_durations(workspace, UNHEALTHY, ("backend1",), seconds)
    assert health(lab)["version"] == NEW
    assert versions_live(lab)["node1"] == NEW, "the frontend never started"
    assert not os.path.exists(os.path.join(workspace, "logs/deploy/frontend_sync_%s_node1.json" % UNHEALTHY))
    last = ledger(workspace)[-1]
    assert "| gate=Alpha | status=Rolled Back | version=%s |" % UNHEALTHY in last
    assert "| target=%s | outcome=verified |" % NEW in last
    assert "| %s | %s | verified | Alpha: automatic: backend1 failed verification of %s |" % (
        UNHEALTHY, NEW, UNHEALTHY) in open(os.path.join(workspace, NOTES)).read()
    assert not os.path.exists(lock_file(lab))
    assert_no_torn_page(watching.report())


def test_halt_leaves_the_failed_host_for_inspection_and_records_it(lab, release_of):
    workspace = release_of(HALTED, unhealthy=True)
    rc, output, counts = deploy(lab, workspace, HALTED, "alpha", "-e", "routing_ml_on_failure=halt")
    assert rc != 0
    message = output[output.index("Stage 9 Alpha deployment of %s failed" % HALTED):]
    assert "Rolled back: nothing (routing_ml_on_failure=halt)" in message
    assert "backend1 left as it failed (halt)" in message
    with pytest.raises(urllib.error.HTTPError) as answer:
        health(lab)
    assert answer.value.code == 500, "left as it failed, for inspection"
    record = json.load(open(os.path.join(workspace, "logs/deploy/rollback_%s_backend1.json" % HALTED)))
    assert record["outcome"] == "halted" and "HTTP 500" in record["details"]["message"]
    # The ledger is the environment's (continued from the share): nothing about this version in it.
    assert not any("version=%s" % HALTED in line for line in ledger(workspace))
    assert versions_live(lab)["node1"] == NEW
    # The operator rolls it back by playbook, from the backup the halted run took.
    rc, output, counts = rollback(lab, workspace, HALTED, "Alpha", reason="inspected, going back")
    assert rc == 0, output[-5000:]
    assert health(lab)["version"] == NEW
    assert "| gate=Alpha | status=Rolled Back | version=%s |" % HALTED in ledger(workspace)[-1]


def test_a_failing_batch_is_switched_back_and_no_later_batch_starts(lab, release_of):
    workspace = release_of(BATCH)
    through(lab, workspace, BATCH, ("alpha", "beta"))
    assert versions_live(lab) == {"node1": BATCH, "node2": NEW, "node3": NEW, "dmz1": BATCH}
    # A failure after the switch, on the nodes of the second batch: their sync records cannot
    # be written (a folder stands where each record goes, as a full disk would refuse it).
    blocked = [os.path.join(workspace, "logs", "deploy", "frontend_sync_%s_%s.json" % (BATCH, name))
               for name in ("node2", "node3")]
    for path in blocked:
        os.makedirs(path)
    try:
        with poller(lab, [NEW, BATCH]) as watching:
            started = time.monotonic()
            rc, output, counts = deploy(lab, workspace, BATCH, "ga", ANSIBLE_SHOW_CUSTOM_STATS="1")
            seconds = time.monotonic() - started
    finally:
        for path in blocked:
            os.rmdir(path)
    print(watching.format_report())
    assert rc != 0
    message = output[output.index("Stage 9 GA deployment of %s failed" % BATCH):]
    assert "node2 (frontend)" in message and "node3 (frontend)" in message
    assert "Rolled back (this run's changes only): node2 {b} -> {n}, node3 {b} -> {n}".format(b=BATCH, n=NEW) in message
    assert_rollback_durations(workspace, BATCH, ("node2", "node3"), seconds)
    assert versions_live(lab) == {"node1": BATCH, "node2": NEW, "node3": NEW, "dmz1": BATCH}
    assert health(lab)["version"] == BATCH, "the backend was not changed by this run, so it stays"
    frontend = output[output.index("PLAY [Frontend on the web nodes"):output.index("PLAY [After a failure")]
    assert "[dmz1]" not in frontend, "the third batch never started"
    assert "| gate=GA | status=Rolled Back | version=%s |" % BATCH in ledger(workspace)[-1]
    # node2 and node3 went to BATCH and back; the others never switched.
    assert_no_torn_page(watching.report(), [NEW, BATCH], switches=2)
    # The failed run still put its records on the share: another controller's next record
    # continues after this Rolled Back record.
    assert ledger(os.path.join(lab.hosts["nas1"]["share"], "stage9")) == ledger(workspace)
    # What the run changed, for an AWX workflow's rollback node (set_stats).
    stats = json.loads(output[output.index("RUN:", output.index("CUSTOM STATS")) + 4:].split("\n\n")[0])
    # And the ledger head it left (its Rolled Back record), which the next job must still find.
    assert stats.pop("routing_ml_ledger_head") == hashlib.sha256(ledger(workspace)[-1].encode()).hexdigest()
    assert stats == {"routing_ml_rollback_hosts": ["node2", "node3"],
                     "routing_ml_rollback_hosts_from": {"gate": "GA", "version": BATCH}}, stats


def test_the_rollback_playbook_acts_only_on_the_hosts_it_is_given(lab, release_of):
    workspace = release_of(BATCH)
    before = tree_digest(*host_roots(lab))
    for hosts, problem in (('"node9"', 'got "node9"'), ('["node9", "node2"]', 'not in the stage: ["node9"]'),
                           ('{"node2": 1}', 'got {"node2": 1}'), ('[7]', 'not in the stage: ["7"]')):
        rc, output, counts = rollback(lab, workspace, BATCH, "GA", "-e", '{"routing_ml_rollback_hosts": %s}' % hosts)
        assert rc != 0 and "routing_ml_rollback_hosts must be a list of hosts of stage_ga" in output, output[-3000:]
        assert problem in output, (problem, output[-3000:])
        assert read_only(counts) and not os.path.exists(lock_file(lab)), counts
    # Published by another node of the workflow (Beta's deployment), not GA's: refused.
    rc, output, counts = rollback(lab, workspace, BATCH, "GA", "-e", json.dumps(
        {"routing_ml_rollback_hosts": ["node1"], "routing_ml_rollback_hosts_from": {"gate": "Beta", "version": BATCH}}))
    assert rc != 0 and 'published by the deployment of {"gate": "Beta", "version": "%s"}, not of GA %s' % (
        BATCH, BATCH) in output, output[-3000:]
    assert read_only(counts) and not os.path.exists(lock_file(lab)), counts
    # The deployment changed no host: nothing to roll back, nothing recorded.
    records = ledger(workspace)
    rc, output, counts = rollback(lab, workspace, BATCH, "GA", "-e", '{"routing_ml_rollback_hosts": []}')
    assert rc == 0, output[-3000:]
    assert "nothing to roll back" in output and read_only(counts), counts
    assert ledger(workspace) == records and tree_digest(*host_roots(lab)) == before
    # node1 only: it goes back, the others (node2, node3 already at NEW; dmz1 at BATCH) are left.
    rc, output, counts = rollback(lab, workspace, BATCH, "GA", "-e", json.dumps(
        {"routing_ml_rollback_hosts": ["node1"], "routing_ml_rollback_hosts_from": {"gate": "GA", "version": BATCH}}))
    assert rc == 0, output[-5000:]
    assert changed_hosts(counts) <= {"localhost", "node1", "nas1"} and "node1" in changed_hosts(counts), counts
    assert versions_live(lab) == {"node1": NEW, "node2": NEW, "node3": NEW, "dmz1": BATCH}
    assert "| gate=GA | status=Rolled Back | version=%s |" % BATCH in ledger(workspace)[-1]

# -*- coding: utf-8 -*-
"""Failure drills (issue 9), part 3: a node lost mid-rollout stops the later batches, and a
re-run after the node is back completes the deployment. From the drilled lab (NEW over OLD,
conftest.drilled)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import signal
import sys

import pytest

from drills import (DEADLINE, NEW, UNSIGNED, assert_no_torn_page, deploy, kill_sshd, ledger, lock_file, poller,
                    read_until, run_in_background, through, versions_live, web)
from rml_lab import control

LOST = "1.7.0"


@pytest.fixture
def lab(drilled):
    return drilled.restore()


def test_a_node_whose_sshd_dies_mid_rollout_stops_the_later_batches(lab, release_of):
    workspace = release_of(LOST)
    through(lab, workspace, LOST, ("alpha", "beta"))
    before = versions_live(lab)
    serving = [h for h in web(lab) if before[h["name"]]]
    with poller(lab, [NEW, LOST], serving) as watching:
        run = run_in_background(lab, "deploy_ga.yml", "-e", "routing_ml_workspace=%s" % workspace,
                                "-e", "routing_ml_version=%s" % LOST, *(DEADLINE + UNSIGNED))
        seen = []
        try:
            assert read_until(run, "PLAY [Frontend on the web nodes", seen), "".join(seen)[-3000:]
            kill_sshd(lab.hosts["node3"])
            out, dummy = run.communicate(timeout=300)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
    print(watching.format_report())
    assert_no_torn_page(watching.report(), [NEW, LOST])
    output = "".join(seen) + out
    assert run.returncode != 0
    assert re.search(r"node3.*UNREACHABLE", output), output[-3000:]
    frontend = output[output.index("PLAY [Frontend on the web nodes"):output.index("PLAY [After a failure")]
    assert "[dmz1]" not in frontend, "the batch after node3's never started"
    message = output[output.index("Stage 9 GA deployment of %s failed" % LOST):]
    assert "node3 (host): reaching the host: unreachable" in message
    assert "Rolled back (this run's changes only): nothing (no check failed: a lost host is not rolled back)" in message
    assert not [line for line in ledger(workspace) if "| gate=GA |" in line and "| version=%s |" % LOST in line], \
        "the gate is not recorded"
    now = versions_live(lab)  # every node whole, whatever it serves
    assert now["node1"] == LOST and now["node3"] == before["node3"] and now["dmz1"] == before["dmz1"]
    assert not os.path.exists(lock_file(lab)), "the run freed its lock"
    control.up(lab.dir, lab.state["octet"], *lab.state["counts"], python=sys.executable)
    rc, output, counts = deploy(lab, workspace, LOST, "ga")
    assert rc == 0, output[-5000:]
    assert set(versions_live(lab).values()) == {LOST}

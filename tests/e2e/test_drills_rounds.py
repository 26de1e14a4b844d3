# -*- coding: utf-8 -*-
"""Failure drills (issue 9), part 4: rounds of deploy, kill, re-run and rollback, from the
drilled lab (NEW over OLD, conftest.drilled). RML_DRILL_ROUNDS (default 1) sets the rounds.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import signal
import time

import pytest

from drills import (DEADLINE, NEW, ROUNDS, UNSIGNED, assert_no_torn_page, changed_hosts, deploy, health, lock_file,
                    play, poller, read_until, rollback, run_in_background, through, versions_live, web)
from labtools import wait_until_idle


@pytest.fixture
def lab(drilled):
    return drilled.restore()


def release_folders(lab, version):
    return [os.path.join(h["web_root"], "releases", version) for h in web(lab)]


def wait_for_mirroring(folders, run, timeout=120.0):
    """Until one of ``folders`` (a release folder that a node lacked) exists: the mirror
    (rsync) fills it before the switch, so the run is mirroring, or has just done so.
    ``timeout`` is only an error path."""
    deadline = time.monotonic() + timeout
    while not any(os.path.isdir(folder) for folder in folders):
        assert run.poll() is None, "the run ended before it mirrored"
        assert time.monotonic() < deadline, "none of %s within %.0f s" % (folders, timeout)
        time.sleep(0.01)


def test_drill_rounds_of_deploy_kill_rerun_and_rollback(lab, release_of):
    """Each round: a new version through Alpha and Beta, GA killed (SIGKILL) while it
    mirrors, the stale lock cleared on the record, GA again until nothing changes, then
    rolled back; every node one whole release throughout, no torn page seen."""
    previous = NEW
    for number in range(1, ROUNDS + 1):
        version = "2.%d.0" % number
        workspace = release_of(version)
        through(lab, workspace, version, ("alpha", "beta"))
        lacking = [f for f in release_folders(lab, version) if not os.path.isdir(f)]
        with poller(lab, [previous, version]) as watching:
            run = run_in_background(lab, "deploy_ga.yml", "-e", "routing_ml_workspace=%s" % workspace,
                                    "-e", "routing_ml_version=%s" % version, *(DEADLINE + UNSIGNED))
            seen = []
            try:
                # The web nodes' one task: the node is asked, then mirrored into (rsync), then switched.
                assert read_until(run, "Bring this nginx node from whatever state it is in", seen)
                wait_for_mirroring(lacking, run)
            finally:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
            # The killed run's modules on the hosts finish the work they had.
            wait_until_idle(lab)
            versions_live(lab)
            assert os.path.exists(lock_file(lab)), "SIGKILL leaves the lock"
            rc, output, counts = deploy(lab, workspace, version, "ga")
            assert rc != 0 and "that process is gone" in output and "unlock.yml" in output, output[-3000:]
            rc, output, counts = play(lab, "unlock.yml", "-e", "routing_ml_environment=lab",
                                      "-e", json.dumps({"routing_ml_unlock_reason": "drill round %d" % number}))
            assert rc == 0, output[-3000:]
            history = open(os.path.join(lab.dir, "locks", "lock_history.jsonl")).read().splitlines()
            assert json.loads(history[-1])["reason"] == "drill round %d" % number
            rc, output, counts = deploy(lab, workspace, version, "ga")
            assert rc == 0, output[-5000:]
            rc, output, counts = deploy(lab, workspace, version, "ga")
            assert rc == 0 and changed_hosts(counts) <= {"localhost"}, counts
            assert set(versions_live(lab).values()) == {version}
            rc, output, counts = rollback(lab, workspace, version, "GA")
            assert rc == 0, output[-5000:]
            assert set(versions_live(lab).values()) == {previous} and health(lab)["version"] == previous
        print(watching.format_report())
        assert_no_torn_page(watching.report(), [previous, version], switches=2)
        # Retention: live, previous-good and at most three more release folders per node.
        for host in web(lab):
            folders = [n for n in os.listdir(os.path.join(host["web_root"], "releases")) if not n.startswith(".")]
            assert len(folders) <= 5, (host["name"], folders)
        rc, output, counts = play(lab, "unblock.yml", "-e", "routing_ml_workspace=%s" % workspace,
                                  "-e", "routing_ml_version=%s" % version, "-e", "routing_ml_gate=GA",
                                  "-e", json.dumps({"routing_ml_reason": "next round"}), *UNSIGNED)
        assert rc == 0, output[-3000:]

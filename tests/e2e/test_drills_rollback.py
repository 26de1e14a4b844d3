# -*- coding: utf-8 -*-
"""Failure drills (issue 9), part 1: integrity first, and rollback by playbook. Every way a
deployment can end leaves each web node serving exactly one whole, verified release and the
records saying so; a poller fetches every node's page, one of its assets, and the backend's
health throughout the runs that switch what is served, and every response counts.

The first two tests start from the deployed lab (only OLD ever deployed); the others from the
drilled lab (NEW over OLD, conftest.drilled) and run in file order, each from the state the
one before left.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import signal
import time
import zipfile

import pytest

from drills import (DATE, DEADLINE, FILES, NEW, NOTES, OLD, UNSIGNED, assert_no_torn_page, assert_rollback_durations,
                    changed_hosts, deploy, health, ledger, live, lock_file, play, poller, read_only, rollback,
                    run_in_background, served, versions_live, wait_for_file, web)
from labtools import host_roots, tree_digest
from rml_lab import release


# 1. Integrity first --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def old(deployed):
    deployed.restore()
    return deployed.workspace


def test_a_tampered_installer_or_bundle_file_stops_the_run_before_any_host(deployed, old, tmp_path):
    lab = deployed.lab
    for what in ("installer", "bundle"):
        workspace = str(tmp_path / what)
        release.build(workspace, release.Options(version="1.3.1", date=DATE, files=FILES))
        if what == "installer":
            with open(os.path.join(workspace, "build/windows/RoutingMLInstaller_1.3.1.exe"), "ab") as handle:
                handle.write(b"\0")
        else:
            path = os.path.join(workspace, "build/frontend/RoutingMLFrontend_1.3.1.zip")
            files = release.bundle_files("1.3.1", FILES)
            files["index.html"] = files["index.html"].replace(b"</body>", b"<script>tampered</script></body>")
            with zipfile.ZipFile(path, "w") as archive:
                for name, data in sorted(files.items()):
                    archive.writestr(name, data)
        before = tree_digest(*host_roots(lab))
        # The deployed lab records signed (its trust settings are pinned so): no UNSIGNED here.
        rc, output, counts = play(lab, "deploy_alpha.yml", "-e", "routing_ml_workspace=%s" % workspace,
                                  "-e", "routing_ml_version=1.3.1", *DEADLINE)
        assert rc != 0
        assert "RoutingML%s_1.3.1" % ("Installer" if what == "installer" else "Frontend") in output
        assert re.search(r"sha256|digest", output, re.I)
        assert tree_digest(*host_roots(lab)) == before, "%s: a host or the share changed" % what
        assert changed_hosts(counts) <= {"localhost"}
        assert not os.path.exists(lock_file(lab)), "a refused run leaves no lock"


def test_rollback_without_a_previous_release_is_refused_before_any_change(deployed, old):
    lab = deployed.lab
    before, lines = tree_digest(*host_roots(lab)), ledger(old)
    rc, output, counts = rollback(lab, old, OLD, "GA")
    assert rc != 0
    assert "rollback of %s refused before any host changed: " % OLD in output
    for host in ("node1", "node2", "node3", "dmz1"):
        assert "%s: no release before %s is known" % (host, OLD) in output and "; it runs %s" % OLD in output
    assert "backend1: no backup of the version %s replaced" % OLD in output
    assert tree_digest(*host_roots(lab)) == before
    assert ledger(old) == lines
    assert not os.path.exists(lock_file(lab))


# 2. Rollback by playbook ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lab(drilled):
    return drilled.restore()


@pytest.fixture(scope="module")
def new(lab, drilled):
    assert set(versions_live(lab).values()) == {NEW} and health(lab)["version"] == NEW
    return drilled.workspaces[NEW]


def test_check_mode_shows_each_hosts_target_and_the_lock_and_changes_nothing(lab, new):
    before, lines = tree_digest(*host_roots(lab)), ledger(new)
    rc, output, counts = rollback(lab, new, NEW, "GA", "--check")
    assert rc == 0, output[-4000:]
    for host in ("node1", "node2", "node3", "dmz1"):
        assert "%s: %s -> releases/%s (verified, switched as it is)" % (host, NEW, OLD) in output
    assert re.search(r"backend1: %s -> %s from nas1:\S+/backup/%s, installer sha256 [0-9a-f]{64}" % (
        re.escape(NEW), re.escape(OLD), re.escape(OLD)), output)
    assert "check mode: would take the lock of lab" in output
    assert tree_digest(*host_roots(lab)) == before
    assert ledger(new) == lines


def test_rollback_after_a_good_ga_switches_back_and_reinstalls_the_backup(lab, new):
    with poller(lab, [OLD, NEW]) as watching:
        started = time.monotonic()
        rc, output, counts = rollback(lab, new, NEW, "GA", reason="CHG-42 users report errors")
        seconds = time.monotonic() - started
        # One more round of samples of every node, all after the switch back.
        watching.wait_for_samples()
    assert rc == 0, output[-5000:]
    print("rollback.yml after GA: %.1f s" % seconds)
    print(watching.format_report())
    assert versions_live(lab) == dict((h["name"], OLD) for h in web(lab))
    assert all(live(h)[0] == OLD for h in web(lab)), "switched to the folder the node kept, nothing copied"
    assert all(served(h) == OLD for h in web(lab))
    assert health(lab)["version"] == OLD
    last = ledger(new)[-1]
    assert "| gate=GA | status=Rolled Back | version=%s |" % NEW in last
    assert "| reason=CHG-42 users report errors | target=%s | outcome=verified |" % OLD in last
    notes = open(os.path.join(new, NOTES)).read()
    assert "| %s | %s | verified | GA: CHG-42 users report errors |" % (NEW, OLD) in notes
    for host in ("node1", "node2", "node3", "dmz1", "backend1"):
        record = json.load(open(os.path.join(new, "logs/deploy/rollback_%s_%s.json" % (NEW, host))))
        assert record["outcome"] == "ok" and record["details"]["target"] == OLD, record
        assert record["details"]["started"] <= record["time"], "the plan's start, before the host was back"
    assert_rollback_durations(new, NEW, ("node1", "node2", "node3", "dmz1", "backend1"), seconds)
    report = watching.report()
    assert_no_torn_page(report)
    for url, target in report["targets"].items():
        if target["kind"] == "web":
            assert target["versions"] == [NEW, OLD], (url, target["versions"])


def test_a_second_rollback_changes_nothing_and_adds_no_ledger_line(lab, new):
    lines = ledger(new)
    rc, output, counts = rollback(lab, new, NEW, "GA", reason="CHG-42 users report errors")
    assert rc == 0, output[-4000:]
    assert changed_hosts(counts) == set(), counts
    assert ledger(new) == lines


def test_the_rolled_back_version_waits_for_an_unblock_with_a_reason(lab, new):
    before = tree_digest(*host_roots(lab))
    rc, output, counts = deploy(lab, new, NEW, "ga")
    assert rc != 0 and "version %s was rolled back at GA" % NEW in output
    assert read_only(counts) and tree_digest(*host_roots(lab)) == before
    rc, output, counts = play(lab, "unblock.yml", "-e", "routing_ml_workspace=%s" % new, "-e", "routing_ml_version=%s" % NEW,
                              "-e", "routing_ml_gate=GA")
    assert rc != 0 and "routing_ml_reason" in output, "an unblock needs a reason"
    rc, output, counts = play(lab, "unblock.yml", "-e", "routing_ml_workspace=%s" % new, "-e", "routing_ml_version=%s" % NEW,
                              "-e", "routing_ml_gate=GA", "-e", json.dumps({"routing_ml_reason": "CHG-43 fixed"}),
                              *UNSIGNED)
    assert rc == 0, output[-3000:]
    assert "| status=Unblocked | version=%s | approver=OWNER-PARK |" % NEW in ledger(new)[-1]
    rc, output, counts = deploy(lab, new, NEW, "ga")
    assert rc == 0, output[-5000:]
    assert set(versions_live(lab).values()) == {NEW} and health(lab)["version"] == NEW


def test_a_deployment_or_a_rollback_is_refused_while_another_deployment_runs(lab, new):
    first = run_in_background(lab, "deploy_ga.yml", "-e", "routing_ml_workspace=%s" % new, "-e", "routing_ml_version=%s" % NEW,
                              *UNSIGNED)
    try:
        assert wait_for_file(lock_file(lab), first), "the first run never took the lock"
        holder = json.load(open(lock_file(lab)))
        for name, args in (("deploy_beta.yml", ["-e", "routing_ml_version=%s" % NEW] + UNSIGNED),
                           ("rollback.yml", ["-e", "routing_ml_version=%s" % NEW, "-e", "routing_ml_gate=GA",
                                             "-e", "routing_ml_rollback_reason=second"])):
            # Refused naming the holder (a run that queued for the lock would have gone on and passed).
            rc, output, counts = play(lab, name, "-e", "routing_ml_workspace=%s" % new, *args)
            assert rc != 0
            assert "pid %d" % holder["pid"] in output and "deploy GA %s" % NEW in output, output[-3000:]
            assert read_only(counts), counts
        out, dummy = first.communicate(timeout=300)
        assert first.returncode == 0, out[-4000:]
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert not os.path.exists(lock_file(lab))


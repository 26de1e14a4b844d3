# -*- coding: utf-8 -*-
"""Failure drills on a lab (issue 9): every way a deployment can end - good, failed, killed,
rolled back - leaves each web node serving exactly one whole, verified release and the
records saying so. A poller fetches every node's page, one of its assets, and the backend's
health throughout the runs that switch what is served, and every response counts.

The tests share one lab and run in file order, each starting from the state the one before
left (the versions are separate release workspaces, as release folders are in production).
RML_DRILL_ROUNDS (default 1) sets the rounds of the iterative drill at the end.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile

import pytest

from labtools import BIN, ROOT, host_roots, running_lab, tree_digest
from poller import Poller, manifests
from rml_lab import control, processes, release, sshd

from ansible_collections.routing_ml.deploy.plugins.module_utils import _tree

FILES = 120
DATE = "2025-09-29"
NOTES = "deliverables/release_notes_%s.md" % DATE
# Long enough for a stand-in starting on a loaded machine; an unhealthy build waits it out.
DEADLINE = ["-e", "routing_ml_verify_health_deadline=20"]
ROUNDS = int(os.environ.get("RML_DRILL_ROUNDS", "1"))
# Results as one JSON line each: messages are matched whole, never as the yaml form wraps them.
ENV = {"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}


def assert_rollback_durations(workspace, version, hosts, most):
    """The release report, refreshed by the rollback, says how long each host and the whole
    rollback took: known, and no longer than the run that did it."""
    page = open(os.path.join(workspace, "deliverables", "release_report_%s.html" % version), encoding="utf-8").read()
    rows = re.findall(r'<tr class="rollback" data-kind="(\w+)" data-host="([^"]*)" data-duration="([^"]*)">', page)
    durations = dict(((kind, host), text) for kind, host, text in rows)
    assert set(hosts) <= set(host for kind, host in durations if kind == "record"), rows
    for key in [("record", host) for host in hosts] + [("ledger", "")]:
        assert re.match(r"^(\d+s|\d+m \d\ds)$", durations[key]), (key, rows)
        minutes, dummy, rest = durations[key].rpartition("m ")
        # Whole seconds at both ends: one more than the run's own time at most.
        assert int(minutes or 0) * 60 + int(rest.rstrip("s")) <= most + 1, (key, durations[key], most)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    # Four web nodes, so that GA runs three batches: node1, then node2 and node3, then dmz1.
    with running_lab(str(tmp_path_factory.mktemp("rollback-lab")), farm=3, dmz=1, backend=1) as started:
        yield started


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory):
    made = {}

    def make(version, **options):
        if version not in made:
            path = str(tmp_path_factory.mktemp("release-" + version))
            release.build(path, release.Options(version=version, date=DATE, files=FILES, **options))
            made[version] = path
        return made[version]

    return make


def play(lab, name, *args, **env):
    return lab.playbook(name, *args, **dict(ENV, **env))


# Drills record each gate in its deployment run; signing is drilled in test_signed_gates.py.
UNSIGNED = ["-e", "routing_ml_approval_signatures=off"]


def deploy(lab, workspace, version, gate, *extra, **env):
    return play(lab, "deploy_%s.yml" % gate, "-e", "routing_ml_workspace=%s" % workspace,
                "-e", "routing_ml_version=%s" % version, *(DEADLINE + UNSIGNED + list(extra)), **env)


def through(lab, workspace, version, gates=("alpha", "beta", "ga")):
    for gate in gates:
        rc, output, dummy = deploy(lab, workspace, version, gate)
        assert rc == 0, output[-5000:]


def rollback(lab, workspace, version, gate, *extra, reason="drill"):
    return play(lab, "rollback.yml", "-e", "routing_ml_workspace=%s" % workspace, "-e", "routing_ml_version=%s" % version,
                        "-e", "routing_ml_gate=%s" % gate, "-e", json.dumps({"routing_ml_rollback_reason": reason}),
                        *(DEADLINE + list(extra)))


def web(lab):
    return [h for h in lab.state["hosts"] if "web_root" in h]


def fetch(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


def served(host):
    page = fetch("http://%s:%d/index.html" % (host["address"], host["http_port"])).decode()
    return re.search(r'name="routing-ml-version" content="([^"]+)"', page).group(1)


def health(lab):
    backend = lab.hosts["backend1"]
    return json.loads(fetch("http://%s:%d/api/health" % (backend["address"], backend["backend_port"])))


def live(host):
    """``(folder, version)`` the node's live pointer names, after checking that the folder is
    one whole release: exactly that version's files, byte for byte; ``(None, None)`` for a
    node that never had a release."""
    pointer = os.path.join(host["web_root"], "current")
    if not os.path.lexists(pointer):
        return None, None
    target = os.readlink(pointer)
    folder = target.split("/")[-1]
    version = folder.split("+")[0]
    expected = manifests([version], FILES)[version]
    assert _tree.tree_manifest(os.path.join(host["web_root"], target)) == expected, "%s: %s is not whole" % (
        host["name"], target)
    return folder, version


def versions_live(lab):
    return dict((h["name"], live(h)[1]) for h in web(lab))


def read_only(counts):
    """Only the controller ran, and the share host was read (its Stage 9 records), unchanged."""
    return set(counts) <= {"localhost", "nas1"} and all(c["changed"] == 0 for c in counts.values())


def changed_hosts(counts):
    return set(host for host, count in counts.items() if count["changed"])


def ledger(workspace):
    lines = []
    folder = os.path.join(workspace, "logs")
    for name in sorted(os.listdir(folder)):
        if name.startswith("task_execution_"):
            lines += open(os.path.join(folder, name)).read().splitlines()
    return lines


def lock_file(lab):
    return os.path.join(lab.dir, "locks", "lab.lock")


def poller(lab, versions, nodes=None):
    return Poller(web=["http://%s:%d" % (h["address"], h["http_port"]) for h in nodes or web(lab)],
                  backend=["http://%s:%d/api/health" % (lab.hosts["backend1"]["address"], lab.hosts["backend1"]["backend_port"])],
                  versions=manifests(versions, FILES), interval=0.05, limit_seconds=400)


def assert_no_torn_page(report, versions=None, switches=1):
    """No page was ever mixed or half-written, and no node went down; a page whose asset went
    missing only as its node switched between the page's two requests is a switch race, not
    a torn release. Each node showed only ``versions`` (when given), switching at most
    ``switches`` times."""
    print(json.dumps(report["totals"]))
    for url, target in report["targets"].items():
        if target["kind"] != "web":
            continue
        counts = target["counts"]
        assert counts["mixed"] == 0 and counts["unknown"] == 0 and counts["non200"] == 0, (url, target["bad"])
        assert counts["missing"] == target["switch_races"], (url, target["bad"])
        assert target["samples"] > 0
        assert len(target["changes"]) <= switches, (url, target["changes"])
        assert versions is None or set(target["versions"]) <= set(versions), (url, target["versions"])


def run_in_background(lab, name, *args):
    command = [os.path.join(BIN, "ansible-playbook"), os.path.join(ROOT, "playbooks", name)] + list(args)
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=lab.env(**ENV),
                            universal_newlines=True, start_new_session=True)


def read_until(process, text, seen):
    for line in process.stdout:
        seen.append(line)
        if text in line:
            return True
    return False


# 1. Integrity first --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def old(lab, workspaces):
    workspace = workspaces("1.3.0")
    through(lab, workspace, "1.3.0")
    return workspace


def test_a_tampered_installer_or_bundle_file_stops_the_run_before_any_host(lab, old, tmp_path):
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
        rc, output, counts = deploy(lab, workspace, "1.3.1", "alpha")
        assert rc != 0
        assert "RoutingML%s_1.3.1" % ("Installer" if what == "installer" else "Frontend") in output
        assert re.search(r"sha256|digest", output, re.I)
        assert tree_digest(*host_roots(lab)) == before, "%s: a host or the share changed" % what
        assert changed_hosts(counts) <= {"localhost"}
        assert not os.path.exists(lock_file(lab)), "a refused run leaves no lock"


def test_rollback_without_a_previous_release_is_refused_before_any_change(lab, old):
    before, lines = tree_digest(*host_roots(lab)), ledger(old)
    rc, output, counts = rollback(lab, old, "1.3.0", "GA")
    assert rc != 0
    assert "rollback of 1.3.0 refused before any host changed: " in output
    for host in ("node1", "node2", "node3", "dmz1"):
        assert "%s: no release before 1.3.0 is known" % host in output and "; it runs 1.3.0" in output
    assert "backend1: no backup of the version 1.3.0 replaced" in output
    assert tree_digest(*host_roots(lab)) == before
    assert ledger(old) == lines
    assert not os.path.exists(lock_file(lab))


# 2. Rollback by playbook ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def new(lab, old, workspaces):
    workspace = workspaces("1.4.0")
    through(lab, workspace, "1.4.0")
    assert set(versions_live(lab).values()) == {"1.4.0"} and health(lab)["version"] == "1.4.0"
    return workspace


def test_check_mode_shows_each_hosts_target_and_the_lock_and_changes_nothing(lab, new):
    before, lines = tree_digest(*host_roots(lab)), ledger(new)
    rc, output, counts = rollback(lab, new, "1.4.0", "GA", "--check")
    assert rc == 0, output[-4000:]
    for host in ("node1", "node2", "node3", "dmz1"):
        assert "%s: 1.4.0 -> releases/1.3.0 (verified, switched as it is)" % host in output
    assert re.search(r"backend1: 1\.4\.0 -> 1\.3\.0 from nas1:\S+/backup/1\.3\.0, installer sha256 [0-9a-f]{64}", output)
    assert "check mode: would take the lock of lab" in output
    assert tree_digest(*host_roots(lab)) == before
    assert ledger(new) == lines


def test_rollback_after_a_good_ga_switches_back_and_reinstalls_the_backup(lab, new):
    with poller(lab, ["1.3.0", "1.4.0"]) as watching:
        started = time.monotonic()
        rc, output, counts = rollback(lab, new, "1.4.0", "GA", reason="CHG-42 users report errors")
        seconds = time.monotonic() - started
        time.sleep(0.5)
    assert rc == 0, output[-5000:]
    print("rollback.yml after GA: %.1f s" % seconds)
    print(watching.format_report())
    assert versions_live(lab) == dict((h["name"], "1.3.0") for h in web(lab))
    assert all(live(h)[0] == "1.3.0" for h in web(lab)), "switched to the folder the node kept, nothing copied"
    assert all(served(h) == "1.3.0" for h in web(lab))
    assert health(lab)["version"] == "1.3.0"
    last = ledger(new)[-1]
    assert "| gate=GA | status=Rolled Back | version=1.4.0 |" in last
    assert "| reason=CHG-42 users report errors | target=1.3.0 | outcome=verified |" in last
    notes = open(os.path.join(new, NOTES)).read()
    assert "| 1.4.0 | 1.3.0 | verified | GA: CHG-42 users report errors |" in notes
    for host in ("node1", "node2", "node3", "dmz1", "backend1"):
        record = json.load(open(os.path.join(new, "logs/deploy/rollback_1.4.0_%s.json" % host)))
        assert record["outcome"] == "ok" and record["details"]["target"] == "1.3.0", record
        assert record["details"]["started"] <= record["time"], "the plan's start, before the host was back"
    assert_rollback_durations(new, "1.4.0", ("node1", "node2", "node3", "dmz1", "backend1"), seconds)
    report = watching.report()
    assert_no_torn_page(report)
    for url, target in report["targets"].items():
        if target["kind"] == "web":
            assert target["versions"] == ["1.4.0", "1.3.0"], (url, target["versions"])


def test_a_second_rollback_changes_nothing_and_adds_no_ledger_line(lab, new):
    lines = ledger(new)
    rc, output, counts = rollback(lab, new, "1.4.0", "GA", reason="CHG-42 users report errors")
    assert rc == 0, output[-4000:]
    assert changed_hosts(counts) == set(), counts
    assert ledger(new) == lines


def test_the_rolled_back_version_waits_for_an_unblock_with_a_reason(lab, new):
    before = tree_digest(*host_roots(lab))
    rc, output, counts = deploy(lab, new, "1.4.0", "ga")
    assert rc != 0 and "version 1.4.0 was rolled back at GA" in output
    assert read_only(counts) and tree_digest(*host_roots(lab)) == before
    rc, output, counts = play(lab, "unblock.yml", "-e", "routing_ml_workspace=%s" % new, "-e", "routing_ml_version=1.4.0",
                                      "-e", "routing_ml_gate=GA")
    assert rc != 0 and "routing_ml_reason" in output, "an unblock needs a reason"
    rc, output, counts = play(lab, "unblock.yml", "-e", "routing_ml_workspace=%s" % new, "-e", "routing_ml_version=1.4.0",
                                      "-e", "routing_ml_gate=GA", "-e", json.dumps({"routing_ml_reason": "CHG-43 fixed"}))
    assert rc == 0, output[-3000:]
    assert "| status=Unblocked | version=1.4.0 | approver=OWNER-PARK |" in ledger(new)[-1]
    rc, output, counts = deploy(lab, new, "1.4.0", "ga")
    assert rc == 0, output[-5000:]
    assert set(versions_live(lab).values()) == {"1.4.0"} and health(lab)["version"] == "1.4.0"


def test_a_deployment_or_a_rollback_is_refused_while_another_deployment_runs(lab, new):
    first = run_in_background(lab, "deploy_ga.yml", "-e", "routing_ml_workspace=%s" % new, "-e", "routing_ml_version=1.4.0",
                              *UNSIGNED)
    try:
        deadline = time.monotonic() + 60
        while not os.path.exists(lock_file(lab)):
            assert time.monotonic() < deadline and first.poll() is None, "the first run never took the lock"
            time.sleep(0.1)
        holder = json.load(open(lock_file(lab)))
        for name, args in (("deploy_beta.yml", ["-e", "routing_ml_version=1.4.0"] + UNSIGNED),
                           ("rollback.yml", ["-e", "routing_ml_version=1.4.0", "-e", "routing_ml_gate=GA",
                                             "-e", "routing_ml_rollback_reason=second"])):
            # Refused naming the holder (a run that queued for the lock would have gone on and passed).
            rc, output, counts = play(lab, name, "-e", "routing_ml_workspace=%s" % new, *args)
            assert rc != 0
            assert "pid %d" % holder["pid"] in output and "deploy GA 1.4.0" in output, output[-3000:]
            assert read_only(counts), counts
        out, dummy = first.communicate(timeout=300)
        assert first.returncode == 0, out[-4000:]
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert not os.path.exists(lock_file(lab))


# 3. Automatic rollback --------------------------------------------------------------------------

def test_a_backend_that_fails_health_is_rolled_back_automatically(lab, new, workspaces):
    workspace = workspaces("1.5.0", unhealthy=True)
    with poller(lab, ["1.4.0"]) as watching:
        started = time.monotonic()
        rc, output, counts = deploy(lab, workspace, "1.5.0", "alpha")
        seconds = time.monotonic() - started
    print(watching.format_report())
    assert rc != 0
    message = output[output.index("Stage 9 Alpha deployment of 1.5.0 failed"):]
    assert "backend1 (backend): Wait for /api/health" in message and "HTTP 500" in message
    assert "Rolled back (this run's changes only): backend1 1.5.0 -> 1.4.0" in message
    assert_rollback_durations(workspace, "1.5.0", ("backend1",), seconds)
    assert health(lab)["version"] == "1.4.0"
    assert versions_live(lab)["node1"] == "1.4.0", "the frontend never started"
    assert not os.path.exists(os.path.join(workspace, "logs/deploy/frontend_sync_1.5.0_node1.json"))
    last = ledger(workspace)[-1]
    assert "| gate=Alpha | status=Rolled Back | version=1.5.0 |" in last and "| target=1.4.0 | outcome=verified |" in last
    assert "| 1.5.0 | 1.4.0 | verified | Alpha: automatic: backend1 failed verification of 1.5.0 |" in \
        open(os.path.join(workspace, NOTES)).read()
    assert not os.path.exists(lock_file(lab))
    assert_no_torn_page(watching.report())


def test_halt_leaves_the_failed_host_for_inspection_and_records_it(lab, new, workspaces):
    workspace = workspaces("1.5.1", unhealthy=True)
    rc, output, counts = deploy(lab, workspace, "1.5.1", "alpha", "-e", "routing_ml_on_failure=halt")
    assert rc != 0
    message = output[output.index("Stage 9 Alpha deployment of 1.5.1 failed"):]
    assert "Rolled back: nothing (routing_ml_on_failure=halt)" in message
    assert "backend1 left as it failed (halt)" in message
    with pytest.raises(urllib.error.HTTPError) as answer:
        health(lab)
    assert answer.value.code == 500, "left as it failed, for inspection"
    record = json.load(open(os.path.join(workspace, "logs/deploy/rollback_1.5.1_backend1.json")))
    assert record["outcome"] == "halted" and "HTTP 500" in record["details"]["message"]
    # The ledger is the environment's (continued from the share): nothing about 1.5.1 in it.
    assert not any("version=1.5.1" in line for line in ledger(workspace))
    assert versions_live(lab)["node1"] == "1.4.0"
    # The operator rolls it back by playbook, from the backup the halted run took.
    rc, output, counts = rollback(lab, workspace, "1.5.1", "Alpha", reason="inspected, going back")
    assert rc == 0, output[-5000:]
    assert health(lab)["version"] == "1.4.0"
    assert "| gate=Alpha | status=Rolled Back | version=1.5.1 |" in ledger(workspace)[-1]


def test_a_failing_batch_is_switched_back_and_no_later_batch_starts(lab, new, workspaces):
    workspace = workspaces("1.6.0")
    through(lab, workspace, "1.6.0", ("alpha", "beta"))
    assert versions_live(lab) == {"node1": "1.6.0", "node2": "1.4.0", "node3": "1.4.0", "dmz1": "1.6.0"}
    # A failure after the switch, on the nodes of the second batch: their sync records cannot
    # be written (a folder stands where each record goes, as a full disk would refuse it).
    blocked = [os.path.join(workspace, "logs", "deploy", "frontend_sync_1.6.0_%s.json" % name)
               for name in ("node2", "node3")]
    for path in blocked:
        os.makedirs(path)
    try:
        with poller(lab, ["1.4.0", "1.6.0"]) as watching:
            started = time.monotonic()
            rc, output, counts = deploy(lab, workspace, "1.6.0", "ga", ANSIBLE_SHOW_CUSTOM_STATS="1")
            seconds = time.monotonic() - started
    finally:
        for path in blocked:
            os.rmdir(path)
    print(watching.format_report())
    assert rc != 0
    message = output[output.index("Stage 9 GA deployment of 1.6.0 failed"):]
    assert "node2 (frontend)" in message and "node3 (frontend)" in message
    assert "Rolled back (this run's changes only): node2 1.6.0 -> 1.4.0, node3 1.6.0 -> 1.4.0" in message
    assert_rollback_durations(workspace, "1.6.0", ("node2", "node3"), seconds)
    assert versions_live(lab) == {"node1": "1.6.0", "node2": "1.4.0", "node3": "1.4.0", "dmz1": "1.6.0"}
    assert health(lab)["version"] == "1.6.0", "the backend was not changed by this run, so it stays"
    frontend = output[output.index("PLAY [Frontend on the web nodes"):output.index("PLAY [After a failure")]
    assert "[dmz1]" not in frontend, "the third batch never started"
    assert "| gate=GA | status=Rolled Back | version=1.6.0 |" in ledger(workspace)[-1]
    # node2 and node3 went to 1.6.0 and back; the others never switched.
    assert_no_torn_page(watching.report(), ["1.4.0", "1.6.0"], switches=2)
    # The failed run still put its records on the share: another controller's next record
    # continues after this Rolled Back record.
    assert ledger(os.path.join(lab.hosts["nas1"]["share"], "stage9")) == ledger(workspace)
    # What the run changed, for an AWX workflow's rollback node (set_stats).
    stats = json.loads(output[output.index("RUN:", output.index("CUSTOM STATS")) + 4:].split("\n\n")[0])
    assert stats == {"routing_ml_rollback_hosts": ["node2", "node3"],
                     "routing_ml_rollback_hosts_from": {"gate": "GA", "version": "1.6.0"}}, stats


def test_the_rollback_playbook_acts_only_on_the_hosts_it_is_given(lab, workspaces):
    workspace = workspaces("1.6.0")
    before = tree_digest(*host_roots(lab))
    for hosts, problem in (('"node9"', 'got "node9"'), ('["node9", "node2"]', 'not in the stage: ["node9"]'),
                           ('{"node2": 1}', 'got {"node2": 1}'), ('[7]', 'not in the stage: ["7"]')):
        rc, output, counts = rollback(lab, workspace, "1.6.0", "GA", "-e", '{"routing_ml_rollback_hosts": %s}' % hosts)
        assert rc != 0 and "routing_ml_rollback_hosts must be a list of hosts of stage_ga" in output, output[-3000:]
        assert problem in output, (problem, output[-3000:])
        assert read_only(counts) and not os.path.exists(lock_file(lab)), counts
    # Published by another node of the workflow (Beta's deployment), not GA's: refused.
    rc, output, counts = rollback(lab, workspace, "1.6.0", "GA", "-e", json.dumps(
        {"routing_ml_rollback_hosts": ["node1"], "routing_ml_rollback_hosts_from": {"gate": "Beta", "version": "1.6.0"}}))
    assert rc != 0 and 'published by the deployment of {"gate": "Beta", "version": "1.6.0"}, not of GA 1.6.0' in output, \
        output[-3000:]
    assert read_only(counts) and not os.path.exists(lock_file(lab)), counts
    # The deployment changed no host: nothing to roll back, nothing recorded.
    records = ledger(workspace)
    rc, output, counts = rollback(lab, workspace, "1.6.0", "GA", "-e", '{"routing_ml_rollback_hosts": []}')
    assert rc == 0, output[-3000:]
    assert "nothing to roll back" in output and read_only(counts), counts
    assert ledger(workspace) == records and tree_digest(*host_roots(lab)) == before
    # node1 only: it goes back, the others (node2, node3 already at 1.4.0; dmz1 at 1.6.0) are left.
    rc, output, counts = rollback(lab, workspace, "1.6.0", "GA", "-e", json.dumps(
        {"routing_ml_rollback_hosts": ["node1"], "routing_ml_rollback_hosts_from": {"gate": "GA", "version": "1.6.0"}}))
    assert rc == 0, output[-5000:]
    assert changed_hosts(counts) <= {"localhost", "node1", "nas1"} and "node1" in changed_hosts(counts), counts
    assert versions_live(lab) == {"node1": "1.4.0", "node2": "1.4.0", "node3": "1.4.0", "dmz1": "1.6.0"}
    assert "| gate=GA | status=Rolled Back | version=1.6.0 |" in ledger(workspace)[-1]


# 4. A node lost mid-rollout, the controller killed mid-sync -------------------------------------

def kill_sshd(host):
    """The node's sshd and every session it serves: the controller's master connection too."""
    pid = processes.read_pid(host["sshd_pidfile"])
    subprocess.run(["pkill", "-KILL", "-P", str(pid)], check=False)
    processes.stop(host["sshd_pidfile"], sig=signal.SIGKILL)


def test_a_node_whose_sshd_dies_mid_rollout_stops_the_later_batches(lab, workspaces):
    workspace = workspaces("1.7.0")
    through(lab, workspace, "1.7.0", ("alpha", "beta"))
    before = versions_live(lab)
    serving = [h for h in web(lab) if before[h["name"]]]
    with poller(lab, ["1.4.0", "1.6.0", "1.7.0"], serving) as watching:
        run = run_in_background(lab, "deploy_ga.yml", "-e", "routing_ml_workspace=%s" % workspace,
                                "-e", "routing_ml_version=1.7.0", *(DEADLINE + UNSIGNED))
        seen = []
        try:
            assert read_until(run, "PLAY [Frontend on the web nodes", seen), "".join(seen)[-3000:]
            kill_sshd(lab.hosts["node3"])
            out, dummy = run.communicate(timeout=300)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
    print(watching.format_report())
    assert_no_torn_page(watching.report(), ["1.4.0", "1.6.0", "1.7.0"])
    output = "".join(seen) + out
    assert run.returncode != 0
    assert re.search(r"node3.*UNREACHABLE", output), output[-3000:]
    frontend = output[output.index("PLAY [Frontend on the web nodes"):output.index("PLAY [After a failure")]
    assert "[dmz1]" not in frontend, "the batch after node3's never started"
    message = output[output.index("Stage 9 GA deployment of 1.7.0 failed"):]
    assert "node3 (host): reaching the host: unreachable" in message
    assert "Rolled back (this run's changes only): nothing (no check failed: a lost host is not rolled back)" in message
    assert not [line for line in ledger(workspace) if "| gate=GA |" in line and "| version=1.7.0 |" in line], \
        "the gate is not recorded"
    now = versions_live(lab)  # every node whole, whatever it serves
    assert now["node1"] == "1.7.0" and now["node3"] == before["node3"] and now["dmz1"] == before["dmz1"]
    assert not os.path.exists(lock_file(lab)), "the run freed its lock"
    control.up(lab.dir, lab.state["octet"], *lab.state["counts"], python=sys.executable)
    rc, output, counts = deploy(lab, workspace, "1.7.0", "ga")
    assert rc == 0, output[-5000:]
    assert set(versions_live(lab).values()) == {"1.7.0"}


def test_drill_rounds_of_deploy_kill_rerun_and_rollback(lab, workspaces):
    """Each round: a new version through Alpha and Beta, GA killed (SIGKILL) while it
    mirrors, the stale lock cleared on the record, GA again until nothing changes, then
    rolled back; every node one whole release throughout, no torn page seen."""
    previous = "1.7.0"
    if set(versions_live(lab).values()) != {previous}:  # run on its own
        through(lab, workspaces(previous), previous)
    for number in range(1, ROUNDS + 1):
        version = "2.%d.0" % number
        workspace = workspaces(version)
        through(lab, workspace, version, ("alpha", "beta"))
        with poller(lab, [previous, version]) as watching:
            run = run_in_background(lab, "deploy_ga.yml", "-e", "routing_ml_workspace=%s" % workspace,
                                    "-e", "routing_ml_version=%s" % version, *(DEADLINE + UNSIGNED))
            seen = []
            try:
                # The web nodes' one task: the node is asked, then mirrored into (rsync), then switched.
                assert read_until(run, "Bring this nginx node from whatever state it is in", seen)
                time.sleep(1.0)
            finally:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
            time.sleep(2)  # workers of the killed run finish the task they had
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
                                          "-e", json.dumps({"routing_ml_reason": "next round"}))
        assert rc == 0, output[-3000:]


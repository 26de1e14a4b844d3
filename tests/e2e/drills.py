# -*- coding: utf-8 -*-
"""What the failure drills share (test_drills_*.py, issue 9): how they run the playbooks, watch
every node with a poller, and read what each node serves and the ledger says.

Every drill starts from a lab where ``NEW`` went through Alpha, Beta and GA over ``OLD``
(conftest.drilled), the versions in release workspaces of their own, as release folders are
in production. RML_DRILL_ROUNDS (default 1) sets the rounds of the iterative drill.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import signal
import subprocess
import time
import urllib.request

from labtools import BIN, ROOT
from poller import Poller, manifests
from rml_lab import processes, release, signing

from ansible_collections.routing_ml.deploy.plugins.module_utils import _tree

# The deployed lab's release (conftest.deployed), and the one the drills take through GA over it.
OLD, NEW = "1.4.0", "1.5.0"
FILES = 120  # conftest.FILES: the deployed lab's bundle too
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


def play(lab, name, *args, **env):
    return lab.playbook(name, *args, **dict(ENV, **env))


# Drills record each gate in its deployment run; signing is drilled in test_signed_gates.py.
# The environment's recorded trust settings say so first (trust_off), signed by its Release Owner.
UNSIGNED = ["-e", "routing_ml_approval_signatures=off"]


def trust_off(lab, workspace):
    """Move the environment's recorded signature mode to off, the way it is changed: a
    proposal (playbooks/trust_change.yml), the lab's Release Owner signs it, the same run again."""
    args = ["-e", "routing_ml_workspace=%s" % workspace, "-e", "routing_ml_trust_approver=OWNER-PARK",
            "-e", json.dumps({"routing_ml_trust_reason": "the failure drills record their gates unsigned"})] + UNSIGNED
    rc, output, dummy = play(lab, "trust_change.yml", *args)
    assert rc == 0 and "waits for the signature of OWNER-PARK" in output, output[-3000:]
    signing.sign_trust_change(lab.dir, workspace)
    rc, output, dummy = play(lab, "trust_change.yml", *args)
    assert rc == 0 and "recorded the change of the trust settings" in output, output[-3000:]


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



def workspaces(drilled):
    """``make(version, **options)``: the release workspace of a version, built once a session;
    OLD's and NEW's are the drilled lab's own (in its snapshot)."""
    made = drilled.workspaces

    def make(version, **options):
        if version not in made:
            path = os.path.join(drilled.base, "release-" + version)
            release.build(path, release.Options(version=version, date=DATE, files=FILES, **options))
            made[version] = path
        return made[version]

    return make


def kill_sshd(host):
    """The node's sshd and every session it serves: the controller's master connection too."""
    pid = processes.read_pid(host["sshd_pidfile"])
    subprocess.run(["pkill", "-KILL", "-P", str(pid)], check=False)
    processes.stop(host["sshd_pidfile"], sig=signal.SIGKILL)




def wait_for_file(path, process, timeout=120.0):
    """Until ``path`` exists (the event itself): True; False when ``process`` ended first.
    ``timeout`` is only an error path."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if process.poll() is not None:
            return os.path.exists(path)
        assert time.monotonic() < deadline, "%s did not appear within %.0f s" % (path, timeout)
        time.sleep(0.05)
    return True

#!/usr/bin/env python3
"""How long a rollback takes: per web node (the switch back) and per backend host (reinstall).

    ./dev bench rollback [--rounds 3] [--files 2000] [--farm 4] [--dmz 2]

Starts a lab of its own, deploys 1.0.0 and then 2.0.0 through Alpha, Beta and GA (separate
release workspaces), then, round after round: rollback.yml of 2.0.0 at GA (every web node
switches back to its kept 1.0.0 folder, the backend reinstalls the 1.0.0 backup), unblock,
and deploy_ga.yml of 2.0.0 again (which switches forward to the folders the nodes kept).
Per play durations come from the json callback. Baselines from the same run: an
``ansible -m ping`` of the web nodes (Ansible's floor for a task on those hosts) and the
forward re-deploy of GA.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "lab"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from labtools import BIN, Lab, free_octet  # noqa: E402
from rml_lab import control, release  # noqa: E402

OLD, NEW = "1.0.0", "2.0.0"
JSON = {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"}


def seconds(duration):
    start, end = (datetime.datetime.fromisoformat(duration[key].replace("Z", "+00:00")) for key in ("start", "end"))
    return (end - start).total_seconds()


def plays(output):
    """``{play name: seconds}`` from the json callback's output."""
    # raw_decode: the lock callback's line follows the document.
    data, dummy = json.JSONDecoder().raw_decode(output[output.index("{"):])
    return dict((p["play"]["name"], seconds(p["play"]["duration"])) for p in data["plays"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--farm", type=int, default=4)
    parser.add_argument("--dmz", type=int, default=2)
    options = parser.parse_args()

    lab_dir = tempfile.mkdtemp(prefix="rml-bench-rollback-")
    state = control.up(lab_dir, free_octet(), farm=options.farm, dmz=options.dmz, backend=1, python=sys.executable)
    figures = {}
    try:
        lab = Lab(lab_dir, state)
        workspaces = {}
        for version in (OLD, NEW):
            workspaces[version] = os.path.join(lab_dir, "release-" + version)
            release.build(workspaces[version], release.Options(version=version, date="2025-09-29", files=options.files))
            for gate in ("alpha", "beta", "ga"):
                rc, output, dummy = lab.playbook("deploy_%s.yml" % gate, "-e", "routing_ml_workspace=%s" % workspaces[version],
                                                 "-e", "routing_ml_version=%s" % version,
                                                 "-e", "routing_ml_approval_signatures=off")
                if rc:
                    sys.exit("deploy %s %s failed:\n%s" % (gate, version, output[-3000:]))
        common = ["-e", "routing_ml_workspace=%s" % workspaces[NEW], "-e", "routing_ml_version=%s" % NEW]

        def timed(name, *args, **env):
            # Not lab.playbook: the json callback's output has no PLAY RECAP to read.
            command = [os.path.join(BIN, "ansible-playbook"), os.path.join(ROOT, "playbooks", name)] + common + list(args)
            start = time.perf_counter()
            completed = subprocess.run(command, cwd=ROOT, env=lab.env(**env), stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, universal_newlines=True, check=False)
            elapsed = time.perf_counter() - start
            if completed.returncode:
                sys.exit("%s failed:\n%s" % (name, completed.stdout[-3000:]))
            return elapsed, completed.stdout

        for number in range(options.rounds):
            start = time.perf_counter()
            subprocess.run([os.path.join(BIN, "ansible"), "web", "-m", "ansible.builtin.ping"], cwd=ROOT, env=lab.env(),
                           stdout=subprocess.DEVNULL, check=True)
            figures.setdefault("baseline: ansible -m ping, web nodes", []).append(time.perf_counter() - start)
            elapsed, output = timed("rollback.yml", "-e", "routing_ml_gate=GA",
                                    "-e", '{"routing_ml_rollback_reason": "bench round %d"}' % number, **JSON)
            durations = plays(output)
            figures.setdefault("rollback.yml, whole run", []).append(elapsed)
            figures.setdefault("rollback: web nodes switch back (one play, all nodes at once)", []).append(
                durations["Rollback: web nodes switch back"])
            figures.setdefault("rollback: backend reinstall + SOP 6 (one host)", []).append(
                durations["Rollback: backend hosts reinstall the backup, one at a time"])
            figures.setdefault("rollback: plan + proof before any change", []).append(
                durations["Rollback: refuse early, lock, plan"] + durations["Rollback: prove every target before any host changes"])
            timed("unblock.yml", "-e", "routing_ml_gate=GA", "-e", '{"routing_ml_reason": "bench"}')
            elapsed, output = timed("deploy_ga.yml")
            figures.setdefault("baseline: deploy_ga.yml forward again (folders kept)", []).append(elapsed)
    finally:
        control.down(lab_dir)
        shutil.rmtree(lab_dir, ignore_errors=True)

    floor = statistics.median(figures["baseline: ansible -m ping, web nodes"])
    print("rollback, %d rounds, %d files, %d web nodes + 1 backend, medians (this machine: %d cores)" % (
        options.rounds, options.files, options.farm + options.dmz, os.cpu_count()))
    print("| what | median s | vs ping |")
    print("|---|---|---|")
    for name, values in figures.items():
        median = statistics.median(values)
        print("| %s | %.2f | %.1fx |" % (name, median, median / floor))


if __name__ == "__main__":
    main()

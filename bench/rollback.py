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

import datetime
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import BIN, JSON, ROOT, json_output, lab_arguments, lab_up, ping, release  # noqa: E402

OLD, NEW = "1.0.0", "2.0.0"


def seconds(duration):
    start, end = (datetime.datetime.fromisoformat(duration[key].replace("Z", "+00:00")) for key in ("start", "end"))
    return (end - start).total_seconds()


def plays(output):
    """``{play name: seconds}`` from the json callback's output."""
    # raw_decode: the lock callback's line follows the document.
    data = json_output(output)
    return dict((p["play"]["name"], seconds(p["play"]["duration"])) for p in data["plays"])


def prepare(lab, files):
    """Deploy OLD, then NEW, through Alpha, Beta and GA; returns ``{version: workspace}``."""
    workspaces = {}
    for version in (OLD, NEW):
        workspaces[version] = os.path.join(lab.dir, "release-" + version)
        release.build(workspaces[version], release.Options(version=version, date="2025-09-29", files=files))
        for gate in ("alpha", "beta", "ga"):
            rc, output, dummy = lab.playbook("deploy_%s.yml" % gate, "-e", "routing_ml_workspace=%s" % workspaces[version],
                                             "-e", "routing_ml_version=%s" % version)
            if rc:
                sys.exit("deploy %s %s failed:\n%s" % (gate, version, output[-3000:]))
    return workspaces


def runner(lab, workspaces):
    """``run(playbook, *args, **env) -> (seconds, output)``: a playbook of NEW, failing the bench when it fails."""
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
    return timed


def one_round(lab, number, figures, timed):
    """One round: ping, rollback.yml of NEW at GA, unblock, deploy_ga.yml of NEW again; adds to ``figures``."""
    figures.setdefault("baseline: ansible -m ping, web nodes", []).append(ping(lab, "web"))
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
    # The records were made with signatures off (prepare): verifying them needs the same setting.
    elapsed, output = timed("deploy_ga.yml")
    figures.setdefault("baseline: deploy_ga.yml forward again (folders kept)", []).append(elapsed)
    return output


def main():
    parser = lab_arguments(__doc__)
    options = parser.parse_args()

    figures = {}
    with lab_up("rml-bench-rollback-", farm=options.farm, dmz=options.dmz, backend=1) as lab:
        workspaces = prepare(lab, options.files)
        timed = runner(lab, workspaces)
        for number in range(options.rounds):
            one_round(lab, number, figures, timed)

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

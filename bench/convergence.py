#!/usr/bin/env python3
"""How long a deploy_ga.yml re-run takes on a healthy lab and on each kind of damage.

    ./dev bench convergence [--rounds 3] [--files 2000] [--farm 4] [--dmz 2]

Starts a lab of its own, deploys a sample release through Alpha, Beta and GA, then, round
after round, times deploy_ga.yml on the healthy lab (the baseline) and after each damage
below, interleaved, and prints medians and the ratio to the healthy re-run. Every repair
run must end rc 0 and report changed only on the damaged host (and on localhost, which
writes the share on the share host's behalf).
"""

from __future__ import annotations

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

from labtools import Lab, free_octet  # noqa: E402
from _harness import lab_arguments  # noqa: E402
from rml_lab import control, processes, release  # noqa: E402

VERSION = "9.9.9"


def damages(lab):
    hosts = lab.hosts
    share = os.path.join(hosts["nas1"]["share"], "releases", VERSION)

    def stop_service():
        processes.stop(hosts["backend1"]["service_pidfile"])

    def stop_nginx():
        subprocess.run(hosts["node1"]["nginx"] + ["-s", "quit"], check=True)

    def change_file():
        with open(os.path.join(hosts["node2"]["web_root"], "current", "index.html"), "ab") as handle:
            handle.write(b"<!-- changed -->")

    def delete_installer():
        os.unlink(os.path.join(share, "RoutingMLInstaller_%s.exe" % VERSION))

    return [
        ("backend service stopped", stop_service, {"backend1"}),
        ("nginx stopped on node1", stop_nginx, {"node1"}),
        ("live file changed on node2", change_file, {"node2"}),
        ("installer deleted on the share", delete_installer, {"localhost"}),
    ]


def main():
    parser = lab_arguments(__doc__)
    options = parser.parse_args()

    lab_dir = tempfile.mkdtemp(prefix="rml-bench-convergence-")
    state = control.up(lab_dir, free_octet(), farm=options.farm, dmz=options.dmz, backend=1, python=sys.executable)
    control.set_inventory_vars(lab_dir, routing_ml_approval_signatures="off")
    results = {}
    try:
        lab = Lab(lab_dir, state)
        workspace = os.path.join(lab_dir, "workspace")
        release.build(workspace, release.Options(version=VERSION, date="2025-09-29", files=options.files))
        extra = ["-e", "routing_ml_workspace=%s" % workspace, "-e", "routing_ml_version=%s" % VERSION]

        def run(gate="ga"):
            start = time.perf_counter()
            rc, output, counts = lab.playbook("deploy_%s.yml" % gate, *extra)
            elapsed = time.perf_counter() - start
            if rc:
                sys.exit("deploy_%s failed:\n%s" % (gate, output[-3000:]))
            return elapsed, set(h for h, c in counts.items() if c["changed"])

        for gate in ("alpha", "beta", "ga"):
            run(gate)
        scenarios = damages(lab)
        results = dict((name, []) for name in ["healthy re-run"] + [s[0] for s in scenarios])
        for dummy in range(options.rounds):
            elapsed, changed = run()
            if changed:
                sys.exit("a healthy re-run changed %s" % sorted(changed))
            results["healthy re-run"].append(elapsed)
            for name, damage, expected in scenarios:
                damage()
                elapsed, changed = run()
                if changed != expected:
                    sys.exit("%s: changed %s, expected %s" % (name, sorted(changed), sorted(expected)))
                results[name].append(elapsed)
    finally:
        control.down(lab_dir)
        shutil.rmtree(lab_dir, ignore_errors=True)

    base = statistics.median(results["healthy re-run"])
    print("deploy_ga.yml re-run: %d files, %d web nodes + 1 backend, %d rounds; baseline: the healthy re-run"
          % (options.files, options.farm + options.dmz, options.rounds))
    print("%-34s %10s %14s" % ("lab state before the run", "median s", "vs healthy"))
    for name, times in results.items():
        median = statistics.median(times)
        print("%-34s %10.2f %13.2fx" % (name, median, median / base))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Deploying the ~2,000-file frontend bundle to the lab's web nodes.

    ./dev bench frontend [--rounds 3] [--files 2000] [--farm 4] [--dmz 2]

Starts a lab of its own, builds a sample release, and measures, interleaved round after
round, the median wall time of:

  frontend role      ansible-playbook running the frontend role on every web node
                     (stage, mirror with rsync over SSH, verify against the manifest, switch)
  raw rsync          rsync -a --delete over the same SSH hosts, all nodes in parallel: the
                     baseline (copies only; no verification, no switch)
  no-op playbook     the same hosts running as many no-op tasks as the role: Ansible's fixed
                     overhead
  copy (extrap.)     ansible.builtin.copy of a directory of --copy-files files to one node,
                     extrapolated to the bundle's size

each for a first deploy (empty release folder) and an unchanged re-deploy.
"""

from __future__ import annotations

import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import BIN, lab_arguments, lab_up, medians, recap, release, rsync_all, timed, web_hosts  # noqa: E402

VERSION = "9.9.9"


def measure(files=2000, farm=4, dmz=2, rounds=3, copy_files=40, extras=True):
    """The figures of this bench on a lab of its own: ``(medians, tasks_per_host, web nodes,
    changed on re-deploy)``; ``extras=False`` leaves out the no-op and copy runs."""
    with lab_up("rml-bench-frontend-", farm=farm, dmz=dmz, backend=0) as lab:
        lab_dir = lab.dir
        workspace = os.path.join(lab_dir, "workspace")
        release.build(workspace, release.Options(version=VERSION, files=files))
        env = lab.env()
        extra = ["-e", "routing_ml_workspace=%s" % workspace, "-e", "routing_ml_version=%s" % VERSION,
                 "-e", "routing_ml_share_root=/nonexistent"]
        web = web_hosts(lab)
        staging = os.path.join(workspace, ".stage", "frontend", VERSION)

        def reset():
            for host in web:
                for name in ("releases/%s" % VERSION, "rsync-bench", "copy-bench"):
                    shutil.rmtree(os.path.join(host["web_root"], name), ignore_errors=True)
                try:
                    os.unlink(os.path.join(host["web_root"], "current"))
                except FileNotFoundError:
                    pass

        def role():
            elapsed, output = timed([os.path.join(BIN, "ansible-playbook"), "bench/frontend_role.yml",
                                     "--skip-tags", "overhead"] + extra, env)
            counts = recap(output)
            return elapsed, counts

        def rsync():
            return rsync_all(lab, staging, web, "rsync-bench")

        role()  # unpacks the bundle once into the controller cache, as any real run would
        reset()
        tasks_per_host = max(c["ok"] + c["skipped"] for h, c in role()[1].items() if h != "localhost")
        subset = os.path.join(lab_dir, "copy-subset")
        os.makedirs(subset)
        for name in sorted(os.listdir(os.path.join(staging, "assets")))[:copy_files]:
            shutil.copy(os.path.join(staging, "assets", name), subset)

        results = dict((key, []) for key in ("role first", "role again", "rsync first", "rsync again",
                                              "no-op playbook", "copy subset first"))
        counts_first = counts_again = None
        for dummy in range(rounds):
            reset()
            elapsed, counts_first = role()
            results["role first"].append(elapsed)
            elapsed, counts_again = role()
            results["role again"].append(elapsed)
            results["rsync first"].append(rsync())
            results["rsync again"].append(rsync())
            if not extras:
                continue
            results["no-op playbook"].append(timed(
                [os.path.join(BIN, "ansible-playbook"), "bench/frontend_role.yml", "--tags", "overhead",
                 "-e", "routing_ml_bench_tasks=%d" % tasks_per_host] + extra, env)[0])
            results["copy subset first"].append(timed(
                [os.path.join(BIN, "ansible-playbook"), "bench/copy_subset.yml",
                 "-e", "routing_ml_bench_src=%s" % subset] + extra, env)[0])
    changed_again = sum(c["changed"] for c in counts_again.values())
    return medians(results), tasks_per_host, len(web), changed_again


def main():
    parser = lab_arguments(__doc__)
    parser.add_argument("--copy-files", type=int, default=40)
    options = parser.parse_args()

    med, tasks_per_host, web, changed_again = measure(options.files, options.farm, options.dmz, options.rounds,
                                                       options.copy_files)
    copy_extrapolated = med["copy subset first"] / options.copy_files * options.files
    print("frontend bundle: %d files to %d web nodes, %d rounds; baseline: raw rsync -a --delete over SSH"
          % (options.files, web, options.rounds))
    print("%-28s %10s %12s" % ("method", "median s", "vs rsync"))
    for key in ("role first", "rsync first", "role again", "rsync again", "no-op playbook"):
        base = med["rsync first"] if "first" in key or key == "no-op playbook" else med["rsync again"]
        print("%-28s %10.2f %11.1fx" % (key, med[key], med[key] / base))
    print("%-28s %10.1f   (one node; %d files took %.2f s)" % ("copy, extrapolated", copy_extrapolated,
                                                              options.copy_files, med["copy subset first"]))
    print()
    print("tasks per host: %d (first deploy), changed on re-deploy: %d" % (tasks_per_host, changed_again))
    overhead = med["no-op playbook"]
    print("goals:")
    print("  first deploy <= 1.5 x rsync + fixed overhead: %.2f s <= %.2f s (1.5 x %.2f + %.2f)  %s" % (
        med["role first"], 1.5 * med["rsync first"] + overhead, med["rsync first"], overhead,
        "met" if med["role first"] <= 1.5 * med["rsync first"] + overhead else "NOT met"))
    print("  >= 10x faster than copy to one node: %.1fx  %s" % (
        copy_extrapolated / med["role first"], "met" if copy_extrapolated >= 10 * med["role first"] else "NOT met"))
    print("  unchanged re-deploy changed=0 and <= 25%% of the first: changed=%d, %.0f%%  %s" % (
        changed_again, 100 * med["role again"] / med["role first"],
        "met" if changed_again == 0 and med["role again"] <= 0.25 * med["role first"] else "NOT met"))


if __name__ == "__main__":
    main()

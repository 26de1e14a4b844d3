#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Every speed figure of the collection in one run, each next to its baseline from the same run.

    ./dev bench all [--rounds 3] [--quick] [--json FILE] [--only PART ...] [--nodes N ...]

Starts labs of its own (lab/rml_lab on a free octet; each stopped at the end, also when a run
fails) and measures, as medians of --rounds rounds:

  deploy_beta      a full deploy_beta.yml first run (the version new on the stage's web nodes
                   but node1, which deploy_alpha.yml, run first as the gate order wants,
                   gave it) and its unchanged
                   re-run (changed=0 checked), at 4, 8 and 16 web nodes in stage_beta; each
                   round deploys a version of its own. Baselines: raw ``rsync -a --delete`` of
                   the unpacked bundle to the same web nodes at once (into an empty folder,
                   then unchanged), and ``ansible stage_beta -m ping`` (Ansible's floor)
  rollback         bench/rollback.py's rounds: rollback.yml at GA, the web nodes' switch back
                   (one play, all at once, and per host) and the backend's reinstall; against
                   ping and the forward re-deploy
  bundles          the frontend role alone (bench/frontend.py) with bundles of 500, 2,000 and
                   8,000 files to 8 web nodes, first and unchanged, against raw rsync; at
                   2,000 files also the no-op playbook and ansible.builtin.copy (extrapolated)
  hashing          bench/hashing.py's figures against ``openssl dgst -sha256``

and the budgets (tasks and SSH connections per host, per kind of host; bench/_harness.py
says how they are counted) of every deploy_beta first run, re-run and rollback.

Every ansible run here starts with a fresh ControlMaster folder (as a fresh AWX job does), so
its SSH connections are its own; timings therefore include the connection set-up.

--only hashing|bundles|deploy_beta|rollback measures that part alone (repeatable); --nodes N
sets the deploy_beta sizes (repeatable; default 4, 8 and 16).

--quick: 4 web nodes, 500 files, one round, a smaller rollback lab and a 64 MiB hash: a smoke
run of every part, not figures to quote.
"""

from __future__ import absolute_import, division, print_function

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness as harness  # noqa: E402
import frontend  # noqa: E402
import rollback  # noqa: E402


PARTS = ("hashing", "bundles", "deploy_beta", "rollback")


def machine():
    with open("/proc/meminfo") as handle:
        kib = int(re.search(r"MemTotal:\s+(\d+)", handle.read()).group(1))
    return "%d cores (nproc), %.1f GiB RAM, %s UTC" % (os.cpu_count(), kib / 1024.0 / 1024.0,
                                                      datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"))


class Table(object):
    def __init__(self):
        self.rows = []
        self.budgets = []

    def add(self, what, seconds, baseline=None, baseline_seconds=None, floor_seconds=None):
        self.rows.append((what, seconds, baseline, baseline_seconds, floor_seconds))

    def budget(self, run_name, run):
        for kind in harness.KINDS:
            entry = run.by_kind().get(kind)
            if entry:
                self.budgets.append((run_name, kind, entry["hosts"], entry["tasks"], entry["ssh"]))

    def print(self, out=sys.stdout):
        out.write("| what | median s | baseline | baseline s | ratio | ansible -m ping s | vs ping |\n")
        out.write("|---|---|---|---|---|---|---|\n")
        for what, seconds, baseline, base, floor in self.rows:
            out.write("| %s | %s | %s | %s | %s | %s | %s |\n" % (
                what, "%.2f" % seconds if seconds is not None else "",
                baseline or "", "%.2f" % base if base else "", "%.2fx" % (seconds / base) if base and seconds else "",
                "%.2f" % floor if floor else "", "%.1fx" % (seconds / floor) if floor and seconds else ""))
        out.write("\nbudgets (max per host of each kind; tasks = ok+failures+skipped+rescued+unreachable,"
                  " ssh = connections its sshd accepted)\n\n")
        out.write("| run | host kind | hosts | tasks per host | SSH connections per host |\n|---|---|---|---|---|\n")
        for run_name, kind, hosts, tasks, ssh in self.budgets:
            out.write("| %s | %s | %d | %d | %s |\n" % (run_name, kind, hosts, tasks, "" if ssh is None else ssh))


def beta_web_names(lab):
    """The web nodes of stage_beta, as inventory/lab/hosts.py chooses them."""
    farm = [h["name"] for h in lab.state["hosts"] if h["group"] == "iis_farm"]
    dmz = [h["name"] for h in lab.state["hosts"] if h["group"] == "dmz_nginx"]
    return farm[:max(1, len(farm) // 2)] + dmz[:1]


def scale(table, nodes, files, rounds, log):
    """deploy_beta first run and re-run with ``nodes`` web nodes in stage_beta; returns the first-run median."""
    # stage_beta is half the farm and the first DMZ node: 2 * (nodes - 1) farm nodes and one DMZ node.
    with harness.lab_up("rml-bench-all-", farm=2 * (nodes - 1), dmz=1, backend=1) as lab:
        names = beta_web_names(lab)
        web = [h for h in harness.web_hosts(lab) if h["name"] in names]
        assert len(web) == nodes, names
        results = dict((key, []) for key in ("first", "again", "rsync first", "rsync again", "ping"))
        for number in range(rounds):
            version = "1.%d.0" % number
            workspace = os.path.join(lab.dir, "release-" + version)
            harness.release.build(workspace, harness.release.Options(version=version, date="2025-09-29", files=files))
            alpha = harness.measured(lab, harness.deploy_args(workspace, version, "alpha"))
            first = harness.measured(lab, harness.deploy_args(workspace, version, "beta"))
            # The Alpha node (node1) already serves the version; every other web node of Beta gets it now.
            missing = set(names) - alpha.changed() - first.changed()
            if missing:
                sys.exit("deploy_beta %s left %s unchanged" % (version, sorted(missing)))
            again = harness.measured(lab, harness.deploy_args(workspace, version, "beta"))
            if again.changed():
                sys.exit("the unchanged re-run of deploy_beta %s changed %s" % (version, sorted(again.changed())))
            results["first"].append(first.elapsed)
            results["again"].append(again.elapsed)
            staging = os.path.join(workspace, ".stage", "frontend", version)
            for host in web:
                shutil.rmtree(os.path.join(host["web_root"], "rsync-bench"), ignore_errors=True)
            results["rsync first"].append(harness.rsync_all(lab, staging, web, "rsync-bench"))
            results["rsync again"].append(harness.rsync_all(lab, staging, web, "rsync-bench"))
            results["ping"].append(harness.ping(lab, "stage_beta", cold=True))
            log("  deploy_beta %d nodes round %d: first %.1f s, again %.1f s" % (nodes, number + 1, first.elapsed,
                                                                                  again.elapsed))
    med = harness.medians(results)
    table.add("deploy_beta first run, %d web nodes + backend, %d files" % (nodes, files), med["first"],
              "raw rsync, same %d nodes, empty" % nodes, med["rsync first"], med["ping"])
    table.add("deploy_beta unchanged re-run (changed=0), %d web nodes" % nodes, med["again"],
              "raw rsync, same nodes, unchanged", med["rsync again"], med["ping"])
    table.budget("deploy_beta first run, %d web nodes" % nodes, first)
    table.budget("deploy_beta unchanged re-run, %d web nodes" % nodes, again)
    return med["first"], med["again"]


def rollbacks(table, files, farm, dmz, rounds, log):
    """bench/rollback.py's rounds; every run measured (time and budgets)."""
    figures = {}
    runs = {}
    with harness.lab_up("rml-bench-all-rollback-", farm=farm, dmz=dmz, backend=1) as lab:
        workspaces = rollback.prepare(lab, files)
        common = ["-e", "routing_ml_workspace=%s" % workspaces[rollback.NEW], "-e", "routing_ml_version=%s" % rollback.NEW]

        def timed(name, *args, **env):
            run = harness.measured(lab, [harness.playbook(name)] + common + list(args))
            runs[name] = run
            return run.elapsed, run.output

        for number in range(rounds):
            rollback.one_round(lab, number, figures, timed)
            log("  rollback round %d: %.1f s" % (number + 1, figures["rollback.yml, whole run"][-1]))
        web = len(harness.web_hosts(lab))
    med = harness.medians(figures)
    ping = med["baseline: ansible -m ping, web nodes"]
    forward = med["baseline: deploy_ga.yml forward again (folders kept)"]
    table.add("rollback.yml at GA, whole run, %d web nodes + backend" % web, med["rollback.yml, whole run"],
              "deploy_ga.yml forward again", forward, ping)
    switch = med["rollback: web nodes switch back (one play, all nodes at once)"]
    table.add("rollback: web nodes switch back, one play, %d nodes at once" % web, switch, None, None, ping)
    table.add("rollback: switch back per web node (the play / %d)" % web, switch / web)
    table.add("rollback: backend reinstall + SOP 6, one host", med["rollback: backend reinstall + SOP 6 (one host)"],
              None, None, ping)
    table.add("rollback: plan + proof before any change", med["rollback: plan + proof before any change"], None, None, ping)
    table.budget("rollback.yml at GA", runs["rollback.yml"])


def bundles(table, sizes, nodes, rounds, log):
    tasks = {}
    for files in sizes:
        extras = files == 2000 or len(sizes) == 1
        med, per_host, web, changed = frontend.measure(files=files, farm=nodes - 2, dmz=2, rounds=rounds, extras=extras)
        if changed:
            sys.exit("the frontend role's re-deploy of %d files changed %d tasks" % (files, changed))
        tasks[files] = per_host
        log("  bundle %d files: first %.1f s" % (files, med["role first"]))
        table.add("frontend role first deploy, %d files, %d nodes" % (files, web), med["role first"],
                  "raw rsync, empty", med["rsync first"])
        table.add("frontend role unchanged re-deploy, %d files, %d nodes" % (files, web), med["role again"],
                  "raw rsync, unchanged", med["rsync again"])
        if extras:
            table.add("no-op playbook, as many tasks as the role (%d), %d nodes" % (per_host, web),
                      med["no-op playbook"], "raw rsync, empty", med["rsync first"])
            table.add("ansible.builtin.copy to one node, extrapolated to %d files" % files,
                      med["copy subset first"] / 40 * files, "frontend role first deploy", med["role first"])
    for files, count in sorted(tasks.items()):
        table.budgets.append(("frontend role alone, first deploy, %d files (ok+skipped)" % files, "web node", nodes, count, None))
    return tasks


def hashing(table, size_mib, rounds):
    completed = subprocess.run([sys.executable, os.path.join(harness.ROOT, "bench", "hashing.py"), "--size-mib",
                                str(size_mib), "--rounds", str(rounds)], cwd=harness.ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, universal_newlines=True, check=False)
    if completed.returncode:
        sys.exit("bench/hashing.py failed:\n%s%s" % (completed.stdout[-2000:], completed.stderr[-3000:]))
    output = completed.stdout
    figures = dict((m.group(1), float(m.group(2)))
                   for m in re.finditer(r"^(module_utils|module|ansible ad-hoc|openssl dgst|sha256sum)\s+([0-9.]+)\s",
                                        output, re.M))
    for name in ("module_utils", "module", "ansible ad-hoc", "sha256sum"):
        table.add("SHA256 of %d MiB: %s" % (size_mib, name), figures[name], "openssl dgst -sha256", figures["openssl dgst"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--quick", action="store_true", help="fewer sizes and rounds: a smoke run")
    parser.add_argument("--json", help="also write the table and budgets to this file")
    parser.add_argument("--only", action="append", choices=PARTS,
                        help="measure only this part (repeatable); default: every part")
    parser.add_argument("--nodes", type=int, action="append", help="deploy_beta at this many web nodes (repeatable)")
    options = parser.parse_args()
    quick = options.quick
    parts = options.only or PARTS
    rounds = options.rounds or (1 if quick else 3)
    nodes = tuple(options.nodes or ((4,) if quick else (4, 8, 16)))
    deploy_files = 500 if quick else 2000
    sizes = (500,) if quick else (500, 2000, 8000)

    def log(message):
        sys.stderr.write(message + "\n")
        sys.stderr.flush()

    started = datetime.datetime.utcnow()
    table = Table()
    if "hashing" in parts:
        log("hashing")
        hashing(table, 64 if quick else 1024, rounds if quick else 5)
    if "bundles" in parts:
        log("bundles at 8 web nodes: %s files" % ", ".join(str(s) for s in sizes))
        bundles(table, sizes, 8, rounds, log)
    firsts = {}
    for count in nodes if "deploy_beta" in parts else ():
        log("deploy_beta at %d web nodes" % count)
        firsts[count] = scale(table, count, deploy_files, rounds, log)
    if 4 in firsts and 16 in firsts:
        table.add("deploy_beta first run, 16 web nodes vs 4", firsts[16][0], "the same at 4 web nodes", firsts[4][0])
        table.add("deploy_beta unchanged re-run, 16 web nodes vs 4", firsts[16][1], "the same at 4 web nodes", firsts[4][1])
    if "rollback" in parts:
        log("rollback")
        if quick:
            rollbacks(table, 300, 2, 1, rounds, log)
        else:
            rollbacks(table, 2000, 4, 2, rounds, log)

    print("routing_ml.deploy bench all%s: %d round(s), medians; %s; took %d min" % (
        " --quick" if quick else "", rounds, machine(), (datetime.datetime.utcnow() - started).total_seconds() // 60))
    print()
    table.print()
    if options.json:
        with open(options.json, "w") as handle:
            json.dump({"machine": machine(), "rounds": rounds, "quick": quick, "rows": table.rows,
                       "budgets": table.budgets}, handle, indent=1)


if __name__ == "__main__":
    main()

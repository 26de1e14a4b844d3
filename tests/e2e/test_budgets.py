# -*- coding: utf-8 -*-
"""Budgets measured, not timed: tasks and SSH connections per host, per kind of host and run.

On a small lab (2 farm nodes, 1 DMZ node, 1 backend) deploy_alpha.yml deploys 1.0.0 (100
files), then 2.0.0 (300 files) over it: the first run; then 2.0.0 again: the unchanged
re-run; then rollback.yml at Alpha takes 2.0.0 back to 1.0.0: the rollback. Each run's
tasks per host and SSH connections per host (bench/_harness.py says how both are counted)
are checked against bench/budgets.json: a change that adds per-host or per-file work fails
here, naming the kind of host, the run, and the measured and budgeted counts. A change that
lowers a count should lower the file too (RML_BUDGETS_WRITE=1 writes today's counts).

The web nodes' task count must not grow with the bundle's file count: 100 files and 300
files give the same count.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest

from labtools import ROOT, running_lab
from rml_lab import release

sys.path.insert(0, os.path.join(ROOT, "bench"))

import _harness as harness  # noqa: E402  pylint: disable=wrong-import-position

OLD, NEW = "1.0.0", "2.0.0"
BUDGETS = os.path.join(ROOT, "bench", "budgets.json")
RUNS = ("first", "rerun", "rollback")


def load_budgets():
    with open(BUDGETS) as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``{run: {kind: {"tasks": n, "ssh": n, "hosts": n}}}`` plus the runs themselves; the lab is down after.
    A fresh lab: the first run is measured on hosts that never had a release."""
    measured = {}
    with running_lab(str(tmp_path_factory.mktemp("budgets-lab")), farm=2, dmz=1, backend=1) as lab:
        workspaces = {}
        for version, files in ((OLD, 100), (NEW, 300)):
            workspaces[version] = str(tmp_path_factory.mktemp("release-" + version))
            release.build(workspaces[version], release.Options(version=version, date="2025-09-29", files=files))

        def run(name, command):
            result = harness.measured(lab, command, check=False)
            assert result.rc == 0, "%s: rc %d\n%s" % (name, result.rc, result.output[-5000:])
            measured[name] = result

        run("fresh", harness.deploy_args(workspaces[OLD], OLD, "alpha"))
        run("first", harness.deploy_args(workspaces[NEW], NEW, "alpha"))
        run("rerun", harness.deploy_args(workspaces[NEW], NEW, "alpha"))
        run("rollback", [harness.playbook("rollback.yml"), "-e", "routing_ml_workspace=%s" % workspaces[NEW],
                         "-e", "routing_ml_version=%s" % NEW, "-e", "routing_ml_gate=Alpha",
                         "-e", '{"routing_ml_rollback_reason": "budget test"}'])
    if os.environ.get("RML_BUDGETS_WRITE") == "1":
        budgets = load_budgets()
        budgets["budgets"] = dict((name, dict((kind, {"tasks": e["tasks"], "ssh": e["ssh"]})
                                              for kind, e in sorted(measured[name].by_kind().items())))
                                  for name in RUNS)
        with open(BUDGETS, "w") as handle:
            json.dump(budgets, handle, indent=2, sort_keys=False, ensure_ascii=False)
            handle.write("\n")
    return measured


def test_counts_within_budget(runs):
    budgets = load_budgets()["budgets"]
    problems = []
    for name in RUNS:
        for kind, entry in sorted(runs[name].by_kind().items()):
            budget = budgets.get(name, {}).get(kind)
            if budget is None:
                problems.append("%s, %s run: no budget in %s (measured %d tasks, %d SSH connections per host)"
                                % (kind, name, BUDGETS, entry["tasks"], entry["ssh"]))
                continue
            for key, what in (("tasks", "tasks per host"), ("ssh", "SSH connections per host")):
                if entry[key] > budget[key]:
                    problems.append("%s, %s run: %d %s measured, budget %d" % (kind, name, entry[key], what, budget[key]))
    assert not problems, "over budget (bench/budgets.json):\n" + "\n".join(problems)


def test_rerun_changes_nothing(runs):
    assert runs["rerun"].changed() == set(), runs["rerun"].counts


def test_web_node_tasks_do_not_grow_with_files(runs):
    # 1.0.0 has 100 files, 2.0.0 300: the same work per web node.
    fresh, first = (runs[name].by_kind()["web node"] for name in ("fresh", "first"))
    assert first["tasks"] == fresh["tasks"], "web node tasks: %d with 100 files, %d with 300" % (fresh["tasks"], first["tasks"])
    assert first["ssh"] == fresh["ssh"], "web node SSH connections: %d with 100 files, %d with 300" % (fresh["ssh"], first["ssh"])

# -*- coding: utf-8 -*-
"""Shared helpers for the benches and tests/e2e/test_budgets.py: labs of their own, timed
runs, and the two budgets that do not depend on the machine's speed.

Budgets, per host and per run:

  tasks   task results the host got in the run, each task once (a loop is one task), from
          Ansible's own per-host stats (the json callback's ``stats``, the same numbers as
          the PLAY RECAP): ok + failures + skipped + rescued + unreachable. ``ok`` already
          counts the changed and the ignored results, so they are not added again; a
          skipped task is counted, since it still costs a worker per host. Includes
          (include_role, include_tasks) count as one task, as the recap counts them.
  ssh     SSH connections the host's sshd accepted during the run: the ``Accepted``
          lines its log (``sshd -E <log>``) gained between the run's start and its end.
          Each measured run gets a fresh ControlMaster folder, so a master left by an
          earlier run (ControlPersist) cannot hide a connection: the count is that of a
          run from a cold controller, as under AWX.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _path in (os.path.join(ROOT, "lab"), os.path.join(ROOT, "tests", "e2e")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from labtools import BIN, Lab, free_octet, recap  # noqa: E402,F401  pylint: disable=wrong-import-position
from rml_lab import control, release, sshd  # noqa: E402,F401  pylint: disable=wrong-import-position

JSON = {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json"}
KINDS = ("web node", "backend host", "share host", "controller")


def lab_arguments(doc, files=2000, farm=4, dmz=2):
    """The options every lab benchmark takes (rounds, bundle size, farm and DMZ sizes)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--files", type=int, default=files)
    parser.add_argument("--farm", type=int, default=farm)
    parser.add_argument("--dmz", type=int, default=dmz)
    return parser


@contextlib.contextmanager
def lab_up(prefix, farm, dmz, backend):
    """A lab of its own on a free octet, in a temporary folder; always stopped and removed."""
    lab_dir = tempfile.mkdtemp(prefix=prefix)
    try:
        state = control.up(lab_dir, free_octet(), farm=farm, dmz=dmz, backend=backend, python=sys.executable)
        # Benchmarks record their gates unsigned, as the lab's inventory says (never an extra variable).
        control.set_inventory_vars(lab_dir, routing_ml_approval_signatures="off")
        yield Lab(lab_dir, state)
    finally:
        control.down(lab_dir)
        shutil.rmtree(lab_dir, ignore_errors=True)


def timed(command, env, cwd=ROOT):
    """Run a command; ``(seconds, output)``; exits the bench with the output's tail when it fails."""
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode:
        sys.exit("%s failed:\n%s" % (" ".join(command[:3]), completed.stdout[-3000:]))
    return elapsed, completed.stdout


def medians(results):
    return dict((key, statistics.median(values)) for key, values in results.items() if values)


def json_output(output):
    """The json callback's document (the lock callback's line may follow it)."""
    data, dummy = json.JSONDecoder().raw_decode(output[output.index("{"):])
    return data


def tasks_from_stats(stats):
    """``{host: tasks}``: see the module docstring for what is counted."""
    return dict((host, sum(c.get(key, 0) for key in ("ok", "failures", "skipped", "rescued", "unreachable")))
                for host, c in stats.items())


def host_kind(lab, name):
    """The kind of host a budget is kept for."""
    if name == "localhost":
        return "controller"
    group = lab.hosts[name]["group"]
    return {"iis_farm": "web node", "dmz_nginx": "web node", "backend": "backend host", "nas": "share host"}[group]


def sshd_logs(lab):
    return dict((h["name"], sshd.paths(h["dir"])["log"]) for h in lab.state["hosts"])


def log_sizes(lab):
    sizes = {}
    for name, path in sshd_logs(lab).items():
        try:
            sizes[name] = os.path.getsize(path)
        except OSError:
            sizes[name] = 0
    return sizes


def accepted_since(lab, sizes):
    """``{host: SSH connections accepted}`` since ``sizes`` (from log_sizes)."""
    counts = {}
    for name, path in sshd_logs(lab).items():
        try:
            with open(path, "rb") as handle:
                handle.seek(sizes.get(name, 0))
                text = handle.read().decode("utf-8", "replace")
        except OSError:
            text = ""
        counts[name] = sum(1 for line in text.splitlines() if "Accepted " in line)
    return counts


class Run(object):
    """One measured run: seconds, rc, output, ``counts`` (the recap), ``tasks`` and ``ssh`` per host."""

    def __init__(self, lab, elapsed, rc, output, stats, ssh):
        self.lab = lab
        self.elapsed = elapsed
        self.rc = rc
        self.output = output
        self.counts = stats
        self.tasks = tasks_from_stats(stats)
        self.ssh = ssh

    def changed(self):
        return set(h for h, c in self.counts.items() if c.get("changed"))

    def by_kind(self):
        """``{kind: {"tasks": max, "ssh": max, "hosts": n}}`` over the hosts of each kind in the run."""
        kinds = {}
        for host in set(self.tasks) | set(h for h, n in self.ssh.items() if n):
            kind = host_kind(self.lab, host)
            entry = kinds.setdefault(kind, {"tasks": 0, "ssh": 0, "hosts": 0})
            entry["tasks"] = max(entry["tasks"], self.tasks.get(host, 0))
            entry["ssh"] = max(entry["ssh"], self.ssh.get(host, 0))
            entry["hosts"] += 1
        return kinds


def measured(lab, command, check=True, root=ROOT, program="ansible-playbook", env=None):
    """Run an ansible-playbook command (a list, after the program) against the lab with the json
    callback and a fresh ControlMaster folder; returns a Run.

    ``root``: the checkout whose ansible.cfg (and so collection) the run uses, and where it
    runs; ``program``: ``ansible`` for an ad-hoc command; ``env``: more environment."""
    control_dir = tempfile.mkdtemp(prefix="rml-cp-")
    try:
        env = lab.env(ANSIBLE_SSH_CONTROL_PATH_DIR=control_dir, ANSIBLE_CONFIG=os.path.join(root, "ansible.cfg"),
                      **dict(JSON, **(env or {})))
        sizes = log_sizes(lab)
        start = time.perf_counter()
        completed = subprocess.run([os.path.join(BIN, program)] + list(command), cwd=root, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                                   check=False)
        elapsed = time.perf_counter() - start
        ssh = accepted_since(lab, sizes)
    finally:
        close_masters(control_dir)
    try:
        stats = json_output(completed.stdout)["stats"]
    except (ValueError, KeyError):
        stats = {}
    run = Run(lab, elapsed, completed.returncode, completed.stdout, stats, ssh)
    if check and (run.rc or not stats):
        sys.exit("%s %s failed (rc %d):\n%s" % (program, " ".join(command[:1]), run.rc, completed.stdout[-3000:]))
    return run


def close_masters(control_dir):
    """Stop the ControlMaster processes a run left (ControlPersist), then remove their folder."""
    for name in os.listdir(control_dir) if os.path.isdir(control_dir) else []:
        subprocess.run(["ssh", "-o", "ControlPath=%s" % os.path.join(control_dir, name), "-O", "exit", "dummy"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    shutil.rmtree(control_dir, ignore_errors=True)


def playbook(name):
    return os.path.join(ROOT, "playbooks", name)


def deploy_args(workspace, version, gate):
    return [playbook("deploy_%s.yml" % gate), "-e", "routing_ml_workspace=%s" % workspace,
            "-e", "routing_ml_version=%s" % version]


def web_hosts(lab):
    return [h for h in lab.state["hosts"] if "web_root" in h]


def ssh_command(lab):
    """The ssh command rsync uses to reach the lab's hosts (the lab's key and known_hosts)."""
    state = lab.state
    return "ssh -p 2222 -i %s -o IdentitiesOnly=yes -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes" % (
        state["ssh"]["key"], state["ssh"]["known_hosts"])


def rsync_all(lab, source, hosts, dest):
    """Raw ``rsync -a --delete`` of ``source`` to ``<web_root>/<dest>`` on every host at once; seconds."""
    start = time.perf_counter()
    procs = [subprocess.Popen(["rsync", "-a", "--delete", "-e", ssh_command(lab), source.rstrip("/") + "/",
                               "%s@%s:%s/%s/" % (lab.state["user"], h["address"], h["web_root"], dest)])
             for h in hosts]
    if any(p.wait() for p in procs):
        sys.exit("rsync failed")
    return time.perf_counter() - start


def ping(lab, pattern, cold=False):
    """``ansible PATTERN -m ping``: Ansible's floor for one task on those hosts; seconds.
    ``cold``: with a fresh ControlMaster folder, as measured() runs."""
    control_dir = tempfile.mkdtemp(prefix="rml-cp-") if cold else None
    env = lab.env(ANSIBLE_SSH_CONTROL_PATH_DIR=control_dir) if cold else lab.env()
    try:
        start = time.perf_counter()
        subprocess.run([os.path.join(BIN, "ansible"), pattern, "-m", "ansible.builtin.ping"], cwd=ROOT, env=env,
                       stdout=subprocess.DEVNULL, check=True)
        return time.perf_counter() - start
    finally:
        if control_dir:
            close_masters(control_dir)

# -*- coding: utf-8 -*-
"""Helpers for the end-to-end tests: the lab and ansible run against it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "lab"))

from rml_lab import control, processes, signing, topology  # noqa: E402  pylint: disable=wrong-import-position

BIN = os.path.dirname(sys.executable)


def _octets():
    """The lab octets this pytest process may use: under pytest-xdist each worker has its own
    range, so that two workers never pick the same free octet at the same moment."""
    # Two pytest runs at once on one machine (two developers' loops) each take a range.
    first, _, last = (os.environ.get("RML_TEST_OCTETS", "") or "20-249").partition("-")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    width = (int(last) + 1 - int(first)) // max(count, 1)
    return range(int(first) + index * width, int(first) + (index + 1) * width)


def free_octet():
    """A lab octet nobody listens on (the README's lab uses 10)."""
    for octet in _octets():
        if not processes.port_open("127.0.%d.10" % octet, topology.SSH_PORT):
            return octet
    raise RuntimeError("no free 127.0.N.0/24 for a test lab")


class Lab(object):
    def __init__(self, directory, state):
        self.dir = directory
        self.state = state
        self.hosts = dict((h["name"], h) for h in state["hosts"])

    def env(self, **extra):
        env = dict(os.environ, ROUTING_ML_LAB_DIR=self.dir, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
                   ANSIBLE_HOST_KEY_CHECKING="True", ANSIBLE_LOCAL_TEMP=os.path.join(self.dir, "ansible-tmp"))
        env["PATH"] = BIN + os.pathsep + env["PATH"]
        env.update(extra)
        return env

    def ansible(self, pattern, module, args="", check=True, extra=(), **env):
        """Run an ad-hoc module; returns ``{host: result}`` from the JSON callback."""
        command = [os.path.join(BIN, "ansible"), pattern, "-m", module] + list(extra)
        if args:
            command += ["-a", args]
        completed = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=self.env(ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                                                ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", **env),
                                   universal_newlines=True, check=False)
        try:
            results = json.loads(completed.stdout)["plays"][0]["tasks"][0]["hosts"]
        except (ValueError, KeyError, IndexError):
            raise AssertionError("ansible gave no results: %s %s" % (completed.stdout[-2000:], completed.stderr[-2000:]))
        if check:
            bad = dict((h, r) for h, r in results.items() if r.get("failed") or r.get("unreachable"))
            assert not bad, json.dumps(bad, indent=1)[:3000]
        return results

    def playbook(self, name, *args, **env):
        """Run playbooks/<name>; returns ``(rc, output, recap)`` with recap ``{host: counts}``."""
        command = [os.path.join(BIN, "ansible-playbook"), os.path.join(ROOT, "playbooks", name)] + list(args)
        completed = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   env=self.env(**env), universal_newlines=True, check=False)
        return completed.returncode, completed.stdout, recap(completed.stdout)


def sign_and_record(lab, workspace, version, gate, *args):
    """The approver's part of a gate, as `./dev run` does it: sign the statement the deployment
    run wrote with the lab's key of the gate's sample approver, then record the gate."""
    signing.sign_statement(lab.dir, workspace, version, gate)
    return lab.playbook("record_gate.yml", "-e", "routing_ml_workspace=%s" % workspace,
                        "-e", "routing_ml_version=%s" % version, "-e", "routing_ml_gate=%s" % gate, *args)


def recap(output):
    """``{host: {"ok": n, "changed": n, ...}}`` from the PLAY RECAP of ansible-playbook's output."""
    counts = {}
    for line in output.split("PLAY RECAP")[-1].splitlines()[1:]:
        if not line.strip():
            break  # the recap ends at its blank line; what a run prints after it is not the recap
        parts = line.split(":", 1)
        if len(parts) == 2 and "=" in parts[1]:
            counts[parts[0].strip()] = dict((k, int(v)) for k, v in (p.split("=") for p in parts[1].split()))
    return counts


@contextlib.contextmanager
def running_lab(directory, **counts):
    """A lab of the given size in ``directory``, taken down afterwards."""
    sizes = dict(dict(farm=4, dmz=2, backend=1), **counts)
    try:
        # Inside the try: a start that fails half-way is taken down too.
        state = control.up(directory, free_octet(), python=sys.executable, **sizes)
        yield Lab(directory, state)
    finally:
        control.down(directory)


class Snapshot(object):
    """A lab's state on disk - every host's folder tree, the deploy locks - and the release
    workspaces given, copied aside so that ``restore`` puts all of it back as it was.

    The lab's daemons stay up across a restore but for the backend services, which run from a
    host's folder: they are stopped first and started again afterwards, as the host's service
    manager would at boot (``control.up``, which also restarts an sshd or nginx a test killed).
    A plain copy, not links: the roles rewrite files (records, the ledger), and a hard link
    would carry such a write into the snapshot."""

    def __init__(self, lab, where, workspaces=()):
        self.lab = lab
        self.where = where
        self.folders = host_roots(lab) + [os.path.join(lab.dir, "locks")] + list(workspaces)
        os.makedirs(where)
        for index, folder in enumerate(self.folders):
            if os.path.exists(folder):
                shutil.copytree(folder, self._kept(index), symlinks=True)

    def _kept(self, index):
        return os.path.join(self.where, str(index))

    def restore(self):
        lab = self.lab
        for host in lab.state["hosts"]:
            if "service_pidfile" in host:
                processes.stop(host["service_pidfile"])
        for index, folder in enumerate(self.folders):
            if os.path.lexists(folder):
                shutil.rmtree(folder)
            if os.path.exists(self._kept(index)):
                shutil.copytree(self._kept(index), folder, symlinks=True)
        for host in lab.state["hosts"]:
            # The copy names the service that ran when it was taken, which is gone.
            if "service_pidfile" in host and os.path.exists(host["service_pidfile"]):
                os.unlink(host["service_pidfile"])
        lab.state = control.up(lab.dir, lab.state["octet"], *lab.state["counts"], python=sys.executable)
        lab.hosts = dict((h["name"], h) for h in lab.state["hosts"])
        return lab


def _children():
    """``{ppid: [pid, ...]}`` and ``{pid: command name}`` of every process, from /proc."""
    children, names = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                stat = handle.read()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if rest[0] == "Z":
            continue
        names[int(entry)] = name
        children.setdefault(int(rest[1]), []).append(int(entry))
    return children, names


def busy_sessions(lab):
    """``[(host, command name)]`` of what runs under the lab's sshd daemons but sshd itself:
    a module, an rsync, a shell of a run that is still at work on a host."""
    children, names = _children()
    found = []
    for host in lab.state["hosts"]:
        pending = list(children.get(processes.running(host["sshd_pidfile"]) or -1, []))
        while pending:
            pid = pending.pop()
            if names.get(pid) != "sshd":
                found.append((host["name"], names.get(pid)))
            pending += children.get(pid, [])
    return found


def wait_until_idle(lab, timeout=120.0):
    """Until no host runs anything for a run (``busy_sessions`` is empty): after a controller
    was killed, its modules and rsyncs on the hosts finish the work they had. ``timeout``
    is only an error path."""
    deadline = time.monotonic() + timeout
    while busy_sessions(lab):
        assert time.monotonic() < deadline, "still at work on the hosts: %s" % busy_sessions(lab)
        time.sleep(0.05)


def tree_digest(*roots, **options):
    """One digest of every file (path, content) and link under the roots, .stage and the
    folders in ``skip`` excluded."""
    skip = set(os.path.normpath(p) for p in options.get("skip", ()))
    entries = []
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d != ".stage" and os.path.normpath(os.path.join(folder, d)) not in skip]
            entries += [os.path.join(folder, name) for name in names]
    digest = hashlib.sha256()
    for path in sorted(entries):
        digest.update(path.encode())
        if os.path.islink(path):
            digest.update(os.readlink(path).encode())
        else:
            with open(path, "rb") as handle:
                digest.update(hashlib.sha256(handle.read()).digest())
    return digest.hexdigest()


def host_roots(lab):
    return [h["root"] for h in lab.state["hosts"]]

# -*- coding: utf-8 -*-
"""Helpers for the end-to-end tests: the lab and ansible run against it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import hashlib
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "lab"))

from rml_lab import control, processes, signing, topology  # noqa: E402  pylint: disable=wrong-import-position

BIN = os.path.dirname(sys.executable)


def free_octet():
    """A lab octet nobody listens on (the README's lab uses 10)."""
    for octet in range(20, 250):
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
        parts = line.split(":", 1)
        if len(parts) == 2 and "=" in parts[1]:
            counts[parts[0].strip()] = dict((k, int(v)) for k, v in (p.split("=") for p in parts[1].split()))
    return counts


@contextlib.contextmanager
def running_lab(directory, **counts):
    """A lab of the given size in ``directory``, taken down afterwards."""
    sizes = dict(dict(farm=4, dmz=2, backend=1), **counts)
    state = control.up(directory, free_octet(), python=sys.executable, **sizes)
    try:
        yield Lab(directory, state)
    finally:
        control.down(directory)


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

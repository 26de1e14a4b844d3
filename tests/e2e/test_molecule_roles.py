# -*- coding: utf-8 -*-
"""molecule/frontend and molecule/backend: the roles on lab hosts that their create.yml starts
(check mode, converge, idempotence, verify), and the lab stopped afterwards, also on failure."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from labtools import BIN, ROOT
from rml_lab import control, processes

TIMEOUT = 600
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
RECAP_LINE = re.compile(r"^[^\w]*([\w.-]+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def step_output(output, step):
    """What molecule printed for one step of the sequence (between its Executing and Executed lines)."""
    # "<scenario> ➜ <step>: Executing" in colour, "[<scenario> > <step>] Executing" without.
    match = re.search(r"(?:➜|>) %s\]?:? Executing\n(.*?)\n[^\n]*(?:➜|>) %s\]?:? Executed: (\w+)" % (step, step),
                      output, re.S)
    assert match, "no %s step in the output:\n%s" % (step, output[-3000:])
    return match.group(1), match.group(2)


def recap(text):
    """``{host: changed}`` from the PLAY RECAP lines of one step."""
    counts = {}
    for line in text.split("PLAY RECAP")[-1].splitlines():
        found = RECAP_LINE.match(line.strip())
        if found:
            counts[found.group(1)] = int(found.group(3))
    return counts


def lab_processes(lab_dir):
    """``{pid: command line}`` of the lab's daemons running from the lab folder (sshd, nginx, smbd,
    the backend) - found by their command lines, as a pid file may be gone with the folder.
    ssh clients (ControlPersist masters naming the lab's key) are not the lab's."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if lab_dir + os.sep in command and os.path.basename(command.split(" ")[0]) != "ssh" \
                and processes.alive(int(entry)):
            found[int(entry)] = command
    return found


def stop_lab(lab_dir):
    """What destroy.yml does, for a run that never got there (killed, or molecule failed early)."""
    if os.path.isdir(lab_dir):
        control.down(lab_dir)
    for pid in lab_processes(lab_dir):
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + 10
    while lab_processes(lab_dir) and time.monotonic() < deadline:
        time.sleep(0.1)


def lab_dir_of(tmp_path):
    """Where molecule.yml puts the lab (ROUTING_ML_LAB_DIR); molecule prunes it after destroy."""
    return str(tmp_path / "molecule" / "lab")


def run_molecule(scenario, tmp_path, home):
    ephemeral = tmp_path / "molecule"
    env = dict(os.environ, HOME=home, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               MOLECULE_EPHEMERAL_DIRECTORY=str(ephemeral), NO_COLOR="1", PY_COLORS="0", ANSIBLE_FORCE_COLOR="0")
    env["PATH"] = BIN + os.pathsep + env["PATH"]
    env.pop("ROUTING_ML_LAB_DIR", None)
    lab_dir = lab_dir_of(tmp_path)
    started = time.monotonic()
    process = subprocess.Popen([os.path.join(BIN, "molecule"), "test", "-s", scenario], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                               start_new_session=True)
    try:
        output, dummy = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        output, dummy = process.communicate()
        output += "\n(killed after %d s)" % TIMEOUT
    finally:
        left = lab_processes(lab_dir)
        stop_lab(lab_dir)
    seconds = time.monotonic() - started
    print("molecule test -s %s: rc %s in %.0f s" % (scenario, process.returncode, seconds))
    return process.returncode, ANSI.sub("", output), left


@pytest.fixture
def home():
    """HOME for molecule and the ansible it runs: a short path, since ansible's SSH control
    sockets live under it (~/.ansible/cp) and a Unix socket's path must stay under 108 bytes,
    which a test's folder under pytest's temporary tree (a worker's, under xdist) can exceed."""
    path = tempfile.mkdtemp(prefix="rml-home-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("scenario, hosts", [
    ("frontend", {"node1", "dmz1"}),
    ("backend", {"backend1"}),
])
def test_molecule_scenario(scenario, hosts, tmp_path, home):
    rc, output, left = run_molecule(scenario, tmp_path, home)
    assert rc == 0, output[-6000:]
    assert not left, "destroy.yml left these running: %s" % left
    assert not lab_processes(lab_dir_of(tmp_path))

    converge, result = step_output(output, "converge")
    assert result == "Successful"
    assert hosts <= set(h for h, changed in recap(converge).items() if changed), recap(converge)

    idempotence, result = step_output(output, "idempotence")
    assert result == "Successful", idempotence[-3000:]
    counts = recap(idempotence)
    assert hosts <= set(counts), counts
    assert not [h for h, changed in counts.items() if changed], counts

    for step in ("create", "check", "verify", "destroy"):
        assert step_output(output, step)[1] == "Successful", step

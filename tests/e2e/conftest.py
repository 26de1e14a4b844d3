# -*- coding: utf-8 -*-
"""The labs of the end-to-end tests: real sshd, nginx, Samba and the stand-in backend on 127.0.N.x.

Deploy once, restore many: a lab taken through Alpha, Beta and GA costs minutes, a restore of
its snapshot about a second. The session fixtures below deploy once per pytest process (per
xdist worker); a module that starts from a deployed estate restores the snapshot before its
first test, and a test that damages the lab beyond its module's sequence restores it itself.
A module that needs a lab nobody deployed to says why and starts its own with ``running_lab``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import subprocess

import pytest

from labtools import BIN, ROOT, Lab, Snapshot, free_octet, host_roots, recap, running_lab, tree_digest
from rml_lab import control, release

# The deployed lab's shape: three farm nodes and one DMZ node, so that GA's batches (1, 50%,
# the rest) are three: node1, then node2 and node3, then dmz1.
SHAPE = dict(farm=3, dmz=1, backend=1)
VERSION = "1.4.0"
DATE = "2025-09-29"
FILES = 120
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """A lab nobody deployed to (the default shape), for the tests of the lab itself."""
    with running_lab(str(tmp_path_factory.mktemp("lab"))) as started:
        yield started


class DevRun(object):
    """What `./dev run` did on a lab of ``SHAPE`` with a bundle of ``FILES`` files: the
    check-mode Alpha run before it, each playbook's output, and the snapshot after it."""

    def __init__(self, lab, workspace, env, check, output, digests):
        self.lab = lab
        self.workspace = workspace
        self.env = env
        self.check = check
        self.output = output
        self.digests = digests
        self.snapshot = None

    def restore(self):
        """Hosts, share, locks and the workspace back as `./dev run` left them."""
        return self.snapshot.restore()

    def runs(self):
        """``[(name, output, recap)]`` of each playbook `./dev run` ran, in order: the text from
        one of its ``==>`` lines to the next that holds a PLAY RECAP, named by that line."""
        found = []
        for step in re.split(r"^(?=(?:\x1b\[[0-9;]*m)?==> )", self.output, flags=re.M):
            if "PLAY RECAP" in step:
                name = ANSI.sub("", step.split("\n", 1)[0])[len("==> "):].strip()
                found.append((name, step, recap(step)))
        return found

    def dev(self, *command):
        return subprocess.run([os.path.join(ROOT, "dev")] + list(command), cwd=ROOT, env=self.env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)


@pytest.fixture(scope="session")
def dev_run(tmp_path_factory):
    """`./dev run` as the README gives it, once, on a lab of ``SHAPE`` (ROUTING_ML_LAB_FARM and
    the like): a check-mode Alpha run on the fresh lab first (what a cautious user does), then
    the main job: 1.4.0 through Alpha, Beta and GA with signed approvals, the auditor's check,
    the status check. The lab is down after the session."""
    base = tmp_path_factory.mktemp("dev-run")
    lab_dir = str(base / "lab")
    env = dict(os.environ, ROUTING_ML_LAB_DIR=lab_dir, ROUTING_ML_LAB_OCTET=str(free_octet()),
               ROUTING_ML_LAB_FARM=str(SHAPE["farm"]), ROUTING_ML_LAB_DMZ=str(SHAPE["dmz"]),
               ROUTING_ML_LAB_BACKEND=str(SHAPE["backend"]), ROUTING_ML_LAB_FILES=str(FILES),
               RML_VENV=os.path.dirname(BIN))
    workspace = os.path.join(lab_dir, "workspace")
    try:
        made = DevRun(None, workspace, env, None, None, None)
        for command in (["lab", "up", "--quiet"], ["lab", "release", workspace, "--version", VERSION, "--date", DATE]):
            completed = made.dev(*command)
            assert completed.returncode == 0, completed.stdout[-3000:]
        made.lab = Lab(lab_dir, control.load_state(lab_dir))
        before = (tree_digest(*host_roots(made.lab)), tree_digest(workspace))
        made.check = made.lab.playbook("deploy_alpha.yml", "-e", "routing_ml_workspace=%s" % workspace, "--check")
        made.digests = (before, (tree_digest(*host_roots(made.lab)), tree_digest(workspace)))
        completed = made.dev("run")
        # Kept beside the lab, for reading a failure of a test that looks at it.
        (base / "dev-run.log").write_text(completed.stdout)
        assert completed.returncode == 0, completed.stdout[-5000:]
        made.output = completed.stdout
        made.lab = Lab(lab_dir, control.load_state(lab_dir))
        made.snapshot = Snapshot(made.lab, str(base / "snapshot"), [workspace])
        yield made
    finally:
        control.down(lab_dir)


class Drilled(object):
    """The deployed lab where ``drills.NEW`` then went through Alpha, Beta and GA over
    ``drills.OLD``: a release to roll back to, and one to roll back. ``restore()`` puts it back."""

    def __init__(self, lab, base, workspaces, snapshot):
        self.lab = lab
        self.base = base
        self.workspaces = workspaces
        self.snapshot = snapshot

    def restore(self):
        return self.snapshot.restore()


@pytest.fixture(scope="session")
def drilled(deployed, tmp_path_factory):
    import drills  # pylint: disable=import-outside-toplevel
    base = str(tmp_path_factory.mktemp("drilled"))
    lab = deployed.restore()
    workspace = os.path.join(base, "release-" + drills.NEW)
    release.build(workspace, release.Options(version=drills.NEW, date=DATE, files=FILES))
    drills.trust_off(lab, workspace)
    drills.through(lab, workspace, drills.NEW)
    workspaces = {drills.OLD: deployed.workspace, drills.NEW: workspace}
    snapshot = Snapshot(lab, os.path.join(base, "snapshot"), sorted(workspaces.values()))
    return Drilled(lab, base, workspaces, snapshot)


@pytest.fixture(scope="session")
def deployed(dev_run):
    """The lab `./dev run` deployed (``dev_run``): 1.4.0 live everywhere after GA. A module that
    starts from it calls ``deployed.restore()`` in its ``lab`` fixture."""
    return dev_run


@pytest.fixture(scope="session")
def release_of(drilled):
    """``release_of(version, **options)``: a drill's release workspace, built once a session."""
    import drills  # pylint: disable=import-outside-toplevel
    return drills.workspaces(drilled)

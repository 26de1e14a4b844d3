# -*- coding: utf-8 -*-
"""The molecule scenario for the Windows task files, when a Windows host is given."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess

import pytest

from labtools import BIN, ROOT

NEEDED = ("RML_WINDOWS_HOST", "RML_WINDOWS_USER", "RML_WINDOWS_PASSWORD", "RML_WINDOWS_SHARE_PASSWORD")


def test_windows_scenario_on_a_real_host(tmp_path):
    missing = [name for name in NEEDED if not os.environ.get(name)]
    if missing:
        pytest.skip("no Windows host here: prepare one with molecule/windows/Prepare-RoutingMLTestHost.ps1 "
                    "and set %s (and RML_WINDOWS_CA for its certificate) to run molecule/windows "
                    "against it" % ", ".join(missing))
    env = dict(os.environ, HOME=str(tmp_path), ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               MOLECULE_EPHEMERAL_DIRECTORY=str(tmp_path / "molecule"))
    env["PATH"] = BIN + os.pathsep + env["PATH"]
    completed = subprocess.run([os.path.join(BIN, "molecule"), "test", "-s", "windows"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                               check=False)
    assert completed.returncode == 0, completed.stdout[-5000:]

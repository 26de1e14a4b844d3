# -*- coding: utf-8 -*-
"""The execution environment definition renders with ansible-builder (no container engine
needed for `create`), and holds what the test suite runs: the same pins, this collection."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def pins(path):
    """``{package: version}`` of the ``name==version`` lines of a requirements file."""
    found = {}
    with open(path) as handle:
        for line in handle:
            match = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==([^\s;#]+)", line.strip())
            if match:
                found[match.group(1).lower()] = match.group(2)
    return found


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """`ansible-builder create` run the way the README says, in a copy of what it reads."""
    work = tmp_path_factory.mktemp("ee")
    shutil.copy(os.path.join(ROOT, "execution-environment.yml"), str(work))
    (work / "collections").mkdir()
    shutil.copy(os.path.join(ROOT, "collections", "requirements.yml"), str(work / "collections"))
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(work / "dist"),
                    ROOT], check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    completed = subprocess.run(
        [os.path.join(BIN, "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context",
         "--output-filename", "Containerfile"],
        cwd=str(work), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert completed.returncode == 0, completed.stdout
    assert "No matches" not in completed.stdout and "does not exist" not in completed.stdout, completed.stdout
    return work / "context"


def test_the_build_context_installs_this_collection_from_its_tarball(context):
    version = yaml.safe_load(open(os.path.join(ROOT, "galaxy.yml")))["version"]
    assert [p.name for p in (context / "_build" / "collection").iterdir()] == ["routing_ml-deploy-%s.tar.gz" % version]
    containerfile = (context / "Containerfile").read_text()
    assert "COPY _build/collection /tmp/routing_ml-collection" in containerfile
    assert "ansible-galaxy collection install --no-deps /tmp/routing_ml-collection/*.tar.gz" in containerfile
    assert 'ARG EE_BASE_IMAGE="quay.io/centos/centos:stream9"' in containerfile


def test_its_python_pins_are_the_ones_the_suite_runs(context):
    tested = pins(os.path.join(ROOT, "requirements.txt"))
    image = pins(str(context / "_build" / "requirements.txt"))
    assert image and all(tested[name] == version for name, version in image.items()), (image, tested)
    with open(os.path.join(ROOT, "execution-environment.yml")) as handle:
        definition = yaml.safe_load(handle)["dependencies"]
    for key, package in (("ansible_core", "ansible-core"), ("ansible_runner", "ansible-runner")):
        assert definition[key]["package_pip"] == "%s==%s" % (package, tested[package])
    assert {"pywinrm", "jmespath", "smbprotocol"} <= set(image)


def test_its_collections_and_system_packages(context):
    with open(os.path.join(ROOT, "collections", "requirements.yml")) as handle:
        assert yaml.safe_load((context / "_build" / "requirements.yml").read_text()) == yaml.safe_load(handle)
    bindep = (context / "_build" / "bindep.txt").read_text()
    assert "openssh-clients [platform:rpm]" in bindep and "rsync [platform:rpm]" in bindep
    # Kerberos for WinRM (inventory/production's transport): built, then run.
    assert "krb5-workstation [platform:rpm]" in bindep and "krb5-devel [platform:rpm compile]" in bindep
    assert "pywinrm[kerberos]==" in (context / "_build" / "requirements.txt").read_text()

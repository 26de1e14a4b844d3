# -*- coding: utf-8 -*-
"""`ansible-galaxy collection build` packs the collection and nothing of the checkout around it
(ansible-test's home in .cache, the lab, ansible.cfg), and the tarball installs and runs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
# What a user installs: the collection's own content, and the production inventory template.
TOP_LEVEL = {"MANIFEST.json", "FILES.json", "README.md", "LICENSE", "CHANGELOG.md", "changelogs", "docs", "inventory", "meta", "playbooks",
             "plugins", "roles"}
MAX_BYTES = 1024 * 1024


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    """Built from a copy of the checkout as it is after `./dev test`: caches and a lab beside it."""
    tree = tmp_path_factory.mktemp("checkout") / "deploy"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, stdout=subprocess.PIPE, check=True).stdout
    for rel in filter(None, tracked.decode().split("\0")):
        if os.path.isfile(os.path.join(ROOT, rel)):
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(os.path.join(ROOT, rel), str(tree / rel))
    for planted in (".cache/ansible-test-home/.ansible/test/venv.tar", ".lab/workspace/build/big.zip",
                    "tests/output/.tmp/junk", ".venv/lib/site.py"):
        (tree / planted).parent.mkdir(parents=True, exist_ok=True)
        (tree / planted).write_bytes(os.urandom(2 * MAX_BYTES))
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(out), str(tree)],
                   check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    (built,) = out.iterdir()
    return str(built)


def test_the_tarball_holds_only_the_collection(tarball):
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert set(n.split("/")[0] for n in names) == TOP_LEVEL
    assert not [n for n in names if n.startswith("inventory/") and not n.startswith("inventory/production")]
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", "ansible.cfg"))]
    assert os.path.getsize(tarball) < MAX_BYTES, os.path.getsize(tarball)


def test_the_manifest_names_where_the_collection_lives(tarball):
    with tarfile.open(tarball) as archive:
        info = json.load(archive.extractfile("MANIFEST.json"))["collection_info"]
    assert (info["namespace"], info["name"]) == ("routing_ml", "deploy")
    for key in ("repository", "documentation", "issues"):
        assert info[key].startswith("https://"), key


def test_installed_from_the_tarball_a_playbook_runs_by_its_fqcn(tarball, tmp_path):
    collections = tmp_path / "collections"
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    # From outside the checkout, with no ansible.cfg of ours: only the installed collection (and
    # the collections bundled with the ansible package) can answer the FQCN.
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_CONFIG=str(config),
               PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(collections),
                    tarball], check=True, env=env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert (collections / "ansible_collections/routing_ml/deploy/playbooks/verify_ledger.yml").is_file()
    completed = subprocess.run(
        [os.path.join(BIN, "ansible-playbook"), "routing_ml.deploy.verify_ledger", "-i", "localhost,", "-c", "local",
         "-e", "ansible_python_interpreter=%s" % sys.executable,
         "-e", "routing_ml_workspace=%s" % workspace, "-e", "routing_ml_approval_signatures=off"],
        cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
        check=False)
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert "PASS: 0 record(s)" in completed.stdout
    assert str(collections) in subprocess.run(
        [os.path.join(BIN, "ansible-galaxy"), "collection", "list", "routing_ml.deploy"], env=env,
        stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout

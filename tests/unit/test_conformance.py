# -*- coding: utf-8 -*-
"""The collection held to Ansible's own conventions: ansible-lint's production profile (with the
one rule .ansible-lint skips, and why), and a changelog kept by antsibull-changelog whose
generated CHANGELOG.md is current."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def run(command, cwd=ROOT, **env):
    return subprocess.run(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          env=dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"], **env), check=False)


def test_ansible_lint_production_profile_is_clean():
    config = yaml.safe_load(open(os.path.join(ROOT, ".ansible-lint")))
    assert config["profile"] == "production"
    # One deliberate exception, explained in the file; nothing silenced line by line.
    assert config["skip_list"] == ["var-naming[no-role-prefix]"]
    assert "# noqa" not in run(["git", "grep", "-n", "noqa: [a-z]", "--", "*.yml", "*.yaml"]).stdout
    completed = run([os.path.join(BIN, "ansible-lint"), "--nocolor", "-f", "pep8"],
                    ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    assert completed.returncode == 0, completed.stdout[-8000:]


def test_changelog_fragments_lint_and_the_generated_changelog_is_current(tmp_path):
    completed = run([os.path.join(BIN, "antsibull-changelog"), "lint"])
    assert completed.returncode == 0 and not completed.stdout.strip(), completed.stdout
    changes = yaml.safe_load(open(os.path.join(ROOT, "changelogs", "changelog.yaml")))
    galaxy = yaml.safe_load(open(os.path.join(ROOT, "galaxy.yml")))
    # The version galaxy.yml builds is released in the changelog (fragments wait for the next one).
    assert galaxy["version"] in changes["releases"], (galaxy["version"], sorted(changes["releases"]))
    copy = tmp_path / "collection"
    copy.mkdir()
    for name in ("galaxy.yml", "changelogs", "CHANGELOG.md"):
        source = os.path.join(ROOT, name)
        (shutil.copytree if os.path.isdir(source) else shutil.copy)(source, str(copy / name))
    completed = run([os.path.join(BIN, "antsibull-changelog"), "generate"], cwd=str(copy))
    assert completed.returncode == 0, completed.stdout
    assert (copy / "CHANGELOG.md").read_text() == open(os.path.join(ROOT, "CHANGELOG.md")).read(), \
        "CHANGELOG.md is not what antsibull-changelog generates: run antsibull-changelog generate"

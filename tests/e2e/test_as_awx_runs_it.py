# -*- coding: utf-8 -*-
"""The collection as AWX and an operator run it: built and installed from its tarball, a
playbook by FQCN from outside the checkout, then deploy_beta through ansible-runner with the
survey's extra vars, no TTY and a clean environment; asserted on the job events."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import subprocess

import pytest

from labtools import BIN, ROOT, running_lab
from rml_lab import control, release

VERSION = "1.4.0"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    # A lab of its own: a job from a fresh estate. Two farm nodes and a DMZ node give Beta a
    # host Alpha did not have.
    with running_lab(str(tmp_path_factory.mktemp("awx-lab")), farm=2, dmz=1, backend=1) as started:
        # Approvals recorded unsigned, as the estate's inventory says: a survey answer may not.
        control.set_inventory_vars(started.dir, routing_ml_approval_signatures="off")
        yield started


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The collection built from this checkout and installed the way an EE or an operator does."""
    base = tmp_path_factory.mktemp("installed")
    built = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", ROOT, "--output-path", str(base)],
                           cwd=str(base), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                           check=False)
    assert built.returncode == 0, built.stdout
    tarball = glob.glob(str(base / "routing_ml-deploy-*.tar.gz"))[0]
    collections = base / "collections"
    done = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(collections),
                           tarball], cwd=str(base), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False, env=clean_env(base, ANSIBLE_COLLECTIONS_PATH=str(collections)))
    assert done.returncode == 0, done.stdout
    assert (collections / "ansible_collections" / "routing_ml" / "deploy" / "playbooks" / "deploy_alpha.yml").is_file(), done.stdout
    return str(collections)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("awx-release"))
    release.build(path, release.Options(version=VERSION, date="2025-09-29", files=200))
    return path


def clean_env(home, **extra):
    """What a job gets in AWX: no user environment, no TTY, the EE's collections."""
    env = {"PATH": BIN + os.pathsep + "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def alpha_by_fqcn(lab, installed, workspace, tmp_path_factory):
    """Alpha, by FQCN from the installed collection, run from a folder outside the checkout with
    an ansible.cfg of an operator's own (nothing of the checkout's but the lab inventory)."""
    outside = tmp_path_factory.mktemp("operator")
    (outside / "ansible.cfg").write_text(
        "[defaults]\ncollections_path = %s\nhost_key_checking = True\ngathering = explicit\n"
        "callbacks_enabled = routing_ml.deploy.deploy_lock\n[ssh_connection]\npipelining = True\n" % installed)
    command = [os.path.join(BIN, "ansible-playbook"), "routing_ml.deploy.deploy_alpha", "-i", os.path.join(ROOT, "inventory", "lab"),
               "-e", "routing_ml_workspace=%s" % workspace, "-e", "routing_ml_version=%s" % VERSION]
    completed = subprocess.run(command, cwd=str(outside), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, universal_newlines=True, check=False,
                               env=clean_env(outside, ROUTING_ML_LAB_DIR=lab.dir, ANSIBLE_CONFIG=str(outside / "ansible.cfg"),
                                             ANSIBLE_LOCAL_TEMP=str(outside / "tmp")))
    return completed


def test_a_playbook_runs_by_fqcn_from_the_installed_tarball_outside_the_checkout(alpha_by_fqcn, installed, workspace):
    assert alpha_by_fqcn.returncode == 0, alpha_by_fqcn.stdout[-5000:]
    # The installed copy ran, not the checkout: its path is in no module result, but its roles are.
    assert os.path.isfile(os.path.join(installed, "ansible_collections", "routing_ml", "deploy", "playbooks", "deploy_alpha.yml"))
    ledger = "".join(open(p).read() for p in sorted(glob.glob(os.path.join(workspace, "logs", "task_execution_*.log"))))
    assert "| gate=Alpha | status=Next Stage Ready | version=%s |" % VERSION in ledger


@pytest.fixture(scope="module")
def beta_job(lab, installed, workspace, alpha_by_fqcn, tmp_path_factory):
    """deploy_beta as an AWX job: a private data dir, the survey's answers as extra vars, the
    project checked out (here: this checkout), the collection from the EE (the installed one)."""
    assert alpha_by_fqcn.returncode == 0, alpha_by_fqcn.stdout[-5000:]
    data = tmp_path_factory.mktemp("runner")
    (data / "env").mkdir()
    survey = {"routing_ml_workspace": workspace, "routing_ml_version": VERSION, "routing_ml_approver": "DEPLOY-LEE"}
    (data / "env" / "extravars").write_text(json.dumps(survey))
    (data / "env" / "settings").write_text(json.dumps({"suppress_ansible_output": False, "job_timeout": 900}))
    (data / "inventory").mkdir()
    os.symlink(os.path.join(ROOT, "inventory", "lab", "hosts.py"), str(data / "inventory" / "hosts.py"))
    os.symlink(os.path.join(ROOT, "inventory", "lab", "group_vars"), str(data / "inventory" / "group_vars"))
    command = [os.path.join(BIN, "ansible-runner"), "run", str(data), "-p", "playbooks/deploy_beta.yml",
               "--project-dir", ROOT, "--ident", "beta"]
    completed = subprocess.run(command, cwd=str(data), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, universal_newlines=True, check=False,
                               env=clean_env(data, ROUTING_ML_LAB_DIR=lab.dir, ANSIBLE_COLLECTIONS_PATH=installed,
                                             ANSIBLE_LOCAL_TEMP=str(data / "tmp")))
    artifacts = data / "artifacts" / "beta"
    events = [json.load(open(p)) for p in glob.glob(str(artifacts / "job_events" / "*.json"))]
    return completed, artifacts, sorted(events, key=lambda e: e["counter"])


def test_deploy_beta_runs_through_ansible_runner_as_an_awx_job(beta_job, lab):
    completed, artifacts, events = beta_job
    assert completed.returncode == 0, completed.stdout[-5000:]
    assert (artifacts / "status").read_text() == "successful" and (artifacts / "rc").read_text() == "0"
    stats = [e for e in events if e["event"] == "playbook_on_stats"][-1]["event_data"]
    assert not stats["failures"] and not stats["dark"], stats
    beta_hosts = set(json.loads(subprocess.run([os.path.join(ROOT, "inventory", "lab", "hosts.py"), "--list"], check=True,
                                               stdout=subprocess.PIPE, env=dict(os.environ, ROUTING_ML_LAB_DIR=lab.dir)
                                               ).stdout)["stage_beta"]["hosts"])
    assert beta_hosts <= set(stats["changed"]) | set(stats["ok"])
    # The gate task ran on the controller and recorded Beta; no task failed anywhere.
    gate = [e["event_data"] for e in events
            if e["event"] == "runner_on_ok" and e["event_data"]["task"] == "Record the approval in the ledger for Beta"]
    assert gate, [e["event_data"].get("task") for e in events][-40:]
    assert gate[0]["host"] == "localhost" and gate[0]["res"]["changed"], gate[0]
    assert "| gate=Beta | status=Next Stage Ready | version=%s |" % VERSION in gate[0]["res"]["record"]["line"]
    assert "| approver=DEPLOY-LEE |" in gate[0]["res"]["record"]["line"]
    assert not [e for e in events if e["event"] in ("runner_on_failed", "runner_on_unreachable")
                and not e["event_data"].get("ignore_errors")]
    # set_stats: the hosts this run changed, for the workflow's rollback node.
    assert stats["artifact_data"]["routing_ml_rollback_hosts_from"] == {"gate": "Beta", "version": VERSION}
    changed = set(stats["artifact_data"]["routing_ml_rollback_hosts"])
    first_at_beta = beta_hosts - {"node1", "backend1"}  # Alpha's hosts already run 1.4.0
    assert changed == first_at_beta, (changed, beta_hosts)


def test_an_unchanged_rerun_publishes_no_host_to_roll_back(beta_job, lab, installed, workspace, tmp_path):
    completed, artifacts, events = beta_job
    assert completed.returncode == 0
    data = artifacts.parent.parent
    rerun = subprocess.run([os.path.join(BIN, "ansible-runner"), "run", str(data), "-p", "playbooks/deploy_beta.yml",
                            "--project-dir", ROOT, "--ident", "beta-again"], cwd=str(data), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False,
                           env=clean_env(data, ROUTING_ML_LAB_DIR=lab.dir, ANSIBLE_COLLECTIONS_PATH=installed,
                                         ANSIBLE_LOCAL_TEMP=str(tmp_path)))
    assert rerun.returncode == 0, rerun.stdout[-5000:]
    events = [json.load(open(p)) for p in glob.glob(str(data / "artifacts" / "beta-again" / "job_events" / "*.json"))]
    stats = [e for e in events if e["event"] == "playbook_on_stats"][-1]["event_data"]
    # A run that recorded nothing leaves no new ledger head for the next job to check ('').
    assert stats["artifact_data"] == {"routing_ml_rollback_hosts": [],
                                      "routing_ml_rollback_hosts_from": {"gate": "Beta", "version": VERSION},
                                      "routing_ml_ledger_head": ""}
    assert set(stats["changed"]) <= {"localhost"}, stats["changed"]

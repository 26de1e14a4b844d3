# -*- coding: utf-8 -*-
"""The staged deployment end to end, as `./dev run` does it (conftest.dev_run, on a lab of 3 farm
nodes and 1 DMZ node):
check mode first, Alpha -> Beta -> GA with signed approvals, what every host then serves and
records, refusals, and `./dev run` again after `./dev lab down`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import urllib.request
import zipfile

import pytest

from labtools import host_roots, tree_digest
from rml_lab import release

from ansible_collections.routing_ml.deploy.plugins.module_utils import _audit_log, _evidence, _ledger

VERSION = "1.4.0"
NOTES = "deliverables/release_notes_2025-09-29.md"


@pytest.fixture(scope="module")
def lab(dev_run):
    """The lab `./dev run` deployed (conftest.dev_run), as it left it."""
    return dev_run.restore()


@pytest.fixture(scope="module")
def workspace(dev_run):
    return dev_run.workspace


def make_release(path, version=VERSION, **options):
    release.build(str(path), release.Options(version=version, date="2025-09-29", files=30, **options))
    return str(path)


def run(lab, gate, workspace, *extra):
    return lab.playbook("deploy_%s.yml" % gate, "-e", "routing_ml_workspace=%s" % workspace, *extra)


@pytest.fixture(scope="module")
def deployed(dev_run):
    """``{gate: (output, recap)}`` of the three deployments `./dev run` ran, and of the records
    of the signed approvals that followed each."""
    runs = dict((name, (output, counts)) for name, output, counts in dev_run.runs())
    found = {}
    for gate in ("alpha", "beta", "ga"):
        found[gate] = runs["main job: playbooks/deploy_%s.yml" % gate]
        found[gate + " record"] = next(v for k, v in runs.items() if k.startswith("%s approval" % (
            gate.capitalize() if gate != "ga" else "GA")))
    return found


def test_dev_run_deploys_each_gate_and_records_its_signed_approval(deployed):
    for gate in ("alpha", "beta", "ga"):
        # Words, not lines: the yaml callback folds a long message wherever its paths end.
        output = " ".join(deployed[gate][0].split())
        assert "waits for" in output and "ssh-keygen -Y sign" in output, output[-3000:]
        record, counts = deployed[gate + " record"]
        assert counts["localhost"]["changed"] > 0, record[-3000:]
        assert not [h for h, c in counts.items() if c["failed"] or c["unreachable"]], counts


def test_check_mode_changes_nothing(dev_run):
    rc, output, counts = dev_run.check
    assert rc == 0, output[-5000:]
    before, after = dev_run.digests
    assert before == after


def test_check_mode_predicts_the_hosts_a_first_run_changes(dev_run, deployed):
    predicted = dict((h, c["changed"] > 0) for h, c in dev_run.check[2].items())
    actual = dict((h, c["changed"] > 0) for h, c in deployed["alpha"][1].items())
    assert predicted == actual


def test_each_stage_reaches_its_hosts(deployed):
    # SOP 3 on the lab of 3 farm nodes and 1 DMZ node: Alpha on the first farm node, Beta on
    # half the farm and the first DMZ node, GA on all; the backend in each.
    assert set(deployed["alpha"][1]) == {"localhost", "nas1", "node1", "backend1"}
    assert set(deployed["beta"][1]) == {"localhost", "nas1", "node1", "dmz1", "backend1"}
    assert set(deployed["ga"][1]) == {"localhost", "nas1", "node1", "node2", "node3", "dmz1", "backend1"}


def test_every_nginx_node_serves_the_bundle_byte_for_byte(lab, workspace, deployed):
    with zipfile.ZipFile(os.path.join(workspace, "build/frontend/RoutingMLFrontend_%s.zip" % VERSION)) as bundle:
        names = sorted(bundle.namelist())
        sample = ["index.html"] + names[1::37][:8]
        expected = dict((n, bundle.read(n)) for n in sample)
    for host in [h for h in lab.state["hosts"] if "http_port" in h]:
        for name, data in expected.items():
            url = "http://%s:%d/%s" % (host["address"], host["http_port"], name)
            with urllib.request.urlopen(url, timeout=5) as response:
                assert response.read() == data, url
        release_dir = os.path.join(host["web_root"], "releases", VERSION)
        assert sorted(os.path.relpath(os.path.join(d, f), release_dir)
                      for d, dummy, fs in os.walk(release_dir) for f in fs) == names
        assert os.readlink(os.path.join(host["web_root"], "current")) == "releases/%s" % VERSION


def test_audit_logs_hold_the_spot_test_with_time_and_controller_ip(lab, workspace, deployed):
    with open(os.path.join(workspace, "logs/deploy/verify_%s_backend1.json" % VERSION)) as handle:
        record = json.load(handle)
    assert (record["format"], record["kind"], record["host"], record["outcome"]) == (1, "verify", "backend1", "ok")
    record = record["details"]
    assert record["health"] == {"status": "ok", "version": VERSION, "database": "configured"}
    spot = record["spot_test"]
    assert spot["found_by_get"] and spot["client_ip"] == "127.0.0.1"
    since = _audit_log.parse_timestamp(spot["started"])
    for log in ("ui_actions.log", "rsl.audit.log"):
        path = os.path.join(lab.hosts["backend1"]["app_home"], "logs", "audit", log)
        with open(path, encoding="utf-8") as handle:
            matches, dummy = _audit_log.search(handle.read().splitlines(), since=since, client_ip="127.0.0.1",
                                               action="POST /api/rsl/groups name=%s$" % spot["group"])
        assert len(matches) == 1, log
        assert record["audit"][log][0]["line"] == matches[0]["line"]


def test_evidence_manifests_and_ledger_are_as_designed(workspace, deployed):
    records = _ledger.verify(workspace)
    assert [(r.fields["gate"], r.fields["status"], r.fields["version"]) for r in records] == [
        ("Alpha", "Next Stage Ready", VERSION), ("Beta", "Next Stage Ready", VERSION), ("GA", "GA Approved", VERSION)]
    assert [r.fields["approver"] for r in records] == ["QA-KIM", "DEPLOY-LEE", "OWNER-PARK"]
    for record in records:
        folder = os.path.join(workspace, record.fields["evidence"])
        manifest, manifest_sha256, problems = _evidence.verify_folder(folder)
        assert problems == [] and manifest_sha256 == record.fields["manifest_sha256"]
        assert manifest["gate"] == record.fields["gate"] and manifest["version"] == VERSION
        assert os.path.isfile(folder + ".zip")
    with open(os.path.join(workspace, "Tasklist.md"), encoding="utf-8") as handle:
        tasklist = handle.read()
    for record in records:
        assert "ledger %s" % record.digest[:12] in tasklist
    assert "- [ ] Stage 9" not in tasklist
    with open(os.path.join(workspace, NOTES), encoding="utf-8") as handle:
        notes = handle.read()
    installer = os.path.join(workspace, "build/windows/RoutingMLInstaller_%s.exe" % VERSION)
    with open(installer, "rb") as handle:
        assert "| RoutingMLInstaller_%s.exe | %s |" % (VERSION, hashlib.sha256(handle.read()).hexdigest()) in notes
    assert notes.count("evidence for %s" % VERSION) == 3
    with open(os.path.join(workspace, "docs/stage4_frontend_report.md"), encoding="utf-8") as handle:
        assert "frontend %s sync: 4 node(s)" % VERSION in handle.read()


def test_offline_package_verifies_and_is_reproducible(workspace, deployed):
    package = os.path.join(workspace, "build/windows/RoutingMLFrontend_%s.zip" % VERSION)
    with open(package, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    with open(package + ".sha256") as handle:
        assert handle.read() == "%s  RoutingMLFrontend_%s.zip\n" % (digest, VERSION)
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        assert "Verify-RoutingMLFrontend.ps1" in names and "MANIFEST.sha256" in names
        lines = archive.read("MANIFEST.sha256").decode().splitlines()
        with zipfile.ZipFile(os.path.join(workspace, "build/frontend/RoutingMLFrontend_%s.zip" % VERSION)) as bundle:
            files = len(bundle.namelist())
        assert len(lines) == len([n for n in names if n.startswith("RoutingMLFrontend/")]) == files
        for line in lines[:20]:
            sha, name = line.split("  ", 1)
            assert hashlib.sha256(archive.read(name)).hexdigest() == sha


# Refused before any host: run on the deployed lab, which must stay as it is.

def test_preflight_lists_every_problem_and_nothing_is_touched(lab, tmp_path):
    workspace = make_release(tmp_path / "broken", version="1.4.8", broken_build=True, unchecked_qa=True,
                             unapproved_notes=True)
    environment = lab.hosts["backend1"]["environment"]
    saved = open(environment).read()
    before = tree_digest(*host_roots(lab))
    try:
        with open(environment, "w") as handle:
            handle.write("# ROUTING_ML_RSL_DATABASE_URL is missing on this host\n")
        rc, output, counts = run(lab, "alpha", workspace, "-e", "routing_ml_version=1.4.8")
    finally:
        with open(environment, "w") as handle:
            handle.write(saved)
    assert rc != 0
    assert "pre-deployment checklist (SOP 2) not met" in output
    assert "error TS2322" in output
    assert "unchecked: 감사 로그에 시간/IP 기록 확인" in output
    assert "unchecked: Release Owner 승인" in output
    assert "backend1: ROUTING_ML_RSL_DATABASE_URL is not set" in output
    # Only the controller made its record folders; no managed host changed.
    assert all(c["changed"] == 0 for h, c in counts.items() if h != "localhost"), counts
    assert tree_digest(*host_roots(lab)) == before


def test_beta_without_alpha_is_refused_before_any_host(lab, tmp_path):
    # A version the environment's ledger (continued from the share) has no Alpha for.
    workspace = make_release(tmp_path / "beta-first", version="1.4.9")
    rc, output, counts = run(lab, "beta", workspace, "-e", "routing_ml_version=1.4.9")
    assert rc != 0
    assert "Beta for 1.4.9 cannot start" in output and "Alpha's 'Next Stage Ready' for version 1.4.9" in output
    # The share host was only read (its Stage 9 records, which the controller pulled into the
    # new workspace); no managed host changed.
    assert set(counts) <= {"localhost", "nas1"} and counts["nas1"]["changed"] == 0, counts


# Last: it takes the lab down.

def test_dev_run_after_lab_down_changes_nothing(dev_run, lab):
    """What a new user does next: ./dev lab down (a reboot of every host), then ./dev run again."""
    for command in (["lab", "down"], ["run"]):
        completed = dev_run.dev(*command)
        assert completed.returncode == 0, "./dev %s: %s" % (" ".join(command), completed.stdout[-5000:])
    recaps = completed.stdout.split("PLAY RECAP")[1:]
    # Per gate the deployment and the record of its signed approval, the auditor's check,
    # then the status check.
    assert len(recaps) == 3 * 2 + 2
    assert all(" changed=0 " in line for recap in recaps[:-1] for line in recap.splitlines() if " ok=" in line)
    # The status check changes no host; on the controller it keeps its answer (and the
    # report's node section) with this check's time.
    status = [line for line in recaps[-1].splitlines() if " ok=" in line]
    assert all(" changed=0 " in line for line in status if not line.startswith("localhost ")), status
    assert "What is running where" in completed.stdout and "state" in completed.stdout

# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import os

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import gate_precheck

BUNDLE = "build/frontend/RoutingMLFrontend_1.4.0.zip"


def alpha(workspace, **args):
    return dict(dict(workspace=str(workspace), gate="Alpha", version="1.4.0"), **args)


@pytest.mark.parametrize("version", ["1.4.0", "1.4.0-evidence", "evidence"])
def test_beta_on_an_empty_ledger_is_refused_whatever_the_version_says(run_module, workspace, version):
    failed, result = run_module(gate_precheck, dict(workspace=str(workspace), gate="Beta", version=version))
    assert failed, result
    assert "Beta for %s cannot start: Beta needs Alpha's 'Next Stage Ready' for version %s" % (
        version, version) in result["msg"]


def test_alpha_needs_nothing_earlier_and_no_evidence_yet(run_module, workspace):
    failed, result = run_module(gate_precheck, dict(workspace=str(workspace), gate="Alpha", version="1.4.0"))
    assert not failed and result["recorded"] is None and result["requires"] is None


def tree(root):
    return sorted((os.path.relpath(os.path.join(d, n), str(root)), open(os.path.join(d, n), "rb").read())
                  for d, dummy, names in os.walk(str(root)) for n in names)


@pytest.mark.parametrize("version,named", [
    (1.4, "Alpha for 1.4 cannot start: version 1.4 is a number (float), not a string"),
    ("1.4.0\n", "Alpha for '1.4.0\\n' cannot start: version '1.4.0\\n' starts or ends with white space"),
    (["1.4.0"], "version ['1.4.0'] is a list, not a string"),
])
def test_the_version_is_taken_as_given_and_refused_by_name(run_module, workspace, version, named):
    failed, result = run_module(gate_precheck, dict(workspace=str(workspace), gate="Alpha", version=version))
    assert failed and named in result["msg"], result
    assert result["problems"][0] in result["msg"]


def test_every_input_is_checked_in_one_failure_and_nothing_is_written(run_module, workspace):
    folder = workspace / "deliverables/onboarding_evidence/Stage9_Alpha_20251003"
    folder.mkdir(parents=True)
    (folder / "dropped.png").write_bytes(b"x")
    before = tree(workspace)
    failed, result = run_module(gate_precheck, dict(
        workspace=str(workspace), gate="Alpha", version="1.4.0", approver="QA|KIM", operator="bot",
        reason=" why", evidence_date="20251003", evidence_from_run=["verify_*.json"],
        evidence_sources=["incoming/Alpha/frontend_build_20251003.log"]), check_mode=True)
    assert failed and len(result["problems"]) == 4, result
    assert result["msg"].startswith("Alpha for 1.4.0 cannot start: approver 'QA|KIM'")
    for text in ("reason ' why'", "'dropped.png'", "'pytest_rsl_routing_groups_*.log' is missing"):
        assert text in result["msg"]
    assert tree(workspace) == before


def built(workspace, data):
    """The bundle as the build leaves it: the zip and its sidecar."""
    (workspace / BUNDLE).write_bytes(data)
    (workspace / (BUNDLE + ".sha256")).write_text("%s  %s\n" % (hashlib.sha256(data).hexdigest(), os.path.basename(BUNDLE)))


def test_a_good_early_check_returns_the_folder_and_digests(run_module, workspace):
    (workspace / "build/frontend").mkdir(parents=True)
    built(workspace, b"bundle")
    failed, result = run_module(gate_precheck, dict(
        workspace=str(workspace), gate="Alpha", version="1.4.0", approver="QA-KIM", evidence_date="20251003",
        evidence_sources=["incoming/Alpha/frontend_build_20251003.log",
                          "incoming/Alpha/pytest_rsl_routing_groups_20251003.log"],
        evidence_from_run=["verify_*.json", "upload_*.json"], artifacts=[BUNDLE]))
    assert not failed and not result["changed"], result
    assert result["evidence_folder"] == "deliverables/onboarding_evidence/Stage9_Alpha_20251003"
    assert result["digests"] == {"RoutingMLFrontend_1.4.0.zip": hashlib.sha256(b"bundle").hexdigest()}


def stat_and_slurp(path, data, sidecar):
    """What ansible.builtin.stat and slurp give the module (only the keys it takes)."""
    return (dict(path=path, checksum=hashlib.sha256(data).hexdigest()),
            dict(source=path + ".sha256", content=base64.b64encode(sidecar).decode()))


def test_the_shares_published_digest_refuses_a_rebuild(run_module, workspace):
    (workspace / "build/frontend").mkdir(parents=True)
    built(workspace, b"rebuilt bundle")
    old = hashlib.sha256(b"bundle").hexdigest()
    stat, slurp = stat_and_slurp("/share/releases/1.4.0/RoutingMLFrontend_1.4.0.zip", b"bundle",
                                 ("%s  RoutingMLFrontend_1.4.0.zip\n" % old).encode())
    failed, result = run_module(gate_precheck, alpha(workspace, artifacts=[BUNDLE], published_files=[stat],
                                                     published_sidecars=[slurp], published_on="nas1"))
    assert failed, result
    assert ("RoutingMLFrontend_1.4.0.zip of version 1.4.0 was published with sha256 %s "
            "(nas1:/share/releases/1.4.0/RoutingMLFrontend_1.4.0.zip.sha256), but the workspace's "
            "RoutingMLFrontend_1.4.0.zip has sha256 %s" % (old, hashlib.sha256(b"rebuilt bundle").hexdigest())) in result["msg"]
    assert "build it as a new version" in result["msg"]
    # A damaged copy on the share (its sidecar says zeros) is for publishing to repair.
    stat, slurp = stat_and_slurp(stat["path"], b"bundle", ("%s  RoutingMLFrontend_1.4.0.zip\n" % ("0" * 64)).encode())
    failed, result = run_module(gate_precheck, alpha(workspace, artifacts=[BUNDLE], published_files=[stat],
                                                     published_sidecars=[slurp]))
    assert not failed, result


def test_a_sidecar_that_is_not_base64_is_named(run_module, workspace):
    sidecar = dict(source="/s/x.sha256", content="%%%")
    failed, result = run_module(gate_precheck, alpha(workspace, published_sidecars=[sidecar]))
    assert failed and "published sidecar /s/x.sha256: content is not base64" in result["msg"]


def test_smb_reads_the_share_itself(run_module, workspace, monkeypatch):
    (workspace / "build/frontend").mkdir(parents=True)
    built(workspace, b"rebuilt bundle")
    old = hashlib.sha256(b"bundle").hexdigest()
    seen = {}

    def read_smb(smb, names):
        seen.update(smb=smb, names=names)
        path = smb["folder"] + "\\RoutingMLFrontend_1.4.0.zip"
        return [(path, old)], [(path + ".sha256", ("%s  RoutingMLFrontend_1.4.0.zip\r\n" % old).encode())]

    monkeypatch.setattr(gate_precheck, "read_smb", read_smb)
    monkeypatch.setattr(gate_precheck._smb, "HAS_SMB", True)
    folder = "\\\\nas\\routing_ml\\releases\\1.4.0"
    failed, result = run_module(gate_precheck, alpha(workspace, artifacts=[BUNDLE],
                                                     smb=dict(folder=folder, username="svc", password="secret")))
    assert failed and "(%s\\RoutingMLFrontend_1.4.0.zip.sha256)" % folder in result["msg"], result
    assert seen["names"] == ["RoutingMLFrontend_1.4.0.zip"] and seen["smb"]["port"] == 445
    assert "secret" not in result["msg"]


def test_smb_and_stat_results_do_not_mix(run_module, workspace):
    failed, result = run_module(gate_precheck, alpha(workspace, smb=dict(folder="\\\\nas\\s"),
                                                     published_files=[dict(path="/x", checksum="y")]))
    assert failed and "smb reads the share itself" in result["msg"]


def test_smb_with_empty_stat_results_is_fine(run_module, workspace, monkeypatch):
    monkeypatch.setattr(gate_precheck, "read_smb", lambda smb, names: ([], []))
    monkeypatch.setattr(gate_precheck._smb, "HAS_SMB", True)
    failed, result = run_module(gate_precheck, alpha(workspace, smb=dict(folder="\\\\nas\\s"), published_files=[],
                                                     published_sidecars=[]))
    assert not failed, result

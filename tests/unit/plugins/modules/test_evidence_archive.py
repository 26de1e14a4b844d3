# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import evidence_archive

FOLDER = "deliverables/onboarding_evidence/Stage9_Alpha_20251003"


def args(workspace, **overrides):
    result = dict(workspace=str(workspace), gate="Alpha", version="1.4.0", date="20251003",
                  files=[dict(src="incoming/Alpha/frontend_build_20251003.log"),
                         dict(src="incoming/Alpha/verify_1.4.0_backend1.json", name="smoke.json")])
    result.update(overrides)
    return result


def test_collects_then_is_idempotent_with_a_stable_zip(run_module, workspace):
    failed, first = run_module(evidence_archive, args(workspace, zip=True))
    assert not failed and first["changed"]
    assert first["folder"] == FOLDER and first["copied"] == ["frontend_build_20251003.log", "smoke.json"]
    assert first["zip"]["path"] == FOLDER + ".zip" and (workspace / (FOLDER + ".zip")).is_file()
    failed, second = run_module(evidence_archive, args(workspace, zip=True))
    assert not failed and not second["changed"] and second["copied"] == []
    assert second["zip"]["sha256"] == first["zip"]["sha256"]
    assert second["manifest_sha256"] == first["manifest_sha256"]


def test_check_mode_predicts_and_writes_nothing(run_module, workspace):
    failed, result = run_module(evidence_archive, args(workspace, zip=True), check_mode=True, diff=True)
    assert not failed and result["changed"] and "smoke.json" in result["diff"]["after"]
    assert not (workspace / "deliverables/onboarding_evidence").exists()


@pytest.mark.parametrize("override,named", [
    (dict(version="1.4.0/../x"), "'1.4.0/../x'"),
    (dict(gate="alpha"), "alpha"),
    (dict(date="2025-10-03"), "'2025-10-03'"),
    (dict(files=[dict(src="../outside.log")]), "'../outside.log'"),
    (dict(files=[dict(src="incoming/Alpha/verify_1.4.0_backend1.json", name="../up.json")]), "'../up.json'"),
])
def test_bad_input_is_named_and_nothing_written(run_module, workspace, override, named):
    (workspace.parent / "outside.log").write_text("x")
    failed, result = run_module(evidence_archive, args(workspace, **override))
    assert failed and named in result["msg"]
    assert not (workspace / "deliverables/onboarding_evidence").exists()


def test_conflicting_content_is_refused(run_module, workspace):
    run_module(evidence_archive, args(workspace))
    (workspace / "incoming/Alpha/verify_1.4.0_backend1.json").write_text("changed")
    failed, result = run_module(evidence_archive, args(workspace))
    assert failed and "'smoke.json'" in result["msg"]
    assert (workspace / FOLDER / "smoke.json").read_text() != "changed"
    assert sorted(os.listdir(str(workspace / FOLDER))) == [
        "MANIFEST.sha256", "frontend_build_20251003.log", "manifest.json", "smoke.json"]


def test_a_second_version_the_same_day_gets_its_own_folder_and_zip(run_module, workspace):
    failed, first = run_module(evidence_archive, args(workspace, zip=True))
    assert not failed
    failed, second = run_module(evidence_archive, args(workspace, version="1.4.1", zip=True), check_mode=True)
    assert not failed and second["changed"] and second["folder"] == FOLDER + "_1.4.1"
    assert not (workspace / (FOLDER + "_1.4.1")).exists()
    failed, second = run_module(evidence_archive, args(workspace, version="1.4.1", zip=True))
    assert not failed and second["folder"] == FOLDER + "_1.4.1" and second["zip"]["path"] == FOLDER + "_1.4.1.zip"
    assert (workspace / (FOLDER + "_1.4.1.zip")).is_file()
    # Each version finds its folder again, unchanged.
    for version, folder in (("1.4.0", FOLDER), ("1.4.1", FOLDER + "_1.4.1")):
        failed, again = run_module(evidence_archive, args(workspace, version=version, zip=True))
        assert not failed and not again["changed"] and again["folder"] == folder


def test_every_problem_of_the_folder_is_named_at_once(run_module, workspace):
    run_module(evidence_archive, args(workspace))
    (workspace / FOLDER / "dropped.png").write_bytes(b"x")
    (workspace / "incoming/Alpha/verify_1.4.0_backend1.json").write_text("changed")
    failed, result = run_module(evidence_archive, args(workspace))
    assert failed and "'dropped.png'" in result["msg"] and "'smoke.json'" in result["msg"]

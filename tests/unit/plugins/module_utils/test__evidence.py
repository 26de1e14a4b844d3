# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import zipfile

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checksum, _evidence
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

SOURCES = (("build.log", "incoming/Alpha/frontend_build_20251003.log"), ("pytest.log", "incoming/Alpha/pytest_rsl_routing_groups_20251003.log"))
CREATED = "2025-10-03T14:00:00+09:00"


def collect(workspace, sources=SOURCES, version="1.4.0", **kwargs):
    plan = _evidence.plan(str(workspace), "Alpha", version, "20251003", sources, created=CREATED, **kwargs)
    plan.apply()
    return plan


def snapshot(folder):
    return dict((name, (folder / name).read_bytes()) for name in sorted(os.listdir(str(folder))))


def test_folder_manifest_and_sidecar(workspace):
    plan = collect(workspace)
    folder = workspace / "deliverables/onboarding_evidence/Stage9_Alpha_20251003"
    assert plan.folder == str(folder)
    assert sorted(os.listdir(str(folder))) == ["MANIFEST.sha256", "build.log", "manifest.json", "pytest.log"]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["gate"] == "Alpha" and manifest["version"] == "1.4.0" and manifest["created"] == CREATED
    assert [f["name"] for f in manifest["files"]] == ["build.log", "pytest.log"]
    build = manifest["files"][0]
    assert build["source"] == "incoming/Alpha/frontend_build_20251003.log"
    assert (build["sha256"], build["size"]) == _checksum.sha256_file(str(folder / "build.log"))
    sidecar = (folder / "MANIFEST.sha256").read_text()
    assert sidecar == "".join("%s  %s\n" % (f["sha256"], f["name"]) for f in manifest["files"])
    assert plan.manifest_sha256 == _checksum.sha256_file(str(folder / "MANIFEST.sha256"))[0]
    assert _evidence.verify_folder(str(folder))[2] == []


def test_same_evidence_twice_changes_nothing(workspace):
    collect(workspace)
    folder = workspace / "deliverables/onboarding_evidence/Stage9_Alpha_20251003"
    before = snapshot(folder)
    again = _evidence.plan(str(workspace), "Alpha", "1.4.0", "20251003", SOURCES, created="2099-01-01T00:00:00+00:00")
    assert not again.changed and again.copies == []
    again.apply()
    assert snapshot(folder) == before


def test_more_evidence_later_extends_the_manifest(workspace):
    collect(workspace)
    plan = collect(workspace, [("smoke.json", "incoming/Alpha/verify_1.4.0_backend1.json")])
    assert plan.changed
    assert [f["name"] for f in plan.manifest["files"]] == ["build.log", "pytest.log", "smoke.json"]
    assert plan.manifest["created"] == CREATED


def test_different_content_under_an_existing_name_is_refused(workspace):
    collect(workspace)
    folder = workspace / "deliverables/onboarding_evidence/Stage9_Alpha_20251003"
    before = snapshot(folder)
    (workspace / "incoming/Alpha/frontend_build_20251003.log").write_text("rebuilt\n")
    with pytest.raises(ValidationError) as exc:
        collect(workspace)
    assert "'build.log'" in str(exc.value) and "never overwritten" in str(exc.value)
    assert snapshot(folder) == before


def test_unlisted_file_in_the_folder_is_refused(workspace):
    collect(workspace)
    folder = workspace / "deliverables/onboarding_evidence/Stage9_Alpha_20251003"
    (folder / "dropped.png").write_bytes(b"x")
    with pytest.raises(ValidationError) as exc:
        collect(workspace, [("smoke.json", "incoming/Alpha/verify_1.4.0_backend1.json")])
    assert "'dropped.png'" in str(exc.value)
    assert not (folder / "smoke.json").exists()


def test_another_version_the_same_day_gets_a_folder_named_for_it(workspace):
    first = collect(workspace)
    second = collect(workspace, version="1.4.1")
    root = workspace / "deliverables/onboarding_evidence"
    assert first.folder == str(root / "Stage9_Alpha_20251003")
    assert second.folder == str(root / "Stage9_Alpha_20251003_1.4.1")
    assert second.manifest["folder"] == "deliverables/onboarding_evidence/Stage9_Alpha_20251003_1.4.1"
    assert json.loads((root / "Stage9_Alpha_20251003/manifest.json").read_text())["version"] == "1.4.0"
    assert _evidence.verify_folder(second.folder)[2] == []
    # Each version keeps its folder, found again by the same rule.
    assert collect(workspace).folder == first.folder and not collect(workspace).changed
    assert collect(workspace, version="1.4.1").folder == second.folder
    assert _evidence.choose_folder(str(workspace), "Alpha", "1.4.2", "20251003") == \
        "deliverables/onboarding_evidence/Stage9_Alpha_20251003_1.4.2"


def test_choose_folder_plain_first_then_the_versions_own(workspace):
    plain = "deliverables/onboarding_evidence/Stage9_Alpha_20251003"
    assert _evidence.choose_folder(str(workspace), "Alpha", "1.4.1", "20251003") == plain
    assert _evidence.choose_folder(str(workspace), "Beta", "1.4.1", "20251003") == \
        "deliverables/onboarding_evidence/Stage9_Beta_20251003"
    # A plain folder without a manifest is nobody's yet: chosen, and plan() says what it holds.
    (workspace / plain).mkdir(parents=True)
    (workspace / plain / "dropped.png").write_bytes(b"x")
    assert _evidence.choose_folder(str(workspace), "Alpha", "1.4.1", "20251003") == plain
    with pytest.raises(ValidationError) as exc:
        collect(workspace, version="1.4.1")
    assert "'dropped.png'" in str(exc.value)
    # A version whose own folder exists keeps using it, even when the plain one is free.
    own = workspace / (plain + "_1.4.2")
    own.mkdir()
    assert _evidence.choose_folder(str(workspace), "Alpha", "1.4.2", "20251003") == plain + "_1.4.2"
    with pytest.raises(ValidationError):
        _evidence.choose_folder(str(workspace), "Alpha", "1.4.2/..", "20251003")


def test_a_folder_that_holds_another_version_is_still_refused(workspace):
    collect(workspace, version="1.4.1")
    collect(workspace, version="1.4.0", sources=SOURCES[:1])  # plain holds 1.4.1: 1.4.0 goes to its own
    own = workspace / "deliverables/onboarding_evidence/Stage9_Alpha_20251003_1.4.0"
    manifest = json.loads((own / "manifest.json").read_text())
    (own / "manifest.json").write_text(json.dumps(dict(manifest, version="9.9.9")))
    with pytest.raises(ValidationError) as exc:
        collect(workspace, version="1.4.0")
    assert "already holds Alpha evidence for version '9.9.9', not Alpha '1.4.0'" in str(exc.value)


def test_every_problem_is_refused_at_once_and_survey_lists_them_without_raising(workspace):
    collect(workspace)
    folder = workspace / "deliverables/onboarding_evidence/Stage9_Alpha_20251003"
    (folder / "dropped.png").write_bytes(b"x")
    (workspace / "incoming/Alpha/frontend_build_20251003.log").write_text("rebuilt\n")
    sources = SOURCES + (("x.log", "incoming/gone.log"), ("build.log", "incoming/Alpha/verify_1.4.0_backend1.json"),
                         ("../bad", "incoming/Alpha/verify_1.4.0_backend1.json"))
    found = _evidence.survey(str(workspace), "Alpha", "1.4.0", "20251003", sources)
    assert found.relfolder == "deliverables/onboarding_evidence/Stage9_Alpha_20251003"
    assert len(found.problems) == 5, found.problems
    for text in ("'../bad'", "'build.log' is given twice", "'dropped.png'", "'incoming/gone.log'", "never overwritten"):
        assert any(text in p for p in found.problems), text
    assert found.names == ["build.log", "pytest.log"]
    with pytest.raises(ValidationError) as exc:
        collect(workspace, sources)
    assert all(p in str(exc.value) for p in found.problems)


@pytest.mark.parametrize("source", ["../outside.log", "/etc/hostname", "incoming/link.log"])
def test_sources_outside_the_allowed_roots_are_refused(workspace, source):
    (workspace.parent / "outside.log").write_text("x")
    os.symlink(str(workspace.parent / "outside.log"), str(workspace / "incoming/link.log"))
    with pytest.raises(ValidationError) as exc:
        collect(workspace, [("x.log", source)])
    assert repr(source) in str(exc.value)
    assert not (workspace / "deliverables/onboarding_evidence").exists()


def test_an_allowed_root_admits_sources_outside_the_workspace(workspace):
    (workspace.parent / "screens").mkdir()
    (workspace.parent / "screens" / "beta.png").write_bytes(b"png")
    plan = collect(workspace, [("beta.png", str(workspace.parent / "screens" / "beta.png"))],
                   allowed_roots=[str(workspace), str(workspace.parent / "screens")])
    assert plan.manifest["files"][0]["source"] == str(workspace.parent / "screens" / "beta.png")


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "MANIFEST.sha256", "manifest.json", ""])
def test_bad_names_are_refused(workspace, name):
    with pytest.raises(ValidationError) as exc:
        collect(workspace, [(name, "incoming/Alpha/verify_1.4.0_backend1.json")])
    assert repr(name) in str(exc.value)


def test_missing_source_is_refused_before_anything_is_written(workspace):
    with pytest.raises(ValidationError) as exc:
        collect(workspace, SOURCES + (("gone.log", "incoming/gone.log"),))
    assert "'incoming/gone.log'" in str(exc.value)
    assert not (workspace / "deliverables/onboarding_evidence").exists()


def test_zip_is_reproducible(workspace, tmp_path):
    plan = collect(workspace)
    zip_path = plan.folder + ".zip"
    digest, changed = _evidence.write_zip(plan.folder, zip_path)
    assert changed
    assert _evidence.write_zip(plan.folder, zip_path) == (digest, False)
    os.utime(os.path.join(plan.folder, "build.log"), (0, 0))
    other = tmp_path / "copy" / "Stage9_Alpha_20251003"
    other.parent.mkdir()
    os.mkdir(str(other))
    for name in os.listdir(plan.folder):
        (other / name).write_bytes(open(os.path.join(plan.folder, name), "rb").read())
    assert _evidence.write_zip(str(other), str(other) + ".zip")[0] == digest
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.namelist() == ["Stage9_Alpha_20251003/%s" % n for n in sorted(os.listdir(plan.folder))]
        assert set(i.date_time for i in archive.infolist()) == {(1980, 1, 1, 0, 0, 0)}


def test_verify_folder_finds_tampering(workspace):
    plan = collect(workspace)
    folder = workspace / "deliverables/onboarding_evidence/Stage9_Alpha_20251003"
    (folder / "build.log").write_text("edited\n")
    (folder / "extra.txt").write_text("x")
    os.unlink(str(folder / "pytest.log"))
    manifest, digest, problems = _evidence.verify_folder(plan.folder)
    assert digest == plan.manifest_sha256
    assert any("'build.log'" in p and "mismatch" in p for p in problems)
    assert any("'pytest.log'" in p and "missing" in p for p in problems)
    assert any("'extra.txt'" in p for p in problems)


# --------------------------------------------------------------------------- the verifier (issue 23)

def _collected(tmp_path):
    workspace = tmp_path / "ws"
    (workspace / "logs").mkdir(parents=True)
    (workspace / "logs" / "qa.log").write_text("ok\n")
    plan = _evidence.plan(str(workspace), "Alpha", "1.4.0", "20251003", [("qa.log", "logs/qa.log")],
                          created="2025-10-03T14:02:11+09:00")
    plan.apply()
    _evidence.write_zip(plan.folder, plan.folder + ".zip")
    return workspace, plan.folder


def test_a_zip_as_collected_passes_and_a_flipped_byte_is_refused_naming_it(tmp_path):
    workspace, folder = _collected(tmp_path)
    assert _evidence.zip_problems(folder, "Stage9_Alpha_20251003.zip") == []
    data = bytearray(open(folder + ".zip", "rb").read())
    data[len(data) // 2] ^= 0x01
    open(folder + ".zip", "wb").write(bytes(data))
    problems = _evidence.zip_problems(folder, "Stage9_Alpha_20251003.zip")
    assert len(problems) == 1 and problems[0].startswith("evidence zip Stage9_Alpha_20251003.zip has sha256 ")
    os.unlink(folder + ".zip")
    assert _evidence.zip_problems(folder, "x.zip") == [], "no zip is no problem"


def test_symlinks_among_the_records_are_found_and_a_linked_folder_or_file_fails_verification(tmp_path):
    workspace, folder = _collected(tmp_path)
    assert _evidence.symlinks_in_records(str(workspace)) == []
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(folder, str(elsewhere))
    os.unlink(os.path.join(folder, "qa.log"))
    os.symlink(str(elsewhere / "qa.log"), os.path.join(folder, "qa.log"))
    rel = "deliverables/onboarding_evidence/Stage9_Alpha_20251003/qa.log"
    assert _evidence.symlinks_in_records(str(workspace)) == [rel]
    assert "is a symbolic link" in _evidence.verify_folder(folder)[2][0]
    shutil.rmtree(folder)
    os.symlink(str(elsewhere), folder)
    assert _evidence.symlinks_in_records(str(workspace)) == [rel.rsplit("/", 1)[0]]
    assert "is a symbolic link" in _evidence.verify_folder(folder)[2][0]
    os.symlink(str(elsewhere), str(workspace / "logs" / "checkpoints"))
    assert "logs/checkpoints" in _evidence.symlinks_in_records(str(workspace))


def test_a_folder_a_record_names_is_sealed_and_the_next_recording_takes_the_next_round(tmp_path):
    """Issue 23: the gate recorded again the same day (after a rollback and an unblock) never
    collects into the folder its first record sealed; the early check and the collection ask
    choose_folder and get the same answer."""
    from ansible_collections.routing_ml.deploy.plugins.module_utils import _ledger
    workspace, folder = _collected(tmp_path)
    plain = "deliverables/onboarding_evidence/Stage9_Alpha_20251003"
    assert _evidence.choose_folder(str(workspace), "Alpha", "1.4.0", "20251003") == plain
    manifest = _evidence.verify_folder(folder)[1]
    _ledger.append(str(workspace), dict(gate="Alpha", status="Next Stage Ready", version="1.4.0", approver="QA-KIM",
                                        evidence=plain, manifest_sha256=manifest))
    own = plain + "_1.4.0"
    assert _evidence.choose_folder(str(workspace), "Alpha", "1.4.0", "20251003") == own
    # The same evidence again: the sealed folder as it is (the same approval recorded again).
    again = _evidence.plan(str(workspace), "Alpha", "1.4.0", "20251003", [("qa.log", "logs/qa.log")], created="x")
    assert again.folder.endswith(plain) and not again.changed
    # The early check, told that the run rewrites qa.log, predicts the folder the collection
    # after the run (qa.log rewritten) takes.
    predicted = _evidence.survey(str(workspace), "Alpha", "1.4.0", "20251003", [("qa.log", "logs/qa.log")],
                                 produced=["qa*.log"])
    assert predicted.relfolder == own and not predicted.problems
    (workspace / "logs" / "qa.log").write_text("ok, again\n")
    plan = _evidence.plan(str(workspace), "Alpha", "1.4.0", "20251003", [("qa.log", "logs/qa.log")], created="x")
    assert plan.folder.endswith(own)
    plan.apply()
    _ledger.append(str(workspace), dict(gate="Alpha", status="Next Stage Ready", version="1.4.0", approver="QA-KIM",
                                        evidence=own, manifest_sha256=plan.manifest_sha256))
    assert _evidence.choose_folder(str(workspace), "Alpha", "1.4.0", "20251003") == own + "_r2"
    (workspace / "logs" / "qa.log").write_text("ok, a third time\n")
    assert _evidence.survey(str(workspace), "Alpha", "1.4.0", "20251003", [("qa.log", "logs/qa.log")]).relfolder \
        == own + "_r2"
    assert _evidence.choose_folder(str(workspace), "Beta", "1.4.0", "20251003") == \
        "deliverables/onboarding_evidence/Stage9_Beta_20251003", "another gate is not sealed by it"

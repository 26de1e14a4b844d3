# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import codecs
import datetime
import hashlib
import json
import os

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import (
    _evidence, _gate_checks, _gate_policy, _ledger, _records)
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError, check_field

DATE = "20251003"
FROM_RUN = ["verify_*.json", "upload_*.json"]
INSTALLER = "build/windows/RoutingMLInstaller_1.4.0.exe"
BUNDLE = "build/frontend/RoutingMLFrontend_1.4.0.zip"
KST = datetime.timezone(datetime.timedelta(hours=9))


def sha(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def release(workspace):
    """The workspace with an installer, a bundle and Alpha's evidence sources before a run."""
    for path, data in ((INSTALLER, b"installer"), (BUNDLE, b"bundle")):
        (workspace / path).parent.mkdir(parents=True, exist_ok=True)
        (workspace / path).write_bytes(data)
        (workspace / (path + ".sha256")).write_text("%s  %s\n" % (sha(data), path.rsplit("/", 1)[-1]))
    (workspace / "logs/qa/frontend_build_20251003.log").write_text("build ok\n")
    (workspace / "logs/qa/pytest_rsl_routing_groups_20251003.log").write_text("3 passed\n")
    return workspace


def alpha_sources(workspace):
    return sorted(str(p) for p in (workspace / "logs/qa").iterdir())


def check(workspace, **kwargs):
    args = dict(approver="QA-KIM", evidence_date=DATE, evidence_sources=alpha_sources(workspace),
                evidence_from_run=FROM_RUN, artifacts=[INSTALLER, BUNDLE])
    args.update(kwargs)
    return _gate_checks.early_check(os.path.realpath(str(workspace)), args.pop("gate", "Alpha"),
                                    args.pop("version", "1.4.0"), **args)


# The version ------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["1.4.0", "1.4.0-rc.1", "2025_10", "a" * 64])
def test_a_version_string_that_matches_in_full_is_accepted(value):
    assert _gate_checks.check_version_value(value) == value


@pytest.mark.parametrize("value,named", [
    ("1.4.0\n", "version '1.4.0\\n' starts or ends with white space or a line break"),
    (" 1.4.0", "version ' 1.4.0' starts or ends"),
    ("1.4.0\t", "version '1.4.0\\t' starts or ends"),
    (1.4, "version 1.4 is a number (float), not a string"),
    (14, "version 14 is a number (int), not a string"),
    (True, "version True is a bool, not a string"),
    (None, "version None is a NoneType, not a string"),
    (["1.4.0"], "version ['1.4.0'] is a list, not a string"),
    ("1.4.0/../x", "version '1.4.0/../x' is not valid"),
    ("", "version '' is not valid"),
    ("-1.4", "version '-1.4' is not valid"),
    ("a" * 65, "is not valid"),
])
def test_a_bad_version_is_refused_by_name(value, named):
    with pytest.raises(ValidationError) as exc:
        _gate_checks.check_version_value(value)
    assert named in str(exc.value)


def test_a_number_is_told_to_be_quoted():
    with pytest.raises(ValidationError) as exc:
        _gate_checks.check_version_value(1.1)
    assert "1.10 becomes 1.1" in str(exc.value) and '{"routing_ml_version": "1.1"}' in str(exc.value)


# Approver, operator, reason ---------------------------------------------------------------------

@pytest.mark.parametrize("approver,named", [
    (" QA-KIM", "approver ' QA-KIM' must not start or end with white space"),
    ("QA-KIM ", "approver 'QA-KIM ' must not start or end with white space"),
    ("QA-KIM\t", "approver 'QA-KIM\\t' must not start or end with white space"),
    ("QA|KIM", "approver 'QA|KIM' must be one line without '|'"),
    ("QA\tKIM", "approver 'QA\\tKIM' must be one line"),
    ("QA\nKIM", "approver 'QA\\nKIM' must be one line"),
    ("", "approver '' must not be empty"),
    ("   ", "approver '   ' must not be empty"),
])
def test_the_approver_follows_the_rules_of_the_record(approver, named):
    problems = _gate_checks.field_problems(approver=approver)
    assert len(problems) == 1 and named in problems[0]
    with pytest.raises(ValidationError) as exc:
        check_field("approver", approver)
    assert problems == [str(exc.value)], "the same rule gate_record applies"


def test_operator_and_reason_are_checked_when_given_and_every_problem_is_listed():
    assert _gate_checks.field_problems(approver="QA-KIM") == []
    assert _gate_checks.field_problems(approver="QA-KIM", operator=None, reason=None) == []
    problems = _gate_checks.field_problems(approver="QA|KIM", operator=" bot", reason="a|b")
    assert [p.split(" ")[0] for p in problems] == ["approver", "operator", "reason"]


def test_self_approval_only_when_forbidden():
    assert _gate_checks.self_approval_problems("GA", "owner-park", "OWNER-PARK", False) == []
    assert _gate_checks.self_approval_problems("GA", "owner-park", None, True) == []
    assert "'owner-park' launched this run: GA must be approved by someone else" in \
        _gate_checks.self_approval_problems("GA", "owner-park", "OWNER-PARK", True)[0]


# Evidence -----------------------------------------------------------------------------------------

def test_the_run_writes_what_the_policy_calls_verify_and_upload():
    assert _gate_policy.written_by_run("verify_*.json", FROM_RUN)
    assert _gate_policy.written_by_run("verify_*.json", ["verify_1.4.0_*.json"])
    assert not _gate_policy.written_by_run("pytest_rsl_routing_groups_*.log", FROM_RUN)
    rules = _gate_policy.DEFAULT_POLICY["Beta"]
    assert _gate_policy.missing_evidence_before_run(rules, [], FROM_RUN) == ["feedback_summary*"]
    assert _gate_policy.missing_evidence_before_run(rules, ["feedback_summary.md"], FROM_RUN) == []
    assert _gate_policy.missing_evidence_before_run(rules, [], []) == rules["evidence"]


def test_a_clean_day_needs_only_what_the_run_does_not_write(release):
    folder, problems = _gate_checks.evidence_problems(
        str(release), _gate_policy.default_policy(), "Alpha", "1.4.0", DATE, alpha_sources(release), FROM_RUN)
    assert problems == [] and folder == "deliverables/onboarding_evidence/Stage9_Alpha_20251003"
    assert not (release / "deliverables/onboarding_evidence").exists()


def test_required_evidence_that_neither_exists_nor_comes_from_the_run_is_named(release):
    os.unlink(str(release / "logs/qa/pytest_rsl_routing_groups_20251003.log"))
    dummy, problems = _gate_checks.evidence_problems(
        str(release), _gate_policy.default_policy(), "Alpha", "1.4.0", DATE, alpha_sources(release), FROM_RUN)
    assert problems == ["required Alpha evidence matching 'pytest_rsl_routing_groups_*.log' is missing: no evidence "
                        "source has such a name, and the run does not write one"]
    dummy, problems = _gate_checks.evidence_problems(
        str(release), _gate_policy.default_policy(), "Alpha", "1.4.0", DATE, alpha_sources(release), [])
    assert len(problems) == 2 and "'verify_*.json'" in problems[1]


def test_evidence_the_folder_already_lists_counts_as_there(release):
    collected = _evidence.plan(str(release), "Alpha", "1.4.0", DATE, [
        ("pytest_rsl_routing_groups_20251003.log", "logs/qa/pytest_rsl_routing_groups_20251003.log")])
    collected.apply()
    os.unlink(str(release / "logs/qa/pytest_rsl_routing_groups_20251003.log"))
    dummy, problems = _gate_checks.evidence_problems(
        str(release), _gate_policy.default_policy(), "Alpha", "1.4.0", DATE, alpha_sources(release), FROM_RUN)
    assert problems == []


def test_the_dry_run_names_every_folder_problem_at_once_and_writes_nothing(release):
    folder = release / _evidence.folder_relpath("Alpha", DATE)
    (release / "incoming/old.log").write_text("an older build log\n")
    _evidence.plan(str(release), "Alpha", "1.4.0", DATE, [("frontend_build_20251003.log", "incoming/old.log")]).apply()
    (folder / "dropped.png").write_bytes(b"x")
    before = sorted((p.name, p.read_bytes()) for p in folder.iterdir())
    os.unlink(str(release / "logs/qa/pytest_rsl_routing_groups_20251003.log"))
    dummy, problems = _gate_checks.evidence_problems(
        str(release), _gate_policy.default_policy(), "Alpha", "1.4.0", DATE, alpha_sources(release), FROM_RUN)
    assert len(problems) == 3, problems
    assert "holds 'dropped.png' not listed in its manifest" in problems[0]
    assert "evidence 'frontend_build_20251003.log' in deliverables/onboarding_evidence/Stage9_Alpha_20251003 already " \
           "exists with sha256 %s" % sha(b"an older build log\n") in problems[1]
    assert "has sha256 %s. Evidence is never overwritten" % sha(b"build ok\n") in problems[1]
    assert "'pytest_rsl_routing_groups_*.log'" in problems[2]
    assert sorted((p.name, p.read_bytes()) for p in folder.iterdir()) == before


def test_another_version_that_day_gets_its_own_folder(release):
    _evidence.plan(str(release), "Alpha", "1.3.0", DATE, [("build.log", "logs/qa/frontend_build_20251003.log")]).apply()
    folder, problems = _gate_checks.evidence_problems(
        str(release), _gate_policy.default_policy(), "Alpha", "1.4.0", DATE, alpha_sources(release), FROM_RUN)
    assert problems == [] and folder == "deliverables/onboarding_evidence/Stage9_Alpha_20251003_1.4.0"


def test_a_folder_that_belongs_to_another_version_is_refused(release):
    own = release / _evidence.folder_relpath("Alpha", DATE, "1.4.0")
    own.mkdir(parents=True)
    (own / "manifest.json").write_text(json.dumps(dict(gate="Alpha", version="9.9.9", files=[], created=None)))
    (own / "MANIFEST.sha256").write_text("")
    dummy, problems = _gate_checks.evidence_problems(
        str(release), _gate_policy.default_policy(), "Alpha", "1.4.0", DATE, alpha_sources(release), FROM_RUN)
    assert problems == ["evidence folder deliverables/onboarding_evidence/Stage9_Alpha_20251003_1.4.0 already holds "
                        "Alpha evidence for version '9.9.9', not Alpha '1.4.0': one folder belongs to one version"]


def test_two_sources_with_one_name_and_a_gone_source_are_named(release):
    (release / "incoming/frontend_build_20251003.log").write_text("elsewhere\n")
    sources = alpha_sources(release) + [str(release / "incoming/frontend_build_20251003.log"), "logs/qa/gone.log"]
    dummy, problems = _gate_checks.evidence_problems(
        str(release), _gate_policy.default_policy(), "Alpha", "1.4.0", DATE, sources, FROM_RUN)
    assert len(problems) == 2, problems
    assert "evidence name 'frontend_build_20251003.log' is given twice" in problems[0]
    assert "'logs/qa/gone.log' is not an existing file" in problems[1]


# One content per version ------------------------------------------------------------------------------

def line(digest, name):
    return ("%s  %s\n" % (digest, name)).encode()


def test_the_share_counts_only_a_whole_copy():
    good = sha(b"bundle")
    files = [("/share/releases/1.4.0/RoutingMLFrontend_1.4.0.zip", good)]
    sidecars = [("/share/releases/1.4.0/RoutingMLFrontend_1.4.0.zip.sha256", line(good, "RoutingMLFrontend_1.4.0.zip"))]
    found = _gate_checks.share_digests(files, _gate_checks.decode_sidecars(sidecars), "nas1")
    assert found == {"RoutingMLFrontend_1.4.0.zip": ("nas1:/share/releases/1.4.0/RoutingMLFrontend_1.4.0.zip.sha256", good)}
    # A damaged sidecar, a missing file, a missing sidecar, a sidecar for another name: no copy.
    zeros = [(sidecars[0][0], line("0" * 64, "RoutingMLFrontend_1.4.0.zip"))]
    assert _gate_checks.share_digests(files, _gate_checks.decode_sidecars(zeros)) == {}
    assert _gate_checks.share_digests([], _gate_checks.decode_sidecars(sidecars)) == {}
    assert _gate_checks.share_digests(files, []) == {}
    other = [(sidecars[0][0], line(good, "other.zip"))]
    assert _gate_checks.share_digests(files, _gate_checks.decode_sidecars(other)) == {}
    garbage = [(sidecars[0][0], b"not a sidecar")]
    assert _gate_checks.share_digests(files, _gate_checks.decode_sidecars(garbage)) == {}


def test_a_windows_share_and_a_powershell_sidecar_are_read():
    good = sha(b"installer")
    unc = "\\\\nas\\routing_ml\\releases\\1.4.0\\RoutingMLInstaller_1.4.0.exe"
    utf16 = codecs.BOM_UTF16_LE + ("%s  RoutingMLInstaller_1.4.0.exe\r\n" % good.upper()).encode("utf-16-le")
    found = _gate_checks.share_digests([(unc, good.upper())], _gate_checks.decode_sidecars([(unc + ".sha256", utf16)]))
    assert found == {"RoutingMLInstaller_1.4.0.exe": (unc + ".sha256", good)}


def test_a_digest_published_before_that_differs_is_refused_naming_both():
    old, new = sha(b"old"), sha(b"new")
    published = [{"app.zip": ("logs/deploy/upload_1.4.0.json", old)}, {"app.zip": ("nas1:/s/app.zip.sha256", old)}]
    problems = _gate_checks.content_problems("1.4.0", [("app.zip", new), ("app.exe", sha(b"same"))], published)
    assert problems == ["app.zip of version 1.4.0 was published with sha256 %s (logs/deploy/upload_1.4.0.json; "
                        "nas1:/s/app.zip.sha256), but the workspace's app.zip has sha256 %s: a version's content is "
                        "fixed once its digests are published: build it as a new version" % (old, new)]
    assert _gate_checks.content_problems("1.4.0", [("app.zip", old)], published) == []
    split = [{"app.zip": ("a", old)}, {"app.zip": ("b", sha(b"third"))}]
    assert len(_gate_checks.content_problems("1.4.0", [("app.zip", new)], split)) == 2


def test_a_share_copy_changed_after_publishing_is_named_as_the_side_that_differs():
    """Issue 23: the workspace and its upload record agree; the share's file and a recomputed
    sidecar do not. The message blames the share and says not to rebuild."""
    good, evil = sha(b"published"), sha(b"replaced")
    published = [{"app.exe": ("logs/deploy/upload_1.4.0.json", good)}, {"app.exe": ("nas1:/s/app.exe.sha256", evil)}]
    problems = _gate_checks.content_problems("1.4.0", [("app.exe", good)], published)
    assert problems == ["app.exe of version 1.4.0 at nas1:/s/app.exe.sha256 has sha256 %s, but the version was "
                        "published with sha256 %s (logs/deploy/upload_1.4.0.json), which the workspace's app.exe "
                        "has too: the copy at nas1:/s/app.exe.sha256 was changed after it was published; put the "
                        "published file back there (a version's content is fixed once its digests are published)"
                        % (evil, good)]
    assert "build it as a new version" not in problems[0]


def write_upload(workspace, digests, version="1.4.0"):
    record = _records.build("upload", version, "2025-10-03T14:00:00+09:00", after="nas1:/share/releases/" + version,
                            digests=digests)
    path = _records.path_of(str(workspace), "upload", version)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(_records.text(record))


def test_the_upload_record_gives_the_digests_published(workspace):
    assert _gate_checks.upload_digests(str(workspace), "1.4.0") == {}
    write_upload(workspace, {"app.zip": "A" * 64})
    assert _gate_checks.upload_digests(str(workspace), "1.4.0") == {"app.zip": ("logs/deploy/upload_1.4.0.json", "a" * 64)}
    assert _gate_checks.upload_digests(str(workspace), "1.5.0") == {}


def test_artifacts_are_hashed_and_a_missing_one_is_named(release):
    hashed, problems = _gate_checks.hash_artifacts(str(release), [INSTALLER, str(release / BUNDLE), "build/gone.exe",
                                                                  "../outside.exe"])
    assert hashed == [("RoutingMLInstaller_1.4.0.exe", sha(b"installer")), ("RoutingMLFrontend_1.4.0.zip", sha(b"bundle"))]
    assert problems[0] == "artifact build/gone.exe is not in the workspace" and "'../outside.exe'" in problems[1]


# Everything at once ----------------------------------------------------------------------------------

def test_a_good_first_run_has_no_problem(release):
    result = check(release)
    assert result["problems"] == [] and result["recorded"] is None and result["requires"] is None
    assert result["evidence_folder"] == "deliverables/onboarding_evidence/Stage9_Alpha_20251003"
    assert result["digests"] == {"RoutingMLInstaller_1.4.0.exe": sha(b"installer"),
                                 "RoutingMLFrontend_1.4.0.zip": sha(b"bundle")}


def test_every_problem_is_reported_at_once(release):
    write_upload(release, {"RoutingMLFrontend_1.4.0.zip": sha(b"published bundle"),
                           "RoutingMLInstaller_1.4.0.exe": sha(b"installer")})
    os.unlink(str(release / "logs/qa/pytest_rsl_routing_groups_20251003.log"))
    result = check(release, gate="Beta", approver=" DEPLOY-LEE", operator="a|b",
                   evidence_sources=[], evidence_date=DATE,
                   published_files=[("/s/RoutingMLFrontend_1.4.0.zip", sha(b"published bundle"))],
                   published_sidecars=[("/s/RoutingMLFrontend_1.4.0.zip.sha256",
                                        line(sha(b"published bundle"), "RoutingMLFrontend_1.4.0.zip"))],
                   published_on="nas1")
    problems = result["problems"]
    assert len(problems) == 5, problems
    assert problems[0].startswith("approver ' DEPLOY-LEE'") and problems[1].startswith("operator 'a|b'")
    assert "Beta needs Alpha's 'Next Stage Ready' for version 1.4.0" in problems[2]
    assert "required Beta evidence matching 'feedback_summary*' is missing" in problems[3]
    assert "(logs/deploy/upload_1.4.0.json; nas1:/s/RoutingMLFrontend_1.4.0.zip.sha256)" in problems[4]
    message = _gate_checks.describe("Beta", "1.4.0", problems)
    assert message.startswith("Beta for 1.4.0 cannot start: approver ' DEPLOY-LEE'") and message.count("; ") >= 4


def test_a_bad_version_still_names_the_other_inputs_and_reads_nothing_else(release):
    result = check(release, version="1.4.0\n", approver="QA|KIM", evidence_date="2025-10-03")
    assert len(result["problems"]) == 3 and result["version"] is None
    assert "version '1.4.0\\n'" in result["problems"][0] and "approver 'QA|KIM'" in result["problems"][1]
    assert result["problems"][2] == "evidence date '2025-10-03' is not valid: expected YYYYMMDD"
    assert _gate_checks.describe("Alpha", "1.4.0\n", result["problems"]).startswith("Alpha for '1.4.0\\n' cannot start")
    assert _gate_checks.describe("Alpha", 1.4, ["x"]) == "Alpha for 1.4 cannot start: x"


def test_a_gate_already_recorded_collects_nothing_so_its_evidence_is_not_checked(release):
    earlier = _evidence.plan(str(release), "Alpha", "1.4.0", "20251002",
                             [(os.path.basename(p), p) for p in alpha_sources(release)], created="x")
    earlier.apply()
    _ledger.append(str(release), dict(gate="Alpha", status="Next Stage Ready", version="1.4.0", approver="QA-KIM",
                                      evidence="deliverables/onboarding_evidence/Stage9_Alpha_20251002",
                                      manifest_sha256=earlier.manifest_sha256),
                   now=datetime.datetime(2025, 10, 2, tzinfo=KST))
    (release / _evidence.folder_relpath("Alpha", DATE)).mkdir(parents=True)
    (release / _evidence.folder_relpath("Alpha", DATE) / "dropped.png").write_bytes(b"x")
    result = check(release, operator="qa-kim", forbid_self_approval=True)
    assert result["problems"] == [] and result["recorded"]["gate"] == "Alpha" and result["evidence_folder"] is None
    again = check(release, operator="qa-kim", forbid_self_approval=True, rerecord=True)
    assert len(again["problems"]) == 2, again["problems"]
    assert "launched this run" in again["problems"][0] and "'dropped.png'" in again["problems"][1]


def test_without_an_evidence_date_only_order_fields_and_content_are_checked(release):
    (release / _evidence.folder_relpath("Alpha", DATE)).mkdir(parents=True)
    (release / _evidence.folder_relpath("Alpha", DATE) / "dropped.png").write_bytes(b"x")
    assert check(release, evidence_date=None)["problems"] == []
    assert check(release, gate="GA", evidence_date=None, approver=None)["problems"] == [
        "GA needs Beta's 'Next Stage Ready' for version 1.4.0 in the ledger; there is none"]


def test_a_broken_policy_is_refused_as_such(release):
    with pytest.raises(ValidationError) as exc:
        check(release, policy={"Alpha": {}})
    assert "gate policy" in str(exc.value)


def test_an_artifact_that_disagrees_with_its_build_sidecar_is_refused_and_never_pinned(release):
    """A version not published yet has only its sidecar to witness it: a tampered installer is
    refused here, before its digest could become the run's pin."""
    (release / INSTALLER).write_bytes(b"installer\0")
    result = check(release)
    assert ("artifact %s has sha256 %s, but its sidecar %s.sha256 says %s: the file or its sidecar changed after "
            "the build" % (INSTALLER, sha(b"installer\0"), INSTALLER, sha(b"installer"))) in result["problems"]
    assert "RoutingMLInstaller_1.4.0.exe" not in result["digests"]
    os.unlink(str(release / (BUNDLE + ".sha256")))
    assert "artifact %s has no readable sidecar %s.sha256 (SOP 4.2)" % (BUNDLE, BUNDLE) in check(release)["problems"]

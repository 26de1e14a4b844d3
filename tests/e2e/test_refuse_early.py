# -*- coding: utf-8 -*-
"""Issue 10: whatever the gate will refuse after a deployment is refused in the first play,
before any host is touched, with every problem in one message; and a version's content is
fixed once its digests are published (a rebuild under the same version is refused).

Each refused run leaves every host's files (the share is the nas host's folder) and the
workspace byte for byte as they were, takes no lock, and its play recap names only the
controller and the share host (read for its Stage 9 records), neither changed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import os

import pytest

from labtools import host_roots, running_lab, tree_digest
from rml_lab import control, release

from ansible_collections.routing_ml.deploy.plugins.module_utils import _evidence

VERSION = "1.4.0"
DATE = "2025-09-29"
FILES = 50
BUNDLE = "build/frontend/RoutingMLFrontend_%s.zip" % VERSION
# Results as one JSON line each: messages are matched whole, never as the yaml form wraps them.
ENV = {"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
# Signed approvals are another issue's; these runs record without them, as the lab's inventory
# says (an extra variable may not set a trust setting: test_attacks_trust.py).
SIGNATURES_OFF = ()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A small lab of its own (one web node, the backend, the share), fresh: its refusals need a
    share that never published 1.4.0, and its rebuilt version a first Alpha of its own."""
    with running_lab(str(tmp_path_factory.mktemp("refuse-early-lab")), farm=1, dmz=0, backend=1) as started:
        control.set_inventory_vars(started.dir, routing_ml_approval_signatures="off")
        yield started


def build(path, files=FILES):
    release.build(str(path), release.Options(version=VERSION, date=DATE, files=files))
    return str(path)


def sha256(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def deploy(lab, workspace, *extra):
    return lab.playbook("deploy_alpha.yml", "-e", "routing_ml_workspace=%s" % workspace, *(SIGNATURES_OFF + extra),
                        **ENV)


def said(output, text):
    """``text`` is in the output, as printed or inside a JSON result."""
    return text in output or json.dumps(text)[1:-1] in output


def refused_untouched(lab, workspace, *extra):
    """Run, and check that the run was refused in the first play and changed nothing."""
    before = (tree_digest(*host_roots(lab)), tree_digest(workspace))
    rc, output, counts = deploy(lab, workspace, *extra)
    after = (tree_digest(*host_roots(lab)), tree_digest(workspace))
    assert rc != 0, output[-3000:]
    assert said(output, "Alpha for "), output[-3000:]
    # The share host only read (the Stage 9 records pulled first; nothing new there).
    assert set(counts) <= {"localhost", "nas1"} and all(c["changed"] == 0 for c in counts.values()), counts
    assert after == before, "a host, the share or the workspace changed"
    assert "PLAY [Pre-deployment checklist" not in output
    assert not os.path.exists(os.path.join(lab.dir, "locks", "lab.lock")), "a refused run takes no lock"
    return output


# 1. Every input the gate will check, refused before any host ------------------------------------

def today():
    return datetime.date.today().strftime("%Y%m%d")


def make_evidence_problems(workspace):
    """Today's Alpha folder of 1.4.0 holds the build log with other content and a file its
    manifest does not list; the pytest log the Alpha policy requires is gone."""
    build_log = "frontend_build_%s.log" % DATE.replace("-", "")
    other = os.path.join(workspace, "incoming", build_log)
    os.makedirs(os.path.dirname(other))
    with open(other, "w") as handle:
        handle.write("a build log from another build\n")
    _evidence.plan(workspace, "Alpha", VERSION, today(), [(build_log, other)], created="2025-09-29T10:00:00+09:00").apply()
    os.unlink(other)
    folder = os.path.join(workspace, _evidence.folder_relpath("Alpha", today()))
    with open(os.path.join(folder, "screenshot.png"), "wb") as handle:
        handle.write(b"put here by hand")
    os.unlink(os.path.join(workspace, "logs/qa/pytest_rsl_routing_groups_%s.log" % DATE.replace("-", "")))
    return folder, build_log, sha256(os.path.join(folder, build_log)), sha256(os.path.join(workspace, "logs/qa", build_log))


@pytest.fixture(scope="module")
def refusals(lab, tmp_path_factory):
    """Three runs, each with several bad inputs (every one must be named): ``{run: output}``."""
    workspace = build(tmp_path_factory.mktemp("refusals"))
    folder, build_log, kept, rebuilt = make_evidence_problems(workspace)
    inputs = {
        "evidence": {"routing_ml_approver": " QA-KIM"},
        "newline": {"routing_ml_approver": "QA|KIM", "routing_ml_version": VERSION + "\n"},
        "number": {"routing_ml_approver": "QA-KIM\t", "routing_ml_version": 1.4},
    }
    runs = dict((run, refused_untouched(lab, workspace, "-e", json.dumps(extra))) for run, extra in inputs.items())
    return runs, dict(folder=os.path.relpath(folder, workspace), build_log=build_log, kept=kept, rebuilt=rebuilt)


CASES = {
    "approver with a leading space": ("evidence", ["approver ' QA-KIM' must not start or end with white space"]),
    "approver with a |": ("newline", ["approver 'QA|KIM' must be one line without '|'"]),
    "approver with a tab": ("number", ["approver 'QA-KIM\\t' must not start or end with white space"]),
    "version with a line break": ("newline", ["version '1.4.0\\n' starts or ends with white space or a line break"]),
    "version as a JSON number": ("number", ["version 1.4 is a number (float), not a string"]),
    "unlisted file in today's folder": ("evidence", ["holds 'screenshot.png' not listed in its manifest"]),
    "listed name with other content": ("evidence", ["evidence '{build_log}' in {folder} already exists with sha256 {kept}",
                                                    "has sha256 {rebuilt}. Evidence is never overwritten"]),
    "required evidence missing": ("evidence", ["required Alpha evidence matching 'pytest_rsl_routing_groups_*.log' "
                                               "is missing"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_input_is_refused_by_name_before_any_host(refusals, case):
    runs, values = refusals
    run, texts = CASES[case]
    for text in texts:
        assert said(runs[run], text.format(**values)), (case, runs[run][-3000:])


def test_every_problem_of_a_run_is_in_one_message(refusals):
    runs, dummy = refusals
    failures = [line for line in runs["evidence"].splitlines() if line.startswith("fatal: [localhost]: FAILED!")]
    assert len(failures) == 1, failures
    result = json.loads(failures[0].split("=>", 1)[1])
    assert len(result["problems"]) == 4, result["problems"]


# 2. One content per version -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def rebuilt(lab, tmp_path_factory):
    """1.4.0 deployed through Alpha, then its bundle rebuilt with other content."""
    workspace = build(tmp_path_factory.mktemp("rebuilt"))
    published = sha256(os.path.join(workspace, BUNDLE))
    rc, output, counts = deploy(lab, workspace)
    assert rc == 0, output[-5000:]
    assert os.path.isfile(os.path.join(workspace, "logs/deploy/upload_%s.json" % VERSION))
    build(workspace, files=FILES + 7)
    now = sha256(os.path.join(workspace, BUNDLE))
    assert now != published
    return workspace, published, now


def test_a_rebuilt_version_is_refused_naming_both_digests(lab, rebuilt):
    workspace, published, now = rebuilt
    output = refused_untouched(lab, workspace)
    assert said(output, "RoutingMLFrontend_%s.zip of version %s was published with sha256 %s (logs/deploy/upload_%s.json; "
                % (VERSION, VERSION, published, VERSION)), output[-3000:]
    assert said(output, "but the workspace's RoutingMLFrontend_%s.zip has sha256 %s" % (VERSION, now))
    assert said(output, "build it as a new version")
    assert not said(output, "RoutingMLInstaller_%s.exe of version" % VERSION), "the installer is the same"


def test_a_fresh_controller_is_refused_by_the_shares_digests(lab, rebuilt):
    workspace, published, now = rebuilt
    os.unlink(os.path.join(workspace, "logs/deploy/upload_%s.json" % VERSION))
    output = refused_untouched(lab, workspace)
    sidecar = os.path.join(lab.hosts["nas1"]["share"], "releases", VERSION, os.path.basename(BUNDLE) + ".sha256")
    assert said(output, "was published with sha256 %s (nas1:%s)" % (published, sidecar)), output[-3000:]
    assert said(output, "has sha256 %s" % now) and said(output, "build it as a new version")


def test_an_smb_share_is_read_for_its_digests_too(lab, rebuilt, tmp_path):
    """With routing_ml_share_platform=smb the early check reads the share over SMB itself (the
    lab's Samba serves the same share folder)."""
    smb = lab.state.get("samba")
    if not smb:
        pytest.skip("Samba runs only when the lab is started as root")
    workspace, published, now = rebuilt
    assert not os.path.exists(os.path.join(workspace, "logs/deploy/upload_%s.json" % VERSION)), "a fresh controller"
    with open(smb["password_file"]) as handle:
        password = handle.read()
    unc = "\\\\%s\\%s" % (smb["address"], smb["share"])
    extra = tmp_path / "smb.json"
    extra.write_text(json.dumps(dict(routing_ml_share_platform="smb", routing_ml_share_root=unc,
                                     routing_ml_share_port=smb["port"], routing_ml_share_user=smb["user"],
                                     routing_ml_share_password=password)))
    output = refused_untouched(lab, workspace, "-e", "@%s" % extra)
    sidecar = "%s\\releases\\%s\\RoutingMLFrontend_%s.zip.sha256" % (unc, VERSION, VERSION)
    assert said(output, "was published with sha256 %s (%s)" % (published, sidecar)), output[-3000:]
    assert said(output, "has sha256 %s" % now) and said(output, "build it as a new version")
    assert password not in output

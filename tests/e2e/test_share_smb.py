# -*- coding: utf-8 -*-
"""The production share path: publish and distribute over SMB, against the lab's real Samba."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import subprocess

import pytest

from labtools import BIN, ROOT, recap
from rml_lab import release

VERSION = "2.1.0"


def sha256(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@pytest.fixture(scope="module")
def smb(lab, tmp_path_factory):
    if lab.state["samba"] is None:
        assert os.geteuid() != 0, "a lab started as root must run Samba"
        pytest.skip("Samba runs only when the lab is started as root; this run is not root")
    smb = lab.state["samba"]
    with open(smb["password_file"]) as handle:
        password = handle.read()
    workspace = str(tmp_path_factory.mktemp("smb-release"))
    release.build(workspace, release.Options(version=VERSION, files=120))
    unc = "\\\\%s\\%s" % (smb["address"], smb["share"])
    extra = tmp_path_factory.mktemp("smb-vars") / "vars.json"
    extra.write_text(json.dumps(dict(
        routing_ml_workspace=workspace, routing_ml_version=VERSION,
        routing_ml_release_notes="deliverables/release_notes_%s.md" % release_notes_day(workspace),
        routing_ml_share_root=unc, routing_ml_share_frontend_latest=unc + "\\frontend\\latest",
        routing_ml_share_port=smb["port"], routing_ml_share_user=smb["user"], routing_ml_share_password=password)))
    return dict(workspace=workspace, password=password, vars="@%s" % extra, share=lab.hosts["nas1"]["share"])


def release_notes_day(workspace):
    name = next(n for n in os.listdir(os.path.join(workspace, "deliverables")) if n.startswith("release_notes_"))
    return name[len("release_notes_"):-len(".md")]


def files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, dummy, names in os.walk(root) for f in names)


def publish(lab, smb, *args):
    completed = subprocess.run([os.path.join(BIN, "ansible-playbook"), "tests/e2e/playbooks/publish_smb.yml",
                                "-e", smb["vars"]] + list(args), cwd=ROOT, env=lab.env(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    return completed.returncode, completed.stdout


def test_publish_over_smb_lands_every_file_verified_and_never_logs_the_password(lab, smb):
    stale = os.path.join(smb["share"], "frontend", "latest", "assets", "stale-from-an-older-bundle.js")
    os.makedirs(os.path.dirname(stale), exist_ok=True)
    with open(stale, "w") as handle:
        handle.write("old")
    rc, output = publish(lab, smb, "-vvv")
    assert rc == 0, output[-4000:]
    assert smb["password"] not in output
    for rel in ("build/windows/RoutingMLInstaller_%s.exe" % VERSION, "build/frontend/RoutingMLFrontend_%s.zip" % VERSION):
        for suffix in ("", ".sha256"):
            landed = os.path.join(smb["share"], "releases", VERSION, os.path.basename(rel) + suffix)
            assert sha256(landed) == sha256(os.path.join(smb["workspace"], rel + suffix))
    latest = os.path.join(smb["share"], "frontend", "latest")
    staged = os.path.join(smb["workspace"], ".stage", "frontend", VERSION)
    assert files(latest) == files(staged) and len(files(latest)) == 120
    assert not os.path.exists(stale)
    assert all(sha256(os.path.join(latest, f)) == sha256(os.path.join(staged, f)) for f in files(latest))
    assert not [n for n in os.listdir(os.path.join(smb["share"], "releases", VERSION)) if n.endswith(".tmp")]


def test_publish_over_smb_again_changes_nothing(lab, smb):
    publish(lab, smb)
    rc, output = publish(lab, smb)
    assert rc == 0, output[-4000:]
    assert recap(output)["localhost"]["changed"] == 0


def test_a_wrong_share_password_fails_clearly(lab, smb):
    rc, output = publish(lab, smb, "-e", "routing_ml_share_password=not-the-password")
    assert rc != 0
    assert "SMB copy to" in output and ("LogonFailure" in output or "logon" in output.lower())
    assert "not-the-password" not in output.split("PLAY [")[1]

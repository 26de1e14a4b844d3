# -*- coding: utf-8 -*-
"""The roles' Windows path run by ansible-core itself, with the Windows modules answering
from their source's rules (windows_canned.py): check mode with no undefined variable and no
false preflight failure, and the order and arguments a Windows host would receive."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

import pytest
import yaml

from labtools import BIN, ROOT
from rml_lab import release
from windows_canned import REPLIES, calls, make_collections

VERSION = "1.4.0"


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    base = tmp_path_factory.mktemp("windows-canned")
    workspace = str(base / "release")
    release.build(workspace, release.Options(version=VERSION, date="2025-09-29", files=20))
    windows = {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "routing_ml_platform": "windows", "routing_ml_workspace": workspace, "routing_ml_version": VERSION,
        "routing_ml_release_notes": "deliverables/release_notes_2025-09-29.md",
        "routing_ml_share_root": "\\\\share\\routing_ml",
        "routing_ml_share_frontend_latest": "\\\\fileshare\\routing_ml\\frontend\\latest",
        # runas cannot run on this controller: the become fields are what test_windows_render checks.
        "routing_ml_share_access": "delegation", "routing_ml_share_user": "svc-share@CORP.EXAMPLE",
        "routing_ml_share_password": "canned-secret-value",
        "routing_ml_backend_home": "C:\\RoutingML", "routing_ml_frontend_root": "C:\\inetpub\\routing_ml",
        "routing_ml_frontend_url": "http://127.0.0.1:9", "routing_ml_backend_database_url": "access:///C:/RoutingML/data/RoutingML_RSL.accdb",
    }
    inventory = {"all": {"vars": windows, "children": {
        "backend": {"hosts": {"backend1": {}}}, "web": {"hosts": {"node1": {}}}}}}
    path = base / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    collections = make_collections(str(base / "collections"))
    return dict(base=base, inventory=str(path), collections=collections, workspace=workspace)


def run(estate, *flags):
    log = os.path.join(str(estate["base"]), "calls-%d.jsonl" % len(os.listdir(str(estate["base"]))))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), RML_CANNED_LOG=log,
               RML_CANNED_REPLIES=REPLIES, ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(
                   [estate["collections"], os.path.join(ROOT, ".collections")]))
    env["PATH"] = BIN + os.pathsep + env["PATH"]
    completed = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", estate["inventory"],
                                os.path.join(ROOT, "tests", "e2e", "playbooks", "windows_roles.yml")] + list(flags),
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True, check=False)
    open(log, "a").close()
    return completed.returncode, completed.stdout, calls(log)


def test_check_mode_runs_the_windows_path_without_undefined_or_false_failures(estate):
    rc, output, made = run(estate, "--check")
    assert rc == 0, output[-6000:]
    assert "undefined" not in output.lower()
    assert "not set" not in output, "no false preflight failure"
    modules = [c["module"] for c in made]
    # Read-only scripts ran for real; nothing else did.
    assert all(not c["check_mode"] for c in made if c["module"] == "ansible.windows.win_powershell")
    assert all(c["check_mode"] for c in made if c["module"] != "ansible.windows.win_powershell")
    assert "ansible.windows.win_get_url" in modules and "community.windows.win_robocopy" in modules, "backup lists (/l)"
    assert "canned-secret-value" not in output


def backend_steps(made):
    steps = []
    for call in made:
        module = call["module"].split(".")[-1]
        if module == "win_command":
            argv = call["args"]["argv"]
            steps.append("RemoveOnly" if "-RemoveOnly" in argv else
                         "install_service" if argv[-1].endswith("install_service.ps1") else "installer")
        elif module in ("win_get_url", "win_service", "win_regedit", "win_environment", "win_wait_for"):
            steps.append(module)
    return steps


def test_check_mode_predicts_the_sop_order_of_an_install(estate):
    rc, output, made = run(estate, "--check")
    assert rc == 0, output[-6000:]
    # win_command is skipped in check mode (the stub logs it first): the order is still SOP 5.2's.
    assert backend_steps(made) == ["win_environment", "RemoveOnly", "win_get_url", "installer", "install_service"]
    assert not [c for c in made if c["module"] == "community.windows.win_robocopy" and "inetpub" in c["args"]["dest"]]
    # (The callback wraps long lines: look for the parts.)
    assert "would mirror" in output and "switch the site to it" in output
    assert "C:\\inetpub\\routing_ml\\releases\\1.4.0" in output


def test_a_real_run_on_an_installed_host_restarts_the_service_for_its_new_environment(estate):
    """The installed version is the one asked for: no install; the database variable changed
    (canned: win_environment and win_regedit report a change), so the service restarts."""
    rc, output, made = run(estate, "-e", "routing_ml_version=1.3.2", "--limit", "backend1,localhost")
    assert rc == 0, output[-6000:]
    assert backend_steps(made) == ["win_environment", "win_regedit", "win_service", "win_wait_for"]
    service = [c for c in made if c["module"] == "ansible.windows.win_service"][0]["args"]
    assert service == {"name": "RoutingML", "start_mode": "auto", "state": "restarted"}
    regedit = [c for c in made if c["module"] == "ansible.windows.win_regedit"][0]["args"]
    assert regedit["path"] == "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\RoutingML"
    assert "RSL.accdb" not in output and "canned-secret-value" not in output, "no_log keeps the value out"


def test_a_windows_estate_without_the_share_account_is_refused_before_any_windows_module(estate):
    rc, output, made = run(estate, "-e", "routing_ml_share_access=become", "-e", "routing_ml_share_user=")
    assert rc != 0
    assert "reaches the share with become (routing_ml_share_access: become)" in output
    assert "routing_ml_share_user or routing_ml_share_password is not set" in output
    assert made == [], "no Windows module was called"

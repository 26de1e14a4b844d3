# -*- coding: utf-8 -*-
"""Every Windows task, rendered by ansible-core's templating against inventory/production and
against an estate whose paths have spaces and Korean in them: the exact paths, URLs and argv
a Windows host would receive."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import pytest

import windows_render as render

PS_FILE = ["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File"]
SHARE_FLAGS = "logon_type=new_credentials logon_flags=netcredentials_only"
CASES = [(inventory, host, path) for inventory in (render.PRODUCTION, render.SPACES)
         for host in ("backend1", "node1") for path in render.WINDOWS_FILES]


def by_name(tasks):
    return dict((name, (module, args, keywords)) for name, module, args, keywords in tasks)


@pytest.fixture(scope="module")
def production():
    return dict((host, render.Renderer(render.PRODUCTION, host)) for host in ("backend1", "node1"))


@pytest.fixture(scope="module")
def spaces():
    return dict((host, render.Renderer(render.SPACES, host)) for host in ("backend1", "node1"))


@pytest.mark.parametrize("inventory, host, path", CASES,
                         ids=["%s-%s-%s" % (os.path.basename(c[0]), c[1], c[2]) for c in CASES])
def test_every_windows_task_renders_to_clean_windows_paths(inventory, host, path):
    for name, module, args, keywords in render.Renderer(inventory, host).tasks(path):
        assert "." in module, "%s %r: %s is not a fully qualified name" % (path, name, module)
        for text in render.strings(args):
            if re.match(r"^(?:[A-Za-z]:\\|\\\\)", text):
                assert "\\\\" not in text[2:], "%s %r: doubled backslash in %r" % (path, name, text)
                assert "/" not in text, "%s %r: forward slash in the Windows path %r" % (path, name, text)
            assert "{{" not in text, "%s %r: unrendered template %r" % (path, name, text)
        if keywords.get("become") is True:
            assert keywords["become_flags"] == SHARE_FLAGS, "%s %r: become without the share logon" % (path, name)


def test_backend_install_on_production(production):
    tasks = by_name(production["backend1"].tasks("roles/backend/tasks/install_windows.yml"))
    names = list(tasks)
    order = [n for n in names if n.startswith(("Remove", "Wait", "Pull", "Run the installer", "Register"))]
    assert [n.split(" ")[0] for n in order] == ["Remove", "Wait", "Pull", "Run", "Register"], "SOP 5.2 order"
    assert tasks["Remove the running version's service (install_service.ps1 -RemoveOnly)"][1]["argv"] == \
        PS_FILE + ["C:\\RoutingML\\current\\install_service.ps1", "-RemoveOnly"]
    assert tasks["Make the installer folder"][1] == {"path": "C:\\RoutingML\\installer", "state": "directory"}
    pull = tasks["Pull the installer from the share with its digest (no push over WinRM)"]
    assert pull[1]["url"] == "file://share/routing_ml/releases/1.4.0/RoutingMLInstaller_1.4.0.exe"
    assert pull[1]["checksum_url"] == pull[1]["url"] + ".sha256"
    assert pull[1]["dest"] == "C:\\RoutingML\\installer\\RoutingMLInstaller_1.4.0.exe"
    assert pull[2]["become"] is True and pull[2]["become_flags"] == SHARE_FLAGS
    run = tasks["Run the installer silently (3010 means installed, a reboot pending)"]
    assert run[1]["argv"] == ["C:\\RoutingML\\installer\\RoutingMLInstaller_1.4.0.exe", "/S"]
    assert run[2]["async"] == 1800 and run[2]["_failed_when"] == [False], "3010 is not a failure"
    assert tasks["Register the service (install_service.ps1; its exit code counts)"][0] == "ansible.windows.win_command"


def test_backend_install_with_spaces_and_korean(spaces):
    tasks = by_name(spaces["backend1"].tasks("roles/backend/tasks/install_windows.yml"))
    pull = tasks["Pull the installer from the share with its digest (no push over WinRM)"]
    assert pull[1]["url"] == ("file://files01/%EB%9D%BC%EC%9A%B0%ED%8C%85%20ML/%EB%B0%B0%ED%8F%AC"
                              "/releases/1.4.0/RoutingMLInstaller_1.4.0.exe")
    assert pull[1]["dest"] == "D:\\Program Files\\Routing ML\\installer\\RoutingMLInstaller_1.4.0.exe"
    assert pull[2]["become_user"] == "share-user@CORP.EXAMPLE"
    assert tasks["Run the installer silently (3010 means installed, a reboot pending)"][1]["argv"][0] == \
        "D:\\Program Files\\Routing ML\\installer\\RoutingMLInstaller_1.4.0.exe", "one argv item, spaces kept"


def test_backend_service_and_its_environment(production):
    tasks = by_name(production["backend1"].tasks("roles/backend/tasks/service_windows.yml"))
    env = tasks["The database variable in the service's own environment (a running service never sees a new machine variable)"]
    assert env[1]["path"] == "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\RoutingML"
    assert env[1]["type"] == "multistring"
    assert env[1]["data"] == ["ROUTING_ML_RSL_DATABASE_URL=access:///C:/RoutingML/data/RoutingML_RSL.accdb"]
    start = tasks["Start mode automatic, and started (restarted when its environment changed)"][1]
    assert start == {"name": "RoutingML", "start_mode": "auto", "state": "restarted"}


def test_backend_reads_a_version_file_with_a_bom(production):
    tasks = by_name(production["backend1"].tasks("roles/backend/tasks/running_windows.yml"))
    assert tasks["Read current\\VERSION"][1] == {"src": "C:\\RoutingML\\current\\VERSION"}
    variables = production["backend1"].variables("backend")
    from ansible.template import Templar, trust_as_template
    templar = Templar(loader=production["backend1"].loader, variables=variables)
    assert templar.template(trust_as_template(render.load_yaml("roles/backend/tasks/running.yml")[1][
        "ansible.builtin.set_fact"]["routing_ml_running_version"])) == "1.3.2"


def test_backup_goes_to_one_backup_folder_and_is_checked_there(production):
    tasks = render.Renderer(render.PRODUCTION, "backend1").tasks("roles/backup/tasks/copy_windows.yml")
    copies = [args for name, module, args, kw in tasks if module == "community.windows.win_robocopy"]
    assert [(c["src"], c["dest"]) for c in copies] == [
        ("C:\\RoutingML\\installer", "\\\\share\\routing_ml\\backup\\1.3.2"),
        ("C:\\RoutingML\\current", "\\\\share\\routing_ml\\backup\\1.3.2"),
        ("C:\\RoutingML\\current\\backup", "\\\\share\\routing_ml\\backup\\1.3.2\\backup"),
    ]
    check = by_name(tasks)["Check the copy on the share against the host's digests"]
    assert check[1]["parameters"]["Path"] == "\\\\share\\routing_ml\\backup\\1.3.2"
    assert os.path.isfile(check[1]["path"]), "the one manifest check script"


def test_frontend_mirrors_into_a_folder_that_is_not_live_and_switches_to_it(spaces):
    tasks = by_name(spaces["node1"].tasks("roles/frontend/tasks/node_windows.yml"))
    mirror = tasks["Mirror frontend\\latest into a release folder that is not live"]
    assert mirror[1]["src"] == "\\\\files01\\라우팅 ML\\배포\\frontend\\latest"
    # The canned live release is 1.4.0 with an extra file: never mirrored in place.
    assert mirror[1]["dest"] == "D:\\웹 사이트\\routing_ml\\releases\\1.4.0+1"
    assert mirror[2]["_changed_when"] == [True], "robocopy rc 2: extras purged is a change"
    switch = tasks["Switch the site's physical path in one step"][1]
    assert switch == {"name": "Routing ML", "physical_path": "D:\\웹 사이트\\routing_ml\\releases\\1.4.0+1",
                      "state": "started"}


def test_all_manifest_checks_use_the_one_script(production):
    paths = set()
    for path in render.WINDOWS_FILES:
        for name, module, args, kw in production["node1"].tasks(path):
            if module == "ansible.windows.win_powershell" and "Manifest" in args.get("parameters", {}):
                assert "script" not in args, "%s %r: inline manifest check" % (path, name)
                paths.add(os.path.basename(args["path"]))
    offline = render.load_yaml("roles/offline_bundle/tasks/main.yml")[1]["routing_ml.deploy.offline_package"]["script"]
    assert paths == {os.path.basename(offline)} == {"Verify-RoutingMLFrontend.ps1"}


def test_a_unc_database_is_checked_through_the_share_logon(spaces):
    tasks = by_name(spaces["backend1"].tasks("roles/preflight/tasks/host_windows.yml"))
    stat = tasks["Look for the database file the variable names"]
    assert stat[1]["path"] == render.DATABASE_UNC and stat[2]["become"] is True


def test_read_only_scripts_run_in_check_mode(production):
    for path in render.WINDOWS_FILES:
        for task in render.load_yaml(path):
            for one in task.get("block", [task]):
                args = one.get("ansible.windows.win_powershell")
                if args is not None:
                    assert one.get("check_mode") is False, "%s %r: skipped in check mode" % (path, one["name"])


def test_backend_rollback_pulls_the_backed_up_installer_with_the_recorded_digest(production):
    renderer = production["backend1"]
    rollback = render.Renderer(render.PRODUCTION, "backend1")
    include = by_name(rollback.tasks("roles/rollback/tasks/backend_windows.yml"))["Reinstall the backed-up installer"]
    assert include[1] == {"name": "routing_ml.deploy.backend", "tasks_from": "install_windows.yml"}
    # install_windows.yml run with the include's vars (rendered in the rollback role's scope).
    variables = rollback.variables("rollback")
    from ansible.template import Templar
    templar = Templar(loader=rollback.loader, variables=variables)
    include_vars = templar.template(render.trusted(render.load_yaml("roles/rollback/tasks/backend_windows.yml")[0]["vars"]))
    assert include_vars == {
        "routing_ml_backend_installer": "RoutingMLInstaller_1.3.2.exe",
        "routing_ml_backend_installer_sha256": "c" * 64,
        "routing_ml_backend_share_folder": "\\\\share\\routing_ml\\backup\\1.3.2",
    }
    tasks = by_name(renderer.tasks("roles/backend/tasks/install_windows.yml", include_vars))
    pull = tasks["Pull the installer from the share with its digest (no push over WinRM)"]
    assert pull[1]["url"] == "file://share/routing_ml/backup/1.3.2/RoutingMLInstaller_1.3.2.exe"
    assert pull[1]["checksum"] == "c" * 64 and "checksum_url" not in pull[1], "the backup has no sidecar"
    assert pull[1]["dest"] == "C:\\RoutingML\\installer\\RoutingMLInstaller_1.3.2.exe"
    check = tasks["Verify its digest on the host"][1]
    assert check == {"path": "C:\\RoutingML\\installer\\RoutingMLInstaller_1.3.2.exe", "checksum": "c" * 64}
    assert tasks["Remove the running version's service (install_service.ps1 -RemoveOnly)"][1]["argv"][-1] == "-RemoveOnly"


def test_backend_rollback_aligns_update_bat_and_backup_from_the_share(spaces):
    tasks = spaces["backend1"].tasks("roles/rollback/tasks/backend_windows.yml")
    copies = [(args["src"], args["dest"], args["flags"], kw["become"]) for name, module, args, kw in tasks
              if module == "community.windows.win_robocopy"]
    assert copies == [
        ("\\\\files01\\라우팅 ML\\배포\\backup\\1.3.2", "D:\\Program Files\\Routing ML\\current",
         "update.bat /R:2 /W:5 /NP", True),
        ("\\\\files01\\라우팅 ML\\배포\\backup\\1.3.2\\backup", "D:\\Program Files\\Routing ML\\current\\backup",
         "/MIR /R:2 /W:5 /NP", True)]
    prove = spaces["backend1"].tasks("roles/rollback/tasks/prove_backend_windows.yml")
    check = [(module, args, kw) for name, module, args, kw in prove if module == "ansible.windows.win_powershell"][0]
    assert check[1]["parameters"]["Path"] == "\\\\files01\\라우팅 ML\\배포\\backup\\1.3.2"
    assert check[2]["become_flags"] == SHARE_FLAGS


def test_frontend_rollback_checks_the_targets_folders_with_the_one_script(production):
    tasks = production["node1"].tasks("roles/rollback/tasks/prove_frontend_windows.yml")
    checks = [args for name, module, args, kw in tasks if module == "ansible.windows.win_powershell"]
    assert [c["parameters"]["Path"] for c in checks] == [
        "C:\\inetpub\\routing_ml\\releases\\1.3.2", "C:\\inetpub\\routing_ml\\releases\\1.3.2+1"]
    assert all(os.path.basename(c["path"]) == "Verify-RoutingMLFrontend.ps1" for c in checks)


def test_retention_on_iis_removes_only_old_unprotected_release_folders(production):
    tasks = production["node1"].tasks("roles/frontend/tasks/retention_windows.yml")
    removed = [args["path"] for name, module, args, kw in tasks if module == "ansible.windows.win_file"]
    # Kept: the live 1.4.0+1 and 1.4.0 (protected), and the 3 newest others.
    assert removed == ["C:\\inetpub\\routing_ml\\releases\\1.2.9"]


def test_the_status_check_of_an_iis_node_takes_the_expected_manifest_and_runs_only_the_powershell(production):
    manifest = "%s  index.html\n" % ("ab" * 32)
    expected = {"role": "web", "expected_version": "1.4.0", "manifest_sha256": "cd" * 32, "staging": None}
    tasks = by_name(production["node1"].tasks("roles/frontend/tasks/status.yml", {
        "routing_ml_status_expected": expected, "routing_ml_status_manifests": {"1.4.0": manifest}}))
    module, args, keywords = tasks["Which release does this IIS node serve, and is it byte for byte that release?"]
    assert module == "ansible.windows.win_powershell"
    assert args["path"] == "Verify-RoutingMLFrontend.ps1"
    assert args["parameters"] == {"Site": "RoutingML", "Manifest": manifest, "Report": True}
    assert keywords["_when"] == [True]
    raw = dict((t["name"], t) for t in render.load_yaml("roles/frontend/tasks/status.yml"))
    # Read-only, so it runs in check mode too, and one lost node is reported, not fatal.
    assert raw["Which release does this IIS node serve, and is it byte for byte that release?"]["check_mode"] is False
    assert all(t["ignore_unreachable"] is True for t in raw.values())
    # The nginx task is skipped on an IIS node.
    linux = tasks["Which release does this nginx node serve, and is it byte for byte that release?"]
    assert linux[2]["_when"] == [False]
    # Without a staged manifest of the expected version the check is skipped (reported, not guessed).
    assert "routing_ml_status_expected.expected_version in routing_ml_status_manifests" in \
        raw["Which release does this IIS node serve, and is it byte for byte that release?"]["when"]

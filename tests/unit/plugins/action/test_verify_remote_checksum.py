# -*- coding: utf-8 -*-
"""verify_remote_checksum against recorded stat (POSIX) and win_stat (Windows) replies."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
from unittest.mock import MagicMock

import pytest

from ansible.parsing.dataloader import DataLoader

from ansible_collections.routing_ml.deploy.plugins.action.verify_remote_checksum import ActionModule

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
CONTENT = b"RoutingML frontend bundle\n"
DIGEST = "c7c0c25b8a00befb479d064da8882581b9053f0d6df16ca84e26900b573dbf78"
REMOTE = {"sh": "/srv/routing_ml/incoming/RoutingMLFrontend_1.4.0.zip",
          "powershell": "C:\\RoutingML\\incoming\\RoutingMLFrontend_1.4.0.zip"}
RECORDED = {("sh", True): "stat_posix_file.json", ("sh", False): "stat_posix_missing.json",
            ("powershell", True): "win_stat_file.json", ("powershell", False): "win_stat_missing.json"}


def recorded(shell, exists):
    with open(os.path.join(FIXTURES, RECORDED[(shell, exists)])) as handle:
        return json.load(handle)


def make_plugin(args, shell, reply):
    task = MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = False
    task.action = "routing_ml.deploy.verify_remote_checksum"
    task.get_search_path.return_value = []
    connection = MagicMock()
    connection._shell.SHELL_FAMILY = shell
    connection._shell.tmpdir = None
    plugin = ActionModule(task, connection, MagicMock(), DataLoader(), None, None)
    plugin._execute_module = MagicMock(return_value=reply)
    plugin._remove_tmp_path = MagicMock()
    return plugin


@pytest.fixture
def local_copy(tmp_path):
    path = tmp_path / "RoutingMLFrontend_1.4.0.zip"
    path.write_bytes(CONTENT)
    return path


@pytest.mark.parametrize("shell", ["sh", "powershell"])
def test_matching_file_passes_with_src(shell, local_copy):
    plugin = make_plugin(dict(path=REMOTE[shell], src=str(local_copy)), shell, recorded(shell, True))
    result = plugin.run(task_vars={"inventory_hostname": "node1"})
    assert not result.get("failed"), result
    assert result["checksum"] == result["expected"] == DIGEST and result["size"] == len(CONTENT)
    call = plugin._execute_module.call_args.kwargs
    assert call["module_name"] == "ansible.legacy.stat"
    sent = call["module_args"]
    assert sent["checksum_algorithm"] == "sha256" and sent["get_checksum"] is True and sent["path"] == REMOTE[shell]
    if shell == "powershell":
        assert set(sent) <= {"path", "get_checksum", "checksum_algorithm", "follow", "get_size"}, \
            "only options win_stat knows go to Windows"
    else:
        assert sent["get_mime"] is False and sent["get_attributes"] is False


@pytest.mark.parametrize("shell", ["sh", "powershell"])
@pytest.mark.parametrize("expected", [DIGEST.upper(), "sha256:" + DIGEST])
def test_matching_file_passes_with_checksum(shell, expected):
    plugin = make_plugin(dict(path=REMOTE[shell], checksum=expected), shell, recorded(shell, True))
    result = plugin.run(task_vars={})
    assert not result.get("failed") and not result["changed"]


@pytest.mark.parametrize("shell", ["sh", "powershell"])
def test_matching_file_passes_with_sidecar(shell, tmp_path):
    sidecar = tmp_path / "RoutingMLFrontend_1.4.0.zip.sha256"
    sidecar.write_text("%s  RoutingMLFrontend_1.4.0.zip\n" % DIGEST)
    plugin = make_plugin(dict(path=REMOTE[shell], sidecar=str(sidecar)), shell, recorded(shell, True))
    result = plugin.run(task_vars={})
    assert not result.get("failed"), result


@pytest.mark.parametrize("shell", ["sh", "powershell"])
def test_mismatch_names_host_path_and_both_digests(shell):
    other = "0" * 64
    plugin = make_plugin(dict(path=REMOTE[shell], checksum=other), shell, recorded(shell, True))
    result = plugin.run(task_vars={"inventory_hostname": "node3"})
    assert result["failed"]
    assert result["msg"] == "SHA256 mismatch for %s on node3: expected %s, actual %s" % (REMOTE[shell], other, DIGEST)


def test_a_delegated_mismatch_names_the_host_asked_and_what_holds_the_expected_digest():
    other = "0" * 64
    plugin = make_plugin(dict(path=REMOTE["sh"], checksum=other, expected_from="this run's bundle"), "sh",
                         recorded("sh", True))
    result = plugin.run(task_vars={"inventory_hostname": "localhost", "ansible_delegated_vars": {"nas1": {}}})
    assert result["msg"] == "%s on nas1 has sha256 %s, but this run's bundle has sha256 %s" % (REMOTE["sh"], DIGEST, other)


@pytest.mark.parametrize("shell", ["sh", "powershell"])
def test_missing_remote_file_is_its_own_failure(shell):
    plugin = make_plugin(dict(path=REMOTE[shell], checksum=DIGEST), shell, recorded(shell, False))
    result = plugin.run(task_vars={"inventory_hostname": "node2"})
    assert result["failed"] and result["exists"] is False
    assert result["msg"] == "%s does not exist on node2" % REMOTE[shell]
    assert "mismatch" not in result["msg"]


def test_directory_and_stat_failure_are_reported():
    reply = recorded("sh", True)
    reply["stat"].update(isdir=True, isreg=False)
    reply["stat"].pop("checksum")
    result = make_plugin(dict(path="/srv", checksum=DIGEST), "sh", reply).run(task_vars={})
    assert result["failed"] and "is a directory" in result["msg"]
    result = make_plugin(dict(path="/srv/x", checksum=DIGEST), "sh",
                         {"failed": True, "msg": "Permission denied"}).run(task_vars={})
    assert result["failed"] and "Permission denied" in result["msg"]


@pytest.mark.parametrize("args,needle", [
    (dict(path="/x"), "one of the following is required"),
    (dict(path="/x", checksum=DIGEST, src="/y"), "mutually exclusive"),
    (dict(path="/x", checksum="abc"), "'abc'"),
    (dict(path="/x", src="/nonexistent/file.zip"), "/nonexistent/file.zip"),
])
def test_bad_arguments_fail_before_the_host_is_asked(args, needle):
    plugin = make_plugin(args, "sh", recorded("sh", True))
    result = plugin.run(task_vars={})
    assert result["failed"] and needle in result["msg"]
    plugin._execute_module.assert_not_called()


def test_core_runs_win_stat_for_this_action_on_a_powershell_host():
    """The design rests on core swapping ansible.legacy.stat for win_stat on WinRM hosts."""
    from ansible.plugins.loader import init_plugin_loader, shell_loader
    from ansible.playbook.play_context import PlayContext
    from ansible.template import Templar

    init_plugin_loader()
    task = MagicMock()
    task.action = "routing_ml.deploy.verify_remote_checksum"
    task.environment = []
    task.delegate_to = None
    task.async_val = 0
    connection = MagicMock()
    connection._shell = shell_loader.get("powershell")
    connection.module_implementation_preferences = (".ps1", ".exe", "")
    connection.become = None
    loader = DataLoader()
    plugin = ActionModule(task, connection, PlayContext(), loader, Templar(loader=loader), None)
    stat_args = dict(path=REMOTE["powershell"], get_checksum=True, checksum_algorithm="sha256", follow=True)
    built = plugin._configure_module("ansible.legacy.stat", stat_args, task_vars={})[0]
    # The built payload is the exec wrapper, a NUL separator, then the manifest naming the module.
    documents = [json.loads(part) for part in built.b_module_data.split(b"\0\0\0\0") if part.strip()]
    scripts = [a["params"].get("Script") for d in documents for a in d.get("actions", [])]
    assert "ansible_collections.ansible.windows.plugins.modules.win_stat.ps1" in scripts


def test_options_sent_to_windows_are_documented_win_stat_options():
    import subprocess
    import sys

    # As a module of this interpreter: ansible-test's venv has ansible on its path but no scripts.
    doc = subprocess.run([sys.executable, "-m", "ansible.cli.doc", "-j", "ansible.windows.win_stat"],
                         stdout=subprocess.PIPE, check=True).stdout
    options = json.loads(doc)["ansible.windows.win_stat"]["doc"]["options"]
    plugin = make_plugin(dict(path=REMOTE["powershell"], checksum=DIGEST), "powershell", recorded("powershell", True))
    plugin.run(task_vars={})
    sent = plugin._execute_module.call_args.kwargs["module_args"]
    assert set(sent) <= set(options)
    assert sent["checksum_algorithm"] in options["checksum_algorithm"]["choices"]

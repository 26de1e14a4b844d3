# -*- coding: utf-8 -*-
"""A controller step runs its module's main() in the worker: same arguments, check mode, result."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
from unittest.mock import MagicMock

from ansible_collections.routing_ml.deploy.plugins.plugin_utils import _controller_module as controller_module

ARTIFACT_HASH = "ansible_collections.routing_ml.deploy.plugins.modules.artifact_hash"


def action(transport="local", become=False, async_val=0, environment=()):
    found = MagicMock()
    found._connection.transport = transport
    found._play_context.become = become
    found._task.async_val = async_val
    found._task.environment = list(environment)
    found._task.action = "routing_ml.deploy.artifact_hash"
    return found


def test_only_a_task_on_the_controller_without_become_async_or_environment_runs_in_the_worker():
    assert controller_module.runs_here(action())
    assert controller_module.runs_here(action(environment=[{}]))
    assert not controller_module.runs_here(action(transport="ssh"))
    assert not controller_module.runs_here(action(transport="winrm"))
    assert not controller_module.runs_here(action(become=True))
    assert not controller_module.runs_here(action(async_val=30))
    # A module process would see these variables; the worker would not.
    assert not controller_module.runs_here(action(environment=[{"HTTPS_PROXY": "http://127.0.0.1:3128"}]))


def test_the_module_checks_its_arguments_honours_check_mode_and_writes_when_asked(tmp_path):
    artifact = tmp_path / "RoutingMLFrontend_1.4.0.zip"
    artifact.write_bytes(b"the bundle's bytes")
    digest = hashlib.sha256(b"the bundle's bytes").hexdigest()
    sidecar = tmp_path / "RoutingMLFrontend_1.4.0.zip.sha256"
    checked = json.loads(controller_module._run_main(ARTIFACT_HASH, {"path": str(artifact), "_ansible_check_mode": True}))
    assert (checked["checksum"], checked["changed"], sidecar.exists()) == (digest, True, False)
    written = json.loads(controller_module._run_main(ARTIFACT_HASH, {"path": str(artifact)}))
    assert written["changed"] and sidecar.read_text().split() == [digest, artifact.name]
    again = json.loads(controller_module._run_main(ARTIFACT_HASH, {"path": str(artifact)}))
    assert again["changed"] is False
    refused = json.loads(controller_module._run_main(ARTIFACT_HASH, {}))
    assert refused["failed"] and "missing required arguments: path" in refused["msg"]


def test_a_module_that_raises_fails_its_task_with_the_traceback():
    # json has no main(): as a module that crashes, the step fails and names why.
    crashed = json.loads(controller_module._run_main("json", {}))
    assert crashed["failed"] and crashed["msg"].startswith("json raised AttributeError")
    assert "Traceback" in crashed["exception"]


def test_a_task_on_a_host_runs_the_module_the_usual_way():
    remote = action(transport="ssh")
    remote._execute_module.return_value = {"changed": False, "checksum": "ab" * 32}
    assert controller_module.execute_module(remote, module_args={"path": "/srv/a"}, task_vars={}) == \
        {"changed": False, "checksum": "ab" * 32}
    remote._execute_module.assert_called_once_with(module_name="routing_ml.deploy.artifact_hash",
                                                   module_args={"path": "/srv/a"}, task_vars={})


def test_on_the_controller_the_result_is_parsed_as_a_module_processs_would_be(tmp_path, monkeypatch):
    artifact = tmp_path / "a.exe"
    artifact.write_bytes(b"installer")
    local = action()
    monkeypatch.setattr(controller_module, "module_path_of", lambda name: ARTIFACT_HASH)
    local._update_module_args.side_effect = lambda name, args, task_vars: args.update(_ansible_check_mode=True)
    local._parse_returned_data.side_effect = lambda res, profile: dict(json.loads(res["stdout"]), _ansible_parsed=True)
    result = controller_module.execute_module(local, module_args={"path": str(artifact)}, task_vars={})
    assert result["checksum"] == hashlib.sha256(b"installer").hexdigest()
    assert result["_ansible_parsed"] is True and "invocation" in result and not local._execute_module.called
    assert not (tmp_path / "a.exe.sha256").exists(), "check mode reached the module"

# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _health


def test_healthy_needs_200_ok_and_the_version():
    assert _health.judge(200, '{"status": "ok", "version": "1.4.0"}', "1.4.0")[::2] == (
        True, {"status": "ok", "version": "1.4.0"})
    assert not _health.judge(200, '{"status": "ok", "version": "1.3.2"}', "1.4.0")[0]
    assert not _health.judge(500, '{"status": "ok", "version": "1.4.0"}', "1.4.0")[0]
    healthy, summary, data = _health.judge(502, "<html>bad gateway</html>", "1.4.0")
    assert not healthy and "502" in summary and "not a JSON object" in summary and data is None


@pytest.mark.parametrize("reply, running", [
    ({"exists": False, "services": []}, False),
    ({"exists": True, "services": [{"state": "stopped", "start_mode": "auto"}]}, False),
    ({"exists": True, "services": [{"state": "paused", "start_mode": "auto"}]}, False),
    ({"exists": True, "services": [{"state": "running", "start_mode": "auto"}]}, True),
    ({"exists": True, "services": [{"state": "start_pending", "start_mode": "auto"}]}, True),
    ({"failed": True, "msg": "WinRM timeout"}, None),
    ({"unreachable": True, "msg": "no route"}, None),
])
def test_windows_service_states(reply, running):
    assert _health.service_state("windows", reply)[0] is running


def test_windows_description_names_state_and_start_mode():
    state = _health.service_state("windows", {"exists": True, "services": [{"state": "stopped", "start_mode": "manual"}]})
    assert state == (False, "state stopped, start mode manual")


@pytest.mark.parametrize("stdout, running", [
    (json.dumps({"running": False, "registered": True, "version": "1.4.0"}), False),
    (json.dumps({"running": True, "registered": True, "version": "1.4.0"}), True),
    ("Traceback ...", None),
    (json.dumps({"registered": True}), None),
    ("", None),
])
def test_linux_status_command(stdout, running):
    assert _health.service_state("linux", {"rc": 0, "stdout": stdout})[0] is running


def test_linux_failed_status_command_is_unknown_not_stopped():
    running, described = _health.service_state("linux", {"failed": True, "rc": 2, "msg": "non-zero return code",
                                                         "stderr": "No such file"})
    assert running is None and "non-zero return code" in described

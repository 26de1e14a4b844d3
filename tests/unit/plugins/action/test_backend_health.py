# -*- coding: utf-8 -*-
"""backend_health against a real HTTP server on loopback and recorded service replies."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from unittest.mock import MagicMock

import pytest

from ansible.parsing.dataloader import DataLoader

from ansible_collections.routing_ml.deploy.plugins.action.backend_health import ActionModule

LINUX = {"platform": "linux", "status_command": ["python3", "install_service.py", "--status"]}
WINDOWS = {"platform": "windows", "name": "RoutingML"}
STOPPED_WIN = {"exists": True, "services": [{"name": "RoutingML", "state": "stopped", "start_mode": "auto"}]}
RUNNING_WIN = {"exists": True, "services": [{"name": "RoutingML", "state": "running", "start_mode": "auto"}]}


class Clock(object):
    """A clock that advances only when the plugin sleeps, so deadlines are exact."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.fixture
def server():
    """A backend on 127.0.0.1 whose answers the test sets: a list of (status, body)."""
    answers = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, body = answers.pop(0) if len(answers) > 1 else answers[0]
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/api/health" % httpd.server_port, answers
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def closed_port():
    """A loopback URL nobody listens on: connections are refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return "http://127.0.0.1:%d/api/health" % port


def make_plugin(args, replies):
    task = MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = False
    task.action = "routing_ml.deploy.backend_health"
    connection = MagicMock()
    connection._shell.tmpdir = None
    plugin = ActionModule(task, connection, MagicMock(), DataLoader(), None, None)
    plugin._execute_module = MagicMock(side_effect=list(replies))
    plugin._remove_tmp_path = MagicMock()
    clock = Clock()
    plugin._clock = clock
    plugin._sleep = clock.sleep
    return plugin


def run(plugin):
    return plugin.run(task_vars={"inventory_hostname": "backend1"})


def test_healthy_at_once(server):
    url, answers = server
    answers.append((200, json.dumps({"status": "ok", "version": "1.4.0", "database": "configured"})))
    plugin = make_plugin(dict(url=url, version="1.4.0", service=LINUX), [])
    result = run(plugin)
    assert not result.get("failed"), result
    assert result["status"] == 200 and result["json"]["version"] == "1.4.0" and result["attempts"] == 1
    plugin._execute_module.assert_not_called()


def test_a_starting_service_gets_the_deadline(server):
    url, answers = server
    answers.extend([(503, '{"status": "starting"}')] * 3 + [(200, '{"status": "ok", "version": "1.4.0"}')])
    result = run(make_plugin(dict(url=url, version="1.4.0", service=LINUX, delay=2, deadline=60), []))
    assert not result.get("failed") and result["attempts"] == 4 and result["elapsed"] == 6


def test_wrong_version_until_the_deadline(server):
    url, answers = server
    answers.append((200, '{"status": "ok", "version": "1.3.2"}'))
    result = run(make_plugin(dict(url=url, version="1.4.0", service=LINUX, delay=2, deadline=10), []))
    assert result["failed"] and "within 10 s" in result["msg"] and '"version": "1.3.2"' in result["msg"]
    assert result["attempts"] == 6, "polls at 0, 2, ... 10 s: the deadline included"


@pytest.mark.parametrize("service, reply, cause", [
    (LINUX, {"rc": 0, "stdout": json.dumps({"running": False, "registered": True, "version": "1.4.0"})},
     "stopped, registered for version 1.4.0"),
    (WINDOWS, STOPPED_WIN, "state stopped, start mode auto"),
    (WINDOWS, {"exists": False, "services": []}, "the service is not installed"),
])
def test_refused_and_not_running_fails_at_once_with_the_cause(closed_port, service, reply, cause):
    plugin = make_plugin(dict(url=closed_port, version="1.4.0", service=service, deadline=60,
                              tried="the backend role started the service"), [reply])
    result = run(plugin)
    assert result["failed"] and result["attempts"] == 1
    assert "backend1: the Routing ML service is not running (%s)" % cause in result["msg"]
    assert "this run: the backend role started the service" in result["msg"]
    call = plugin._execute_module.call_args.kwargs
    if service is WINDOWS:
        assert call["module_name"] == "ansible.windows.win_service_info" and call["module_args"] == {"name": "RoutingML"}
    else:
        assert call["module_name"] == "ansible.legacy.command" and call["module_args"]["argv"][-1] == "--status"


def test_refused_while_the_service_is_starting_keeps_waiting(closed_port):
    plugin = make_plugin(dict(url=closed_port, version="1.4.0", service=WINDOWS, deadline=6, delay=2),
                         [RUNNING_WIN] * 4)
    result = run(plugin)
    assert result["failed"] and result["attempts"] == 4 and "within 6 s" in result["msg"]
    assert "service: state running" in result["msg"]


def test_an_unknown_service_state_is_not_taken_for_stopped(closed_port):
    plugin = make_plugin(dict(url=closed_port, version="1.4.0", service=LINUX, deadline=4, delay=2),
                         [{"failed": True, "msg": "ssh hiccup"}] * 3)
    result = run(plugin)
    assert result["failed"] and result["attempts"] == 3 and "could not say (ssh hiccup)" in result["msg"]


def test_arguments_are_checked():
    result = run(make_plugin(dict(url="http://127.0.0.1:1/", version="1.4.0", service={"platform": "windows"}), []))
    assert result["failed"] and "name" in result["msg"]


@pytest.mark.parametrize("progress, attempts, within", [
    (4, 3, "within 4 s, what was left of the rollout's progress deadline"),
    (100, 6, "within 10 s (6 attempts)"),
    # A rollout already past its deadline still asks once, and says why it stops there.
    (-5, 1, "within 0 s, what was left of the rollout's progress deadline"),
])
def test_the_rollouts_progress_deadline_caps_the_wait(server, progress, attempts, within):
    url, answers = server
    answers.append((503, '{"status": "starting"}'))
    result = run(make_plugin(dict(url=url, version="1.4.0", service=LINUX, delay=2, deadline=10, progress=progress), []))
    assert result["failed"] and within in result["msg"], result["msg"]
    assert result["attempts"] == attempts

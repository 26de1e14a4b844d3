# -*- coding: utf-8 -*-
"""spot_test against a real HTTP backend on 127.0.0.1 (http.server in a thread): the group is
POSTed, then looked for in GET, and the run says when it started and from which address."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import spot_test

NAME = "spot-1.4.0-backend1-42"
PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


class Backend(object):
    """What the fake RSL API does and what it was asked."""

    def __init__(self):
        self.groups = []
        self.requests = []
        self.post_status = 201
        self.keep = True
        self.listing = "dict"
        self.stall = False
        self.release = threading.Event()
        self.url = None

    def paths(self):
        return [(r["method"], r["path"]) for r in self.requests]


def handler_for(backend):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def record(self, body=None):
            backend.requests.append(dict(method=self.command, path=self.path, client=self.client_address[0],
                                         content_type=self.headers.get("Content-Type"), body=body))

        def answer(self, status, body):
            data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.record(body)
            if backend.stall:
                backend.release.wait(30)
            group = json.loads(body.decode("utf-8"))
            if backend.keep:
                backend.groups.append(dict(group, id=len(backend.groups) + 1))
            self.answer(backend.post_status, dict(group, id=len(backend.groups)))

        def do_GET(self):
            self.record()
            if backend.listing == "dict":
                self.answer(200, {"groups": backend.groups})
            elif backend.listing == "list":
                self.answer(200, backend.groups)
            else:
                self.answer(200, b"<html>maintenance</html>")

    return Handler


@pytest.fixture
def backend(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    state = Backend()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.05))
    thread.daemon = True
    thread.start()
    state.url = "http://127.0.0.1:%d" % server.server_address[1]
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()
    thread.join(10)


def spot(run_module, url, check_mode=False, **extra):
    return run_module(spot_test, dict(dict(url=url, name=NAME), **extra), check_mode=check_mode)


def test_creates_the_group_and_finds_it(run_module, backend):
    before = datetime.datetime.now().astimezone().replace(microsecond=0)
    failed, result = spot(run_module, backend.url)
    after = datetime.datetime.now().astimezone()
    assert not failed, result.get("msg")
    assert result["changed"] and result["found"] is True
    assert result["created"] == {"name": NAME, "routes": [], "id": 1}
    assert backend.paths() == [("POST", "/api/rsl/groups"), ("GET", "/api/rsl/groups")]
    post = backend.requests[0]
    assert post["content_type"] == "application/json"
    assert json.loads(post["body"].decode("utf-8")) == {"name": NAME, "routes": []}
    started = datetime.datetime.fromisoformat(result["started"])
    assert started.tzinfo is not None and started.utcoffset() is not None, "ISO8601 with an offset"
    assert before <= started <= after


def test_client_ip_is_the_address_the_backend_saw(run_module, backend):
    failed, result = spot(run_module, backend.url)
    assert not failed
    assert result["client_ip"] == backend.requests[0]["client"] == backend.requests[1]["client"]


def test_a_base_url_with_a_trailing_slash(run_module, backend):
    failed, result = spot(run_module, backend.url + "/")
    assert not failed and result["found"]
    assert backend.paths() == [("POST", "/api/rsl/groups"), ("GET", "/api/rsl/groups")]


def test_a_listing_that_is_a_bare_list(run_module, backend):
    backend.listing = "list"
    failed, result = spot(run_module, backend.url)
    assert not failed and result["found"]


def test_a_second_run_with_another_name_creates_another_group(run_module, backend):
    spot(run_module, backend.url)
    failed, result = spot(run_module, backend.url, name=NAME + "-2")
    assert not failed and result["changed"] and result["created"]["name"] == NAME + "-2"
    assert [g["name"] for g in backend.groups] == [NAME, NAME + "-2"]


def test_check_mode_sends_nothing_and_says_so(run_module, backend):
    failed, result = spot(run_module, backend.url, check_mode=True)
    assert not failed and not result["changed"] and result["skipped"]
    assert result["msg"] == "check mode: the spot test creates a group, so it did not run"
    assert result["found"] is False and "created" not in result
    assert result["client_ip"] == "127.0.0.1" and result["started"]
    assert backend.requests == [] and backend.groups == []


def test_a_post_that_does_not_answer_201_fails_and_is_not_followed_by_get(run_module, backend):
    backend.post_status = 200
    failed, result = spot(run_module, backend.url)
    assert failed and result["msg"] == "POST /api/rsl/groups answered 200, expected 201"
    assert backend.paths() == [("POST", "/api/rsl/groups")]


@pytest.mark.parametrize("status", [400, 409, 500])
def test_an_http_error_names_the_request_and_returns_the_status(run_module, backend, status):
    backend.post_status = status
    failed, result = spot(run_module, backend.url)
    assert failed and result["status"] == status
    assert result["msg"].startswith("POST %s/api/rsl/groups failed: HTTP Error %d" % (backend.url, status))
    assert backend.paths() == [("POST", "/api/rsl/groups")]


def test_a_group_missing_from_the_listing_fails_and_still_reports_the_creation(run_module, backend):
    backend.keep = False
    failed, result = spot(run_module, backend.url)
    assert failed and result["msg"] == "GET /api/rsl/groups does not list the group %r just created" % NAME
    assert result["changed"] is True, "the POST created something: the failure must not hide it"
    assert result["found"] is False and result["created"]["name"] == NAME


def test_a_listing_that_is_not_json_fails_naming_the_request(run_module, backend):
    backend.listing = "html"
    failed, result = spot(run_module, backend.url)
    assert failed and result["msg"].startswith("GET %s/api/rsl/groups failed: " % backend.url)


def test_a_backend_that_is_down_is_named(run_module, backend):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    closed = "http://127.0.0.1:%d" % probe.getsockname()[1]
    probe.close()
    failed, result = spot(run_module, closed, timeout=5)
    assert failed and result["msg"].startswith("POST %s/api/rsl/groups failed: " % closed)
    assert "refused" in result["msg"].lower()


def test_a_backend_that_does_not_answer_in_time_is_named(run_module, backend):
    backend.stall = True
    failed, result = spot(run_module, backend.url, timeout=1)
    assert failed and result["msg"].startswith("POST %s/api/rsl/groups failed: " % backend.url)
    assert "timed out" in result["msg"]


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("url", ["http://127.0.0.1:99999", "http://127.0.0.1:80a0"])
def test_a_bad_url_fails_naming_it(run_module, backend, url, check_mode):
    failed, result = spot(run_module, url, check_mode=check_mode)
    assert failed and url in result["msg"]
    assert backend.requests == []


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("url", ["http://backend1.invalid:8000", "backend1:8000", "ftp://127.0.0.1", "http://"])
def test_a_url_without_a_reachable_http_host_fails_naming_it(run_module, backend, url, check_mode):
    failed, result = spot(run_module, url, check_mode=check_mode)
    assert failed and repr(url) in result["msg"]
    assert backend.requests == []

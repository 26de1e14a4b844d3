# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Judging a backend's /api/health answer and its service manager's report.

Pure Python: the ``backend_health`` action plugin polls and asks; this decides what the
answers mean, so that both platforms read the same way and the rules are unit-tested.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.six.moves.urllib.error import HTTPError
from ansible.module_utils.urls import open_url

# Windows service states (win_service_info) that mean "on its way up": keep waiting.
_STARTING = ("start_pending", "continue_pending")


def get(url, validate_certs, timeout):
    """``(status, body)`` of one GET of ``url``; an HTTP error is an answer too."""
    try:
        response = open_url(url, validate_certs=validate_certs, timeout=timeout, follow_redirects="safe")
        return response.getcode(), to_text(response.read(), errors="surrogate_or_strict")
    except HTTPError as exc:
        return exc.code, to_text(exc.read() or b"", errors="surrogate_or_strict")


def answer(status, body):
    """``(ok, summary, data)`` for one answer: 200 and ``status: ok``, whatever the version;
    ``data`` is the parsed answer (None when it is no JSON object)."""
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return False, "HTTP %s, not a JSON object: %r" % (status, (body or "")[:200]), None
    summary = "HTTP %s %s" % (status, json.dumps(data, sort_keys=True)[:300])
    return status == 200 and data.get("status") == "ok", summary, data


def judge(status, body, version):
    """``(healthy, summary, data)`` for one answer: ``answer``'s ok, and the wanted version."""
    ok, summary, data = answer(status, body)
    return ok and data.get("version") == version, summary, data


def service_state(platform, reply):
    """``(running, description)`` from the host's answer; ``running`` is True while the
    service runs or is starting, False when it definitely does not, None when unknown."""
    if reply.get("failed") or reply.get("unreachable"):
        return None, "the host could not say (%s)" % (reply.get("msg") or reply.get("stderr") or "no message")
    if platform == "windows":
        if not reply.get("exists"):
            return False, "the service is not installed"
        service = (reply.get("services") or [{}])[0]
        state = service.get("state") or "unknown"
        description = "state %s, start mode %s" % (state, service.get("start_mode") or "unknown")
        if state == "running" or state in _STARTING:
            return True, description
        return (False if state != "unknown" else None), description
    try:
        report = json.loads(reply.get("stdout") or "")
    except ValueError:
        return None, "the status command printed no JSON: %r" % ((reply.get("stdout") or "")[:200],)
    if not isinstance(report, dict) or "running" not in report:
        return None, "the status command gave no state: %r" % (report,)
    description = "%s, %s" % ("running" if report["running"] else "stopped",
                              "registered for version %s" % report.get("version") if report.get("registered")
                              else "not registered")
    return bool(report["running"]), description

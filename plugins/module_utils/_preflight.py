# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SOP 2, the pre-deployment checklist, as checks that report every problem at once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_BUILD_OK = re.compile(r"(✓ built in|built in [0-9.]+m?s)", re.IGNORECASE)
_BUILD_ERRORS = (re.compile(r"error TS[0-9]+"), re.compile(r"npm ERR!"), re.compile(r"\bBuild failed\b", re.I),
                 re.compile(r"^\s*error\b", re.I | re.M))
_PYTEST_SUMMARY = re.compile(r"^=+ (.*?) in [0-9.]+s(?: \([0-9:]+\))? =+$", re.M)
_DBQ = re.compile(r"(?:^|;)\s*DBQ\s*=\s*([^;]+)", re.I)
_URL_PATH = re.compile(r"^(?:access|file|sqlite|msaccess)(?:\+\w+)?:///?(.*)$", re.I)
_WINDOWS_PATH = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")


def build_log_problems(text, name):
    """Why a frontend build log (``npm run build``) does not show a clean success."""
    problems = []
    for pattern in _BUILD_ERRORS:
        found = pattern.search(text)
        if found:
            line = text[text.rfind("\n", 0, found.start()) + 1:text.find("\n", found.end())]
            problems.append("%s shows a build error: %s" % (name, line.strip()[:200]))
            break
    if not _BUILD_OK.search(text):
        problems.append("%s has no successful 'built in' line" % name)
    return problems


def pytest_log_problems(text, name, target):
    """Why a pytest log does not show ``target`` passing."""
    problems = []
    if target not in text:
        problems.append("%s does not mention %s" % (name, target))
    summaries = _PYTEST_SUMMARY.findall(text)
    if not summaries:
        problems.append("%s has no pytest summary line" % name)
        return problems
    last = summaries[-1]
    counts = dict((word, int(number)) for number, word in re.findall(r"([0-9]+) (\w+)", last))
    if not counts.get("passed"):
        problems.append("%s: no test passed (%s)" % (name, last))
    bad = [word for word in ("failed", "error", "errors") if counts.get(word)]
    if bad:
        problems.append("%s: %s" % (name, last))
    return problems


def database_path(url):
    """The file a database URL names, or None for a server or DSN that names no file.

    ``access:///C:/data/rsl.accdb``, ``file:///srv/rsl.accdb``, an ODBC string with
    ``DBQ=...``, or a bare Windows or POSIX path.
    """
    url = (url or "").strip()
    if not url:
        return None
    match = _DBQ.search(url)
    if match:
        return match.group(1).strip().strip('"')
    match = _URL_PATH.match(url)
    if match:
        path = match.group(1)
        if _WINDOWS_PATH.match(path):
            return path
        return "/" + path.lstrip("/")
    if _WINDOWS_PATH.match(url) or url.startswith("/"):
        return url
    return None


def host_problems(hosts, variable):
    """Per-host problems from each backend host's report of the variable and its file.

    ``hosts`` maps host name to ``{"present": bool, "path": str|None, "exists": bool|None}``.
    """
    problems = {}
    for name in sorted(hosts):
        report = hosts[name] or {}
        found = []
        if not report.get("present"):
            found.append("%s is not set" % variable)
        elif report.get("path") and report.get("exists") is False:
            found.append("the database file %s named by %s is not reachable" % (report["path"], variable))
        if report.get("error"):
            found.append(report["error"])
        if found:
            problems[name] = found
    return problems


def format_report(general, per_host):
    lines = ["pre-deployment checklist (SOP 2) not met:"]
    lines += ["- %s" % p for p in general]
    for host in sorted(per_host):
        lines += ["- %s: %s" % (host, p) for p in per_host[host]]
    return "\n".join(lines)


def environment_value(text, name):
    """The value of ``name`` in ``KEY=VALUE`` lines (an environment file), or None."""
    value = None
    for line in (text or "").splitlines():
        line = line.strip()
        if line.startswith("export "):
            line = line[len("export "):]
        key, sep, rest = line.partition("=")
        if sep and key.strip() == name and not line.startswith("#"):
            value = rest.strip().strip('"').strip("'")
    return value or None

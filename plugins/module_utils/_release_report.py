# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release report: ``deliverables/release_report_<version>.html`` and its Markdown twin.

``collect`` reads what the workspace records about one version into a plain dict (the
*model*): the Stage 9 ledger records of the version with the state of their signed
approvals, the installer and bundle digests, each node's state, the backend checks and the
rollbacks. ``html`` and ``markdown`` turn a model into text and read nothing else.

The same workspace gives the same bytes: nothing depends on the clock, the order in which
the file system lists names, or where the workspace is (links are relative to the report's
folder). Whatever the workspace lacks is said on the page, section by section; only a
version that is not a version (or a workspace that is not a folder) is refused.

Every value that comes from the workspace is escaped where it is written: the ledger and the
records are written by runs whose input people type (reasons, approvers, group names).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import html as _html
import json
import os
import posixpath
from urllib.parse import quote

from ansible_collections.routing_ml.deploy.plugins.module_utils import (
    _checksum, _gate_checks, _gate_policy, _ledger, _ledger_audit, _records, _releases, _statement)
from ansible_collections.routing_ml.deploy.plugins.module_utils._time import parse as parse_timestamp
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, check_version, real_workspace)

FORMAT = 1
REPORT_DIR = "deliverables"
STATUS_FILE = "logs/status/last.json"
STATUS_FORMAT = 1
STATUS_STATES = ("ok", "drift", "in progress", "unreachable")
# Where the release layout (roles/common/defaults) puts the two artifacts; the upload
# record names them by file name only.
INSTALLER = ("build/windows", "RoutingMLInstaller_%s.exe")
BUNDLE = ("build/frontend", "RoutingMLFrontend_%s.zip")
# Audit entries shown per log; the record keeps them all.
AUDIT_SHOWN = 5
DASH = "\u2014"

_UTC = datetime.timezone.utc
_NODE_KINDS = ("frontend_sync", "verify", "rollback")


def file_names(version):
    """``(html name, markdown name)`` of the report of ``version``."""
    check_version(version)
    return "release_report_%s.html" % version, "release_report_%s.md" % version


# --------------------------------------------------------------------------- reading

def _moment(text):
    """An aware datetime, or None: a record's time is data, and data may be wrong (a time
    without an offset among them: ``_time``'s one rule)."""
    try:
        return parse_timestamp(text)
    except (ValueError, TypeError):
        return None


def _order(moment, sequence):
    """Sort key: known times in time order, then the unknown ones, each group in ``sequence``."""
    if moment is None:
        return (1, datetime.datetime.min.replace(tzinfo=_UTC), sequence)
    return (0, moment.astimezone(_UTC), sequence)


def _text(value):
    """A value of a record as one text for the page (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def _truth(value):
    """True, False or None from a JSON value (a templated record may hold ``"True"``)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no"):
        return False
    return None


def _plain_relpath(relpath):
    """The parts of a plain relative path (no absolute path, drive, scheme, '..'), or None."""
    if not isinstance(relpath, str) or not relpath or "\\" in relpath or ":" in relpath or "\x00" in relpath:
        return None
    parts = relpath.rstrip("/").split("/")
    if relpath.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return None
    return parts


class _Links(object):
    """Links from the report's folder to files of the workspace, and the files read."""

    def __init__(self, workspace, report_dir):
        self.workspace = workspace
        self.report_dir = report_dir
        self.read = set()

    def _target(self, relpath):
        """``(path, is a folder)`` that ``relpath`` names in the workspace, or None. A pattern
        (``logs/deploy/rollback_1.4.0_*.json``) names its folder."""
        parts = _plain_relpath(relpath)
        if parts is None:
            return None
        folder = False
        for index, part in enumerate(parts):
            if any(c in part for c in "*?["):
                parts, folder = parts[:index], True
                break
        if not parts:
            return None
        target = os.path.join(self.workspace, *parts)
        return target, folder or os.path.isdir(target)

    def exists(self, relpath):
        found = self._target(relpath)
        return found is not None and os.path.exists(found[0])

    def href(self, relpath):
        """A URL relative to the report's folder, or None when ``relpath`` is not a plain
        workspace path (an absolute path, a drive, a scheme, '..'): a ledger line is text
        anybody with write access could have put there, and must not become a link elsewhere."""
        found = self._target(relpath)
        if found is None:
            return None
        target, folder = found
        rel = os.path.relpath(target, self.report_dir).replace(os.sep, "/")
        return quote(rel, safe="/") + ("/" if folder else "")

    def source(self, relpath):
        self.read.add(relpath)
        return relpath


def collect(workspace, version, allowed_signers=None, policy=None, report_dir=None):
    """The model of the report of ``version``: a plain dict, JSON-serialisable.

    ``allowed_signers`` (a file) lets each signed approval be verified as the auditor's check
    does; without it they are ``not checked``. ``policy`` is the gate policy the approvals were
    given under (default SOP 7's). ``report_dir`` is where the report will be written (default
    ``<workspace>/deliverables``): links are relative to it.
    """
    check_version(version)
    workspace = real_workspace(workspace)
    policy = _gate_policy.check_policy(policy if policy is not None else _gate_policy.default_policy())
    report_dir = os.path.realpath(report_dir or os.path.join(workspace, REPORT_DIR))
    links = _Links(workspace, report_dir)
    try:
        records, problem = _ledger.read_records(workspace), None
    except (ValueError, OSError) as exc:
        records, problem = None, str(exc)
    sections = [
        ("ledger", _ledger_section(workspace, version, records, problem, allowed_signers, policy, links)),
        ("digests", _digest_section(workspace, version, links)),
        ("nodes", _node_section(workspace, version, links)),
        ("backend", _backend_section(workspace, version, links)),
        ("rollbacks", _rollback_section(workspace, version, records or [], links)),
    ]
    model = {"format": FORMAT, "version": version, "allowed_signers": bool(allowed_signers)}
    missing = []
    for name, section in sections:
        model[name] = section
        missing += section["missing"]
    model["missing"] = missing
    model["timeline"] = _timeline(model["ledger"]["records"], model["rollbacks"]["rows"])
    model["sources"] = [{"path": p, "href": links.href(p)} for p in sorted(links.read)]
    return model


def approval_state(workspace, record, allowed_signers, policy):
    """``verified``, ``not verified: <why>``, ``not checked`` (no allowed_signers) or ``none``
    (the record rests on no signed approval), by the auditor's own check of one record."""
    if record.fields.get("approval") is None:
        return "none"
    if not allowed_signers:
        return "not checked"
    where = record.where(workspace)
    try:
        # The auditor's check of one record, so that "verified" here means what it means to
        # verify_ledger.yml (statement digest, what it says, signature in the role's namespace).
        _ledger_audit._check_approval(workspace, record, where, allowed_signers, policy)
    except _ledger.LedgerError as exc:
        message = str(exc)
        if exc.where and message.startswith(exc.where + ": "):
            message = message[len(exc.where) + 2:]
    except (ValueError, OSError) as exc:
        message = str(exc)
    else:
        return "verified"
    # The report is pasted into release notes: the controller's path of the file is no one's
    # business there, and would make the same workspace give other bytes elsewhere.
    return "not verified: %s" % message.replace(allowed_signers, os.path.basename(allowed_signers))


def _ledger_section(workspace, version, records, problem, allowed_signers, policy, links):
    section = {"records": [], "chain": None, "total": 0, "missing": []}
    if records is None:
        section["missing"].append("the ledger cannot be read: %s" % problem)
        section["chain"] = "not read"
        return section
    for path in _ledger.ledger_files(workspace):
        links.source(os.path.relpath(path, workspace).replace(os.sep, "/"))
    section["total"] = len(records)
    try:
        _ledger.verify(workspace)
        section["chain"] = "intact"
    except (ValueError, OSError) as exc:
        section["chain"] = "broken: %s" % exc
    for record in records:
        fields = record.fields
        if fields["version"] != version:
            continue
        event = fields["status"] in (_gate_policy.ROLLED_BACK, _gate_policy.UNBLOCKED)
        statement = _statement.relpath(version, fields["gate"]) if fields.get("approval") else None
        section["records"].append({
            "kind": "event" if event else "gate",
            "gate": fields["gate"],
            "status": fields["status"],
            "time": record.timestamp,
            "approver": fields["approver"],
            "operator": fields.get("operator"),
            "reason": fields.get("reason"),
            "target": fields.get("target"),
            "outcome": fields.get("outcome"),
            "evidence": fields["evidence"],
            "evidence_href": links.href(fields["evidence"]),
            "evidence_present": links.exists(fields["evidence"]),
            "manifest_sha256": fields["manifest_sha256"],
            "approval": approval_state(workspace, record, allowed_signers, policy),
            "statement": statement,
            "statement_href": links.href(statement) if statement else None,
            "where": record.where(workspace),
            "sha256": record.digest,
        })
    if not section["records"]:
        section["missing"].append("no ledger records for %s" % version)
    return section


def _artifact_kind(name, version):
    if name == INSTALLER[1] % version or name.lower().endswith(".exe"):
        return "installer"
    if name == BUNDLE[1] % version or name.lower().endswith(".zip"):
        return "bundle"
    return "other"


def _sidecar(workspace, version, layout, links):
    """``(relative sidecar path, digest or None, problem or None)`` of one default artifact."""
    name = layout[1] % version
    rel = posixpath.join(layout[0], name + _checksum.SIDECAR_SUFFIX)
    path = os.path.join(workspace, *rel.split("/"))
    if not os.path.isfile(path):
        return rel, None, None
    links.source(rel)
    try:
        return rel, _checksum.read_sidecar_digest(path, name), None
    except (ValueError, OSError) as exc:
        return rel, None, str(exc)


def _digest_section(workspace, version, links):
    section = {"rows": [], "source": None, "missing": []}
    record_rel = posixpath.join(_records.FOLDER.replace(os.sep, "/"), _records.file_name("upload", version))
    uploaded = _gate_checks.upload_digests(workspace, version)
    if uploaded:
        section["source"] = links.source(record_rel)
    elif os.path.exists(os.path.join(workspace, *record_rel.split("/"))):
        links.source(record_rel)
        section["missing"].append("%s is not an upload record this report can read (format %d)" % (
            record_rel, _records.FORMAT))
    rows = {}
    for name in sorted(uploaded):
        rows[name] = {"artifact": _artifact_kind(name, version), "name": name, "sha256": uploaded[name][1],
                      "source": record_rel, "source_href": links.href(record_rel), "note": None, "conflict": False}
    for layout, kind in ((INSTALLER, "installer"), (BUNDLE, "bundle")):
        name = layout[1] % version
        rel, digest, problem = _sidecar(workspace, version, layout, links)
        if name in rows:
            if digest is not None and digest != rows[name]["sha256"]:
                rows[name].update(note="the sidecar %s says %s" % (rel, digest), conflict=True)
            continue
        if any(row["artifact"] == kind for row in rows.values()):
            continue
        if digest is not None:
            rows[name] = {"artifact": kind, "name": name, "sha256": digest, "source": rel,
                          "source_href": links.href(rel),
                          "note": None if uploaded else "no upload record %s: the sidecar's digest" % record_rel,
                          "conflict": False}
        else:
            section["missing"].append("no %s digest for %s: %s" % (kind, version, problem or (
                "no upload record %s and no sidecar %s" % (record_rel, rel) if not uploaded
                else "the upload record %s does not name %s and there is no sidecar %s" % (record_rel, name, rel))))
    rank = {"installer": 0, "bundle": 1, "other": 2}
    section["rows"] = sorted(rows.values(), key=lambda r: (rank[r["artifact"]], r["name"]))
    return section


def _read_status(workspace, links):
    """``(status dict, problem)``; ``(None, None)`` when there is no status file."""
    path = os.path.join(workspace, *STATUS_FILE.split("/"))
    if not os.path.exists(path):
        return None, None
    links.source(STATUS_FILE)
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except (ValueError, OSError) as exc:
        return None, "%s cannot be read: %s" % (STATUS_FILE, exc)
    if not isinstance(data, dict) or data.get("format") != STATUS_FORMAT:
        return None, "%s is not a status file of format %d" % (STATUS_FILE, STATUS_FORMAT)
    if not isinstance(data.get("nodes"), list):
        return None, "%s has no list of nodes" % STATUS_FILE
    return data, None


def _version_of(after):
    """The version a record's ``after`` names (``1.4.0+1`` is a release folder of 1.4.0)."""
    parsed = _releases.parse_folder(after) if isinstance(after, str) else None
    return parsed[0] if parsed else _text(after)


def _role_of(record):
    if record["kind"] == "frontend_sync":
        return "web"
    if record["kind"] == "verify":
        return "backend"
    component = (record.get("details") or {}).get("component")
    return {"frontend": "web", "web": "web", "backend": "backend"}.get(component)


def _host_records(workspace, version, kinds):
    """``[(record, relative file)]`` of ``kinds`` for ``version``, in time order (ties by file)."""
    found = []
    for kind in kinds:
        for record in _records.find(workspace, kind):
            host = record.get("host")
            if record.get("version") != version or not isinstance(host, str):
                continue
            try:
                name = _records.file_name(kind, version, host)
            except ValidationError:
                continue
            found.append((record, posixpath.join(_records.FOLDER.replace(os.sep, "/"), name)))
    found.sort(key=lambda item: _order(_moment(item[0].get("time")), item[1]))
    return found


def _node_section(workspace, version, links):
    section = {"rows": [], "source": None, "time": None, "drift": None, "missing": []}
    status, problem = _read_status(workspace, links)
    if problem:
        section["missing"].append("%s; nodes are shown from the deployment records" % problem)
    if status is not None:
        section.update(source=STATUS_FILE, time=_text(status.get("time")), drift=_truth(status.get("drift")))
        for node in status["nodes"]:
            if not isinstance(node, dict):
                continue
            verified = _truth(node.get("verified"))
            drift = _text(node.get("drift"))
            if node.get("first_difference") is not None:
                drift = "%s (first difference: %s)" % (drift or "drift", _text(node.get("first_difference")))
            state = _text(node.get("state"))
            section["rows"].append({
                "host": _text(node.get("host")) or "?", "role": _text(node.get("role")),
                "served": _text(node.get("live_version")), "expected": _text(node.get("expected_version")),
                "approved": _text(node.get("approved_version")), "state": state,
                "known_state": state in STATUS_STATES, "verified": verified,
                "time": section["time"] if verified is not None else None, "drift": drift,
                "source": STATUS_FILE, "source_href": links.href(STATUS_FILE)})
    else:
        newest = {}
        roles = {}
        for record, rel in _host_records(workspace, version, _NODE_KINDS):
            links.source(rel)
            newest[record["host"]] = (record, rel)
            if _role_of(record):
                roles.setdefault(record["host"], _role_of(record))
        for host in sorted(newest):
            record, rel = newest[host]
            outcome = record.get("outcome")
            verified = True if outcome == "ok" else False if outcome == "failed" else None
            section["rows"].append({
                "host": host, "role": _role_of(record) or roles.get(host), "served": _version_of(record.get("after")),
                "expected": version, "approved": None, "state": _text(outcome), "known_state": False,
                "verified": verified, "time": _text(record.get("time")), "drift": None,
                "source": rel, "source_href": links.href(rel)})
        if newest:
            section["source"] = "records"
        else:
            section["missing"].append("no status file %s and no frontend_sync or verify records for %s" % (
                STATUS_FILE, version))
    section["rows"].sort(key=lambda r: (r["host"], r["role"] or ""))
    return section


def _health_text(health):
    if health is None:
        return None
    if isinstance(health, dict):
        return ", ".join("%s=%s" % (k, _text(health[k])) for k in sorted(health))
    return _text(health)


def _audit_entries(audit):
    """``(entries, logs)``: each entry a dict (log, line, time, client_ip, action), the logs read."""
    entries = []
    logs = []
    if not isinstance(audit, dict):
        return entries, logs
    for log in sorted(audit):
        logs.append(log)
        matches = audit[log] if isinstance(audit[log], list) else []
        for match in matches:
            if isinstance(match, dict):
                entries.append({"log": log, "line": _text(match.get("line")), "time": _text(match.get("timestamp")),
                                "client_ip": _text(match.get("client_ip")), "action": _text(match.get("action"))})
    return entries, logs


def _backend_section(workspace, version, links):
    section = {"rows": [], "missing": []}
    for record, rel in _host_records(workspace, version, ("verify",)):
        links.source(rel)
        details = record.get("details") if isinstance(record.get("details"), dict) else {}
        spot = details.get("spot_test") if isinstance(details.get("spot_test"), dict) else None
        entries, logs = _audit_entries(details.get("audit"))
        section["rows"].append({
            "host": record["host"], "time": _text(record.get("time")), "answered": _text(record.get("after")),
            "outcome": _text(record.get("outcome")), "health": _health_text(details.get("health")),
            "spot_test": None if spot is None else {
                "group": _text(spot.get("group")), "started": _text(spot.get("started")),
                "client_ip": _text(spot.get("client_ip")), "found_by_get": _truth(spot.get("found_by_get"))},
            "audit": entries, "audit_logs": logs, "source": rel, "source_href": links.href(rel)})
    section["rows"].sort(key=lambda r: r["host"])
    if not section["rows"]:
        section["missing"].append("no verify records for %s" % version)
    return section


def _duration(started, finished):
    """``1m 05s`` between two moments, else ``unknown`` (one missing or malformed, or out of order)."""
    if started is None or finished is None or finished < started:
        return "unknown"
    return _span(int((finished - started).total_seconds()))


def _ledger_duration(moment, gate, starts):
    """A Rolled Back ledger record closes the rollback of its gate that began last before it:
    its duration runs from that start (kept by each host's record) to the ledger's time."""
    began = [start for start_gate, start in starts if start_gate == gate and moment is not None and start <= moment]
    return _duration(max(began), moment) if began else "unknown"


def _span(seconds):
    if seconds < 60:
        return "%ds" % seconds
    if seconds < 3600:
        return "%dm %02ds" % divmod(seconds, 60)
    if seconds < 86400:
        return "%dh %02dm" % (seconds // 3600, seconds % 3600 // 60)
    return "%dd %02dh" % (seconds // 86400, seconds % 86400 // 3600)


def _rollback_section(workspace, version, records, links):
    section = {"rows": [], "missing": []}
    rows, starts = [], []
    for sequence, (record, rel) in enumerate(_host_records(workspace, version, ("rollback",))):
        links.source(rel)
        details = record.get("details") if isinstance(record.get("details"), dict) else {}
        started = _moment(details.get("started"))
        if started is not None:
            starts.append((_text(details.get("gate")), started))
        rows.append((_order(_moment(record.get("time")), (1, sequence)), {
            "kind": "record", "host": record["host"], "role": _role_of(record), "gate": _text(details.get("gate")),
            "time": _text(record.get("time")), "from": _text(record.get("before")), "to": _text(record.get("after")),
            "outcome": _text(record.get("outcome")), "automatic": _truth(details.get("automatic")),
            "reason": _text(details.get("reason")), "by": _text(details.get("operator")),
            # A record is written once its host is back and verified: its time ends the rollback.
            "duration": _duration(started, _moment(details.get("finished") or record.get("time"))),
            "source": rel, "source_href": links.href(rel)}))
    for sequence, record in enumerate(records):
        fields = record.fields
        if fields["version"] != version or fields["status"] != _gate_policy.ROLLED_BACK:
            continue
        rows.append((_order(_moment(record.timestamp), (0, sequence)), {
            "kind": "ledger", "host": None, "role": None, "gate": fields["gate"], "time": record.timestamp,
            "from": version, "to": fields.get("target"), "outcome": fields.get("outcome"), "automatic": None,
            "reason": fields.get("reason"), "by": fields.get("operator") or fields["approver"],
            "duration": _ledger_duration(_moment(record.timestamp), fields["gate"], starts),
            "source": record.where(workspace),
            "source_href": links.href(os.path.relpath(record.path, workspace).replace(os.sep, "/"))}))
    section["rows"] = [row for dummy, row in sorted(rows, key=lambda item: item[0])]
    return section


def _timeline(ledger_rows, rollback_rows):
    """One event per ledger record and per rollback record, in time order."""
    events = []
    for sequence, row in enumerate(ledger_rows):
        events.append((_order(_moment(row["time"]), (0, sequence)), {
            "kind": "approval" if row["kind"] == "gate" else row["status"].lower().replace(" ", "-"),
            "label": row["gate"], "detail": row["status"], "time": row["time"],
            "title": "%s %s %s %s" % (row["gate"], row["status"], row["time"], row["approver"])}))
    for sequence, row in enumerate(r for r in rollback_rows if r["kind"] == "record"):
        events.append((_order(_moment(row["time"]), (1, sequence)), {
            "kind": "rollback", "label": "rollback %s" % row["host"], "detail": row["outcome"] or "",
            "time": row["time"] or "", "title": "rollback %s %s -> %s %s %s" % (
                row["host"], row["from"], row["to"], row["outcome"], row["time"])}))
    events = [event for dummy, event in sorted(events, key=lambda item: item[0])]
    previous = None
    for event in events:
        moment = _moment(event["time"])
        event["elapsed"] = None
        if previous is not None and moment is not None and moment >= previous:
            event["elapsed"] = "+" + _span(int((moment - previous).total_seconds()))
        previous = moment
    return events


# --------------------------------------------------------------------------- HTML

HEADINGS = {
    "title": "릴리스 보고서 (Release report)",
    "missing": "누락된 입력 (Missing inputs)",
    "ledger": "Stage 9 타임라인 (Stage 9 timeline)",
    "digests": "설치 파일과 번들의 다이제스트 (Installer and bundle digests)",
    "nodes": "노드별 배포 상태 (Nodes)",
    "backend": "백엔드 점검 (Backend checks)",
    "rollbacks": "롤백 (Rollbacks)",
    "sources": "읽은 파일 (Sources)",
}

COLUMNS = {
    "ledger": ("시각 (Time)", "게이트 (Gate)", "상태 (Status)", "승인자 (Approver)", "실행자 (Operator)",
               "사유 (Reason)", "대상 (Target)", "결과 (Outcome)", "증거 (Evidence)", "서명된 승인 (Signed approval)",
               "기록 (Record)"),
    "digests": ("구분 (Artifact)", "파일 (File)", "SHA256", "출처 (Source)"),
    "nodes": ("호스트 (Host)", "역할 (Role)", "제공 버전 (Serving)", "기대 버전 (Expected)", "승인 버전 (Approved)",
              "상태 (State)", "검증 (Verified)", "검증 시각 (When)", "드리프트 (Drift)", "출처 (Source)"),
    "backend": ("호스트 (Host)", "시각 (Time)", "응답 버전 (Answered)", "상태 확인 (Health)",
                "스팟 테스트 (Spot test: POST then GET /api/rsl/groups)", "감사 로그 (Audit log)", "결과 (Outcome)",
                "출처 (Source)"),
    "rollbacks": ("시각 (Time)", "호스트 (Host)", "게이트 (Gate)", "이전 → 이후 (From → to)", "결과 (Outcome)",
                  "소요 시간 (Duration)", "사유 (Reason)", "실행자 (By)", "출처 (Source)"),
}

STYLE = """
body { font-family: system-ui, "Noto Sans KR", "Malgun Gothic", sans-serif; margin: 2em; color: #111;
       background: #fff; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 2px solid #444; padding-bottom: .15em; }
table { border-collapse: collapse; width: 100%; margin: .6em 0 1.2em; font-size: .92em; }
th, td { border: 1px solid #888; padding: .3em .5em; text-align: left; vertical-align: top; }
td { overflow-wrap: anywhere; }
th { background: #eee; }
code { font-family: ui-monospace, "Cascadia Mono", Consolas, monospace; font-size: .92em; word-break: break-all; }
.missing { border-left: 4px solid #000; padding: .2em .6em; font-weight: bold; }
.problem { font-weight: bold; }
.problem::before { content: "\\2717  "; }
.ok::before { content: "\\2713  "; }
ul.entries { margin: 0; padding-left: 1.1em; }
svg text { font-family: inherit; font-size: 11px; fill: #111; }
svg .axis { stroke: #444; stroke-width: 2; }
svg .mark { stroke: #111; stroke-width: 1.5; fill: #fff; }
svg .approval .mark { fill: #111; }
svg .elapsed { font-size: 10px; fill: #444; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; font-size: 10pt; }
  h2 { break-after: avoid; }
  tr, svg { break-inside: avoid; }
  a { color: inherit; }
  a[href]::after { content: " (" attr(href) ")"; font-size: .85em; }
}
"""


def _e(value):
    """HTML text of a value, escaped (None shows as a dash); a line break stays one."""
    if value is None:
        return DASH
    text = _html.escape(value if isinstance(value, str) else _text(value), quote=True)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def _svg_text(value):
    """Escaped text for SVG, where there are no line breaks."""
    return " ".join(_attr(value).split())


def _attr(value):
    return _html.escape("" if value is None else (value if isinstance(value, str) else _text(value)), quote=True)


def _link(text, href):
    if not href:
        return _e(text)
    return '<a href="%s">%s</a>' % (_attr(href), _e(text))


def _yes_no(value):
    return {True: "yes", False: "no", None: "unknown"}[value]


def _table_head(name):
    return "<table><thead><tr>%s</tr></thead><tbody>" % "".join(
        '<th scope="col">%s</th>' % _e(c) for c in COLUMNS[name])


def _cells(values):
    return "".join("<td>%s</td>" % v for v in values)


def _svg(version, events):
    step, pad, axis = 170, 90, 52
    width = pad * 2 + step * max(len(events) - 1, 0)
    height = 124
    out = ['<svg id="timeline" role="img" aria-labelledby="timeline-title" width="%d" height="%d" '
           'viewBox="0 0 %d %d" data-events="%d">' % (width, height, width, height, len(events)),
           '<title id="timeline-title">Stage 9 %s: %d %s</title>' % (
               _svg_text(version), len(events), "event" if len(events) == 1 else "events")]
    if not events:
        out.append('<text x="%d" y="%d" text-anchor="middle">기록 없음 (no records)</text>' % (width // 2, axis))
        out.append("</svg>")
        return "".join(out)
    out.append('<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>' % (pad, axis, width - pad, axis))
    for index, event in enumerate(events):
        x = pad + index * step
        if event["elapsed"] and index:
            out.append('<text class="elapsed" x="%d" y="%d" text-anchor="middle">%s</text>' % (
                x - step // 2, axis - 12, _svg_text(event["elapsed"])))
        out.append('<g class="event %s" data-kind="%s" data-label="%s" data-time="%s"><title>%s</title>' % (
            _attr(event["kind"]), _attr(event["kind"]), _attr(event["label"]), _attr(event["time"]),
            _svg_text(event["title"])))
        # The shape says the kind (approval, rollback, unblocking) without relying on colour.
        if event["kind"] == "approval":
            out.append('<circle class="mark" cx="%d" cy="%d" r="7"/>' % (x, axis))
        elif event["kind"] == "rollback":
            out.append('<polygon class="mark" points="%d,%d %d,%d %d,%d"/>' % (
                x, axis - 8, x + 8, axis + 7, x - 8, axis + 7))
        elif event["kind"] == "rolled-back":
            out.append('<polygon class="mark" points="%d,%d %d,%d %d,%d %d,%d"/>' % (
                x, axis - 9, x + 9, axis, x, axis + 9, x - 9, axis))
        else:
            out.append('<rect class="mark" x="%d" y="%d" width="14" height="14"/>' % (x - 7, axis - 7))
        time = event["time"]
        short = "%s %s" % (time[:10], time[11:16]) if len(time) >= 16 and time[10:11] == "T" else time
        for offset, text in ((28, event["label"]), (43, event["detail"]), (58, short)):
            out.append('<text x="%d" y="%d" text-anchor="middle">%s</text>' % (x, axis + offset, _svg_text(text)))
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def _missing_html(messages):
    return "".join('<p class="missing">%s</p>' % _e(m) for m in messages)


def _approval_html(row):
    state = row["approval"]
    css = "ok" if state == "verified" else "problem" if state.startswith("not verified") else ""
    text = '<span class="%s">%s</span>' % (css, _e(state)) if css else _e(state)
    if row["statement"]:
        text += "<br>" + _link(posixpath.basename(row["statement"]), row["statement_href"])
    return text


def _ledger_html(model):
    section = model["ledger"]
    out = ['<h2 id="ledger">%s</h2>' % _e(HEADINGS["ledger"]), _svg(model["version"], model["timeline"])]
    chain = section["chain"]
    out.append('<p class="chain" data-chain="%s">해시 체인 (hash chain): <span class="%s">%s</span>; %d record(s) in '
               "the ledger, %d of them for %s. Signed approvals: %s. The full audit (checkpoints, evidence, gate order) is "
               "<code>playbooks/verify_ledger.yml</code>.</p>" % (
                   "intact" if chain == "intact" else "broken", "ok" if chain == "intact" else "problem", _e(chain),
                   section["total"], len(section["records"]), _e(model["version"]),
                   "verified against allowed_signers" if model["allowed_signers"] else "not checked (no allowed_signers given)"))
    out.append(_missing_html(section["missing"]))
    if section["records"]:
        out.append(_table_head("ledger"))
        for row in section["records"]:
            evidence = _link(row["evidence"], row["evidence_href"])
            if not row["evidence_present"]:
                evidence += ' <span class="problem">(없음 missing)</span>'
            state = row["approval"].split(":", 1)[0].replace(" ", "-")
            out.append('<tr class="%s" data-gate="%s" data-status="%s" data-approval="%s" data-sha256="%s">%s</tr>' % (
                row["kind"], _attr(row["gate"]), _attr(row["status"]), _attr(state), _attr(row["sha256"]), _cells((
                    '<span class="time">%s</span>' % _e(row["time"]), _e(row["gate"]), _e(row["status"]),
                    '<span class="approver">%s</span>' % _e(row["approver"]), _e(row["operator"]),
                    '<span class="reason">%s</span>' % _e(row["reason"]), _e(row["target"]), _e(row["outcome"]),
                    evidence, _approval_html(row), _e(row["where"])))))
        out.append("</tbody></table>")
    return "".join(out)


def _digests_html(model):
    section = model["digests"]
    out = ['<h2 id="digests">%s</h2>' % _e(HEADINGS["digests"]), _missing_html(section["missing"])]
    if section["rows"]:
        out.append(_table_head("digests"))
        for row in section["rows"]:
            source = _link(row["source"], row["source_href"])
            if row["note"]:
                source += '<br><span class="%s">%s</span>' % ("problem" if row["conflict"] else "note", _e(row["note"]))
            out.append('<tr class="artifact" data-artifact="%s">%s</tr>' % (_attr(row["artifact"]), _cells((
                _e(row["artifact"]), _e(row["name"]),
                '<code class="digest" data-artifact="%s">%s</code>' % (_attr(row["artifact"]), _e(row["sha256"])),
                source))))
        out.append("</tbody></table>")
    return "".join(out)


def _nodes_html(model):
    section = model["nodes"]
    out = ['<h2 id="nodes">%s</h2>' % _e(HEADINGS["nodes"])]
    if section["source"] == STATUS_FILE:
        out.append('<p class="node-source">마지막 상태 점검 (last status check): %s, %s; drift: %s.</p>' % (
            _link(STATUS_FILE, _source_href(model, STATUS_FILE)), _e(section["time"]),
            _yes_no(section["drift"])))
    elif section["source"]:
        out.append('<p class="node-source">상태 점검 없음 (no status check): each node as its newest deployment '
                   "record of %s leaves it; drift is not known without a status check.</p>" % _e(model["version"]))
    out.append(_missing_html(section["missing"]))
    if section["rows"]:
        out.append(_table_head("nodes"))
        for row in section["rows"]:
            verified = {True: "true", False: "false", None: "null"}[row["verified"]]
            drift = row["drift"] if row["drift"] is not None else (
                None if section["source"] == STATUS_FILE else "not checked")
            out.append('<tr class="node" data-host="%s" data-role="%s" data-verified="%s" data-state="%s">%s</tr>' % (
                _attr(row["host"]), _attr(row["role"]), verified, _attr(row["state"]), _cells((
                    _e(row["host"]), _e(row["role"]), _e(row["served"]), _e(row["expected"]), _e(row["approved"]),
                    _e(row["state"]), _e(_yes_no(row["verified"])), _e(row["time"]), _e(drift),
                    _link(row["source"], row["source_href"])))))
        out.append("</tbody></table>")
    return "".join(out)


def _source_href(model, path):
    for source in model["sources"]:
        if source["path"] == path:
            return source["href"]
    return None


def _spot_text(spot):
    if spot is None:
        return "not recorded"
    return "group %s, started %s, from %s, found by GET: %s" % (
        spot["group"] or DASH, spot["started"] or DASH, spot["client_ip"] or DASH, _yes_no(spot["found_by_get"]))


def _audit_lines(row):
    """Text lines of the audit column: the entries found, or that none was."""
    if not row["audit_logs"]:
        return ["not recorded"]
    if not row["audit"]:
        return ["no entry found in %s" % ", ".join(row["audit_logs"])]
    lines = []
    for log in row["audit_logs"]:
        found = [e for e in row["audit"] if e["log"] == log]
        for entry in found[:AUDIT_SHOWN]:
            lines.append("%s line %s: %s from %s: %s" % (log, entry["line"] or "?", entry["time"] or DASH,
                                                         entry["client_ip"] or DASH, entry["action"] or DASH))
        if len(found) > AUDIT_SHOWN:
            lines.append("%s: %d more" % (log, len(found) - AUDIT_SHOWN))
        if not found:
            lines.append("%s: no entry found" % log)
    return lines


def _backend_html(model):
    section = model["backend"]
    out = ['<h2 id="backend">%s</h2>' % _e(HEADINGS["backend"]), _missing_html(section["missing"])]
    if section["rows"]:
        out.append(_table_head("backend"))
        for row in section["rows"]:
            spot = row["spot_test"]
            found = "null" if spot is None else {True: "true", False: "false", None: "null"}[spot["found_by_get"]]
            audit = '<ul class="entries">%s</ul>' % "".join("<li>%s</li>" % _e(line) for line in _audit_lines(row))
            out.append('<tr class="backend-check" data-host="%s" data-audit-entries="%d" data-spot-found="%s">%s</tr>' % (
                _attr(row["host"]), len(row["audit"]), found, _cells((
                    _e(row["host"]), _e(row["time"]), _e(row["answered"]),
                    '<span data-check="health">%s</span>' % _e(row["health"] or "not recorded"),
                    '<span data-check="spot-test">%s</span>' % _e(_spot_text(spot)),
                    '<div data-check="audit">%s</div>' % audit, _e(row["outcome"]),
                    _link(row["source"], row["source_href"])))))
        out.append("</tbody></table>")
    return "".join(out)


def _rollback_from_to(row):
    return "%s → %s" % (row["from"] or DASH, row["to"] or DASH)


def _rollbacks_html(model):
    section = model["rollbacks"]
    out = ['<h2 id="rollbacks">%s</h2>' % _e(HEADINGS["rollbacks"])]
    if not section["rows"]:
        out.append('<p class="none">롤백 없음 (no rollbacks recorded for %s).</p>' % _e(model["version"]))
        return "".join(out)
    out.append(_table_head("rollbacks"))
    for row in section["rows"]:
        host = row["host"] if row["kind"] == "record" else "(ledger: the gate's hosts)"
        out.append('<tr class="rollback" data-kind="%s" data-host="%s" data-duration="%s">%s</tr>' % (
            _attr(row["kind"]), _attr(row["host"]), _attr(row["duration"]), _cells((
                _e(row["time"]), _e(host), _e(row["gate"]), _e(_rollback_from_to(row)), _e(row["outcome"]),
                _e(row["duration"]), _e(row["reason"]), _e(row["by"]), _link(row["source"], row["source_href"])))))
    out.append("</tbody></table>")
    return "".join(out)


def html(model):
    """The report as one self-contained HTML5 page: inline style, no script, no network."""
    version = model["version"]
    out = ["<!DOCTYPE html>\n", '<html lang="ko">\n<head>\n<meta charset="utf-8">\n',
           '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
           "<title>%s %s</title>\n" % (_e(HEADINGS["title"]), _e(version)),
           "<style>%s</style>\n</head>\n" % STYLE,
           '<body data-version="%s">\n' % _attr(version),
           "<h1>%s %s</h1>\n" % (_e(HEADINGS["title"]), _e(version))]
    if model["missing"]:
        out.append('<section id="missing"><h2>%s</h2><ul class="missing">%s</ul></section>\n' % (
            _e(HEADINGS["missing"]), "".join("<li>%s</li>" % _e(m) for m in model["missing"])))
    for part in (_ledger_html, _digests_html, _nodes_html, _backend_html, _rollbacks_html):
        out.append("<section>%s</section>\n" % part(model))
    out.append('<section><h2 id="sources">%s</h2><ul class="sources">%s</ul></section>\n' % (
        _e(HEADINGS["sources"]),
        "".join("<li>%s</li>" % _link(s["path"], s["href"]) for s in model["sources"]) or "<li>%s</li>" % DASH))
    out.append("</body>\n</html>\n")
    return "".join(out)


# --------------------------------------------------------------------------- Markdown

_MD_SPECIAL = "\\`*[]|"


def _m(value):
    """Markdown text of a value inside a table cell: one line, markup characters escaped."""
    if value is None:
        return DASH
    text = value if isinstance(value, str) else _text(value)
    # Entities, not backslashes, for what would be HTML: every Markdown renderer reads them.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = "".join("\\" + c if c in _MD_SPECIAL else c for c in text)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def _m_link(text, href):
    if not href:
        return _m(text)
    return "[%s](%s)" % (_m(text), href)


def _m_table(name, rows):
    lines = ["| %s |" % " | ".join(_m(c) for c in COLUMNS[name]), "|%s" % ("---|" * len(COLUMNS[name]))]
    lines += ["| %s |" % " | ".join(row) for row in rows]
    return "\n".join(lines) + "\n"


def _m_missing(messages):
    return "".join("> **%s**\n\n" % _m(m) for m in messages)


def markdown(model):
    """The same report as Markdown tables with the same headings, for the release notes."""
    version = model["version"]
    out = ["# %s %s\n\n" % (HEADINGS["title"], _m(version))]
    if model["missing"]:
        out.append("## %s\n\n" % HEADINGS["missing"])
        out.append("".join("- %s\n" % _m(m) for m in model["missing"]) + "\n")

    ledger = model["ledger"]
    out.append("## %s\n\n" % HEADINGS["ledger"])
    out.append("해시 체인 (hash chain): %s; %d record(s) in the ledger, %d of them for %s. Signed approvals: %s.\n\n" % (
        _m(ledger["chain"]), ledger["total"], len(ledger["records"]), _m(version),
        "verified against allowed_signers" if model["allowed_signers"] else "not checked (no allowed_signers given)"))
    out.append(_m_missing(ledger["missing"]))
    if model["timeline"]:
        out.append("".join("%d. %s %s %s%s\n" % (
            number, _m(e["time"]), _m(e["label"]), _m(e["detail"]), " (%s)" % _m(e["elapsed"]) if e["elapsed"] else "")
            for number, e in enumerate(model["timeline"], 1)) + "\n")
    if ledger["records"]:
        rows = []
        for row in ledger["records"]:
            evidence = _m_link(row["evidence"], row["evidence_href"]) + ("" if row["evidence_present"] else " (없음 missing)")
            approval = _m(row["approval"])
            if row["statement"]:
                approval += "<br>" + _m_link(posixpath.basename(row["statement"]), row["statement_href"])
            rows.append([_m(row["time"]), _m(row["gate"]), _m(row["status"]), _m(row["approver"]), _m(row["operator"]),
                         _m(row["reason"]), _m(row["target"]), _m(row["outcome"]), evidence, approval, _m(row["where"])])
        out.append(_m_table("ledger", rows) + "\n")

    digests = model["digests"]
    out.append("## %s\n\n" % HEADINGS["digests"])
    out.append(_m_missing(digests["missing"]))
    if digests["rows"]:
        out.append(_m_table("digests", [[
            _m(r["artifact"]), _m(r["name"]), "`%s`" % r["sha256"] if r["sha256"] else DASH,
            _m_link(r["source"], r["source_href"]) + ("<br>" + _m(r["note"]) if r["note"] else "")]
            for r in digests["rows"]]) + "\n")

    nodes = model["nodes"]
    out.append("## %s\n\n" % HEADINGS["nodes"])
    if nodes["source"] == STATUS_FILE:
        out.append("마지막 상태 점검 (last status check): %s, %s; drift: %s.\n\n" % (
            _m_link(STATUS_FILE, _source_href(model, STATUS_FILE)), _m(nodes["time"]), _yes_no(nodes["drift"])))
    elif nodes["source"]:
        out.append("상태 점검 없음 (no status check): each node as its newest deployment record of %s leaves it; "
                   "drift is not known without a status check.\n\n" % _m(version))
    out.append(_m_missing(nodes["missing"]))
    if nodes["rows"]:
        out.append(_m_table("nodes", [[
            _m(r["host"]), _m(r["role"]), _m(r["served"]), _m(r["expected"]), _m(r["approved"]), _m(r["state"]),
            _m(_yes_no(r["verified"])), _m(r["time"]),
            _m(r["drift"] if r["drift"] is not None else (None if nodes["source"] == STATUS_FILE else "not checked")),
            _m_link(r["source"], r["source_href"])] for r in nodes["rows"]]) + "\n")

    backend = model["backend"]
    out.append("## %s\n\n" % HEADINGS["backend"])
    out.append(_m_missing(backend["missing"]))
    if backend["rows"]:
        out.append(_m_table("backend", [[
            _m(r["host"]), _m(r["time"]), _m(r["answered"]), _m(r["health"] or "not recorded"),
            _m(_spot_text(r["spot_test"])), "<br>".join(_m(line) for line in _audit_lines(r)), _m(r["outcome"]),
            _m_link(r["source"], r["source_href"])] for r in backend["rows"]]) + "\n")

    rollbacks = model["rollbacks"]
    out.append("## %s\n\n" % HEADINGS["rollbacks"])
    if rollbacks["rows"]:
        out.append(_m_table("rollbacks", [[
            _m(r["time"]), _m(r["host"] if r["kind"] == "record" else "(ledger: the gate's hosts)"), _m(r["gate"]),
            _m(_rollback_from_to(r)), _m(r["outcome"]), _m(r["duration"]), _m(r["reason"]), _m(r["by"]),
            _m_link(r["source"], r["source_href"])] for r in rollbacks["rows"]]) + "\n")
    else:
        out.append("롤백 없음 (no rollbacks recorded for %s).\n\n" % _m(version))

    out.append("## %s\n\n" % HEADINGS["sources"])
    out.append("".join("- %s\n" % _m_link(s["path"], s["href"]) for s in model["sources"]) or "- %s\n" % DASH)
    return "".join(out)

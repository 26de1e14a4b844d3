# -*- coding: utf-8 -*-
"""The release report from a real workspace: ledger lines appended by _ledger, records written by
_records, an approval statement signed with the real ssh-keygen, and a status file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import (
    _approval, _checksum, _evidence, _ledger, _records, _release_report)
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

KST = datetime.timezone(datetime.timedelta(hours=9))
INSTALLER = "build/windows/RoutingMLInstaller_1.4.0.exe"
BUNDLE = "build/frontend/RoutingMLFrontend_1.4.0.zip"
REASON = "<script>alert(1)</script> & more"
APPROVER = 'DEPLOY "LEE" & <b>co</b>'


def at(day, hour, minute=0):
    return datetime.datetime(2025, 10, day, hour, minute, tzinfo=KST)


class Page(HTMLParser):
    """The elements of a page, each with its attributes and text, as a browser test queries them."""

    def __init__(self, text):
        HTMLParser.__init__(self)
        self.elements = []
        self.open = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        if tag not in ("meta", "br", "line", "circle", "rect", "polygon"):
            self.open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.elements.append({"tag": tag, "attrs": dict(attrs), "text": ""})

    def handle_endtag(self, tag):
        while self.open:
            if self.open.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for element in self.open:
            element["text"] += data

    def find(self, tag, **attrs):
        return [e for e in self.elements if e["tag"] == tag and all(
            e["attrs"].get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def classed(self, tag, name):
        return [e for e in self.elements if e["tag"] == tag and name in e["attrs"].get("class", "").split()]


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    path = str(folder / "QA-KIM")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "qa", "-f", path], check=True)
    with open(path + ".pub") as handle:
        public = " ".join(handle.read().split()[:2])
    allowed = folder / "allowed_signers"
    allowed.write_text('QA-KIM namespaces="routing-ml-approval-qa-lead" %s\n' % public)
    return {"key": path, "allowed": str(allowed)}


def write_record(root, kind, host=None, version="1.4.0", time="2025-10-03T11:00:00+09:00", **fields):
    (root / "logs" / "deploy").mkdir(parents=True, exist_ok=True)
    record = _records.build(kind, version, time, host=host, **fields)
    changed, path, dummy, text = _records.write(str(root), record)
    assert changed
    _records.commit(path, text)
    return path


def status_file(root, nodes, time="2026-12-01T21:40:00+00:00", drift=False):
    (root / "logs" / "status").mkdir(parents=True, exist_ok=True)
    (root / "logs" / "status" / "last.json").write_text(
        json.dumps({"format": 1, "time": time, "drift": drift, "nodes": nodes}), encoding="utf-8")


def node(host, role="web", version="1.4.0", verified=True, state="ok", drift=None, first_difference=None):
    return {"host": host, "role": role, "live_version": version, "verified": verified, "approved_version": "1.4.0",
            "expected_version": "1.4.0", "state": state, "drift": drift, "first_difference": first_difference}


@pytest.fixture
def release(workspace, keys):
    """1.4.0 through Alpha (signed) and Beta (unsigned), rolled back at Beta; published, synced to two
    web nodes, verified on one backend, node2 rolled back; 1.3.2's Alpha before it, not to be shown."""
    root = workspace
    for rel in (INSTALLER, BUNDLE):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(rel.encode())
        (root / (rel + ".sha256")).write_text(_checksum.format_sidecar(
            hashlib.sha256(rel.encode()).hexdigest(), os.path.basename(rel)))
    _ledger.append(str(root), dict(gate="Alpha", status="Next Stage Ready", version="1.3.2", approver="QA-KIM",
                                   evidence="deliverables/onboarding_evidence/Stage9_Alpha_20251001",
                                   manifest_sha256="b" * 64), now=at(1, 9))
    sources = [(n, "incoming/Alpha/%s" % n) for n in sorted(os.listdir(str(root / "incoming" / "Alpha")))]
    plan = _evidence.plan(str(root), "Alpha", "1.4.0", "20251003", sources, created="2025-10-03T09:00:00+09:00")
    plan.apply()
    folder = os.path.relpath(plan.folder, str(root))
    written = _approval.write_statement(str(root), "Alpha", "1.4.0", "QA-KIM", folder, INSTALLER, BUNDLE,
                                        keys["allowed"], reason="smoke tests passed", now=at(3, 9))
    statement = str(root / written["statement"])
    subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-f", keys["key"], "-n", "routing-ml-approval-qa-lead",
                    statement], check=True)
    with open(statement, "rb") as handle:
        approval = hashlib.sha256(handle.read()).hexdigest()
    _ledger.append(str(root), dict(gate="Alpha", status="Next Stage Ready", version="1.4.0", approver="QA-KIM",
                                   operator="deploy-bot", reason="smoke tests passed", approval=approval,
                                   evidence=folder, manifest_sha256=plan.manifest_sha256), now=at(3, 10))
    # A name with markup is refused for a new record now (APPROVER_PATTERN); a ledger written
    # before that rule is still read, and the report must escape what it holds.
    original = _ledger.check_approver
    _ledger.check_approver = lambda value: value
    try:
        _ledger.append(str(root), dict(gate="Beta", status="Next Stage Ready", version="1.4.0", approver=APPROVER,
                                       reason=REASON, evidence="deliverables/onboarding_evidence/Stage9_Beta_20251004",
                                       manifest_sha256="c" * 64), now=at(4, 14, 5))
    finally:
        _ledger.check_approver = original
    _ledger.append(str(root), dict(gate="Beta", status="Rolled Back", version="1.4.0", approver="DEPLOY-LEE",
                                   operator="deploy-bot", reason="CHG-1234 users report errors", target="1.3.2",
                                   outcome="verified", evidence="logs/deploy/rollback_1.4.0_*.json",
                                   manifest_sha256="d" * 64), now=at(4, 15, 10))
    write_record(root, "upload", after="nas1:/srv/share/releases/1.4.0", time="2025-10-03T09:30:00+09:00",
                 digests={os.path.basename(INSTALLER): hashlib.sha256(INSTALLER.encode()).hexdigest(),
                          os.path.basename(BUNDLE): hashlib.sha256(BUNDLE.encode()).hexdigest()},
                 details={"size": {os.path.basename(INSTALLER): 10, os.path.basename(BUNDLE): 20}})
    for host, minute in (("node2", 1), ("node1", 2)):
        write_record(root, "frontend_sync", host, time="2025-10-04T14:%02d:00+09:00" % minute, before="1.3.2",
                     after="1.4.0", digests={"manifest": "e" * 64},
                     details={"release": "/srv/routing_ml/www/releases/1.4.0", "files": 3, "repaired": False,
                              "difference": None, "previous": "1.3.2"})
    write_record(root, "verify", "backend1", time="2025-10-04T14:00:30+09:00", after="1.4.0", details={
        "health": {"status": "ok", "version": "1.4.0", "database": "configured"},
        "spot_test": {"group": "spot-1.4.0-backend1-42", "started": "2025-10-04T14:00:10+09:00",
                      "client_ip": "10.0.0.5", "found_by_get": True},
        "audit": {"rsl.audit.log": [{"file": "rsl.audit.log", "line": 7, "timestamp": "2025-10-04T14:00:11+09:00",
                                     "client_ip": "10.0.0.5", "action": "POST /api/rsl/groups name=spot-1.4.0-backend1-42"}],
                  "ui_actions.log": []}})
    write_record(root, "rollback", "node2", time="2025-10-04T15:05:00+09:00", before="1.4.0", after="1.3.2+1",
                 outcome="ok", details={"component": "frontend", "gate": "Beta", "target": "1.3.2", "release": "/srv/x/1.3.2+1",
                                        "mirrored": False, "reason": "CHG-1234", "operator": "deploy-bot",
                                        "automatic": False})
    status_file(root, [node("node2", version="1.3.2", state="drift", verified=False,
                            drift="serves 1.3.2 | expected 1.4.0\nsee the rollback"),
                       node("node1"), node("backend1", role="backend")])
    return root


def report(root, version="1.4.0", **options):
    model = _release_report.collect(str(root), version, **options)
    return model, _release_report.html(model), _release_report.markdown(model)


def test_every_gate_of_the_version_appears_in_ledger_order_with_approver_and_time(release, keys):
    model, text, dummy = report(release, allowed_signers=keys["allowed"])
    rows = [(r["gate"], r["status"], r["time"]) for r in model["ledger"]["records"]]
    assert rows == [("Alpha", "Next Stage Ready", "2025-10-03T10:00:00+09:00"),
                    ("Beta", "Next Stage Ready", "2025-10-04T14:05:00+09:00"),
                    ("Beta", "Rolled Back", "2025-10-04T15:10:00+09:00")]
    page = Page(text)
    gates = page.classed("tr", "gate")
    assert [g["attrs"]["data-gate"] for g in gates] == ["Alpha", "Beta"]
    assert "QA-KIM" in gates[0]["text"] and "2025-10-03T10:00:00+09:00" in gates[0]["text"]
    assert APPROVER in gates[1]["text"] and "2025-10-04T14:05:00+09:00" in gates[1]["text"]
    event, = page.classed("tr", "event")
    assert event["attrs"]["data-status"] == "Rolled Back" and "1.3.2" in event["text"]
    # 1.3.2's record is another version's.
    assert "Stage9_Alpha_20251001" not in text and model["ledger"]["total"] == 4
    assert "intact" in page.classed("p", "chain")[0]["text"]


def test_a_signed_approval_is_verified_and_an_unsigned_one_is_none(release, keys):
    model = report(release, allowed_signers=keys["allowed"])[0]
    assert [r["approval"] for r in model["ledger"]["records"]] == ["verified", "none", "none"]
    page = Page(report(release, allowed_signers=keys["allowed"])[1])
    alpha, = page.find("tr", data_gate="Alpha")
    assert alpha["attrs"]["data-approval"] == "verified" and "Alpha.statement.json" in alpha["text"]
    # Without allowed_signers nothing is verified, and the page does not pretend otherwise.
    model = report(release)[0]
    assert [r["approval"] for r in model["ledger"]["records"]] == ["not checked", "none", "none"]


def test_a_changed_signature_or_statement_is_not_verified_and_says_why(release, keys):
    statement = release / "deliverables" / "approvals" / "1.4.0" / "Alpha.statement.json"
    original = statement.read_bytes()
    statement.write_bytes(original.replace(b"smoke tests passed", b"smoke tests skipped"))
    state = report(release, allowed_signers=keys["allowed"])[0]["ledger"]["records"][0]["approval"]
    assert state.startswith("not verified: the approval statement deliverables/approvals/1.4.0/Alpha.statement.json "
                            "has sha256"), state
    statement.write_bytes(original)
    os.unlink(str(statement) + ".sig")
    state = report(release, allowed_signers=keys["allowed"])[0]["ledger"]["records"][0]["approval"]
    assert state == "not verified: the signature deliverables/approvals/1.4.0/Alpha.statement.json.sig is missing"


def test_evidence_is_a_relative_link_from_the_report_folder(release):
    model, text, markdown = report(release)
    alpha = model["ledger"]["records"][0]
    assert alpha["evidence_href"] == "onboarding_evidence/Stage9_Alpha_20251003/" and alpha["evidence_present"]
    assert '<a href="onboarding_evidence/Stage9_Alpha_20251003/">' in text
    assert "[deliverables/onboarding_evidence/Stage9_Alpha_20251003](onboarding_evidence/Stage9_Alpha_20251003/)" in markdown
    # Beta's folder is not there: the link stays, and the page says it is missing.
    beta = model["ledger"]["records"][1]
    assert not beta["evidence_present"] and "(없음 missing)" in Page(text).find("tr", data_gate="Beta")[0]["text"]
    # A rollback's evidence is a pattern: it links to the folder.
    assert model["ledger"]["records"][2]["evidence_href"] == "../logs/deploy/"
    # Elsewhere, the links follow where the report goes.
    model = _release_report.collect(str(release), "1.4.0", report_dir=str(release / "out" / "reports"))
    assert model["ledger"]["records"][0]["evidence_href"] == "../../deliverables/onboarding_evidence/Stage9_Alpha_20251003/"


@pytest.mark.parametrize("evidence", ["/etc/passwd", "javascript:alert(1)", "../../outside", "C:/x"])
def test_evidence_that_is_not_a_plain_workspace_path_is_text_not_a_link(workspace, evidence):
    _ledger.append(str(workspace), dict(gate="Alpha", status="Next Stage Ready", version="1.4.0",
                                        approver="QA-KIM", evidence=evidence, manifest_sha256="a" * 64), now=at(3, 9))
    model, text, markdown = report(workspace)
    assert model["ledger"]["records"][0]["evidence_href"] is None
    row = Page(text).find("tr", data_gate="Alpha")[0]
    assert evidence in row["text"]
    assert not [a for a in Page(text).find("a") if evidence in a["attrs"].get("href", "")]
    assert "](%s)" % evidence not in markdown


def test_digests_come_from_the_upload_record(release):
    model, text, dummy = report(release)
    page = Page(text)
    installer, = page.find("code", data_artifact="installer")
    bundle, = page.find("code", data_artifact="bundle")
    assert installer["text"] == hashlib.sha256(INSTALLER.encode()).hexdigest()
    assert bundle["text"] == hashlib.sha256(BUNDLE.encode()).hexdigest()
    assert [r["source"] for r in model["digests"]["rows"]] == ["logs/deploy/upload_1.4.0.json"] * 2
    assert "digest" not in " ".join(model["missing"])


def test_without_the_upload_record_the_sidecars_give_the_digests(release):
    os.unlink(str(release / "logs" / "deploy" / "upload_1.4.0.json"))
    model = report(release)[0]
    rows = model["digests"]["rows"]
    assert [(r["artifact"], r["source"]) for r in rows] == [
        ("installer", INSTALLER + ".sha256"), ("bundle", BUNDLE + ".sha256")]
    assert rows[0]["sha256"] == hashlib.sha256(INSTALLER.encode()).hexdigest()
    assert "no upload record" in rows[0]["note"]


def test_a_sidecar_that_disagrees_with_the_upload_record_is_shown(release):
    (release / (BUNDLE + ".sha256")).write_text(_checksum.format_sidecar("f" * 64, os.path.basename(BUNDLE)))
    model, text, dummy = report(release)
    bundle = [r for r in model["digests"]["rows"] if r["artifact"] == "bundle"][0]
    assert bundle["sha256"] == hashlib.sha256(BUNDLE.encode()).hexdigest() and bundle["conflict"]
    assert "f" * 64 in Page(text).find("tr", data_artifact="bundle")[0]["text"]


def test_nodes_come_from_the_last_status_check(release):
    model, text, dummy = report(release)
    page = Page(text)
    rows = page.classed("tr", "node")
    assert [(r["attrs"]["data-host"], r["attrs"]["data-role"], r["attrs"]["data-verified"]) for r in rows] == [
        ("backend1", "backend", "true"), ("node1", "web", "true"), ("node2", "web", "false")]
    node2 = page.find("tr", data_host="node2")[0]
    assert "1.3.2" in node2["text"] and "serves 1.3.2 | expected 1.4.0" in node2["text"]
    assert "2026-12-01T21:40:00+00:00" in page.find("tr", data_host="node1")[0]["text"]
    assert model["nodes"]["source"] == "logs/status/last.json"


def test_without_a_status_file_each_node_is_its_newest_record(release):
    os.unlink(str(release / "logs" / "status" / "last.json"))
    model = report(release)[0]
    rows = dict((r["host"], r) for r in model["nodes"]["rows"])
    assert sorted(rows) == ["backend1", "node1", "node2"]
    assert (rows["node1"]["role"], rows["node1"]["served"], rows["node1"]["verified"], rows["node1"]["time"]) == (
        "web", "1.4.0", True, "2025-10-04T14:02:00+09:00")
    # node2 was rolled back after its sync: it serves the release folder of 1.3.2 it went back to.
    assert (rows["node2"]["served"], rows["node2"]["source"]) == ("1.3.2", "logs/deploy/rollback_1.4.0_node2.json")
    assert rows["backend1"]["role"] == "backend" and rows["backend1"]["drift"] is None
    text = report(release)[1]
    assert "no status check" in text and "not checked" in Page(text).find("tr", data_host="node1")[0]["text"]


def test_a_status_file_that_cannot_be_read_is_named_and_the_records_stand_in(release):
    (release / "logs" / "status" / "last.json").write_text('{"format": 2, "nodes": []}')
    model = report(release)[0]
    assert "logs/status/last.json is not a status file of format 1; nodes are shown from the deployment records" \
        in model["missing"]
    assert [r["host"] for r in model["nodes"]["rows"]] == ["backend1", "node1", "node2"]
    (release / "logs" / "status" / "last.json").write_text("{not json")
    assert any(m.startswith("logs/status/last.json cannot be read") for m in report(release)[0]["missing"])


def test_backend_checks_show_health_spot_test_and_the_audit_entry(release):
    model, text, markdown = report(release)
    row, = Page(text).classed("tr", "backend-check")
    assert row["attrs"]["data-host"] == "backend1" and row["attrs"]["data-audit-entries"] == "1"
    assert row["attrs"]["data-spot-found"] == "true"
    assert "database=configured, status=ok, version=1.4.0" in row["text"]
    assert "group spot-1.4.0-backend1-42, started 2025-10-04T14:00:10+09:00, from 10.0.0.5, found by GET: yes" in row["text"]
    assert "rsl.audit.log line 7: 2025-10-04T14:00:11+09:00 from 10.0.0.5: POST /api/rsl/groups" in row["text"]
    assert "ui_actions.log: no entry found" in row["text"]
    assert "rsl.audit.log line 7: 2025-10-04T14:00:11+09:00 from 10.0.0.5" in markdown


def test_rollbacks_from_records_and_the_ledger_with_unknown_duration(release):
    model, text, dummy = report(release)
    rows = model["rollbacks"]["rows"]
    assert [(r["kind"], r["host"], r["gate"], r["from"], r["to"], r["outcome"], r["duration"]) for r in rows] == [
        ("record", "node2", "Beta", "1.4.0", "1.3.2+1", "ok", "unknown"),
        ("ledger", None, "Beta", "1.4.0", "1.3.2", "verified", "unknown")]
    assert rows[1]["source"] == "logs/task_execution_20251004.log line 2"
    assert rows[1]["source_href"] == "../logs/task_execution_20251004.log"
    page = Page(text)
    assert "1.4.0 → 1.3.2+1" in page.find("tr", data_host="node2", data_kind="record")[0]["text"]
    assert len(page.classed("tr", "rollback")) == 2


def test_a_rollback_record_with_start_and_end_has_a_duration(workspace):
    write_record(workspace, "rollback", "backend1", before="1.4.0", after="1.3.2", outcome="ok",
                 details={"component": "backend", "started": "2025-10-03T10:58:00+09:00",
                          "finished": "2025-10-03T02:00:05+00:00"})
    assert report(workspace)[0]["rollbacks"]["rows"][0]["duration"] == "2m 05s"


def test_a_rollback_record_runs_from_its_start_to_its_own_time(workspace):
    """The rollback roles keep only the start: the record is written when the host is back and verified."""
    write_record(workspace, "rollback", "node1", time="2025-10-03T11:00:00+09:00", before="1.4.0", after="1.3.2",
                 details={"component": "frontend", "gate": "Beta", "started": "2025-10-03T01:59:17+00:00"})
    model, text, markdown = report(workspace)
    assert model["rollbacks"]["rows"][0]["duration"] == "43s"
    assert "43s" in Page(text).find("tr", data_host="node1", data_kind="record")[0]["text"]
    assert "43s" in markdown


def test_the_ledger_s_rollback_runs_from_the_last_start_of_its_gate_before_it(release):
    """Starts of another gate, after the ledger record, or malformed never count; the latest before it does."""
    for host, gate, started in (("node1", "Beta", "2025-10-04T15:00:30+09:00"),
                                ("node3", "Beta", "2025-10-04T06:01:00Z"),
                                ("node4", "Alpha", "2025-10-04T15:09:00+09:00"),
                                ("node5", "Beta", "2025-10-04T15:11:00+09:00"),
                                ("node6", "Beta", "not a time")):
        write_record(release, "rollback", host, time="2025-10-04T15:06:00+09:00", before="1.4.0", after="1.3.2",
                     details={"component": "frontend", "gate": gate, "started": started})
    rows = report(release)[0]["rollbacks"]["rows"]
    durations = {(r["kind"], r["host"]): r["duration"] for r in rows}
    assert durations[("ledger", None)] == "9m 00s", "15:01 KST (node3, in UTC) to the ledger's 15:10"
    assert durations[("record", "node1")] == "5m 30s"
    assert durations[("record", "node5")] == "unknown", "started after it finished"
    assert durations[("record", "node6")] == "unknown"
    assert durations[("record", "node2")] == "unknown", "no start kept"


def test_a_ledger_rollback_without_a_start_of_its_gate_has_no_duration(release):
    write_record(release, "rollback", "node1", time="2025-10-04T15:06:00+09:00", before="1.4.0", after="1.3.2",
                 details={"component": "frontend", "gate": "Alpha", "started": "2025-10-04T15:00:00+09:00"})
    rows = report(release)[0]["rollbacks"]["rows"]
    assert [r["duration"] for r in rows if r["kind"] == "ledger"] == ["unknown"]


def test_the_timeline_has_one_mark_per_ledger_record_and_rollback_in_time_order(release):
    model, text, dummy = report(release)
    page = Page(text)
    svg, = page.find("svg", id="timeline")
    events = page.classed("g", "event")
    assert svg["attrs"]["data-events"] == str(len(events)) == "4"
    assert [(e["attrs"]["data-label"], e["attrs"]["data-time"]) for e in events] == [
        ("Alpha", "2025-10-03T10:00:00+09:00"), ("Beta", "2025-10-04T14:05:00+09:00"),
        ("rollback node2", "2025-10-04T15:05:00+09:00"), ("Beta", "2025-10-04T15:10:00+09:00")]
    assert [e["attrs"]["data-kind"] for e in events] == ["approval", "approval", "rollback", "rolled-back"]
    assert "2025-10-03 10:00" in events[0]["text"] and "+5m 00s" in text
    # Widths follow the number of marks.
    assert svg["attrs"]["width"] == str(90 * 2 + 170 * 3)


def test_values_from_the_workspace_are_escaped(release):
    model, text, markdown = report(release)
    assert "<script" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in text
    assert "DEPLOY &quot;LEE&quot; &amp; &lt;b&gt;co&lt;/b&gt;" in text
    beta = Page(text).find("tr", data_gate="Beta")[0]
    assert REASON in beta["text"] and APPROVER in beta["text"]
    # Markdown: no raw HTML from the workspace, no cell broken by '|' or a newline.
    assert "<script" not in markdown and "<b>" not in markdown
    assert "serves 1.3.2 \\| expected 1.4.0<br>see the rollback" in markdown
    for line in markdown.splitlines():
        if line.startswith("| node2 "):
            assert len(re.findall(r"(?<!\\)\|", line)) == len(_release_report.COLUMNS["nodes"]) + 1


def test_the_page_is_self_contained(release):
    text = report(release)[1]
    assert text.startswith("<!DOCTYPE html>\n") and '<meta charset="utf-8">' in text and "<style>" in text
    assert "<script" not in text.lower() and "http://" not in text and "https://" not in text
    assert "@import" not in text and "url(" not in text and "<img" not in text and "<link" not in text
    for element in Page(text).find("a"):
        assert not re.match(r"^[a-z]+:|^/", element["attrs"]["href"]), element
    for heading in ("<h2 id=\"ledger\">Stage 9 타임라인 (Stage 9 timeline)</h2>",
                    "설치 파일과 번들의 다이제스트 (Installer and bundle digests)", "노드별 배포 상태 (Nodes)",
                    "백엔드 점검 (Backend checks)", "롤백 (Rollbacks)"):
        assert heading in text


def test_markdown_has_the_same_bilingual_sections_as_tables(release):
    markdown = report(release)[2]
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert headings == ["## Stage 9 타임라인 (Stage 9 timeline)",
                        "## 설치 파일과 번들의 다이제스트 (Installer and bundle digests)", "## 노드별 배포 상태 (Nodes)",
                        "## 백엔드 점검 (Backend checks)", "## 롤백 (Rollbacks)", "## 읽은 파일 (Sources)"]
    assert "| `%s` |" % hashlib.sha256(INSTALLER.encode()).hexdigest() in markdown
    assert "| 2025-10-03T10:00:00+09:00 | Alpha | Next Stage Ready | QA-KIM |" in markdown


def test_the_same_workspace_gives_the_same_bytes_wherever_it_is(release, tmp_path, keys):
    first = report(release, allowed_signers=keys["allowed"])
    second = report(release, allowed_signers=keys["allowed"])
    assert first[1].encode() == second[1].encode() and first[2].encode() == second[2].encode()
    copy = tmp_path / "elsewhere" / "release-copy"
    shutil.copytree(str(release), str(copy))
    moved = report(copy, allowed_signers=keys["allowed"])
    assert moved[1] == first[1] and moved[2] == first[2]
    assert str(tmp_path) not in first[1] and str(tmp_path) not in first[2]


def test_an_empty_workspace_gives_a_page_that_says_what_is_missing(workspace):
    model, text, markdown = report(workspace)
    assert model["missing"] == [
        "no ledger records for 1.4.0",
        "no installer digest for 1.4.0: no upload record logs/deploy/upload_1.4.0.json and no sidecar "
        "build/windows/RoutingMLInstaller_1.4.0.exe.sha256",
        "no bundle digest for 1.4.0: no upload record logs/deploy/upload_1.4.0.json and no sidecar "
        "build/frontend/RoutingMLFrontend_1.4.0.zip.sha256",
        "no status file logs/status/last.json and no frontend_sync or verify records for 1.4.0",
        "no verify records for 1.4.0"]
    for message in model["missing"]:
        assert message in text and message in markdown
    assert "no rollbacks recorded for 1.4.0" in text
    assert Page(text).find("svg", id="timeline")


def test_a_ledger_that_cannot_be_read_is_said_not_raised(release):
    ledger = release / "logs" / "task_execution_20251003.log"
    ledger.write_text(ledger.read_text() + "not a record\n")
    model, text, dummy = report(release)
    assert model["missing"][0].startswith("the ledger cannot be read: logs/task_execution_20251003.log line 2")
    assert not model["ledger"]["records"] and "the ledger cannot be read" in text


def test_an_edited_ledger_reads_but_its_chain_is_reported_broken(release):
    ledger = release / "logs" / "task_execution_20251003.log"
    ledger.write_text(ledger.read_text().replace("reason=smoke tests passed", "reason=smoke tests waived"))
    model, text, dummy = report(release)
    assert model["ledger"]["chain"].startswith("broken: logs/task_execution_20251004.log line 1: chain broken")
    assert Page(text).find("p", data_chain="broken")


@pytest.mark.parametrize("version", ["1.4.0\n", "../1.4.0", "", 140, None, "1.4.0 beta"])
def test_a_malformed_version_is_refused_by_name(workspace, version):
    with pytest.raises(ValidationError, match="version %s is not valid" % re.escape(repr(version))):
        _release_report.collect(str(workspace), version)


def test_an_allowed_signers_file_that_is_not_there_leaves_approvals_not_verified(release, tmp_path):
    model = report(release, allowed_signers=str(tmp_path / "no_such_allowed_signers"))[0]
    state = model["ledger"]["records"][0]["approval"]
    assert state.startswith("not verified: ") and "no_such_allowed_signers" in state, state
    assert str(tmp_path) not in state
    # The model is plain data: what a tool could store or compare.
    assert json.loads(json.dumps(model, sort_keys=True)) == model

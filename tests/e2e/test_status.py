# -*- coding: utf-8 -*-
"""playbooks/status.yml against a lab: a clean farm passes, every planted drift is found and
named, a deployment in progress is neither healthy nor a failure, and no host is changed."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from labtools import host_roots, tree_digest
from rml_lab import release

from ansible_collections.routing_ml.deploy.plugins.module_utils import _lock

VERSION = "1.4.0"


@pytest.fixture(scope="module")
def lab(deployed):
    """The deployed lab (conftest.deployed) after GA of 1.4.0: 3 farm nodes, 1 DMZ node, the backend."""
    return deployed.restore()


@pytest.fixture(scope="module")
def workspace(deployed):
    return deployed.workspace


def served_hosts(lab):
    """Every host that serves something: the web nodes and the backend (the share serves nothing)."""
    return set(h["name"] for h in lab.state["hosts"] if h["group"] != "nas")


def status(lab, workspace, *extra):
    rc, output, counts = lab.playbook("status.yml", "-e", "routing_ml_workspace=%s" % workspace, *extra)
    with open(os.path.join(workspace, "logs", "status", "last.json")) as handle:
        return rc, output, counts, dict((row["host"], row) for row in json.load(handle)["nodes"])


def web_root(lab, host):
    return os.path.join(lab.hosts[host]["root"], "www")


def assert_clean(lab, workspace):
    rc, output, counts, rows = status(lab, workspace)
    assert rc == 0, output[-3000:]
    assert set(rows) == served_hosts(lab)
    for host, row in rows.items():
        assert (row["state"], row["live_version"], row["verified"]) == ("ok", VERSION, True), row
        assert row["approved_version"] == VERSION
    return output, counts


def hosts_state(lab):
    """Every host's files but a backend's audit logs, where each GET of /api/health leaves a line."""
    return tree_digest(*host_roots(lab), skip=[os.path.join(lab.hosts["backend1"]["app_home"], "logs", "audit")])


def test_a_clean_farm_passes_with_one_task_per_host_and_changes_nothing(lab, workspace):
    before = hosts_state(lab)
    output, counts = assert_clean(lab, workspace)
    assert "What is running where" in output
    assert hosts_state(lab) == before
    for host in served_hosts(lab):
        assert (counts[host]["ok"], counts[host]["changed"]) == (1, 0), counts


def test_a_changed_file_on_one_node_is_named(lab, workspace):
    live = os.path.join(web_root(lab, "node2"), "current", "index.html")
    saved = open(live, "rb").read()
    try:
        with open(live, "ab") as handle:
            handle.write(b"<!-- edited on the node -->")
        rc, output, dummy, rows = status(lab, workspace)
        assert rc != 0
        assert rows["node2"]["state"] == "drift"
        assert rows["node2"]["first_difference"] == "index.html"
        assert "node2: index.html of 1.4.0 differs from its manifest (changed)" in output
        assert all(rows[h]["state"] == "ok" for h in ("node1", "dmz1", "backend1"))
    finally:
        with open(live, "wb") as handle:
            handle.write(saved)
    assert_clean(lab, workspace)


def test_a_node_switched_to_another_version_is_named(lab, workspace):
    root = web_root(lab, "dmz1")
    other = os.path.join(root, "releases", "1.3.0")
    shutil.copytree(os.path.join(root, "releases", VERSION), other, symlinks=True)
    try:
        os.symlink("releases/1.3.0", os.path.join(root, "current.new"))
        os.rename(os.path.join(root, "current.new"), os.path.join(root, "current"))
        rc, output, dummy, rows = status(lab, workspace)
        assert rc != 0
        assert (rows["dmz1"]["state"], rows["dmz1"]["live_version"]) == ("drift", "1.3.0")
        assert "dmz1: serves 1.3.0, but frontend_sync_1.4.0_dmz1.json puts 1.4.0 on it" in output
    finally:
        os.symlink("releases/" + VERSION, os.path.join(root, "current.new"))
        os.rename(os.path.join(root, "current.new"), os.path.join(root, "current"))
        shutil.rmtree(other)
    assert_clean(lab, workspace)


def install(lab, workspace, version):
    """What an administrator does by hand on the backend: run a version's installer, start it."""
    config = lab.hosts["backend1"]["service_config"]
    installer = os.path.join(workspace, "build", "windows", "RoutingMLInstaller_%s.exe" % version)
    subprocess.run([sys.executable, installer, "--config", config], check=True, stdout=subprocess.DEVNULL)
    home = json.load(open(config))["home"]
    subprocess.run([sys.executable, os.path.join(home, "current", "install_service.py"), "--config", config],
                   check=True, stdout=subprocess.DEVNULL)
    url = "http://%s:%s/api/health" % (lab.hosts["backend1"]["address"], lab.hosts["backend1"]["backend_port"])
    for dummy in range(100):
        try:
            if json.load(urllib.request.urlopen(url, timeout=2)).get("version") == version:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise AssertionError("%s never answered version %s" % (url, version))


def test_a_backend_reporting_another_version_is_named(lab, workspace, tmp_path):
    other = str(tmp_path / "release-1.3.0")
    release.build(other, release.Options(version="1.3.0", date="2025-09-01", files=10))
    install(lab, other, "1.3.0")
    try:
        rc, output, dummy, rows = status(lab, workspace)
        assert rc != 0
        assert (rows["backend1"]["state"], rows["backend1"]["live_version"]) == ("drift", "1.3.0")
        assert "backend1: serves 1.3.0, but verify_1.4.0_backend1.json puts 1.4.0 on it" in output
    finally:
        install(lab, workspace, VERSION)
    assert_clean(lab, workspace)


def test_during_a_deployment_a_switched_node_is_in_progress_and_nothing_fails(lab, workspace):
    root = web_root(lab, "node1")
    newer = os.path.join(root, "releases", "1.5.0")
    shutil.copytree(os.path.join(root, "releases", VERSION), newer, symlinks=True)
    lock_dir = os.path.join(lab.dir, "locks")
    held, dummy = _lock.acquire(lock_dir, "lab", playbook="playbooks/deploy_alpha.yml", purpose="deploy Alpha 1.5.0",
                         pid=os.getpid())
    try:
        # The deployment has switched node1 and not yet written its record.
        os.symlink("releases/1.5.0", os.path.join(root, "current.new"))
        os.rename(os.path.join(root, "current.new"), os.path.join(root, "current"))
        rc, output, dummy, rows = status(lab, workspace)
        assert rc == 0, output[-3000:]
        assert rows["node1"]["state"] == "in progress"
        assert rows["node1"]["live_version"] == "1.5.0"
        assert "a deployment or rollback is in progress" in output
        assert all(rows[h]["state"] == "ok" for h in ("node2", "dmz1", "backend1"))
    finally:
        _lock.release(lock_dir, "lab", held["token"])
        os.symlink("releases/" + VERSION, os.path.join(root, "current.new"))
        os.rename(os.path.join(root, "current.new"), os.path.join(root, "current"))
        shutil.rmtree(newer)
    # Without the lock the same node is drift.
    assert_clean(lab, workspace)


def test_a_broken_ledger_is_refused_before_any_host_is_asked(lab, workspace):
    ledger = sorted(n for n in os.listdir(os.path.join(workspace, "logs")) if n.startswith("task_execution_"))[0]
    path = os.path.join(workspace, "logs", ledger)
    saved = open(path, encoding="utf-8").read()
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(saved.replace("approver=QA-KIM", "approver=MALLORY", 1))
        rc, output, counts = lab.playbook("status.yml", "-e", "routing_ml_workspace=%s" % workspace)
        assert rc != 0
        assert "ledger broken, nothing to compare the hosts with" in output
        assert "node1" not in counts
    finally:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(saved)


def chromium(page, *options):
    """Headless Chromium from Debian's package, with no network: its own network namespace
    when this runs as root, and a proxy nobody listens on and a resolver that finds nothing."""
    binary = shutil.which("chromium")
    assert binary, "chromium is missing: ./dev test installs Debian's chromium and fonts-noto-cjk"
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
               "--user-data-dir=%s" % os.path.join(os.path.dirname(page), ".chromium")] + list(options)
    if os.geteuid() == 0 and shutil.which("unshare"):
        command = ["unshare", "--net"] + command
    completed = subprocess.run(command + ["file://" + page], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def png_colours(path):
    """The distinct colours of an 8-bit RGB or RGBA PNG, and the share of pixels that are not white."""
    import struct
    import zlib
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunks.setdefault(kind, []).append(data[position + 8:position + 8 + length])
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][0][:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    size = 3 if colour == 2 else 4
    raw, stride, rows, previous = zlib.decompress(b"".join(chunks[b"IDAT"])), width * size, [], bytearray(width * size)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - size] if x >= size else 0
            up, corner = previous[x], previous[x - size] if x >= size else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                near = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))
                line[x] = (line[x] + near[2]) & 255
        rows.append(bytes(line))
        previous = line
    pixels = [row[x:x + 3] for row in rows for x in range(0, stride, size)]
    return len(set(pixels)), sum(1 for p in pixels if p != b"\xff\xff\xff") / float(len(pixels))


def test_the_release_report_renders_in_a_browser_with_every_gate_node_and_digest(lab, workspace, tmp_path):
    rc, output, dummy, rows = status(lab, workspace, "-e", "routing_ml_version=%s" % VERSION)
    assert rc == 0, output[-3000:]
    page = os.path.join(workspace, "deliverables", "release_report_%s.html" % VERSION)
    assert "release report: %s" % os.path.realpath(page) in output
    # Each gate run linked it in the release notes' Highlights.
    notes = open(os.path.join(workspace, "deliverables", "release_notes_2025-09-29.md"), encoding="utf-8").read()
    assert "(release_report_%s.html)" % VERSION in notes
    copy = str(tmp_path / "report.html")
    shutil.copy(page, copy)
    dom = chromium(copy, "--dump-dom")
    for gate in ("Alpha", "Beta", "GA"):
        assert 'data-gate="%s"' % gate in dom, gate
    for host in rows:
        assert 'class="node" data-host="%s"' % host in dom, host
    upload = json.load(open(os.path.join(workspace, "logs", "deploy", "upload_%s.json" % VERSION)))
    assert upload["digests"]
    for name, digest in upload["digests"].items():
        assert digest.split(":")[-1] in dom, name
    assert "Stage 9 타임라인 (Stage 9 timeline)" in dom and '<svg id="timeline"' in dom
    shot = str(tmp_path / "report.png")
    chromium(copy, "--window-size=1280,1600", "--screenshot=%s" % shot)
    colours, inked = png_colours(shot)
    assert colours > 8 and inked > 0.02, (colours, inked)
    fonts = subprocess.run(["fc-list", ":lang=ko", "family"], stdout=subprocess.PIPE, universal_newlines=True).stdout
    assert fonts.strip(), "no font with Korean glyphs: the headings would render as boxes"


def test_the_same_inputs_give_the_same_report_bytes(lab, workspace):
    args = "workspace=%s version=%s" % (workspace, VERSION)
    first = lab.ansible("localhost", "routing_ml.deploy.release_report", args)["localhost"]
    page = open(first["html_path"], "rb").read()
    second = lab.ansible("localhost", "routing_ml.deploy.release_report", args)["localhost"]
    assert second["changed"] is False
    assert (second["html_sha256"], second["markdown_sha256"]) == (first["html_sha256"], first["markdown_sha256"])
    assert open(second["html_path"], "rb").read() == page

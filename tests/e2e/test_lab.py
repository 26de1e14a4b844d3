# -*- coding: utf-8 -*-
"""The lab itself: hosts over SSH with host key checking, nginx, Samba, the stand-in backend."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request

import pytest

from labtools import Lab, free_octet
from rml_lab import control, processes, release

from ansible_collections.routing_ml.deploy.plugins.module_utils import _audit_log

VERSIONS = ("1.3.0", "1.4.0")


def http(url, data=None, timeout=5):
    request = urllib.request.Request(url, data=json.dumps(data).encode() if data is not None else None,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_every_host_answers_ping_with_host_key_checking(lab):
    results = lab.ansible("all", "ansible.builtin.ping")
    assert sorted(results) == ["backend1", "dmz1", "dmz2", "nas1", "node1", "node2", "node3", "node4"]
    assert all(r["ping"] == "pong" for r in results.values())


def test_a_wrong_host_key_is_refused(lab, tmp_path):
    known = open(lab.state["ssh"]["known_hosts"]).read().splitlines()
    node1 = lab.hosts["node1"]["address"]
    other = next(line for line in known if node1 not in line)
    forged = [line if node1 not in line else line.split(" ", 1)[0] + " " + other.split(" ", 1)[1] for line in known]
    forged_file = tmp_path / "known_hosts"
    forged_file.write_text("\n".join(forged) + "\n")
    args = "ansible_ssh_common_args='-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes'" % forged_file
    results = lab.ansible("node1", "ansible.builtin.ping", check=False, extra=["-e", args],
                          ANSIBLE_SSH_ARGS="-o ControlMaster=no")
    assert results["node1"].get("unreachable"), results
    assert "host key" in results["node1"]["msg"].lower()


def test_nginx_serves_each_web_host_its_own_files(lab):
    lab.ansible("web", "ansible.builtin.file", "path={{ routing_ml_lab_web_root }}/releases/probe state=directory")
    lab.ansible("web", "ansible.builtin.copy",
                "dest={{ routing_ml_lab_web_root }}/releases/probe/probe.txt content={{ inventory_hostname }}")
    lab.ansible("web", "ansible.builtin.file",
                "src=releases/probe dest={{ routing_ml_lab_web_root }}/current state=link force=true")
    web = [h for h in lab.state["hosts"] if "http_port" in h]
    assert len(web) == 6
    for host in web:
        status, body = http("http://%s:%d/probe.txt" % (host["address"], host["http_port"]))
        assert (status, body.decode()) == (200, host["name"])
        assert http("http://%s:%d/missing.txt" % (host["address"], host["http_port"]))[0] == 404


def test_share_is_a_real_smb_server_when_root(lab):
    if os.geteuid() != 0:
        assert lab.state["samba"] is None
        pytest.skip("Samba runs only when the lab is started as root; this run is not root")
    import smbclient
    smb = lab.state["samba"]
    password = open(smb["password_file"]).read()
    smbclient.register_session(smb["address"], username=smb["user"], password=password, port=smb["port"],
                               encrypt=True)
    unc = "\\\\%s\\%s\\smb-probe.txt" % (smb["address"], smb["share"])
    with smbclient.open_file(unc, mode="wb", port=smb["port"]) as handle:
        handle.write(b"through SMB")
    share = lab.hosts["nas1"]["share"]
    assert open(os.path.join(share, "smb-probe.txt"), "rb").read() == b"through SMB"
    from smbprotocol.exceptions import LogonFailure
    smbclient.reset_connection_cache()
    with pytest.raises(LogonFailure):
        smbclient.register_session(smb["address"], username=smb["user"], password="wrong", port=smb["port"])


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    made = {}
    for version in VERSIONS:
        workspace = str(tmp_path_factory.mktemp("release-%s" % version))
        release.build(workspace, release.Options(version=version, date="2025-09-29", files=50))
        made[version] = os.path.join(workspace, "build/windows/RoutingMLInstaller_%s.exe" % version)
    unhealthy = str(tmp_path_factory.mktemp("release-unhealthy"))
    release.build(unhealthy, release.Options(version="1.4.1", files=10, unhealthy=True))
    made["1.4.1"] = os.path.join(unhealthy, "build/windows/RoutingMLInstaller_1.4.1.exe")
    return made


def install(lab, installer):
    """What the backend role does on a Linux stand-in: pull, verify, install, register."""
    name = os.path.basename(installer)
    digest = hashlib.sha256(open(installer, "rb").read()).hexdigest()
    lab.ansible("backend", "ansible.builtin.file", "path={{ routing_ml_lab_app_home }}/installer state=directory")
    lab.ansible("backend", "ansible.builtin.copy",
                "src=%s dest={{ routing_ml_lab_app_home }}/installer/%s checksum=%s" % (installer, name, hashlib.sha1(
                    open(installer, "rb").read()).hexdigest()))
    lab.ansible("backend", "routing_ml.deploy.verify_remote_checksum",
                "path={{ routing_ml_lab_app_home }}/installer/%s checksum=%s" % (name, digest))
    # (Ad-hoc arguments that start with "{" and end with "}" are taken for JSON: start with a path.)
    lab.ansible("backend", "ansible.builtin.command",
                "%s {{ routing_ml_lab_app_home }}/installer/%s --config {{ routing_ml_lab_service_config }}"
                % (lab.state["python"], name))
    return lab.ansible("backend", "ansible.builtin.command",
                       "%s {{ routing_ml_lab_app_home }}/current/install_service.py "
                       "--config {{ routing_ml_lab_service_config }}" % lab.state["python"], check=False)


def remove(lab):
    return lab.ansible("backend", "ansible.builtin.command",
                       "%s {{ routing_ml_lab_app_home }}/current/install_service.py "
                       "--config {{ routing_ml_lab_service_config }} --remove-only" % lab.state["python"])


def program_tree(home):
    found = {}
    for folder, dummy, names in os.walk(os.path.join(home, "current")):
        for name in names:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, home)] = hashlib.sha256(open(path, "rb").read()).hexdigest()
    return found


def test_backend_installs_answers_and_audits_then_removes(lab, releases):
    backend = lab.hosts["backend1"]
    base = "http://%s:%d" % (backend["address"], backend["backend_port"])
    result = install(lab, releases["1.4.0"])["backend1"]
    assert not result.get("failed"), result
    assert json.loads(result["stdout"])["version"] == "1.4.0"
    assert json.loads(http(base + "/api/health")[1]) == {"status": "ok", "version": "1.4.0", "database": "configured"}

    before = datetime.datetime.now().astimezone() - datetime.timedelta(seconds=1)
    name = "spot-%d" % time.time_ns()
    status, body = http(base + "/api/rsl/groups", {"name": name, "routes": ["R1"]})
    assert status == 201 and json.loads(body)["name"] == name
    assert name in [g["name"] for g in json.loads(http(base + "/api/rsl/groups")[1])["groups"]]
    assert http(base + "/api/rsl/groups", {"name": name})[0] == 409
    audit = os.path.join(backend["app_home"], "logs", "audit")
    for log in ("rsl.audit.log", "ui_actions.log"):
        lines = open(os.path.join(audit, log), encoding="utf-8").read().splitlines()
        matches, unreadable = _audit_log.search(lines, since=before, client_ip="127.0.0.1",
                                                action="POST /api/rsl/groups name=%s" % name)
        # The created group and the refused duplicate, each with time and client IP.
        assert [lines[m["line"] - 1].rsplit(" ", 1)[1] for m in matches] == ["status=201", "status=409"], lines[-5:]
        assert unreadable == 0

    remove(lab)
    assert not processes.port_open(backend["address"], backend["backend_port"])
    assert not os.path.exists(os.path.join(backend["app_home"], "current"))
    assert not os.path.exists(os.path.join(backend["app_home"], "service.json"))
    assert not processes.running(backend["service_pidfile"])


def test_b_over_a_then_remove_and_reinstall_is_a_clean_a(lab, releases):
    home = lab.hosts["backend1"]["app_home"]
    install(lab, releases["1.3.0"])
    clean_a = program_tree(home)
    assert clean_a and all(path.startswith("current") for path in clean_a)
    install(lab, releases["1.4.0"])
    backend = lab.hosts["backend1"]
    assert json.loads(http("http://%s:%d/api/health" % (backend["address"], backend["backend_port"]))[1])["version"] == "1.4.0"
    remove(lab)
    install(lab, releases["1.3.0"])
    assert program_tree(home) == clean_a
    assert json.loads(http("http://%s:%d/api/health" % (backend["address"], backend["backend_port"]))[1])["version"] == "1.3.0"
    remove(lab)


def test_unhealthy_build_reports_500(lab, releases):
    backend = lab.hosts["backend1"]
    install(lab, releases["1.4.1"])
    status, body = http("http://%s:%d/api/health" % (backend["address"], backend["backend_port"]))
    assert status == 500 and json.loads(body)["version"] == "1.4.1"
    remove(lab)


def test_service_refuses_to_start_without_the_database_variable(lab, releases):
    environment = lab.hosts["backend1"]["environment"]
    saved = open(environment).read()
    try:
        open(environment, "w").write("# ROUTING_ML_RSL_DATABASE_URL removed\n")
        result = install(lab, releases["1.4.0"])["backend1"]
        assert result.get("failed")
        assert "ROUTING_ML_RSL_DATABASE_URL is not set" in result["stdout"]
    finally:
        open(environment, "w").write(saved)
    assert not processes.running(lab.hosts["backend1"]["service_pidfile"])


def test_a_second_lab_on_the_same_addresses_is_refused(lab, tmp_path):
    with pytest.raises(RuntimeError) as exc:
        control.up(str(tmp_path / "other"), lab.state["octet"], 1, 0, 0, sys.executable)
    assert "already taken by another process" in str(exc.value) and "--octet" in str(exc.value)
    assert all(processes.running(h["sshd_pidfile"]) for h in lab.state["hosts"])
    control.down(str(tmp_path / "other"))


def test_second_up_leaves_running_hosts_alone(lab):
    pids = dict((h["name"], processes.read_pid(h["sshd_pidfile"])) for h in lab.state["hosts"])
    again = control.up(lab.dir, lab.state["octet"], 4, 2, 1, sys.executable)
    assert dict((h["name"], processes.read_pid(h["sshd_pidfile"])) for h in again["hosts"]) == pids


def processes_mentioning(text):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as handle:
                    cmdline = handle.read().decode(errors="replace")
            except OSError:
                continue
            if text in cmdline:
                found.append((entry, cmdline.replace("\0", " ")))
    return found


def test_down_leaves_no_process_behind(tmp_path):
    directory = str(tmp_path / "lab")
    state = control.up(directory, free_octet(), farm=2, dmz=1, backend=1, python=sys.executable)
    try:
        workspace = str(tmp_path / "ws")
        release.build(workspace, release.Options(version="2.0.0", files=5))
        install(Lab(directory, state), os.path.join(workspace, "build/windows/RoutingMLInstaller_2.0.0.exe"))
        pids = [pid for dummy, pid in control._pidfiles(state)]
        # sshd on 5 hosts, nginx on 3 web hosts, 1 backend service, and smbd when root.
        assert len([p for p in pids if p]) == 5 + 3 + 1 + (1 if state["samba"] else 0)
    finally:
        stopped = control.down(directory)
    assert len(stopped) == 5 + 3 + 1 + (1 if state["samba"] else 0)
    assert not [p for p in pids if processes.alive(p)]
    assert processes_mentioning(directory) == []
    assert control.down(directory) == []


def service(lab, *flags):
    result = lab.ansible("backend", "ansible.builtin.command",
                         "%s {{ routing_ml_lab_app_home }}/current/install_service.py "
                         "--config {{ routing_ml_lab_service_config }} %s" % (lab.state["python"], " ".join(flags)))
    return json.loads(result["backend1"]["stdout"])


def status_rows(directory):
    return dict((row["name"], row) for row in control.status(directory))


def test_up_after_down_starts_what_a_service_manager_would(tmp_path):
    """`lab down` + `lab up` is a reboot: nginx and an installed, registered backend come back;
    a removed backend stays removed; `status` tells the three apart."""
    directory = str(tmp_path / "lab")
    state = control.up(directory, free_octet(), farm=1, dmz=0, backend=1, python=sys.executable)
    lab = Lab(directory, state)
    backend = lab.hosts["backend1"]
    health = "http://%s:%d/api/health" % (backend["address"], backend["backend_port"])
    try:
        assert status_rows(directory)["backend1"]["backend"] is None, "nothing installed yet"
        workspace = str(tmp_path / "ws")
        release.build(workspace, release.Options(version="2.0.0", files=5))
        install(lab, os.path.join(workspace, "build/windows/RoutingMLInstaller_2.0.0.exe"))
        control.down(directory)
        rows = status_rows(directory)
        assert rows["backend1"]["backend"] is False and rows["node1"]["nginx"] is False
        state = control.up(directory, state["octet"], 1, 0, 1, sys.executable)
        rows = status_rows(directory)
        assert rows["backend1"]["backend"] is True and rows["node1"]["nginx"] is True
        assert json.loads(http(health)[1])["version"] == "2.0.0"

        # --status and --check change nothing and say what a run would do.
        assert service(lab, "--status") == dict(service(lab, "--status"), running=True, registered=True,
                                               version="2.0.0", installed_version="2.0.0")
        assert service(lab, "--check")["changed"] is False
        processes.stop(backend["service_pidfile"])
        assert service(lab, "--check")["changed"] is True
        assert not processes.running(backend["service_pidfile"]), "--check started nothing"
        assert service(lab, "--status")["running"] is False
        assert service(lab, "--remove-only", "--check")["changed"] is True
        assert os.path.exists(os.path.join(backend["app_home"], "service.json")), "--check removed nothing"

        remove(lab)
        control.down(directory)
        control.up(directory, state["octet"], 1, 0, 1, sys.executable)
        assert status_rows(directory)["backend1"]["backend"] is None
        assert not processes.port_open(backend["address"], backend["backend_port"])
    finally:
        control.down(directory)


def test_a_crashing_build_dies_on_its_first_health_check(lab, tmp_path):
    workspace = str(tmp_path / "crash")
    release.build(workspace, release.Options(version="1.4.2", files=5, crashing=True))
    backend = lab.hosts["backend1"]
    assert "failed" not in install(lab, os.path.join(workspace, "build/windows/RoutingMLInstaller_1.4.2.exe"))["backend1"]
    with pytest.raises(Exception):
        http("http://%s:%d/api/health" % (backend["address"], backend["backend_port"]))
    # The process exits on the request; its listening socket is gone a moment later (on a
    # loaded machine, CI saw it still accept once right after the pid had gone).
    deadline = time.monotonic() + 10
    while (processes.running(backend["service_pidfile"]) or processes.port_open(
            backend["address"], backend["backend_port"])) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes.running(backend["service_pidfile"])
    assert not processes.port_open(backend["address"], backend["backend_port"])
    remove(lab)

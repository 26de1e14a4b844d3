"""Bring a lab up, take it down, and report on it. The state lives in ``<lab>/state.json``."""

from __future__ import annotations

import getpass
import json
import os
import sys
import time

from . import nginx, processes, samba, signing, sshd, topology
from .topology import BACKEND_PORT, HTTP_PORT, SSH_PORT

STATE = "state.json"


def host_dir(lab_dir: str, name: str) -> str:
    return os.path.join(lab_dir, "hosts", name)


def host_root(lab_dir: str, name: str) -> str:
    """The host's own filesystem: every path a role uses on the host lies under it."""
    return os.path.join(host_dir(lab_dir, name), "root")


def load_state(lab_dir: str) -> dict | None:
    try:
        with open(os.path.join(lab_dir, STATE)) as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


# The lab's own inventory settings beside its state (inventory/lab/hosts.py reads them): what an
# estate's group_vars would say, e.g. a lab whose approvals are recorded without signatures.
INVENTORY_VARS = "inventory_vars.json"
# The settings the lab's inventory lets a lab choose (the trust settings come from the
# inventory, never from an extra variable: docs/formats.md, "Trust records").
INVENTORY_SETTINGS = {"routing_ml_approval_signatures": ("required", "off")}


def set_inventory_vars(lab_dir: str, **variables) -> dict:
    """Set inventory variables of the lab (``routing_ml_approval_signatures="off"``); kept across
    ``up`` and ``down``. Returns all of them."""
    for name, value in variables.items():
        if name not in INVENTORY_SETTINGS or value not in INVENTORY_SETTINGS[name]:
            raise ValueError("%s=%r is not a lab inventory setting (%s)" % (name, value, INVENTORY_SETTINGS))
    path = os.path.join(lab_dir, INVENTORY_VARS)
    current = load_inventory_vars(lab_dir)
    current.update(variables)
    with open(path + ".tmp", "w") as handle:
        json.dump(current, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(path + ".tmp", path)
    return current


def load_inventory_vars(lab_dir: str) -> dict:
    try:
        with open(os.path.join(lab_dir, INVENTORY_VARS)) as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {}


def _save_state(lab_dir: str, state: dict) -> None:
    path = os.path.join(lab_dir, STATE)
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(state, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)


def _client_key(lab_dir: str) -> dict[str, str]:
    ssh_dir = os.path.join(lab_dir, "ssh")
    os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
    key = os.path.join(ssh_dir, "id_ed25519")
    if not os.path.exists(key):
        processes.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "routing-ml-lab", "-f", key])
    authorized = os.path.join(ssh_dir, "authorized_keys")
    with open(key + ".pub") as src, open(authorized, "w") as dst:
        dst.write(src.read())
    return {"key": key, "authorized_keys": authorized, "known_hosts": os.path.join(ssh_dir, "known_hosts")}


def _prepare_host_root(lab_dir: str, host: topology.Host, python: str) -> dict:
    root = host_root(lab_dir, host.name)
    os.makedirs(root, exist_ok=True)
    facts = {"root": root}
    if host.is_web:
        os.makedirs(os.path.join(root, "www", "releases"), exist_ok=True)
        facts["web_root"] = os.path.join(root, "www")
    if host.group == "backend":
        etc = os.path.join(root, "etc")
        data = os.path.join(root, "data")
        os.makedirs(etc, exist_ok=True)
        os.makedirs(data, exist_ok=True)
        database = os.path.join(data, "RoutingML_RSL.accdb")
        if not os.path.exists(database):
            with open(database, "wb") as handle:
                handle.write(b"Standard ACE DB lab stand-in\n")
        environment = os.path.join(etc, "environment")
        if not os.path.exists(environment):
            # The host's machine-wide environment (Windows: system environment variables).
            with open(environment, "w") as handle:
                handle.write("ROUTING_ML_RSL_DATABASE_URL=access:///%s\n" % database.lstrip("/"))
        service = {"listen": host.address, "port": BACKEND_PORT, "python": python,
                   "home": os.path.join(root, "RoutingML"), "environment": environment}
        with open(os.path.join(etc, "routing_ml_service.json"), "w") as handle:
            json.dump(service, handle, indent=2, sort_keys=True)
        facts.update(service_config=os.path.join(etc, "routing_ml_service.json"), app_home=service["home"],
                     environment=environment, database=database)
    if host.group == "nas":
        share = os.path.join(root, "share", samba.SHARE)
        os.makedirs(share, exist_ok=True)
        facts["share"] = share
    return facts


def up(lab_dir: str, lab_octet: int, farm: int, dmz: int, backend: int, python: str) -> dict:
    """Start every host that is not running; a second call leaves running hosts alone."""
    lab_dir = os.path.abspath(lab_dir)
    os.makedirs(lab_dir, exist_ok=True)
    previous = load_state(lab_dir)
    if previous and (previous["octet"], previous["counts"]) != (lab_octet, [farm, dmz, backend]) and any_running(previous):
        raise RuntimeError("lab %s is running with octet %s and counts %s; take it down first" % (
            lab_dir, previous["octet"], previous["counts"]))
    started = time.monotonic()
    keys = _client_key(lab_dir)
    signing_keys = signing.ensure(lab_dir)
    hosts = topology.plan(lab_octet, farm, dmz, backend)
    records = []
    for host in hosts:
        hdir = host_dir(lab_dir, host.name)
        facts = _prepare_host_root(lab_dir, host, python)
        sshd.configure(host, hdir, keys["authorized_keys"])
        record = dict(name=host.name, group=host.group, address=host.address, ssh_port=SSH_PORT,
                      dir=hdir, sshd_pidfile=sshd.paths(hdir)["pidfile"], **facts)
        if host.is_web:
            nginx.configure(host, hdir, os.path.join(facts["web_root"], "current"))
            record.update(http_port=HTTP_PORT, nginx=nginx.command(hdir), nginx_pidfile=nginx.paths(hdir)["pidfile"])
        if host.group == "backend":
            record.update(backend_port=BACKEND_PORT, service_pidfile=os.path.join(facts["app_home"], "run", "service.pid"))
        records.append(record)
    with open(keys["known_hosts"], "w") as handle:
        for host in hosts:
            handle.write(sshd.known_hosts_line(host, host_dir(lab_dir, host.name)) + "\n")
    smb = None
    for host, record in zip(hosts, records):
        if host.group == "nas" and samba.available():
            samba.configure(lab_dir, lab_octet, record["share"])
            smb = dict(address=samba.ADDRESS, port=samba.port(lab_octet), share=samba.SHARE, user=getpass.getuser(),
                       password_file=samba.paths(lab_dir)["password"], pidfile=samba.paths(lab_dir)["pidfile"])
    state = dict(lab_dir=lab_dir, octet=lab_octet, counts=[farm, dmz, backend], user=getpass.getuser(),
                 python=python, ssh=keys, hosts=records, samba=smb, signing=signing_keys)
    # Saved before anything starts: a start that fails half-way leaves pid files that `down`
    # finds through this state, so nothing it started is left running.
    _save_state(lab_dir, state)
    for host, record in zip(hosts, records):
        sshd.start(host, record["dir"])
        if host.is_web:
            nginx.start(host, record["dir"])
        if host.group == "nas" and smb:
            samba.start(lab_dir, lab_octet)
    for record in records:
        if record["group"] == "backend":
            start_registered_service(record)
    state["seconds"] = round(time.monotonic() - started, 2)
    return state


def _service_script(record: dict) -> str:
    return os.path.join(record["app_home"], "current", "install_service.py")


def service_registered(record: dict) -> bool:
    """Installed and registered, as a Windows service whose start mode is automatic."""
    return os.path.isfile(os.path.join(record["app_home"], "service.json")) and os.path.isfile(_service_script(record))


def start_registered_service(record: dict) -> None:
    """What a host's service manager does at boot: start the registered backend, if any.
    The service's own script starts it, so the lab and the roles share one way to run it."""
    if not service_registered(record) or processes.running(record["service_pidfile"]):
        return
    processes.run([sys.executable, _service_script(record), "--config", record["service_config"]])


def any_running(state: dict) -> bool:
    return any(pid for dummy, pid in _pidfiles(state) if pid)


def _pidfiles(state: dict):
    for record in state["hosts"]:
        for key in ("service_pidfile", "nginx_pidfile", "sshd_pidfile"):
            if key in record:
                yield record[key], processes.running(record[key])
    if state.get("samba"):
        yield state["samba"]["pidfile"], processes.running(state["samba"]["pidfile"])


def down(lab_dir: str) -> list[str]:
    """Stop what the lab started, by pid file: backends, nginx, Samba, sshd."""
    state = load_state(os.path.abspath(lab_dir))
    if state is None:
        return []
    stopped = []
    for record in state["hosts"]:
        if "service_pidfile" in record and processes.stop(record["service_pidfile"]):
            stopped.append("%s backend" % record["name"])
        if "nginx_pidfile" in record:
            pid = processes.running(record["nginx_pidfile"])
            if pid:
                processes.run(record["nginx"] + ["-s", "quit"])
                _wait_gone(pid)
                stopped.append("%s nginx" % record["name"])
    if state.get("samba") and samba.stop(state["lab_dir"]):
        stopped.append("samba")
    for record in state["hosts"]:
        if processes.stop(record["sshd_pidfile"]):
            stopped.append("%s sshd" % record["name"])
    return stopped


def _wait_gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while processes.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def status(lab_dir: str) -> list[dict]:
    state = load_state(os.path.abspath(lab_dir))
    if state is None:
        return []
    rows = []
    for record in state["hosts"]:
        row = dict(name=record["name"], group=record["group"], address=record["address"],
                   sshd=bool(processes.running(record["sshd_pidfile"])))
        if "nginx_pidfile" in record:
            row["nginx"] = bool(processes.running(record["nginx_pidfile"]))
        if "service_pidfile" in record:
            # None: nothing installed, so nothing a service manager would start.
            running = bool(processes.running(record["service_pidfile"]))
            row["backend"] = running if running or service_registered(record) else None
        rows.append(row)
    if state.get("samba"):
        rows.append(dict(name="samba", group="nas", address=state["samba"]["address"],
                         smbd=bool(processes.running(state["samba"]["pidfile"]))))
    return rows


def describe(state: dict, out=sys.stdout) -> None:
    out.write("lab %s is up (%d hosts)\n" % (state["lab_dir"], len(state["hosts"])))
    for record in state["hosts"]:
        extra = []
        if "http_port" in record:
            extra.append("http://%s:%d/" % (record["address"], record["http_port"]))
        if "backend_port" in record:
            extra.append("backend http://%s:%d/api/health" % (record["address"], record["backend_port"]))
        out.write("  %-9s %-10s ssh %s:%d  %s\n" % (record["name"], record["group"], record["address"],
                                                   record["ssh_port"], "  ".join(extra)))
    if state.get("samba"):
        smb = state["samba"]
        out.write("  share     \\\\%s\\%s (port %d, user %s, password in %s)\n" % (
            smb["address"], smb["share"], smb["port"], smb["user"], smb["password_file"]))
    else:
        out.write("  share     no SMB server (Samba needs root); the nas host's share folder is used over SSH\n")
    out.write("reach a host: ssh -i %s -o UserKnownHostsFile=%s -p %d %s@<address>\n" % (
        state["ssh"]["key"], state["ssh"]["known_hosts"], SSH_PORT, state["user"]))

"""A real SMB server for the nas host's share (root only: smbd switches users).

smbd binds only to addresses that an interface carries, and loopback carries 127.0.0.1
alone: the share listens there, on a port of its own per lab.
"""

from __future__ import annotations

import getpass
import os
import secrets
import shutil
import tempfile

from . import processes

SMBD = "/usr/sbin/smbd"
SHARE = "routing_ml"
ADDRESS = "127.0.0.1"


def port(lab_octet: int) -> int:
    return 4400 + lab_octet


def sockets(lab_octet: int) -> str:
    """Where smbd keeps its sockets (lock and ncalrpc directories): a short folder of this
    user's and this octet's, since a Unix socket's path must stay under 108 bytes and a lab
    folder (a test's, under pytest's temporary tree) can be longer than smbd's paths allow.
    One lab runs on an octet at a time, so the octet names it."""
    return os.path.join(tempfile.gettempdir(), "rml-smb-%d-%d" % (os.getuid(), lab_octet))


def paths(lab_dir: str) -> dict[str, str]:
    base = os.path.join(lab_dir, "samba")
    return {
        "dir": base,
        "config": os.path.join(base, "smb.conf"),
        "pidfile": os.path.join(base, "run", "smbd.pid"),
        "password": os.path.join(lab_dir, "secrets", "smb_password"),
    }


def available() -> bool:
    return os.geteuid() == 0 and os.path.exists(SMBD)


def configure(lab_dir: str, lab_octet: int, share_path: str) -> dict[str, str]:
    p = paths(lab_dir)
    for sub in ("run", "state", "cache", "private", "logs"):
        os.makedirs(os.path.join(p["dir"], sub), exist_ok=True)
    for sub in ("lock", "ncalrpc"):
        os.makedirs(os.path.join(sockets(lab_octet), sub), exist_ok=True)
    user = getpass.getuser()
    config = """[global]
    interfaces = %(address)s/8
    bind interfaces only = yes
    smb ports = %(port)d
    disable netbios = yes
    server min protocol = SMB2_10
    server role = standalone server
    load printers = no
    printing = bsd
    printcap name = /dev/null
    disable spoolss = yes
    pid directory = %(dir)s/run
    lock directory = %(sockets)s/lock
    state directory = %(dir)s/state
    cache directory = %(dir)s/cache
    private dir = %(dir)s/private
    ncalrpc dir = %(sockets)s/ncalrpc
    log file = %(dir)s/logs/log.%%m
    passdb backend = tdbsam:%(dir)s/private/passdb.tdb
    smb encrypt = desired

[%(share)s]
    path = %(share_path)s
    read only = no
    valid users = %(user)s
    force user = %(user)s
""" % dict(address=ADDRESS, port=port(lab_octet), dir=p["dir"], sockets=sockets(lab_octet), share=SHARE,
           share_path=share_path, user=user)
    with open(p["config"], "w") as handle:
        handle.write(config)
    if not os.path.exists(p["password"]):
        os.makedirs(os.path.dirname(p["password"]), mode=0o700, exist_ok=True)
        password = secrets.token_urlsafe(18)
        fd = os.open(p["password"], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(password)
    with open(p["password"]) as handle:
        password = handle.read()
    processes.run(["smbpasswd", "-c", p["config"], "-s", "-a", user], input="%s\n%s\n" % (password, password))
    return p


def start(lab_dir: str, lab_octet: int) -> int:
    p = paths(lab_dir)
    pid = processes.running(p["pidfile"])
    if pid is None:
        # What a stopped or killed smbd of an earlier lab on this octet left is stale.
        shutil.rmtree(sockets(lab_octet), ignore_errors=True)
        for sub in ("lock", "ncalrpc"):
            os.makedirs(os.path.join(sockets(lab_octet), sub), mode=0o755)
        processes.run([SMBD, "-D", "-s", p["config"]])
        processes.wait_for_port(ADDRESS, port(lab_octet))
        pid = processes.read_pid(p["pidfile"])
    return pid


def stop(lab_dir: str) -> bool:
    return processes.stop(paths(lab_dir)["pidfile"])

"""One sshd per lab host: its own address, host key, pid file and log."""

from __future__ import annotations

import getpass
import os

from . import processes
from .topology import SSH_PORT, Host

SSHD = "/usr/sbin/sshd"


def paths(host_dir: str) -> dict[str, str]:
    base = os.path.join(host_dir, "sshd")
    return {
        "dir": base,
        "config": os.path.join(base, "sshd_config"),
        "host_key": os.path.join(base, "ssh_host_ed25519_key"),
        "pidfile": os.path.join(base, "sshd.pid"),
        "log": os.path.join(base, "sshd.log"),
    }


def configure(host: Host, host_dir: str, authorized_keys: str) -> dict[str, str]:
    p = paths(host_dir)
    os.makedirs(p["dir"], exist_ok=True)
    if not os.path.exists(p["host_key"]):
        processes.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", host.name, "-f", p["host_key"]])
    config = "\n".join([
        "ListenAddress %s:%d" % (host.address, SSH_PORT),
        "HostKey %s" % p["host_key"],
        "PidFile %s" % p["pidfile"],
        "AuthorizedKeysFile %s" % authorized_keys,
        "AllowUsers %s" % getpass.getuser(),
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "UsePAM no",
        # The lab folder may belong to another user than sshd expects (a CI checkout).
        "StrictModes no",
        "UseDNS no",
        # Ansible opens many sessions over one ControlMaster connection.
        "MaxSessions 50",
        "MaxStartups 100:30:200",
        "Subsystem sftp internal-sftp",
        "",
    ])
    with open(p["config"], "w") as handle:
        handle.write(config)
    return p


def start(host: Host, host_dir: str) -> int:
    p = paths(host_dir)
    if os.geteuid() == 0:
        # sshd started as root insists on its privilege separation directory.
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    return processes.ensure_daemon(p["pidfile"], [SSHD, "-t", "-f", p["config"]],
                                   [SSHD, "-f", p["config"], "-E", p["log"]], host.address, SSH_PORT)


def stop(host_dir: str) -> bool:
    return processes.stop(paths(host_dir)["pidfile"])


def known_hosts_line(host: Host, host_dir: str) -> str:
    with open(paths(host_dir)["host_key"] + ".pub") as handle:
        key_type, key = handle.read().split()[:2]
    return "[%s]:%d %s %s" % (host.address, SSH_PORT, key_type, key)

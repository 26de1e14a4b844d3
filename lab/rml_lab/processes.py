"""Starting and stopping the lab's daemons by pid file, and waiting for their ports."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import time


def read_pid(pidfile: str) -> int | None:
    try:
        with open(pidfile) as handle:
            return int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    try:
        # A zombie (exited, not yet reaped by its parent) is not running.
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def running(pidfile: str) -> int | None:
    pid = read_pid(pidfile)
    return pid if alive(pid) else None


def stop(pidfile: str, timeout: float = 10.0, sig: int = signal.SIGTERM) -> bool:
    """Stop the process named by ``pidfile``; True when one was running."""
    pid = running(pidfile)
    if pid is None:
        _remove(pidfile)
        return False
    os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
        while alive(pid):
            time.sleep(0.05)
    _remove(pidfile)
    return True


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def port_open(address: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(address: str, port: int, timeout: float = 20.0, pid: int | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(address, port):
            return
        if pid is not None and not alive(pid):
            raise RuntimeError("process %d exited before %s:%d accepted connections" % (pid, address, port))
        time.sleep(0.05)
    raise RuntimeError("%s:%d did not accept connections within %.0f s" % (address, port, timeout))


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command; on failure raise with its output, which says what went wrong."""
    completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)
    if completed.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s" % (" ".join(command), completed.returncode,
                                                         completed.stdout.strip()[-2000:]))
    return completed


def ensure_daemon(pidfile: str, check: list[str], start: list[str], address: str, port: int) -> int:
    """Start a daemon unless its pid file names a running process: test its configuration
    with ``check``, start it with ``start``, wait for its port. Returns its pid."""
    pid = running(pidfile)
    if pid is None:
        if port_open(address, port):
            raise RuntimeError("%s:%d is already taken by another process (another lab on this octet?): "
                               "choose another with --octet or ROUTING_ML_LAB_OCTET" % (address, port))
        run(check)
        run(start)
        wait_for_port(address, port)
        pid = read_pid(pidfile)
    return pid


"""Register and start the Routing ML service; --remove-only stops and removes it.

The lab's counterpart of install_service.ps1 (and of its -RemoveOnly switch). The service
"registration" is <home>/service.json; the running service's pid is in <home>/run/service.pid.
Program files live in <home>/current; logs/ and data/ beside it survive removal.

--status answers what Get-Service would (registered, running, version) and changes nothing;
--check says whether a run would change anything (Ansible's check mode) without doing it.
A registered service is started again when its host comes back up (start mode automatic).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time


def load(path):
    with open(path) as handle:
        return json.load(handle)


def read_environment(path):
    env = {}
    with open(path) as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                env[key.strip()] = value.strip()
    return env


def running_pid(pidfile):
    try:
        with open(pidfile) as handle:
            pid = int(handle.read().strip())
        os.kill(pid, 0)
        with open("/proc/%d/stat" % pid) as handle:
            if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                return None
        return pid
    except (OSError, ValueError):
        return None


def stop(home):
    pidfile = os.path.join(home, "run", "service.pid")
    pid = running_pid(pidfile)
    if pid:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while running_pid(pidfile) and time.monotonic() < deadline:
            time.sleep(0.05)
        if running_pid(pidfile):
            os.kill(pid, signal.SIGKILL)
    if os.path.exists(pidfile):
        os.unlink(pidfile)
    return bool(pid)


def wait_for_port(address, port, pid, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, port), timeout=0.2):
                return True
        except OSError:
            pass
        try:
            finished, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            finished = pid
        if finished:
            return False
        time.sleep(0.05)
    return False


def state(config):
    """What the service manager knows: registration, process, and the installed version."""
    home = config["home"]
    registration = os.path.join(home, "service.json")
    registered = load(registration) if os.path.exists(registration) else None
    try:
        with open(os.path.join(home, "current", "VERSION")) as handle:
            installed = handle.read().strip()
    except OSError:
        installed = None
    pid = running_pid(os.path.join(home, "run", "service.pid"))
    return {"registered": registered is not None, "running": bool(pid), "pid": pid,
            "version": registered.get("version") if registered else None, "installed_version": installed}


def status(config):
    print(json.dumps(dict(state(config), changed=False)))
    return 0


def install(config, check=False):
    home = config["home"]
    program = os.path.join(home, "current")
    with open(os.path.join(program, "VERSION")) as handle:
        version = handle.read().strip()
    registration = os.path.join(home, "service.json")
    pidfile = os.path.join(home, "run", "service.pid")
    now = state(config)
    if now["running"] and now["registered"] and now["version"] == version:
        print(json.dumps({"changed": False, "version": version, "msg": "service already running"}))
        return 0
    if check:
        print(json.dumps({"changed": True, "version": version, "msg": "would (re)register and start the service",
                          "before": now}))
        return 0
    stop(home)
    env = dict(os.environ)
    env.update(read_environment(config["environment"]))
    env["ROUTING_ML_HOME"] = home
    # Program files stay as the installer left them (Windows: Program Files is read-only to services).
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [config["python"], "-m", "uvicorn", "routing_ml_standin:app", "--app-dir", os.path.join(program, "app"),
               "--host", config["listen"], "--port", str(config["port"]), "--no-access-log"]
    for sub in ("run", os.path.join("logs", "audit"), "data"):
        os.makedirs(os.path.join(home, sub), exist_ok=True)
    with open(registration + ".tmp", "w") as handle:
        json.dump({"version": version, "command": command}, handle, indent=1)
    os.replace(registration + ".tmp", registration)
    log = open(os.path.join(home, "logs", "service.log"), "ab")
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True, cwd=home)
    with open(pidfile, "w") as handle:
        handle.write("%d\n" % process.pid)
    if not wait_for_port(config["listen"], config["port"], process.pid):
        stop(home)
        with open(os.path.join(home, "logs", "service.log"), errors="replace") as handle:
            tail = handle.read()[-1500:]
        print(json.dumps({"failed": True, "version": version, "msg": "service did not start", "log": tail}))
        return 1
    print(json.dumps({"changed": True, "version": version, "pid": process.pid, "before": now}))
    return 0


def remove(config, check=False):
    home = config["home"]
    registration = os.path.join(home, "service.json")
    if check:
        now = state(config)
        would = now["running"] or now["registered"] or os.path.exists(os.path.join(home, "current"))
        print(json.dumps({"changed": would, "msg": "would remove the service", "before": now}))
        return 0
    stopped = stop(home)
    removed = False
    if os.path.exists(registration):
        os.unlink(registration)
        removed = True
    program = os.path.join(home, "current")
    if os.path.exists(program):
        shutil.rmtree(program)
        removed = True
    print(json.dumps({"changed": stopped or removed, "msg": "service removed"}))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True, help="the host's routing_ml_service.json")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--remove-only", action="store_true", help="stop and remove the service")
    mode.add_argument("--status", action="store_true", help="report the service's state, change nothing")
    parser.add_argument("--check", action="store_true", help="report what would change, change nothing")
    args = parser.parse_args()
    config = load(args.config)
    if args.status:
        return status(config)
    if args.remove_only:
        return remove(config, args.check)
    return install(config, args.check)


if __name__ == "__main__":
    sys.exit(main())

"""Routing ML installer (lab stand-in for RoutingMLInstaller_<version>.exe).

    python RoutingMLInstaller_<version>.exe --config <host>/etc/routing_ml_service.json

Stops a running service, puts this version's program files in <home>/current (staged
beside it, then swapped in by rename), and leaves logs/ and data/ alone. Registering and
starting the service is install_service.py's job, as install_service.ps1's on Windows.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile

PAYLOAD = "payload/"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    with open(args.config) as handle:
        config = json.load(handle)
    home = config["home"]
    os.makedirs(home, exist_ok=True)
    current = os.path.join(home, "current")
    if os.path.exists(os.path.join(current, "install_service.py")):
        # The running version's own script knows how to stop it.
        subprocess.run([sys.executable, os.path.join(current, "install_service.py"), "--config", args.config,
                        "--remove-only"], check=True, stdout=subprocess.DEVNULL)
    staging = os.path.join(home, ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    with zipfile.ZipFile(os.path.dirname(os.path.abspath(__file__))) as archive:
        for member in archive.infolist():
            if not member.filename.startswith(PAYLOAD) or member.is_dir():
                continue
            target = os.path.join(staging, member.filename[len(PAYLOAD):])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with archive.open(member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
            os.chmod(target, (member.external_attr >> 16) & 0o777 or 0o644)
            stamp = time.mktime(member.date_time + (0, 0, -1))
            os.utime(target, (stamp, stamp))
    old = os.path.join(home, ".replaced")
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(current):
        os.rename(current, old)
    os.rename(staging, current)
    shutil.rmtree(old, ignore_errors=True)
    with open(os.path.join(current, "VERSION")) as handle:
        version = handle.read().strip()
    print(json.dumps({"changed": True, "version": version, "home": home}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""SHA256 of a large artifact: our module_utils and module against openssl and sha256sum.

    ./dev bench hashing [--size-mib 1024] [--rounds 5]

Creates one file of random bytes, reads it once so that every method starts from the page
cache, then runs the methods interleaved, round after round, and prints the median time of
each with its ratio to the baseline, ``openssl dgst -sha256``:

  module_utils      _checksum.sha256_file() called in this process
  module            the AnsiballZ payload Ansible sends for routing_ml.deploy.artifact_hash,
                    run with the target's Python: the whole module run (start-up, argument
                    parsing, hashing, JSON result)
  ansible ad-hoc    `ansible localhost -m routing_ml.deploy.artifact_hash`: the same plus the
                    controller's own start-up, shown for scale
  openssl dgst      the baseline
  sha256sum         GNU coreutils
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".collections"))

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checksum  # noqa: E402

BIN = os.path.dirname(sys.executable)


def make_file(path, size_mib):
    block = os.urandom(1024 * 1024)
    with open(path, "wb") as handle:
        for number in range(size_mib):
            # Vary each block so no layer can deduplicate or compress the file.
            handle.write(number.to_bytes(8, "little") + block[8:])
    _checksum.sha256_file(path)


def ansible_env(workdir):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_LOCAL_TEMP=os.path.join(workdir, "local"), ANSIBLE_REMOTE_TMP=os.path.join(workdir, "remote"))
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    return env


def build_payload(path, workdir):
    """Have Ansible write the module's AnsiballZ payload to disk and keep it."""
    env = ansible_env(workdir)
    env.update(ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_PIPELINING="0")
    subprocess.run([os.path.join(BIN, "ansible"), "localhost", "-m", "routing_ml.deploy.artifact_hash",
                    "-a", "path=%s write_sidecar=false" % path], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    payloads = glob.glob(os.path.join(workdir, "remote", "ansible-tmp-*", "AnsiballZ_artifact_hash.py"))
    if len(payloads) != 1:
        sys.exit("expected one kept AnsiballZ payload, found %r" % payloads)
    return payloads[0]


def timed(command):
    start = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit("%s failed: %s" % (command[0], completed.stderr.decode()[-2000:]))
    return elapsed, completed.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="rml-bench-hash-")
    try:
        path = os.path.join(workdir, "RoutingMLInstaller_bench.exe")
        make_file(path, options.size_mib)
        expected = _checksum.sha256_file(path)[0]
        payload = build_payload(path, workdir)
        env = ansible_env(workdir)

        def module_utils():
            start = time.perf_counter()
            digest = _checksum.sha256_file(path)[0]
            return time.perf_counter() - start, digest

        def module():
            elapsed, out = timed([sys.executable, payload])
            return elapsed, json.loads(out)["checksum"]

        adhoc_env = dict(env, ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")

        def adhoc():
            start = time.perf_counter()
            out = subprocess.run([os.path.join(BIN, "ansible"), "localhost", "-m", "routing_ml.deploy.artifact_hash",
                                  "-a", "path=%s write_sidecar=false" % path],
                                 env=adhoc_env, stdout=subprocess.PIPE, check=True).stdout
            result = json.loads(out)["plays"][0]["tasks"][0]["hosts"]["localhost"]
            return time.perf_counter() - start, result["checksum"]

        def openssl():
            elapsed, out = timed(["openssl", "dgst", "-sha256", "-r", path])
            return elapsed, out.split()[0].decode()

        def sha256sum():
            elapsed, out = timed(["sha256sum", path])
            return elapsed, out.split()[0].decode()

        methods = [("module_utils", module_utils), ("module", module), ("ansible ad-hoc", adhoc),
                   ("openssl dgst", openssl), ("sha256sum", sha256sum)]
        times = dict((name, []) for name, dummy in methods)
        for dummy in range(options.rounds):
            for name, method in methods:
                elapsed, digest = method()
                if digest != expected:
                    sys.exit("%s computed %s, expected %s" % (name, digest, expected))
                times[name].append(elapsed)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    medians = dict((name, statistics.median(values)) for name, values in times.items())
    base = medians["openssl dgst"]
    print("SHA256 of a %d MiB file, %d interleaved rounds, page cache warm; baseline: openssl dgst -sha256"
          % (options.size_mib, options.rounds))
    print("%-16s %10s %10s %12s" % ("method", "median s", "MiB/s", "time/openssl"))
    for name, dummy in methods:
        print("%-16s %10.3f %10.0f %11.2fx" % (name, medians[name], options.size_mib / medians[name],
                                                medians[name] / base))
    print()
    print("goals:")
    print("  module_utils speed vs openssl   %.2fx  (goal >= 1.00x)" % (base / medians["module_utils"]))
    print("  module_utils speed vs sha256sum %.2fx  (goal >= 3.00x)" % (medians["sha256sum"] / medians["module_utils"]))
    print("  module run time vs openssl      %.2fx  (goal <= 1.15x)" % (medians["module"] / base))
    print("  ad-hoc run time vs openssl      %.2fx  (controller start-up included; no goal)" % (medians["ansible ad-hoc"] / base))


if __name__ == "__main__":
    main()

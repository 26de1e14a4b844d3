#!/usr/bin/env python3
"""What a signed approval costs: one gate record, and the auditor's check of a whole ledger.

    ./dev bench approvals [--rounds 15] [--records 30]

In one run, in this process (the module's own work, without Ansible's start-up):

  record, unsigned     _approval.record with signatures off and no checkpoint key: the
                       baseline, what a gate record cost before signatures
  record, signed       signatures required: the statement and its signature verified with
                       ssh-keygen, the chain's checkpoints verified, the new record signed
  audit of N records   _ledger_audit.audit of a ledger of --records signed Alpha records
                       (chain, every checkpoint, every approval and evidence folder)

Each round records Alpha of a fresh version in two workspaces (one per mode) that grow
side by side, so both see the same ledger length. Prints the median of each and its ratio
to the baseline.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".collections"))

from ansible_collections.routing_ml.deploy.plugins.module_utils import (  # noqa: E402
    _approval, _evidence, _ledger_audit)

TASKLIST = "# Tasklist\n\n## Phase 5 - 배포 및 승인\n- [ ] Stage 9 Alpha\n"
NOTES = "deliverables/release_notes.md"
EVIDENCE = ["frontend_build_1.log", "pytest_rsl_routing_groups_1.log", "verify_1_backend1.json"]


def keys(folder):
    lines = []
    for name, namespace in (("QA-KIM", "routing-ml-approval-qa-lead"), ("controller", "routing-ml-ledger")):
        path = os.path.join(folder, name)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path], check=True)
        with open(path + ".pub") as handle:
            public = " ".join(handle.read().split()[:2])
        principal = "routing-ml-controller" if name == "controller" else name
        lines.append('%s namespaces="%s" %s\n' % (principal, namespace, public))
    allowed = os.path.join(folder, "allowed_signers")
    with open(allowed, "w") as handle:
        handle.writelines(lines)
    return allowed, os.path.join(folder, "QA-KIM"), os.path.join(folder, "controller")


def workspace(folder):
    for sub in ("deliverables", "incoming", "build"):
        os.makedirs(os.path.join(folder, sub))
    with open(os.path.join(folder, "Tasklist.md"), "w") as handle:
        handle.write(TASKLIST)
    with open(os.path.join(folder, NOTES), "w") as handle:
        handle.write("# Notes\n\n## Highlights\n- x\n")
    for name in EVIDENCE:
        with open(os.path.join(folder, "incoming", name), "w") as handle:
            handle.write("evidence %s\n" % name)
    return folder


def record_alpha(root, version, day, signed, allowed, approver_key, controller_key, now):
    """Returns the seconds _approval.record took (the deployment run's part excluded)."""
    artifacts = []
    for name in ("RoutingMLInstaller_%s.exe" % version, "RoutingMLFrontend_%s.zip" % version):
        artifacts.append("build/" + name)
        with open(os.path.join(root, "build", name), "wb") as handle:
            handle.write(os.urandom(4096))
    plan = _evidence.plan(root, "Alpha", version, day, [(n, "incoming/" + n) for n in EVIDENCE], created="x")
    plan.apply()
    folder = os.path.relpath(plan.folder, root)
    options = {}
    if signed:
        result = _approval.write_statement(root, "Alpha", version, "QA-KIM", folder, artifacts[0], artifacts[1],
                                           allowed, now=now)
        subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-f", approver_key, "-n", result["namespace"],
                        os.path.join(root, result["statement"])], check=True)
        options = dict(signatures="required", allowed_signers=allowed, installer=artifacts[0], bundle=artifacts[1],
                       checkpoint_key=controller_key)
    request = _approval.Request(root, "Alpha", version, "QA-KIM", folder, NOTES, "Tasklist.md", **options)
    start = time.perf_counter()
    _approval.record(request, now=now)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--records", type=int, default=30, help="ledger length for the audit")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rml-bench-approvals-") as tmp:
        allowed, approver_key, controller_key = keys(tmp)
        roots = dict((mode, workspace(os.path.join(tmp, mode))) for mode in ("unsigned", "signed"))
        start = datetime.datetime(2025, 10, 1, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=9)))
        times = {"unsigned": [], "signed": []}
        total = max(options.rounds, options.records)
        for number in range(total):
            version = "1.%d.0" % number
            day = (start + datetime.timedelta(days=number)).strftime("%Y%m%d")
            now = start + datetime.timedelta(days=number, hours=1)
            for mode in ("unsigned", "signed"):
                elapsed = record_alpha(roots[mode], version, day, mode == "signed", allowed, approver_key,
                                       controller_key, now)
                if number < options.rounds:
                    times[mode].append(elapsed)
        audits = []
        for dummy in range(5):
            begin = time.perf_counter()
            _ledger_audit.audit(roots["signed"], allowed_signers=allowed, signatures="required")
            audits.append(time.perf_counter() - begin)
    base = statistics.median(times["unsigned"])
    print("gate record cost, %d rounds (ledger of 1..%d records); baseline: record, unsigned" % (
        options.rounds, options.rounds))
    print("%-34s %10s %8s" % ("what", "median ms", "ratio"))
    for label, values in (("record, unsigned (baseline)", times["unsigned"]), ("record, signed + checkpoint", times["signed"]),
                          ("audit of %d signed records" % total, audits)):
        median = statistics.median(values)
        print("%-34s %10.1f %7.1fx" % (label, median * 1000, median / base))


if __name__ == "__main__":
    main()

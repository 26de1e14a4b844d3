#!/usr/bin/env python3
"""Does Mitogen for Ansible work on this ansible-core, and is it faster here?

    ./dev bench mitogen [--rounds 3] [--files 2000] [--farm 4] [--dmz 2] [--version 0.3.54]

Installs the ``mitogen`` package from PyPI into a temporary folder (never into .venv), starts
a lab of its own, brings a release through deploy_alpha.yml and deploy_beta.yml, and then,
interleaved round after round, times with the default ``linear`` strategy and with
``mitogen_linear``:

  ping            ansible stage_beta -m ping
  re-run          the unchanged deploy_beta.yml re-run (changed=0 checked)
  first run       deploy_beta.yml of a version new to the lab (after deploy_alpha.yml)

A run that fails under Mitogen is reported with its error, not hidden: that is the finding.
"""

from __future__ import absolute_import, division, print_function

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness as harness  # noqa: E402


def install(version, into):
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", into,
                    "mitogen==%s" % version], check=True)
    return os.path.join(into, "ansible_mitogen", "plugins", "strategy")


def main():
    parser = harness.lab_arguments(__doc__)
    parser.add_argument("--version", default="0.3.54", help="the mitogen release to try")
    options = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="rml-bench-mitogen-")
    try:
        strategies = {"linear": {}}
        strategy_path = install(options.version, scratch)
        strategies["mitogen_linear"] = dict(ANSIBLE_STRATEGY_PLUGINS=strategy_path, ANSIBLE_STRATEGY="mitogen_linear",
                                            PYTHONPATH=scratch)
        figures, failures = {}, {}
        with harness.lab_up("rml-bench-mitogen-", farm=options.farm, dmz=options.dmz, backend=1) as lab:
            for number in range(options.rounds):
                for strategy, env in sorted(strategies.items()):
                    version = "1.%d.%d" % (number, 0 if strategy == "linear" else 1)
                    workspace = os.path.join(lab.dir, "release-" + version)
                    harness.release.build(workspace, harness.release.Options(version=version, date="2025-09-29",
                                                                             files=options.files))
                    steps = (("ping", "ansible", ["stage_beta", "-m", "ansible.builtin.ping"]),
                             ("alpha", "ansible-playbook", harness.deploy_args(workspace, version, "alpha")),
                             ("first run", "ansible-playbook", harness.deploy_args(workspace, version, "beta")),
                             ("re-run", "ansible-playbook", harness.deploy_args(workspace, version, "beta")))
                    for name, program, command in steps:
                        result = harness.measured(lab, command, check=False, program=program, env=env)
                        if result.rc:
                            failures.setdefault(strategy, "%s: rc %d\n%s" % (name, result.rc, result.output[-2500:]))
                            break
                        if name == "re-run":
                            changed = sorted(h for h in result.changed() if h != "localhost")
                            if changed:
                                failures.setdefault(strategy, "re-run changed %s" % changed)
                                break
                        if name != "alpha":
                            figures.setdefault((strategy, name), []).append(result.elapsed)
                    sys.stderr.write("  round %d %s: %s\n" % (number + 1, strategy, ", ".join(
                        "%s %.1f s" % (n, figures[(strategy, n)][-1]) for n in ("ping", "first run", "re-run")
                        if len(figures.get((strategy, n), [])) > number)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    med = harness.medians(dict(("%s %s" % key, values) for key, values in figures.items()))
    print("routing_ml.deploy bench mitogen %s: %d round(s), medians, %d files, %d web nodes in the lab" % (
        options.version, options.rounds, options.files, options.farm + options.dmz))
    print()
    print("| what | linear s | mitogen_linear s | mitogen / linear |")
    print("|---|---|---|---|")
    for name in ("ping", "first run", "re-run"):
        linear, mitogen = med.get("linear " + name), med.get("mitogen_linear " + name)
        print("| %s | %s | %s | %s |" % (
            name, "%.2f" % linear if linear else "failed", "%.2f" % mitogen if mitogen else "failed",
            "%.2fx" % (mitogen / linear) if linear and mitogen else ""))
    for strategy, text in sorted(failures.items()):
        print()
        print("%s failed: %s" % (strategy, text))


if __name__ == "__main__":
    main()

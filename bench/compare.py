#!/usr/bin/env python3
"""Before and after in one run: the collection at a named git revision (the baseline) against
the checkout, interleaved round after round on the same lab.

    ./dev bench compare --base <rev> [--rounds 3] [--files 2000] [--farm 4] [--dmz 2] [--only role|deploy]

The baseline's tree (``git archive <rev>``) gets a collection link of its own and runs with
its own ansible.cfg and playbooks; the checkout runs as it is. Each round, for each side in
turn, on the lab's web nodes (--farm + --dmz, 6 by default) and its backend:

  frontend role     bench/frontend_role.yml with a version new to every web node (the first
                    deploy), then again (the unchanged re-deploy, changed=0 checked)
  deploy_beta       deploy_alpha.yml then deploy_beta.yml of another version new to the lab
                    (the first run), then deploy_beta.yml again (the unchanged re-run,
                    changed=0 checked); each side deploys versions of its own
  raw rsync         rsync -a --delete of the unpacked bundle to the same web nodes at once,
                    into an empty folder and then unchanged: the baseline the goals name
  ansible -m ping   to the same web nodes with a fresh ControlMaster folder: Ansible's floor,
                    one task; ping + raw rsync is the least any ansible-playbook deploy costs

Every ansible run starts with a fresh ControlMaster folder, as a fresh AWX job does. Prints
medians, each side against raw rsync, the checkout against the baseline, and the tasks and
SSH connections per web node of each side's runs.
"""

from __future__ import absolute_import, division, print_function

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness as harness  # noqa: E402


def tree_of(revision, into):
    """The collection as it was at ``revision``, with its own collection link; its root."""
    root = os.path.join(into, "base")
    os.makedirs(root)
    archive = subprocess.run(["git", "-C", harness.ROOT, "archive", "--format=tar", revision],
                             stdout=subprocess.PIPE, check=True).stdout
    tar_path = os.path.join(into, "base.tar")
    with open(tar_path, "wb") as handle:
        handle.write(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(root)
    link = os.path.join(root, ".collections", "ansible_collections", "routing_ml", "deploy")
    os.makedirs(os.path.dirname(link))
    os.symlink(os.path.join("..", "..", ".."), link)
    return root


def run(lab, root, command):
    """A measured ansible-playbook run of ``root``'s playbooks with ``root``'s ansible.cfg."""
    return harness.measured(lab, command, root=root)


def deploy(root, workspace, version, gate):
    # Unsigned gates: the lab's inventory says so (harness.lab_up), never an extra variable.
    return [os.path.join(root, "playbooks", "deploy_%s.yml" % gate), "-e", "routing_ml_workspace=%s" % workspace,
            "-e", "routing_ml_version=%s" % version]


def role(root, workspace, version):
    return [os.path.join(root, "bench", "frontend_role.yml"), "--skip-tags", "overhead",
            "-e", "routing_ml_workspace=%s" % workspace, "-e", "routing_ml_version=%s" % version,
            "-e", "routing_ml_share_root=/nonexistent"]


def unchanged(result, what):
    changed = sorted(h for h in result.changed() if h != "localhost")
    if changed:
        sys.exit("%s changed %s" % (what, changed))


def per_web_node(results, web):
    """The largest tasks and SSH connections per web node over ``results``."""
    return (max(r.tasks.get(h, 0) for r in results for h in web),
            max(r.ssh.get(h, 0) for r in results for h in web))


def main():
    parser = harness.lab_arguments(__doc__)
    parser.add_argument("--base", required=True, help="the git revision to compare against (the baseline)")
    parser.add_argument("--only", action="append", choices=("role", "deploy"),
                        help="measure only the frontend role or only deploy_beta (repeatable); default: both")
    options = parser.parse_args()
    parts = options.only or ("role", "deploy")
    sides = ("base", "head")
    scratch = tempfile.mkdtemp(prefix="rml-bench-compare-")
    try:
        roots = dict(base=tree_of(options.base, scratch), head=harness.ROOT)
        with harness.lab_up("rml-bench-compare-", farm=options.farm, dmz=options.dmz, backend=1) as lab:
            web_hosts = harness.web_hosts(lab)
            web = [h["name"] for h in web_hosts]
            figures = dict((key, []) for key in ("rsync first", "rsync again", "ping"))
            kept = dict((side, dict(role=[], deploy=[])) for side in sides)
            for number in range(options.rounds):
                for index, side in enumerate(sides):
                    versions = {}
                    for kind, patch in (("role", 0), ("deploy", 1)):
                        versions[kind] = version = "1.%d.%d" % (2 * number + index, patch)
                        workspace = os.path.join(lab.dir, "release-" + version)
                        harness.release.build(workspace, harness.release.Options(
                            version=version, date="2025-09-29", files=options.files))
                    measured = {}
                    if "role" in parts:
                        workspace = os.path.join(lab.dir, "release-" + versions["role"])
                        measured["role first"] = run(lab, roots[side], role(roots[side], workspace, versions["role"]))
                        measured["role again"] = run(lab, roots[side], role(roots[side], workspace, versions["role"]))
                        unchanged(measured["role again"], "%s: the unchanged frontend role re-deploy" % side)
                        kept[side]["role"] += [measured["role first"], measured["role again"]]
                    if "deploy" in parts:
                        # Another version, new to every node: deploy_alpha then deploy_beta bring it in.
                        workspace = os.path.join(lab.dir, "release-" + versions["deploy"])
                        run(lab, roots[side], deploy(roots[side], workspace, versions["deploy"], "alpha"))
                        measured["beta first"] = run(lab, roots[side], deploy(roots[side], workspace,
                                                                             versions["deploy"], "beta"))
                        measured["beta again"] = run(lab, roots[side], deploy(roots[side], workspace,
                                                                             versions["deploy"], "beta"))
                        unchanged(measured["beta again"], "%s: the unchanged deploy_beta re-run" % side)
                        kept[side]["deploy"] += [measured["beta first"], measured["beta again"]]
                    for key, result in sorted(measured.items()):
                        figures.setdefault("%s %s" % (side, key), []).append(result.elapsed)
                    sys.stderr.write("  round %d %s: %s\n" % (number + 1, side, ", ".join(
                        "%s %.1f s" % (key, result.elapsed) for key, result in sorted(measured.items()))))
                staged = versions[parts[0]]
                staging = os.path.join(lab.dir, "release-" + staged, ".stage", "frontend", staged)
                for host in web_hosts:
                    shutil.rmtree(os.path.join(host["web_root"], "rsync-bench"), ignore_errors=True)
                figures["rsync first"].append(harness.rsync_all(lab, staging, web_hosts, "rsync-bench"))
                figures["rsync again"].append(harness.rsync_all(lab, staging, web_hosts, "rsync-bench"))
                figures["ping"].append(harness.ping(lab, ",".join(web), cold=True))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    med = harness.medians(figures)
    print("routing_ml.deploy bench compare: base %s against the checkout; %d files, %d web nodes + 1 backend, "
          "%d round(s), medians" % (options.base, options.files, len(web), options.rounds))
    print()
    print("| what | base s | head s | head / base | base / rsync | head / rsync |")
    print("|---|---|---|---|---|---|")
    rows = (("role first", "rsync first", "frontend role, first deploy"),
            ("role again", "rsync again", "frontend role, unchanged re-deploy"),
            ("beta first", "rsync first", "deploy_beta, first run"),
            ("beta again", "rsync again", "deploy_beta, unchanged re-run"))
    for key, rsync, what in rows:
        if "head " + key in med:
            base, head = med["base " + key], med["head " + key]
            print("| %s | %.2f | %.2f | %.2fx | %.2fx | %.2fx |" % (
                what, base, head, head / base, base / med[rsync], head / med[rsync]))
    print("| raw rsync -a --delete, empty / unchanged | %.2f / %.2f | | | | |" % (med["rsync first"],
                                                                                  med["rsync again"]))
    print("| ansible -m ping, same web nodes (the floor) | %.2f | | | | %.2fx / %.2fx |" % (
        med["ping"], med["ping"] / med["rsync first"], med["ping"] / med["rsync again"]))
    print("| floor: ping + raw rsync, empty / unchanged | %.2f / %.2f | | | | %.2fx / %.2fx |" % (
        med["ping"] + med["rsync first"], med["ping"] + med["rsync again"],
        (med["ping"] + med["rsync first"]) / med["rsync first"],
        (med["ping"] + med["rsync again"]) / med["rsync again"]))
    print()
    print("| per web node (max) | base tasks | head tasks | base ssh | head ssh |")
    print("|---|---|---|---|---|")
    for what in parts:
        base_tasks, base_ssh = per_web_node(kept["base"][what], web)
        head_tasks, head_ssh = per_web_node(kept["head"][what], web)
        print("| %s | %d | %d | %d | %d |" % ({"role": "frontend role", "deploy": "deploy_beta"}[what],
                                             base_tasks, head_tasks, base_ssh, head_ssh))


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
"""What is served is what was signed: a run pins the digests it deploys when it starts, and
every later use verifies against them (issue 23, attacks 1 and 2, and a share writer's).

From the deployed lab (1.4.0 through GA, signed): a workspace writer edits the unpacked bundle
cache with a manifest to match, swaps the bundle zip and its sidecar once the early check has
passed, or a share writer replaces the published bundle. Each run either serves the approved
bytes or is refused before the share or any host changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
import zipfile

import pytest

from labtools import BIN, ROOT, host_roots, tree_digest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _stage, _tree

VERSION = "1.4.0"
BUNDLE = "RoutingMLFrontend_%s.zip" % VERSION
EDITED = b"<script>alert('edited in the cache')</script>"


@pytest.fixture(scope="module")
def lab(deployed):
    return deployed.restore()


@pytest.fixture
def workspace(deployed, lab):
    yield deployed.workspace
    deployed.restore()


def deploy_ga(lab, workspace):
    return lab.playbook("deploy_ga.yml", "-e", "routing_ml_workspace=%s" % workspace)


def web_nodes(lab):
    return [h for h in lab.state["hosts"] if h.get("web_root")]


def approved_manifest(workspace):
    """The bundle's files as the zip itself says (the zip is the one GA approved)."""
    return _tree.parse_manifest(_stage.bundle_manifest(os.path.join(workspace, "build/frontend", BUNDLE))["manifest"])


def served_index(host):
    with urllib.request.urlopen("http://%s:%d/index.html" % (host["address"], host["http_port"]), timeout=5) as answer:
        return answer.read()


def share_folder(lab):
    return os.path.join(lab.hosts["nas1"]["share"], "releases", VERSION)


def edit_cache(workspace):
    """Edit the unpacked tree and make its manifest (and source) sidecars agree; the zip stays."""
    cache = os.path.join(workspace, ".stage/frontend", VERSION)
    with open(os.path.join(cache, "index.html"), "wb") as handle:
        handle.write(EDITED)
    forged = _tree.manifest_text(_tree.tree_manifest(cache))
    with open(cache + ".manifest.sha256", "w") as handle:
        handle.write(forged)
    return forged


def test_a_cache_edited_with_a_matching_manifest_is_never_served(lab, workspace):
    approved = approved_manifest(workspace)
    edit_cache(workspace)
    open(os.path.join(workspace, ".stage/frontend", VERSION, "extra.js"), "w").close()
    records = tree_digest(os.path.join(workspace, "logs/deploy"))

    rc, output, counts = deploy_ga(lab, workspace)

    assert rc == 0, output[-4000:]
    for host in web_nodes(lab):
        assert _tree.tree_manifest(os.path.join(host["web_root"], "current")) == approved, host["name"]
        assert hashlib.sha256(served_index(host)).hexdigest() == approved["index.html"], host["name"]
        assert not counts[host["name"]]["changed"], (host["name"], counts)
    latest = os.path.join(lab.hosts["nas1"]["share"], "frontend", "latest")
    assert _tree.tree_manifest(latest) == approved
    # No node was "repaired" with the edit: the deployment records are as GA left them.
    assert tree_digest(os.path.join(workspace, "logs/deploy")) == records
    rc, output, dummy = lab.playbook("status.yml", "-e", "routing_ml_workspace=%s" % workspace)
    assert rc == 0, output[-3000:]


def test_status_judges_a_node_against_the_approved_bundle_not_a_forged_cache_and_record(lab, workspace):
    """The node's live file, the cache, its manifest and the node's sync record all edited to
    agree with one another: only the approved zip disagrees, and status.yml says so."""
    node = web_nodes(lab)[0]
    live = os.path.join(node["web_root"], "current")
    with open(os.path.join(live, "index.html"), "wb") as handle:
        handle.write(EDITED)
    forged = edit_cache(workspace)
    record_path = os.path.join(workspace, "logs/deploy/frontend_sync_%s_%s.json" % (VERSION, node["name"]))
    with open(record_path) as handle:
        record = json.load(handle)
    record["digests"]["manifest"] = _tree.text_sha256(forged)
    with open(record_path, "w") as handle:
        json.dump(record, handle, indent=2, sort_keys=True)

    rc, output, dummy = lab.playbook("status.yml", "-e", "routing_ml_workspace=%s" % workspace,
                                     ANSIBLE_CALLBACK_RESULT_FORMAT="json")

    assert rc != 0, output[-3000:]
    with open(os.path.join(workspace, "logs/status/last.json")) as handle:
        table = json.load(handle)
    rows = dict((row["host"], row) for row in table["nodes"])
    assert rows[node["name"]]["state"] != "ok", rows[node["name"]]
    assert "index.html" in json.dumps(rows[node["name"]]), rows[node["name"]]
    assert all(rows[h["name"]]["state"] == "ok" for h in web_nodes(lab)[1:]), rows


def swapped_bundle(path):
    """Another zip under the same name, with a sidecar that agrees with it."""
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("swapped.js", "alert('swapped after the early check')\n")
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    with open(path + ".sha256", "w") as handle:
        handle.write("%s  %s\n" % (digest, os.path.basename(path)))
    return digest


def test_a_bundle_swapped_after_the_early_check_is_refused_before_the_share_or_any_host(lab, workspace):
    bundle = os.path.join(workspace, "build/frontend", BUNDLE)
    pinned = hashlib.sha256(open(bundle, "rb").read()).hexdigest()
    spare = bundle + ".spare"
    shutil.copyfile(bundle, spare)
    swapped = swapped_bundle(spare)
    hosts_before = tree_digest(*host_roots(lab), skip=[lab.hosts["backend1"]["app_home"]])
    upload = os.path.join(workspace, "logs/deploy/upload_%s.json" % VERSION)
    upload_before = open(upload, "rb").read()
    locks = os.path.join(lab.dir, "locks")
    held_before = set(os.listdir(locks)) if os.path.isdir(locks) else set()
    command = [os.path.join(BIN, "ansible-playbook"), os.path.join(ROOT, "playbooks", "deploy_ga.yml"),
               "-e", "routing_ml_workspace=%s" % workspace]
    run = subprocess.Popen(command, cwd=ROOT, env=lab.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
    try:
        # The lock is taken right after the early check: swap then, zip and sidecar together.
        deadline = time.time() + 300
        while run.poll() is None and time.time() < deadline:
            if os.path.isdir(locks) and set(os.listdir(locks)) - held_before:
                break
            time.sleep(0.02)
        assert run.poll() is None, "the run ended before it took the lock: %s" % run.stdout.read()[-3000:]
        os.replace(spare + ".sha256", bundle + ".sha256")
        os.replace(spare, bundle)
        output = run.communicate(timeout=600)[0]
    finally:
        if run.poll() is None:
            run.kill()

    assert run.returncode != 0, output[-4000:]
    said = " ".join(output.split())
    assert "SHA256 mismatch for %s: expected %s, actual %s" % (bundle, pinned, swapped) in said, output[-4000:]
    assert hashlib.sha256(open(os.path.join(share_folder(lab), BUNDLE), "rb").read()).hexdigest() == pinned
    assert open(upload, "rb").read() == upload_before
    assert tree_digest(*host_roots(lab), skip=[lab.hosts["backend1"]["app_home"]]) == hosts_before


def test_a_published_bundle_replaced_on_the_share_is_refused_never_overwritten(lab, workspace):
    """A share writer replaces the published zip and leaves its sidecar: the copy on the share
    no longer agrees with anything, and publishing must not quietly put other bytes under a
    published version's name (nor serve them)."""
    published = os.path.join(share_folder(lab), BUNDLE)
    pinned = hashlib.sha256(open(published, "rb").read()).hexdigest()
    replaced = swapped_bundle(published)
    with open(published + ".sha256", "w") as handle:
        handle.write("%s  %s\n" % (pinned, BUNDLE))
    hosts_before = tree_digest(*[h["root"] for h in web_nodes(lab)])

    rc, output, dummy = deploy_ga(lab, workspace)

    assert rc != 0, output[-4000:]
    said = " ".join(output.split())
    assert ("%s on nas1 has sha256 %s, but this run's %s (pinned when it started; a published version is "
            "write-once, so publish a change under a new version) has sha256 %s" % (published, replaced, BUNDLE, pinned)
            in said), output[-4000:]
    assert hashlib.sha256(open(published, "rb").read()).hexdigest() == replaced
    assert tree_digest(*[h["root"] for h in web_nodes(lab)]) == hosts_before

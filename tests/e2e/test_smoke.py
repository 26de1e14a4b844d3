# -*- coding: utf-8 -*-
"""The quick loop's end-to-end run (`./dev test --fast`): the smallest lab (one farm node, the
backend, the share) taken through Alpha with a signed approval, then checked as a user would:
the node serves the bundle, the backend answers its health check, the auditor's check passes.
The whole suite runs it too: it is the one run of a lab with no DMZ node."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import urllib.request
import zipfile

import pytest

from labtools import running_lab, sign_and_record
from rml_lab import release

VERSION = "1.4.0"


@pytest.fixture(scope="module")
def alpha(tmp_path_factory):
    workspace = str(tmp_path_factory.mktemp("smoke-release"))
    release.build(workspace, release.Options(version=VERSION, date="2025-09-29", files=40))
    with running_lab(str(tmp_path_factory.mktemp("smoke-lab")), farm=1, dmz=0, backend=1) as lab:
        rc, output, counts = lab.playbook("deploy_alpha.yml", "-e", "routing_ml_workspace=%s" % workspace)
        assert rc == 0, output[-5000:]
        recorded = sign_and_record(lab, workspace, VERSION, "Alpha")
        assert recorded[0] == 0, recorded[1][-5000:]
        audit = lab.playbook("verify_ledger.yml", "-e", "routing_ml_workspace=%s" % workspace)
        yield lab, workspace, audit


def test_alpha_serves_the_bundle_and_the_backend_answers(alpha):
    lab, workspace, dummy = alpha
    node, backend = lab.hosts["node1"], lab.hosts["backend1"]
    with zipfile.ZipFile(os.path.join(workspace, "build/frontend/RoutingMLFrontend_%s.zip" % VERSION)) as bundle:
        index = bundle.read("index.html")
    with urllib.request.urlopen("http://%s:%d/index.html" % (node["address"], node["http_port"]), timeout=5) as page:
        assert page.read() == index
    url = "http://%s:%d/api/health" % (backend["address"], backend["backend_port"])
    with urllib.request.urlopen(url, timeout=5) as response:
        assert json.loads(response.read())["version"] == VERSION


def test_the_signed_alpha_passes_the_auditors_check(alpha):
    dummy, dummy, (rc, output, counts) = alpha
    assert rc == 0, output[-3000:]
    assert "PASS: 1 record(s), 1 gate(s) of %s, 1 signed approval(s)" % VERSION in output

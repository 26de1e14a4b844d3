# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.routing_ml.deploy.plugins.filter.releases import manifest_digest, release_plan

DIGEST = "a" * 64
MANIFEST = "%s  index.html\n%s  assets/app.js\n" % (DIGEST, "b" * 64)


def test_plan_from_a_linux_report():
    plan = release_plan({"link_target": "releases/1.4.0", "matches": False, "server_running": True}, "1.4.0",
                        "/srv/www", "linux")
    assert plan["destination"] == "1.4.0+1" and plan["path"] == "/srv/www/releases/1.4.0+1"


def test_plan_from_an_iis_report():
    report = {"link_target": "C:\\inetpub\\routing_ml\\releases\\1.4.0+1", "matches": True, "server_running": False,
              "app_pool": "RoutingML"}
    plan = release_plan(report, "1.4.0", "C:\\inetpub\\routing_ml", "windows")
    assert plan["up_to_date"] and plan["start_server"] and plan["path"] == "C:\\inetpub\\routing_ml\\releases\\1.4.0+1"


def test_plan_refuses_bad_input_naming_it():
    with pytest.raises(AnsibleFilterError, match="platform 'macos'"):
        release_plan({"matches": True}, "1.4.0", "/srv", "macos")
    with pytest.raises(AnsibleFilterError, match="version '1.4.0\\\\n'"):
        release_plan({"matches": True}, "1.4.0\n")


def test_manifest_digest():
    assert manifest_digest(MANIFEST, "index.html") == DIGEST
    with pytest.raises(AnsibleFilterError, match="'missing.html' is not in the manifest"):
        manifest_digest(MANIFEST, "missing.html")
    with pytest.raises(AnsibleFilterError, match="manifest line 1"):
        manifest_digest("nonsense\n", "index.html")

# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.routing_ml.deploy.plugins.filter.releases import (
    FilterModule, manifest_digest, manifest_paths, release_folders, release_plan, release_version, switch_back_plan)

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


def rollback_report(folders):
    """What web_node_state reports on a node serving 1.4.0, asked about 1.3.2's folders."""
    return {"link_target": "releases/1.4.0", "matches": False, "server_running": True, "difference": None,
            "folders": folders}


MATCHES = {"exists": True, "matches": True}
DIFFERS = {"exists": True, "matches": False}
ABSENT = {"exists": False, "matches": False}


@pytest.mark.parametrize("folders, destination, mirror", [
    ({"1.3.2": MATCHES, "1.3.2+1": ABSENT}, "1.3.2", False),
    ({"1.3.2": DIFFERS, "1.3.2+1": MATCHES}, "1.3.2+1", False),
    ({"1.3.2": MATCHES, "1.3.2+1": MATCHES}, "1.3.2", False),
    ({"1.3.2": DIFFERS, "1.3.2+1": ABSENT}, "1.3.2", True),
    ({"1.3.2": ABSENT, "1.3.2+1": ABSENT}, "1.3.2", True),
    ({}, "1.3.2", True),
])
def test_plan_switches_to_a_matching_folder_of_the_target(folders, destination, mirror):
    plan = release_plan(rollback_report(folders), "1.3.2", "/srv/www")
    assert (plan["destination"], plan["mirror"], plan["up_to_date"]) == (destination, mirror, False)
    assert plan["path"] == "/srv/www/releases/" + destination and plan["live"] == "1.4.0"


def test_a_matching_live_folder_is_not_switched_to_itself():
    report = {"link_target": "releases/1.3.2", "matches": False, "server_running": True,
              "folders": {"1.3.2": MATCHES, "1.3.2+1": ABSENT}}
    plan = release_plan(report, "1.3.2", "/srv/www")
    assert plan["destination"] == "1.3.2+1" and plan["mirror"]


def test_plan_with_folders_an_iis_node_verified():
    report = {"link_target": "C:\\inetpub\\routing_ml\\releases\\1.4.0", "matches": True, "server_running": True}
    plan = release_plan(report, "1.3.2", "C:\\inetpub\\routing_ml", "windows", verified=["1.3.2+1"])
    assert plan["destination"] == "1.3.2+1" and not plan["mirror"]
    assert plan["path"] == "C:\\inetpub\\routing_ml\\releases\\1.3.2+1"
    assert release_plan(report, "1.3.2", "C:\\inetpub\\routing_ml", "windows", verified=[])["mirror"]


def test_switch_back_plan():
    plan = switch_back_plan({"link_target": "releases/1.3.2+1", "matches": True}, "/srv/www")
    assert plan["destination"] == "1.3.2+1" and plan["path"] == "/srv/www/releases/1.3.2+1" and not plan["mirror"]
    iis = switch_back_plan({"link_target": "C:\\inetpub\\routing_ml\\releases\\1.3.2"}, "C:\\inetpub\\routing_ml",
                           "windows")
    assert iis["path"] == "C:\\inetpub\\routing_ml\\releases\\1.3.2"
    assert switch_back_plan({"link_target": None, "matches": False}, "/srv/www") is None
    assert switch_back_plan({}, "/srv/www") is None
    with pytest.raises(AnsibleFilterError, match="switch_back_plan: platform 'macos'"):
        switch_back_plan({"link_target": "releases/1.3.2"}, "/srv/www", "macos")


def test_release_folders_and_version():
    assert release_folders("1.3.2") == ["1.3.2", "1.3.2+1"]
    with pytest.raises(AnsibleFilterError, match="release_folders: version '1.3.2\\+1' is not valid"):
        release_folders("1.3.2+1")
    assert [release_version(n) for n in ("1.3.2", "1.3.2+1", "2025.10-rc_1+12")] == ["1.3.2", "1.3.2", "2025.10-rc_1"]
    for name in ("../x", "1.3.2+0", "", None):
        with pytest.raises(AnsibleFilterError, match=re.escape("release_version: %r is not a release folder name" % (
                name,))):
            release_version(name)


def test_manifest_paths():
    assert manifest_paths(MANIFEST) == ["assets/app.js", "index.html"]
    assert manifest_paths("") == []
    with pytest.raises(AnsibleFilterError, match="manifest_paths: manifest line 2"):
        manifest_paths(MANIFEST.splitlines()[0] + "\n" + "%s  ../etc/passwd\n" % DIGEST)


def test_the_filters_are_registered_under_their_names():
    filters = FilterModule().filters()
    for function in (manifest_digest, manifest_paths, release_folders, release_plan, release_version, switch_back_plan):
        assert filters[function.__name__] is function

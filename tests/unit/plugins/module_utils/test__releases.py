# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _releases
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


@pytest.mark.parametrize("name, parsed", [
    ("1.4.0", ("1.4.0", 0)), ("1.4.0+1", ("1.4.0", 1)), ("2025.10-rc_1+12", ("2025.10-rc_1", 12)),
    ("1.4.0+0", None), ("1.4.0+", None), ("+1", None), (".1.4.0", None), ("1.4.0+1+1", None), ("", None), (None, None),
])
def test_folder_names(name, parsed):
    assert _releases.parse_folder(name) == parsed


@pytest.mark.parametrize("target, live", [
    ("releases/1.4.0", "1.4.0"), ("releases/1.4.0+1/", "1.4.0+1"), ("/srv/www/releases/1.4.0", "1.4.0"),
    ("C:\\inetpub\\routing_ml\\releases\\1.4.0+1\\", "1.4.0+1"), ("C:/inetpub/routing_ml/RELEASES/1.4.0", "1.4.0"),
    ("C:\\inetpub\\wwwroot", None), ("1.4.0", None), ("releases/..", None), ("elsewhere/1.4.0", None), ("", None), (None, None),
])
def test_live_folder_of_a_pointer(target, live):
    assert _releases.live_folder(target) == live


def test_a_verified_live_release_of_the_version_is_left_alone():
    for live in ("releases/1.4.0", "releases/1.4.0+1"):
        plan = _releases.plan("1.4.0", live, True, True, root="/srv/www")
        assert plan["up_to_date"] and not plan["start_server"]
        assert plan["destination"] == live.split("/")[1] and plan["path"] == "/srv/www/" + live


def test_a_damaged_live_release_goes_to_the_other_folder_never_itself():
    assert _releases.plan("1.4.0", "releases/1.4.0", False)["destination"] == "1.4.0+1"
    assert _releases.plan("1.4.0", "releases/1.4.0+1", False)["destination"] == "1.4.0"
    plan = _releases.plan("1.4.0", "releases/1.4.0", False)
    assert not plan["up_to_date"] and plan["live"] == "1.4.0" and plan["live_version"] == "1.4.0"


def test_a_new_version_goes_to_its_own_folder():
    plan = _releases.plan("1.5.0", "releases/1.4.0", True)
    assert not plan["up_to_date"] and plan["destination"] == "1.5.0" and plan["live_version"] == "1.4.0"
    first = _releases.plan("1.4.0", None, False)
    assert not first["up_to_date"] and first["destination"] == "1.4.0" and first["live"] is None


def test_a_pointer_outside_releases_is_never_up_to_date():
    plan = _releases.plan("1.4.0", "C:\\inetpub\\wwwroot", True)
    assert not plan["up_to_date"] and plan["destination"] == "1.4.0"


def test_server_state_and_windows_paths():
    plan = _releases.plan("1.4.0", "C:\\inetpub\\routing_ml\\releases\\1.4.0", False, False,
                          root="C:\\inetpub\\routing_ml", windows=True)
    assert plan["start_server"] and plan["path"] == "C:\\inetpub\\routing_ml\\releases\\1.4.0+1"
    assert not _releases.plan("1.4.0", None, False, None)["start_server"], "unknown is not stopped"


@pytest.mark.parametrize("version", ["1.4.0\n", "../x", "1.4.0+1", "", 1.4])
def test_bad_versions_are_refused(version):
    with pytest.raises(ValidationError, match="version"):
        _releases.plan(version, None, False)


def test_matches_must_be_a_boolean():
    with pytest.raises(ValidationError, match="matches"):
        _releases.plan("1.4.0", "releases/1.4.0", "yes")

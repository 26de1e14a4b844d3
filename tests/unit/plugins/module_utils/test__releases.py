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


# --- verified folders (a rollback, or a version that comes back) -----------------------------------------

@pytest.mark.parametrize("live, verified, destination, mirror", [
    # A verified folder of the version that is not live is switched to as it is.
    ("releases/1.4.0", ["1.3.0"], "1.3.0", False),
    ("releases/1.4.0", ["1.3.0+1"], "1.3.0+1", False),
    ("releases/1.4.0", ["1.3.0+1", "1.3.0"], "1.3.0", False),
    # Nothing verified, or only folders of other versions: mirror into the non-live candidate.
    ("releases/1.4.0", [], "1.3.0", True),
    ("releases/1.4.0", ["1.4.0", "1.3.2"], "1.3.0", True),
    (None, ["1.3.0"], "1.3.0", False),
    # The live folder is never the destination, verified or not: a damaged live 1.3.0 goes to 1.3.0+1 ...
    ("releases/1.3.0", ["1.3.0"], "1.3.0+1", True),
    ("releases/1.3.0+1", ["1.3.0+1"], "1.3.0", True),
    # ... unless the other folder is verified, then that one is switched to without a copy.
    ("releases/1.3.0", ["1.3.0", "1.3.0+1"], "1.3.0+1", False),
])
def test_a_verified_folder_of_the_version_is_switched_to_without_mirroring(live, verified, destination, mirror):
    plan = _releases.plan("1.3.0", live, False, True, root="/srv/www", verified=verified)
    assert not plan["up_to_date"]
    assert (plan["destination"], plan["mirror"]) == (destination, mirror)
    assert plan["path"] == "/srv/www/releases/" + destination
    assert "releases/" + plan["destination"] != live


def test_an_up_to_date_live_release_stays_even_with_verified_folders():
    plan = _releases.plan("1.3.0", "releases/1.3.0+1", True, True, verified=["1.3.0", "1.3.0+1"])
    assert plan["up_to_date"] and plan["destination"] == "1.3.0+1" and not plan["mirror"]


def test_a_verified_folder_on_an_iis_node():
    plan = _releases.plan("1.3.0", "C:\\inetpub\\routing_ml\\releases\\1.4.0", True, True,
                          root="C:\\inetpub\\routing_ml", windows=True, verified=["1.3.0+1"])
    assert plan["destination"] == "1.3.0+1" and not plan["mirror"]
    assert plan["path"] == "C:\\inetpub\\routing_ml\\releases\\1.3.0+1"


# --- switch_back: the live pointer back where it was before this run's switch ------------------------------

@pytest.mark.parametrize("before, root, windows, destination, path", [
    ("releases/1.3.2", "/srv/www", False, "1.3.2", "/srv/www/releases/1.3.2"),
    ("releases/1.4.0+1", "/srv/www", False, "1.4.0+1", "/srv/www/releases/1.4.0+1"),
    ("/srv/www/releases/1.3.2", None, False, "1.3.2", None),
    ("C:\\inetpub\\routing_ml\\releases\\1.3.2\\", "C:\\inetpub\\routing_ml", True, "1.3.2",
     "C:\\inetpub\\routing_ml\\releases\\1.3.2"),
])
def test_switch_back_goes_to_the_folder_live_before_and_copies_nothing(before, root, windows, destination, path):
    assert _releases.switch_back(before, root=root, windows=windows) == {
        "up_to_date": False, "live": None, "live_version": None, "destination": destination, "path": path,
        "mirror": False, "start_server": False}


@pytest.mark.parametrize("before", [None, "", "C:\\inetpub\\wwwroot", "releases/..", "elsewhere/1.3.2"])
def test_switch_back_without_a_release_live_before_is_none(before):
    assert _releases.switch_back(before, root="/srv/www") is None

# -*- coding: utf-8 -*-
"""_smb's pure parts: which UNC paths are accepted, what is refused and how the message names it.

The copy itself (Share) runs against the lab's real Samba in tests/e2e/test_share_smb.py, and
through share_copy over a local stand-in in tests/unit/plugins/modules/test_share_copy.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ntpath

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _smb
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

VALID = [
    "\\\\nas\\routing_ml",
    "\\\\nas\\routing_ml\\releases\\1.4.0\\RoutingMLInstaller_1.4.0.exe",
    "\\\\10.0.0.5\\share\\frontend\\latest",
    "\\\\fileshare.corp.example\\routing ml\\배포\\안내 문서.md",
    "\\\\nas\\routing_ml\\releases\\1.4.0+1\\.hidden",
    "\\\\nas\\routing_ml\\a..b\\...\\x.",
]


@pytest.mark.parametrize("path", VALID)
def test_a_unc_path_is_accepted_as_it_is(path):
    assert _smb.check_unc(path) == path


@pytest.mark.parametrize("path", VALID)
def test_an_accepted_path_is_the_path_smbclient_uses(path):
    """smbclient normalises every path (ntpath.normpath) before it talks to the server: what
    was checked must be what is used."""
    assert ntpath.normpath(_smb.check_unc(path)) == _smb.check_unc(path)


@pytest.mark.parametrize("path, expected", [
    ("\\\\nas\\routing_ml\\", "\\\\nas\\routing_ml"),
    ("\\\\nas\\routing_ml\\releases\\\\\\", "\\\\nas\\routing_ml\\releases"),
])
def test_trailing_backslashes_are_dropped(path, expected):
    assert _smb.check_unc(path) == expected


@pytest.mark.parametrize("path", [
    "",
    "nas\\routing_ml",
    "\\nas\\routing_ml",
    "//nas/routing_ml/releases",
    "C:\\RoutingML\\releases",
    "/srv/share/releases",
    "\\\\nas",
    "\\\\nas\\",
    "\\\\",
    None,
    445,
    ["\\\\nas\\routing_ml"],
])
def test_what_is_not_a_unc_path_is_refused_by_name(path):
    with pytest.raises(ValidationError) as exc:
        _smb.check_unc(path, "dest")
    assert str(exc.value) == "dest %r is not a UNC path (\\\\server\\share\\...)" % (path,)


@pytest.mark.parametrize("path", [
    "\\\\nas\\routing_ml\\releases\\..\\secrets",
    "\\\\nas\\routing_ml\\..",
    "\\\\nas\\routing_ml\\.\\releases",
    "\\\\nas\\routing_ml\\releases\\1.4.0\\..\\..\\other",
    "\\\\nas\\routing_ml\\releases\\\\..\\x",
    "\\\\..\\routing_ml\\x",
])
def test_dot_components_are_refused_by_name(path):
    with pytest.raises(ValidationError) as exc:
        _smb.check_unc(path, "dest")
    assert str(exc.value) == "dest %r must not contain . or .. components" % (path,)


@pytest.mark.parametrize("path", [
    "\\\\nas\\routing_ml\\frontend\\latest/../../secrets",
    "\\\\nas\\routing_ml\\releases\\1.4.0/..",
])
def test_dot_components_after_a_forward_slash_are_refused_too(path):
    assert ntpath.normpath(path) != path, "smbclient would use another path than the one checked"
    with pytest.raises(ValidationError) as exc:
        _smb.check_unc(path, "dest")
    assert repr(path) in str(exc.value)


@pytest.mark.parametrize("path", [
    "\\\\nas\\routing_ml\\releases\\\\1.4.0",
    "\\\\nas\\routing_ml\\releases/1.4.0",
])
def test_empty_components_and_forward_slashes_are_accepted(path):
    """smbclient only collapses them; the publish role's dest has a doubled backslash under ansible-core 2.19."""
    assert _smb.check_unc(path) == path


@pytest.mark.parametrize("rel", ["index.html", "assets/img/logo.svg", u"locales/ko/안내.json", ".hidden/a..b"])
def test_a_plain_relative_path_is_joined_under_the_root(rel):
    assert _smb.join("\\\\nas\\routing_ml\\x", rel) == "\\\\nas\\routing_ml\\x\\" + rel.replace("/", "\\")


@pytest.mark.parametrize("rel", ["..\\..\\index.html", "assets\\app.js", "assets/../x", "./x", "a//b", ""])
def test_a_relative_path_that_would_land_elsewhere_is_refused_by_name(rel):
    with pytest.raises(ValidationError) as exc:
        _smb.join("\\\\nas\\routing_ml\\x", rel)
    assert str(exc.value).startswith("file %r cannot be copied to the share" % (rel,))


def test_the_default_name_in_messages_is_path():
    with pytest.raises(ValidationError) as exc:
        _smb.check_unc("C:\\x")
    assert str(exc.value).startswith("path 'C:\\\\x' is not a UNC path")


@pytest.mark.parametrize("unc, server", [
    ("\\\\nas\\routing_ml", "nas"),
    ("\\\\10.0.0.5\\share\\frontend\\latest", "10.0.0.5"),
    ("\\\\fileshare.corp.example\\s\\x\\", "fileshare.corp.example"),
])
def test_server_of_a_checked_path(unc, server):
    assert _smb.server_of(_smb.check_unc(unc)) == server

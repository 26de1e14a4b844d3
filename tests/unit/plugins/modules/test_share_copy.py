# -*- coding: utf-8 -*-
"""share_copy: files and folders put on the NAS share, each written aside, read back, compared
and only then renamed in; what is already there is left alone.

The share is a local folder behind the smbclient calls that _smb makes (LocalSmb below), which
normalises paths as smbclient does before they reach a server; tests/e2e/test_share_smb.py runs
the same module against the lab's real Samba. The refused connection at the end is a real one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import ntpath
import os
import socket

import pytest
from smbprotocol.exceptions import SMBOSError
from smbprotocol.header import NtStatus

from ansible_collections.routing_ml.deploy.plugins.module_utils import _smb
from ansible_collections.routing_ml.deploy.plugins.modules import share_copy

SHARE = "\\\\nas\\routing_ml"
INSTALLER = b"MZ RoutingML installer 1.4.0\n" * 2000
BUNDLE = {
    "index.html": b"<html>1.4.0</html>\n",
    "assets/app-1a2b.js": b"console.log(1)\n" * 100,
    "assets/img/logo.svg": b"<svg/>",
    u"locales/ko/안내.json": u'{"hello": "안녕"}\n'.encode("utf-8"),
}
PASSWORD = "s3cr3t-Pa55-for-the-share"


class Corrupting(object):
    """A file on a share that does not store what it is sent (the first byte of every write)."""

    def __init__(self, handle):
        self.handle = handle

    def write(self, data):
        data = bytes(data)
        return self.handle.write(b"\0" + data[1:] if data else data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


class LocalSmb(object):
    """The smbclient functions _smb calls, over ``root`` standing for \\\\nas\\routing_ml."""

    def __init__(self, root):
        self.root = str(root)
        self.sessions = []
        self.writes = []
        self.corrupt = False
        self.logon_error = None

    def local(self, unc):
        parts = [p for p in ntpath.normpath(unc).split("\\") if p]  # what smbclient sends is normalised
        if [p.lower() for p in parts[:2]] != ["nas", "routing_ml"]:
            raise SMBOSError(NtStatus.STATUS_BAD_NETWORK_NAME, unc)
        return os.path.join(self.root, *parts[2:])

    def register_session(self, server, username=None, password=None, port=445, encrypt=True, **kwargs):
        if self.logon_error:
            raise ValueError(self.logon_error)
        self.sessions.append(dict(server=server, username=username, password=password, port=port, encrypt=encrypt))

    def open_file(self, path, mode="r", port=445, **kwargs):
        local = self.local(path)
        if "r" in mode and not os.path.isfile(local):
            raise SMBOSError(NtStatus.STATUS_OBJECT_NAME_NOT_FOUND, path)
        if "w" in mode:
            if not os.path.isdir(os.path.dirname(local)):
                raise SMBOSError(NtStatus.STATUS_OBJECT_PATH_NOT_FOUND, path)
            self.writes.append(path)
            if self.corrupt:
                return Corrupting(open(local, mode))
        return open(local, mode)

    def makedirs(self, path, exist_ok=False, port=445, **kwargs):
        os.makedirs(self.local(path), exist_ok=exist_ok)

    def replace(self, src, dst, port=445, **kwargs):
        os.replace(self.local(src), self.local(dst))

    def remove(self, path, port=445, **kwargs):
        local = self.local(path)
        if not os.path.isfile(local):
            raise SMBOSError(NtStatus.STATUS_OBJECT_NAME_NOT_FOUND, path)
        os.remove(local)

    def walk(self, top, port=445, **kwargs):
        local = self.local(top)
        if not os.path.isdir(local):
            return  # smbclient.walk ignores a folder it cannot list
        for folder, dirs, names in os.walk(local):
            rel = os.path.relpath(folder, local)
            yield (top if rel == "." else top + "\\" + rel.replace(os.sep, "\\")), dirs, names


@pytest.fixture
def share(tmp_path, monkeypatch):
    root = tmp_path / "share"
    root.mkdir()
    smb = LocalSmb(root)
    monkeypatch.setattr(_smb, "smbclient", smb)
    return smb


@pytest.fixture
def installer(tmp_path):
    path = tmp_path / "build" / "windows" / "RoutingMLInstaller_1.4.0.exe"
    path.parent.mkdir(parents=True)
    path.write_bytes(INSTALLER)
    return path


@pytest.fixture
def bundle(tmp_path):
    root = tmp_path / "stage" / "1.4.0"
    for name, data in BUNDLE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def on_share(share, below=""):
    """``{relative posix path: bytes}`` of every file on the share (below a folder)."""
    base = os.path.join(share.root, *below.split("/")) if below else share.root
    found = {}
    for folder, dummy, names in os.walk(base):
        for name in names:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, base).replace(os.sep, "/")] = open(path, "rb").read()
    return found


def copy(run_module, src, dest, check_mode=False, **extra):
    return run_module(share_copy, dict(dict(src=str(src), dest=dest), **extra), check_mode=check_mode)


INSTALLER_UNC = SHARE + "\\releases\\1.4.0\\RoutingMLInstaller_1.4.0.exe"
LATEST = SHARE + "\\frontend\\latest"


# --- one file ----------------------------------------------------------------------------------------------


def test_a_file_is_put_on_the_share_then_left_alone(run_module, share, installer):
    failed, result = copy(run_module, installer, INSTALLER_UNC, username="svc_routing", password=PASSWORD)
    assert not failed and result["changed"]
    assert result["checksum"] == hashlib.sha256(INSTALLER).hexdigest()
    assert result["copied"] == ["RoutingMLInstaller_1.4.0.exe"] and result["deleted"] == []
    assert on_share(share) == {"releases/1.4.0/RoutingMLInstaller_1.4.0.exe": INSTALLER}, "no temporary file left"
    assert share.sessions == [dict(server="nas", username="svc_routing", password=PASSWORD, port=445, encrypt=True)]
    assert len(share.writes) == 1 and share.writes[0].endswith(".tmp"), "written aside, then renamed in"
    failed, again = copy(run_module, installer, INSTALLER_UNC)
    assert not failed and not again["changed"] and again["copied"] == [] and again["checksum"] == result["checksum"]
    assert len(share.writes) == 1, "nothing is written when the share already has the file"


def test_a_different_file_on_the_share_is_replaced(run_module, share, installer):
    target = os.path.join(share.root, "releases", "1.4.0", "RoutingMLInstaller_1.4.0.exe")
    os.makedirs(os.path.dirname(target))
    with open(target, "wb") as handle:
        handle.write(b"an older build")
    failed, result = copy(run_module, installer, INSTALLER_UNC)
    assert not failed and result["changed"] and open(target, "rb").read() == INSTALLER


def test_check_mode_for_a_file_writes_nothing(run_module, share, installer):
    failed, result = copy(run_module, installer, INSTALLER_UNC, check_mode=True)
    assert not failed and result["changed"] and result["copied"] == ["RoutingMLInstaller_1.4.0.exe"]
    assert on_share(share) == {} and share.writes == [] and os.listdir(share.root) == []
    copy(run_module, installer, INSTALLER_UNC)
    failed, result = copy(run_module, installer, INSTALLER_UNC, check_mode=True)
    assert not failed and not result["changed"] and result["copied"] == []


def test_port_and_encryption_are_used_for_the_session(run_module, share, installer):
    failed, result = copy(run_module, installer, INSTALLER_UNC + "\\", port=4445, encrypt=False)
    assert not failed and result["changed"] and share.sessions[0]["port"] == 4445 and share.sessions[0]["encrypt"] is False
    assert on_share(share) == {"releases/1.4.0/RoutingMLInstaller_1.4.0.exe": INSTALLER}


def test_a_share_that_stores_other_bytes_is_caught_and_nothing_replaces_the_target(run_module, share, installer):
    target = os.path.join(share.root, "releases", "1.4.0", "RoutingMLInstaller_1.4.0.exe")
    os.makedirs(os.path.dirname(target))
    with open(target, "wb") as handle:
        handle.write(b"an older build")
    share.corrupt = True
    failed, result = copy(run_module, installer, INSTALLER_UNC)
    assert failed and result["msg"].startswith("SHA256 mismatch for %s\\.RoutingMLInstaller_1.4.0.exe." % (
        SHARE + "\\releases\\1.4.0"))
    assert "expected %s" % hashlib.sha256(INSTALLER).hexdigest() in result["msg"]
    assert on_share(share) == {"releases/1.4.0/RoutingMLInstaller_1.4.0.exe": b"an older build"}, \
        "the target is untouched and the temporary copy is removed"


def test_write_once_refuses_other_bytes_under_a_published_name_naming_both_digests(run_module, share, installer):
    target = os.path.join(share.root, "releases", "1.4.0", "RoutingMLInstaller_1.4.0.exe")
    os.makedirs(os.path.dirname(target))
    with open(target, "wb") as handle:
        handle.write(b"an older build")
    failed, result = copy(run_module, installer, INSTALLER_UNC, write_once=True)
    assert failed
    assert result["msg"] == (
        "%s is already published with sha256 %s; this run's file has sha256 %s: a published file is never "
        "replaced (publish the change under a new version)" % (
            INSTALLER_UNC, hashlib.sha256(b"an older build").hexdigest(), hashlib.sha256(INSTALLER).hexdigest()))
    assert open(target, "rb").read() == b"an older build" and share.writes == []
    os.unlink(target)
    failed, result = copy(run_module, installer, INSTALLER_UNC, write_once=True)
    assert not failed and result["changed"]
    failed, result = copy(run_module, installer, INSTALLER_UNC, write_once=True)
    assert not failed and not result["changed"], "the same bytes again are no change"


def test_a_source_that_changed_since_its_digest_was_pinned_is_refused_before_the_rename(run_module, share, installer):
    pinned = hashlib.sha256(INSTALLER).hexdigest()
    installer.write_bytes(b"swapped after the pin")
    failed, result = copy(run_module, installer, INSTALLER_UNC, sha256=pinned)
    assert failed and "expected %s, actual %s" % (pinned, hashlib.sha256(b"swapped after the pin").hexdigest()) \
        in result["msg"]
    assert on_share(share) == {}, "no target and no temporary copy left"


def test_content_writes_a_sidecar_made_here(run_module, share):
    sidecar = INSTALLER_UNC + ".sha256"
    text = "%s  RoutingMLInstaller_1.4.0.exe\n" % hashlib.sha256(INSTALLER).hexdigest()
    failed, result = run_module(share_copy, dict(content=text, dest=sidecar), check_mode=False)
    assert not failed and result["changed"] and result["copied"] == ["RoutingMLInstaller_1.4.0.exe.sha256"]
    assert on_share(share) == {"releases/1.4.0/RoutingMLInstaller_1.4.0.exe.sha256": text.encode()}
    failed, result = run_module(share_copy, dict(content=text, dest=sidecar), check_mode=False)
    assert not failed and not result["changed"]


def test_a_folder_with_a_manifest_copies_only_its_files_and_refuses_one_that_differs(run_module, share, bundle):
    manifest = "".join("%s  %s\n" % (hashlib.sha256(data).hexdigest(), name) for name, data in sorted(BUNDLE.items()))
    (bundle / "extra.js").write_bytes(b"not in the bundle")
    failed, result = copy(run_module, bundle, LATEST, manifest=manifest, mirror=True)
    assert not failed, result
    assert on_share(share, "frontend/latest") == BUNDLE
    (bundle / "index.html").write_bytes(b"edited in the cache")
    # The share still holds the bundle's index.html: nothing to copy, nothing refused.
    failed, result = copy(run_module, bundle, LATEST, manifest=manifest, mirror=True)
    assert not failed and not result["changed"], result
    os.unlink(os.path.join(share.root, "frontend", "latest", "index.html"))
    failed, result = copy(run_module, bundle, LATEST, manifest=manifest, mirror=True)
    assert failed and "expected %s" % hashlib.sha256(BUNDLE["index.html"]).hexdigest() in result["msg"]
    assert on_share(share, "frontend/latest") == dict((k, v) for k, v in BUNDLE.items() if k != "index.html")


# --- a folder ----------------------------------------------------------------------------------------------


def test_a_folder_is_copied_file_by_file_then_left_alone(run_module, share, bundle):
    failed, result = copy(run_module, bundle, LATEST)
    assert not failed and result["changed"] and result["deleted"] == []
    assert result["copied"] == sorted(BUNDLE) and "checksum" not in result
    assert on_share(share, "frontend/latest") == BUNDLE
    writes = len(share.writes)
    failed, again = copy(run_module, bundle, LATEST)
    assert not failed and not again["changed"] and again["copied"] == [] and len(share.writes) == writes


def test_only_what_differs_is_copied(run_module, share, bundle):
    copy(run_module, bundle, LATEST)
    (bundle / "index.html").write_bytes(b"<html>1.4.0 hotfix</html>\n")
    failed, result = copy(run_module, bundle, LATEST)
    assert not failed and result["changed"] and result["copied"] == ["index.html"]
    assert on_share(share, "frontend/latest")["index.html"] == b"<html>1.4.0 hotfix</html>\n"


def stale(share):
    for rel in ("frontend/latest/assets/old-0000.js", "frontend/latest/old/page.html", "frontend/keep.txt"):
        path = os.path.join(share.root, *rel.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(b"stale")


def test_without_mirror_files_the_bundle_lacks_stay(run_module, share, bundle):
    stale(share)
    failed, result = copy(run_module, bundle, LATEST)
    assert not failed and result["deleted"] == []
    assert "assets/old-0000.js" in on_share(share, "frontend/latest")


def test_mirror_deletes_what_the_bundle_lacks_and_nothing_outside_dest(run_module, share, bundle):
    stale(share)
    failed, result = copy(run_module, bundle, LATEST, mirror=True)
    assert not failed and result["changed"]
    assert result["copied"] == sorted(BUNDLE)
    assert result["deleted"] == ["assets/old-0000.js", "old/page.html"]
    assert on_share(share, "frontend/latest") == BUNDLE
    assert on_share(share)["frontend/keep.txt"] == b"stale"
    failed, again = copy(run_module, bundle, LATEST, mirror=True)
    assert not failed and not again["changed"] and again["copied"] == [] and again["deleted"] == []


def test_mirror_in_check_mode_reports_and_changes_nothing(run_module, share, bundle):
    stale(share)
    copy(run_module, bundle, LATEST)
    (bundle / "index.html").write_bytes(b"<html>1.4.1</html>\n")
    before = on_share(share)
    writes = len(share.writes)
    failed, result = copy(run_module, bundle, LATEST, mirror=True, check_mode=True)
    assert not failed and result["changed"]
    assert result["copied"] == ["index.html"] and result["deleted"] == ["assets/old-0000.js", "old/page.html"]
    assert on_share(share) == before and len(share.writes) == writes


def test_mirror_into_a_folder_that_does_not_exist_yet(run_module, share, bundle):
    failed, result = copy(run_module, bundle, SHARE + "\\frontend\\1.4.0", mirror=True)
    assert not failed and result["copied"] == sorted(BUNDLE) and result["deleted"] == []
    assert on_share(share, "frontend/1.4.0") == BUNDLE


def test_a_file_name_with_backslashes_does_not_land_outside_dest(run_module, share, bundle):
    (bundle / "..\\..\\index.html").write_bytes(b"<html>planted</html>\n")
    failed, result = copy(run_module, bundle, LATEST, mirror=True)
    outside = dict((k, v) for k, v in on_share(share).items() if not k.startswith("frontend/latest/"))
    assert outside == {}, "written outside %s: %s" % (LATEST, sorted(outside))
    assert failed and "index.html" in result["msg"]


@pytest.mark.parametrize("mirror", [False, True])
def test_a_file_name_with_a_backslash_is_refused_before_any_file_is_written(run_module, share, bundle, mirror):
    (bundle / "assets" / "img\\..\\..\\..\\keep.txt").write_bytes(b"planted")
    failed, result = copy(run_module, bundle, LATEST, mirror=mirror)
    assert failed and repr("assets/img\\..\\..\\..\\keep.txt") in result["msg"]
    assert on_share(share) == {} and share.writes == []


# --- refused before anything is written --------------------------------------------------------------------


@pytest.mark.parametrize("dest", [
    "/srv/share/releases/1.4.0/RoutingMLInstaller_1.4.0.exe",
    "nas\\routing_ml\\x.exe",
    "\\\\nas",
])
def test_a_dest_that_is_not_unc_is_refused_by_name_before_connecting(run_module, share, installer, dest):
    failed, result = copy(run_module, installer, dest)
    assert failed and result["msg"] == "dest %r is not a UNC path (\\\\server\\share\\...)" % dest
    assert share.sessions == [] and on_share(share) == {}


def test_dot_components_in_dest_are_refused_by_name(run_module, share, installer):
    dest = SHARE + "\\releases\\..\\..\\other\\x.exe"
    failed, result = copy(run_module, installer, dest)
    assert failed and result["msg"] == "dest %r must not contain . or .. components" % dest
    assert share.sessions == [] and on_share(share) == {}


def test_a_missing_src_is_refused_by_name(run_module, share, tmp_path):
    missing = tmp_path / "build" / "missing.exe"
    failed, result = copy(run_module, missing, INSTALLER_UNC)
    assert failed and result["msg"] == "src %s does not exist" % missing
    assert share.sessions == [] and on_share(share) == {}


def test_a_link_in_the_folder_is_refused_before_any_file_is_copied(run_module, share, bundle):
    os.symlink("/etc/passwd", str(bundle / "assets" / "passwd"))
    failed, result = copy(run_module, bundle, LATEST, mirror=True)
    assert failed and result["msg"] == "%s is not a regular file" % (bundle / "assets" / "passwd")
    assert on_share(share) == {}


def test_the_password_never_appears_in_the_result(run_module, share, installer):
    share.logon_error = "logon failure for svc_routing with password %s" % PASSWORD
    failed, result = copy(run_module, installer, INSTALLER_UNC, username="svc_routing", password=PASSWORD)
    assert failed and result["msg"].startswith("SMB copy to %s failed: logon failure for svc_routing" % INSTALLER_UNC)
    assert PASSWORD not in json.dumps(result)


def test_without_smbprotocol_the_module_says_what_to_install(run_module, share, installer, monkeypatch):
    monkeypatch.setattr(_smb, "HAS_SMB", False)
    failed, result = copy(run_module, installer, INSTALLER_UNC)
    assert failed and "smbprotocol" in result["msg"] and on_share(share) == {}


def test_a_share_that_refuses_the_connection_is_named(run_module, installer):
    """The real smbclient against a loopback port nobody listens on."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    dest = "\\\\127.0.0.1\\routing_ml\\releases\\1.4.0\\RoutingMLInstaller_1.4.0.exe"
    failed, result = copy(run_module, installer, dest, port=port, username="svc_routing", password=PASSWORD)
    assert failed and result["msg"].startswith("SMB copy to %s failed: " % dest)
    assert "127.0.0.1:%d" % port in result["msg"] and "refused" in result["msg"].lower()
    assert PASSWORD not in json.dumps(result)

# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files on an SMB share (the NAS/SCCM share of SOP 4.3), through smbprotocol's smbclient.

Writes go to a temporary name in the target folder and are renamed over the target, so a
Windows host pulling the file never reads half of it; every written file is read back and
hashed. Paths are UNC (``\\\\server\\share\\folder\\file``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import ntpath
import os
import re
import uuid

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checksum
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

try:
    import smbclient
    from smbprotocol.exceptions import SMBOSError
    HAS_SMB = True
except ImportError:  # pragma: no cover - reported by the module
    HAS_SMB = False


def check_unc(path, what="path"):
    if not isinstance(path, str) or not path.startswith("\\\\") or len(path.strip("\\").split("\\")) < 2:
        raise ValidationError("%s %r is not a UNC path (\\\\server\\share\\...)" % (what, path))
    # smbclient normalises the path (ntpath.normpath) before use: "/" separates too and "." and ".."
    # are resolved, so either after any separator would make it use another folder. Empty components
    # (the publish role's root\releases\\1.4.0 under ansible-core 2.19) are only collapsed: accepted.
    if any(part in (".", "..") for part in re.split(r"[\\/]", path.strip("\\"))):
        raise ValidationError("%s %r must not contain . or .. components" % (what, path))
    return path.rstrip("\\")


def check_relative(rel):
    """A file's relative posix path (under a folder being copied), refused when a component is
    empty, ``.`` or ``..`` or holds a backslash: a plain file name on Linux, but a separator on
    the share, so the file would land elsewhere (``..\\..\\index.html``)."""
    if any(part in ("", ".", "..") or "\\" in part for part in rel.split("/")):
        raise ValidationError("file %r cannot be copied to the share: its name holds a backslash or a . or .. "
                              "component, which would put it outside the target folder" % (rel,))
    return rel


def join(root, rel):
    """The UNC path of the relative posix path ``rel`` under the UNC folder ``root``."""
    return root + "\\" + check_relative(rel).replace("/", "\\")


def server_of(unc):
    return unc.strip("\\").split("\\")[0]


class Share(object):
    """A session to one SMB server; every call passes the port (smbclient needs it each time)."""

    def __init__(self, server, port=445, username=None, password=None, encrypt=True):
        self.port = port
        smbclient.register_session(server, username=username, password=password, port=port, encrypt=encrypt)

    def sha256(self, path):
        """SHA256 of a remote file, or None when it does not exist."""
        digest = hashlib.sha256()
        try:
            with smbclient.open_file(path, mode="rb", port=self.port) as handle:
                while True:
                    chunk = handle.read(_checksum.READ_SIZE)
                    if not chunk:
                        break
                    digest.update(chunk)
        except SMBOSError as exc:
            if exc.errno == 2:
                return None
            raise
        return digest.hexdigest()

    def put(self, local, remote, expected, check_mode=False, write_once=False):
        """Copy ``local`` (whose SHA256 is ``expected``) to ``remote``. Returns True when changed.

        The copy read back must have ``expected``, so a ``local`` that changed since its digest
        was taken is refused before the rename. ``write_once``: a ``remote`` that exists with
        another digest is refused, never replaced."""
        found = self.sha256(remote)
        if found == expected:
            return False
        if write_once and found is not None:
            raise ValidationError(
                "%s is already published with sha256 %s; this run's file has sha256 %s: a published file "
                "is never replaced (publish the change under a new version)" % (remote, found, expected))
        if check_mode:
            return True
        folder = ntpath.dirname(remote)
        smbclient.makedirs(folder, exist_ok=True, port=self.port)
        tmp = ntpath.join(folder, ".%s.%s.tmp" % (ntpath.basename(remote), uuid.uuid4().hex[:8]))
        try:
            with open(local, "rb") as src, smbclient.open_file(tmp, mode="wb", port=self.port) as dst:
                while True:
                    chunk = src.read(_checksum.READ_SIZE)
                    if not chunk:
                        break
                    dst.write(chunk)
            actual = self.sha256(tmp)
            if actual != expected:
                raise ValidationError(_checksum.describe_mismatch(tmp, expected, actual))
            smbclient.replace(tmp, remote, port=self.port)
        except BaseException:
            try:
                smbclient.remove(tmp, port=self.port)
            except Exception:  # pylint: disable=broad-except
                pass
            raise
        return True

    def tree(self, root):
        """``{relative/posix/path: None}`` of the files under a remote folder (empty if missing)."""
        found = {}
        try:
            for folder, dummy, names in smbclient.walk(root, port=self.port):
                for name in names:
                    rel = ntpath.relpath(ntpath.join(folder, name), root).replace("\\", "/")
                    found[rel] = None
        except SMBOSError as exc:
            if exc.errno != 2:
                raise
        return found

    def mirror(self, local_root, remote_root, manifest, check_mode=False):
        """Make ``remote_root`` hold exactly the files of ``manifest`` (``{rel: sha256}``) from
        ``local_root``: copy what differs, delete what the manifest does not list (robocopy /MIR).
        Returns ``(copied, deleted)`` lists."""
        for rel in manifest:
            check_relative(rel)  # every name before the first write
        copied = []
        for rel in sorted(manifest):
            if self.put(os.path.join(local_root, *rel.split("/")), join(remote_root, rel), manifest[rel], check_mode):
                copied.append(rel)
        deleted = sorted(set(self.tree(remote_root)) - set(manifest))
        if not check_mode:
            for rel in deleted:
                smbclient.remove(remote_root + "\\" + rel.replace("/", "\\"), port=self.port)
        return copied, deleted

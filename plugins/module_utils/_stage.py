# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's cache of an unpacked frontend bundle, shared by the bundle_stage module
and the web_release action (which stages once per controller for every node it serves)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import io
import os
import shutil
import tempfile
import zipfile

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic, _checksum, _tree
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError, is_within


def _check_members(archive, root):
    for member in archive.infolist():
        target = os.path.join(root, member.filename)
        if os.path.isabs(member.filename) or not is_within(target, root) or (member.external_attr >> 28) == 0xA:
            raise ValidationError("bundle member %r would land outside the bundle" % member.filename)


def zip_manifest(src):
    """``{relative path: sha256}`` of the files the bundle zip ``src`` (a path or a file object)
    holds: what its unpacked tree must be, taken from the zip itself and never from a cache."""
    found = {}
    with zipfile.ZipFile(src) as archive:
        _check_members(archive, os.sep + "bundle")
        for member in archive.infolist():
            if member.is_dir():
                continue
            with archive.open(member) as data:
                found[member.filename] = _checksum.sha256_handle(data)[0]
    return found


def unpack(src, dest):
    """Unpack ``src`` into ``dest`` through a temporary folder renamed into place."""
    parent = os.path.dirname(dest.rstrip(os.sep))
    if not os.path.isdir(parent):
        os.makedirs(parent)
    tmp = tempfile.mkdtemp(prefix=".%s." % os.path.basename(dest), dir=parent)
    try:
        with zipfile.ZipFile(src) as archive:
            _check_members(archive, tmp)
            archive.extractall(tmp)
        # mkdtemp makes the folder private; the web servers that get a mirror of it must read it.
        os.chmod(tmp, 0o755)
        if os.path.exists(dest):
            shutil.rmtree(dest)
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_pinned(src, sha256=None):
    """The bytes of the bundle zip ``src``, read once, and their SHA256; ValidationError when
    ``sha256`` (the digest the run pinned at its start) is given and the bytes differ. What is
    unpacked and hashed afterwards is these bytes, so the file can no longer change under them."""
    with open(src, "rb") as handle:
        data = handle.read()
    digest = _checksum.sha256_bytes(data)
    if sha256 and digest != sha256.lower():
        raise ValidationError(
            "the bundle %s has sha256 %s, but this run deploys sha256 %s (pinned when it started, from the "
            "published and approved digests): it changed during the run; nothing was staged" % (src, digest, sha256))
    return data, digest


def _tree_or_none(dest):
    try:
        return _tree.tree_manifest(dest)
    except ValidationError:
        return None


def stage(src, dest, sha256=None):
    """Unpack ``src`` into ``dest`` unless the cache already holds exactly its files:
    ``{changed, manifest, count, sha256, source_sha256}``, ``manifest`` in the sidecar format
    (taken from the zip, never from the cache), ``sha256`` that of its text.

    The cache is verified against the zip at every call: a file edited, added or removed in it
    is unpacked again. ``sha256`` pins the zip's own digest (``read_pinned``).
    Raises ValidationError, IOError/OSError or zipfile.BadZipfile."""
    dest = dest.rstrip(os.sep)
    data, digest, expected = _pinned_manifest(src, sha256)
    changed = _tree_or_none(dest) != expected
    if changed:
        unpack(io.BytesIO(data), dest)
    text = _tree.manifest_text(expected)
    # For a reader of the cache; nothing trusts these two files.
    for path, content in ((dest + ".manifest.sha256", text), (dest + ".source.sha256", digest + "\n")):
        if _atomic.read_bytes(path) != content.encode("utf-8"):
            _atomic.write_text_atomic(path, content)
    return dict(described(text, changed), source_sha256=digest)


def bundle_manifest(src, sha256=None):
    """``described`` of the bundle zip ``src`` (pinned by ``sha256`` when given), unpacking
    nothing: what a node serving it must hold."""
    dummy, digest, expected = _pinned_manifest(src, sha256)
    return dict(described(_tree.manifest_text(expected)), source_sha256=digest)


def _pinned_manifest(src, sha256):
    """``(bytes, sha256, {path: sha256})`` of the zip ``src``, read once (``read_pinned``)."""
    data, digest = read_pinned(src, sha256)
    return data, digest, zip_manifest(io.BytesIO(data))


def described(text, changed=False):
    """What ``stage`` returns for a manifest's text."""
    return dict(changed=changed, manifest=text, count=len(text.splitlines()), sha256=_tree.text_sha256(text))


def stage_locked(src, dest, sha256=None):
    """``stage`` under an exclusive lock beside ``dest``: the workers of one play (one per
    node) stage the same bundle at once, and only the first unpacks it."""
    # Several workers may make the parent at once.
    os.makedirs(os.path.dirname(dest.rstrip(os.sep)), exist_ok=True)
    with _atomic.exclusive_lock(dest.rstrip(os.sep) + ".lock"):
        return stage(src, dest, sha256)


def staged(dest):
    """What ``stage`` returned for the bundle staged at ``dest`` (unchanged); ValidationError
    when it was never staged."""
    text = _atomic.read_text(dest.rstrip(os.sep) + ".manifest.sha256", default="")
    if not text or not os.path.isdir(dest):
        raise ValidationError("%s is not a staged bundle (no folder or no manifest beside it)" % dest)
    return described(text)

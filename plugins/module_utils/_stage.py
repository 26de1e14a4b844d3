# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's cache of an unpacked frontend bundle, shared by the bundle_stage module
and the web_release action (which stages once per controller for every node it serves)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import tempfile
import zipfile

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic, _checksum, _tree
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError, is_within


def unpack(src, dest):
    """Unpack ``src`` into ``dest`` through a temporary folder renamed into place."""
    parent = os.path.dirname(dest.rstrip(os.sep))
    if not os.path.isdir(parent):
        os.makedirs(parent)
    tmp = tempfile.mkdtemp(prefix=".%s." % os.path.basename(dest), dir=parent)
    try:
        with zipfile.ZipFile(src) as archive:
            for member in archive.infolist():
                target = os.path.join(tmp, member.filename)
                if os.path.isabs(member.filename) or not is_within(target, tmp) or (member.external_attr >> 28) == 0xA:
                    raise ValidationError("bundle member %r would land outside the bundle" % member.filename)
            archive.extractall(tmp)
        # mkdtemp makes the folder private; the web servers that get a mirror of it must read it.
        os.chmod(tmp, 0o755)
        if os.path.exists(dest):
            shutil.rmtree(dest)
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def stage(src, dest):
    """Unpack ``src`` into ``dest`` unless the cache already holds it: ``{changed, manifest,
    count, sha256}``, ``manifest`` in the sidecar format, ``sha256`` that of its text.

    Raises ValidationError, IOError/OSError or zipfile.BadZipfile."""
    dest = dest.rstrip(os.sep)
    manifest_file, source_file = dest + ".manifest.sha256", dest + ".source.sha256"
    digest = _checksum.sha256_file(src)[0]
    # The sidecars outlive a removed cache folder (rm -rf <dest>): without the folder, unpack again.
    changed = (_atomic.read_text(source_file, default="").strip() != digest or not os.path.isfile(manifest_file)
               or not os.path.isdir(dest))
    if changed:
        unpack(src, dest)
        text = _tree.manifest_text(_tree.tree_manifest(dest))
        _atomic.write_text_atomic(manifest_file, text)
        _atomic.write_text_atomic(source_file, digest + "\n")
    else:
        text = _atomic.read_text(manifest_file)
    return described(text, changed)


def described(text, changed=False):
    """What ``stage`` returns for a manifest's text."""
    return dict(changed=changed, manifest=text, count=len(text.splitlines()), sha256=_tree.text_sha256(text))


def stage_locked(src, dest):
    """``stage`` under an exclusive lock beside ``dest``: the workers of one play (one per
    node) stage the same bundle at once, and only the first unpacks it."""
    # Several workers may make the parent at once.
    os.makedirs(os.path.dirname(dest.rstrip(os.sep)), exist_ok=True)
    with _atomic.exclusive_lock(dest.rstrip(os.sep) + ".lock"):
        return stage(src, dest)


def staged(dest):
    """What ``stage`` returned for the bundle staged at ``dest`` (unchanged); ValidationError
    when it was never staged."""
    text = _atomic.read_text(dest.rstrip(os.sep) + ".manifest.sha256", default="")
    if not text or not os.path.isdir(dest):
        raise ValidationError("%s is not a staged bundle (no folder or no manifest beside it)" % dest)
    return described(text)

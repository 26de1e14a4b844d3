# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Manifests of folder trees (the frontend bundle) in the sidecar format, and comparisons.

A manifest is ``<sha256>  <relative/posix/path>`` lines sorted by path: the format of
``MANIFEST.sha256`` and of ``sha256sum -c``, so an operator can check a node by hand.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checksum
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def tree_manifest(root):
    """``{relative path: sha256}`` of every regular file under ``root`` (links not followed)."""
    if not os.path.isdir(root):
        raise ValidationError("%s is not a directory" % root)
    found = {}
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in names:
            path = os.path.join(folder, name)
            if os.path.islink(path) or not os.path.isfile(path):
                raise ValidationError("%s is not a regular file" % path)
            found[os.path.relpath(path, root).replace(os.sep, "/")] = _checksum.sha256_file(path)[0]
    return found


def manifest_text(manifest):
    return "".join("%s  %s\n" % (manifest[path], path) for path in sorted(manifest))


def text_sha256(text):
    """The SHA256 of a manifest's text: what a node is given instead of the manifest."""
    return _checksum.sha256_bytes(text.encode("utf-8"))


def parse_manifest(text):
    """The inverse of ``manifest_text``; paths may contain folders, not ``..``."""
    manifest = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        digest, sep, path = line.partition("  ")
        if not sep or ".." in path.split("/") or path.startswith("/"):
            raise ValidationError("manifest line %d %r is not '<sha256>  <relative path>'" % (number, line))
        manifest[path] = _checksum.parse_digest(digest, "manifest line %d digest" % number)
    return manifest


def compare(expected, actual):
    """``{"missing": [...], "extra": [...], "changed": [...]}`` of ``actual`` against ``expected``."""
    return {
        "missing": sorted(set(expected) - set(actual)),
        "extra": sorted(set(actual) - set(expected)),
        "changed": sorted(p for p in set(expected) & set(actual) if expected[p] != actual[p]),
    }


def describe(difference, limit=10):
    parts = []
    for key in ("missing", "extra", "changed"):
        names = difference[key]
        if names:
            shown = ", ".join(names[:limit]) + (" and %d more" % (len(names) - limit) if len(names) > limit else "")
            parts.append("%d %s (%s)" % (len(names), key, shown))
    return "; ".join(parts)

# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over module_utils._releases and _tree: one decision for nginx and IIS nodes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _releases, _tree
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def release_plan(node, version, root=None, platform="linux", verified=None):
    """``node`` is what a node reported: ``link_target``, ``matches``, ``server_running``,
    and (nginx nodes asked about them) ``folders``: ``{name: {exists, matches}}``.
    ``verified`` lists folders found matching by other means (IIS nodes)."""
    if platform not in ("linux", "windows"):
        raise AnsibleFilterError("release_plan: platform %r is not linux or windows" % (platform,))
    folders = node.get("folders") or {}
    ready = list(verified or []) + sorted(name for name, state in folders.items() if state.get("matches"))
    try:
        return _releases.plan(version, node.get("link_target"), node.get("matches"), node.get("server_running"),
                              root=root, windows=platform == "windows", verified=ready)
    except ValidationError as exc:
        raise AnsibleFilterError("release_plan: %s" % to_native(exc))


def switch_back_plan(node, root=None, platform="linux"):
    """The plan back to what ``node`` (a report taken before the switch) had live, or None."""
    if platform not in ("linux", "windows"):
        raise AnsibleFilterError("switch_back_plan: platform %r is not linux or windows" % (platform,))
    return _releases.switch_back(node.get("link_target"), root=root, windows=platform == "windows")


def release_folders(version):
    """The two folders a version takes turns in: ``[<version>, <version>+1]``."""
    try:
        return _releases.version_folders(version)
    except ValidationError as exc:
        raise AnsibleFilterError("release_folders: %s" % to_native(exc))


def release_version(folder):
    """The version a release folder name holds (``1.4.0+1`` -> ``1.4.0``)."""
    version = _releases.folder_version(folder)
    if version is None:
        raise AnsibleFilterError("release_version: %r is not a release folder name" % (folder,))
    return version


def manifest_digest(manifest, path):
    try:
        digests = _tree.parse_manifest(manifest)
    except ValidationError as exc:
        raise AnsibleFilterError("manifest_digest: %s" % to_native(exc))
    if path not in digests:
        raise AnsibleFilterError("manifest_digest: %r is not in the manifest" % (path,))
    return digests[path]


def manifest_paths(manifest):
    """The file paths a manifest lists, sorted."""
    try:
        return sorted(_tree.parse_manifest(manifest))
    except ValidationError as exc:
        raise AnsibleFilterError("manifest_paths: %s" % to_native(exc))


class FilterModule(object):
    def filters(self):
        return {
            "release_plan": release_plan,
            "switch_back_plan": switch_back_plan,
            "release_folders": release_folders,
            "release_version": release_version,
            "manifest_digest": manifest_digest,
            "manifest_paths": manifest_paths,
        }

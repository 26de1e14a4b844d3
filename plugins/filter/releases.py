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


def release_plan(node, version, root=None, platform="linux"):
    """``node`` is what a node reported: ``link_target``, ``matches``, ``server_running``."""
    if platform not in ("linux", "windows"):
        raise AnsibleFilterError("release_plan: platform %r is not linux or windows" % (platform,))
    try:
        return _releases.plan(version, node.get("link_target"), node.get("matches"), node.get("server_running"),
                              root=root, windows=platform == "windows")
    except ValidationError as exc:
        raise AnsibleFilterError("release_plan: %s" % to_native(exc))


def manifest_digest(manifest, path):
    try:
        digests = _tree.parse_manifest(manifest)
    except ValidationError as exc:
        raise AnsibleFilterError("manifest_digest: %s" % to_native(exc))
    if path not in digests:
        raise AnsibleFilterError("manifest_digest: %r is not in the manifest" % (path,))
    return digests[path]


class FilterModule(object):
    def filters(self):
        return {
            "release_plan": release_plan,
            "manifest_digest": manifest_digest,
        }

# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release folders of a web node, and what a deployment must do to one.

A node keeps each release in ``releases/<folder>`` and serves one of them through a live
pointer (an nginx ``current`` link, an IIS site's physical path). The live folder is never
written to: a release that has to be mirrored again (a new version, or the same version
whose live files were changed, removed or added to) goes into a folder that is not live,
and the pointer is switched to it in one step. Two folders per version take turns, so a
version repaired in place of itself is ``<version>+1`` (``+`` cannot occur in a version).

Both platforms hand their raw findings to ``plan``: the nginx nodes from the
``web_node_state`` module, the IIS nodes from PowerShell, so the decision is made once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ntpath
import posixpath
import re

from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, check_version)

RELEASES = "releases"
_SEPARATOR = "+"
_FOLDER_RE = re.compile(r"^(?P<version>[0-9A-Za-z][0-9A-Za-z._-]{0,63})(?:\+(?P<turn>[1-9][0-9]*))?$")


def folder_name(version, turn=0):
    check_version(version)
    return version if not turn else "%s%s%d" % (version, _SEPARATOR, turn)


def version_folders(version):
    """The two folders a version takes turns in: ``[<version>, <version>+1]``."""
    return [folder_name(version), folder_name(version, 1)]


def parse_folder(name):
    """``(version, turn)`` of a release folder name, or None for any other name."""
    match = _FOLDER_RE.match(name or "")
    if not match:
        return None
    return match.group("version"), int(match.group("turn") or 0)


def folder_version(name):
    """The version a release folder name holds (``1.4.0+1`` -> ``1.4.0``), or None for any other name."""
    parsed = parse_folder(name) if isinstance(name, str) else None
    return parsed[0] if parsed else None


def live_version(target):
    """The version of the release folder a live pointer names, or None."""
    return folder_version(live_folder(target))


def live_folder(target):
    """The release folder a live pointer names, or None when it names no release folder.

    ``target`` is what the pointer holds: ``releases/1.4.0`` (a relative link), an absolute
    path, or a Windows path such as ``C:\\inetpub\\routing_ml\\releases\\1.4.0\\``.
    """
    if not target:
        return None
    parts = [p for p in re.split(r"[\\/]+", target) if p]
    if len(parts) < 2 or parts[-2].lower() != RELEASES or parse_folder(parts[-1]) is None:
        return None
    return parts[-1]


def release_path(root, folder, windows=False):
    """``<root>/releases/<folder>`` with the node's own separators."""
    return (ntpath if windows else posixpath).join(root, RELEASES, folder)


def plan(version, target, matches, server_running=True, root=None, windows=False, verified=()):
    """What a node needs: ``up_to_date`` (nothing to mirror or switch), ``destination``
    (the folder to switch to when it is not) and its ``path`` under ``root``, ``mirror``
    (whether the bundle must be mirrored into it first), ``start_server``, and what is live.

    ``verified`` names release folders of ``version`` on the node that were checked against
    the version's manifest and match: one that is not live is switched to as it is (a
    rollback, or a version that comes back), so nothing is copied."""
    check_version(version)
    live = live_folder(target)
    live_release = folder_version(live)
    if matches not in (True, False):
        raise ValidationError("matches %r must be true or false" % (matches,))
    up_to_date = bool(live_release == version and matches)
    candidates = version_folders(version)
    ready = [name for name in candidates if name in (verified or ()) and name != live]
    if up_to_date:
        destination = live
    elif ready:
        destination = ready[0]
    else:
        destination = next(name for name in candidates if name != live)
    return {
        "up_to_date": up_to_date,
        "live": live,
        "live_version": live_release,
        "destination": destination,
        "path": release_path(root, destination, windows) if root else None,
        "mirror": not up_to_date and not ready,
        "start_server": server_running is False,
    }


def switch_back(target_before, root=None, windows=False):
    """The plan that puts the live pointer back where it was before a switch (``target_before``
    is what the pointer held then), or None when no release folder was live. Nothing is
    mirrored: the run never wrote to the folder that was live."""
    live = live_folder(target_before)
    if live is None:
        return None
    return {
        "up_to_date": False,
        "live": None,
        "live_version": None,
        "destination": live,
        "path": release_path(root, live, windows) if root else None,
        "mirror": False,
        "start_server": False,
    }

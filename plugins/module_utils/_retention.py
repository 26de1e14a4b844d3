# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which release folders of a web node may go, so that they do not pile up (issue 9 item 5).

A node keeps what the caller protects (the live folder, the rollback target, anything else
named in ``keep``) and the ``count`` newest of the other release folders; the rest may be
removed. Names in ``releases/`` that are not release folder names (``.tmp-rsync``,
``notes.txt``, a ``.deleting-...`` left by an interrupted prune) are reported and never
chosen, so a tool's scratch space or an operator's note is never lost to a prune.

Both platforms hand what they listed to ``plan``: the nginx nodes from the
``release_retention`` module, the IIS nodes through the ``release_prune`` filter on what
``win_find`` returned, so the decision is made once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
from collections.abc import Mapping

from ansible.module_utils.common.collections import is_sequence

from ansible_collections.routing_ml.deploy.plugins.module_utils._releases import parse_folder
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def _is_number(value):
    # bool is an int to Python; a true/false that slipped in for a time is a caller's mistake.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_count(count):
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValidationError("count %r is not valid: expected a whole number 0 or more" % (count,))
    return count


def check_keep(keep):
    """The protected names: a non-empty list of release folder names.

    Empty is refused: a node that is pruned always serves something, and a caller that
    names nothing has lost track of what that is.
    """
    if not is_sequence(keep):
        raise ValidationError("keep %r is not valid: expected a list of release folder names" % (keep,))
    if not keep:
        raise ValidationError("keep [] names no release: expected at least the live release folder")
    for name in keep:
        if not isinstance(name, str) or parse_folder(name) is None:
            raise ValidationError(
                "keep name %r is not a release folder name: expected <version> or <version>+<n>" % (name,))
    return sorted(set(keep))


def check_folders(folders):
    if not is_sequence(folders):
        raise ValidationError("folders %r is not valid: expected a list of {name, mtime}" % (folders,))
    seen = {}
    for index, folder in enumerate(folders):
        if not isinstance(folder, Mapping):
            raise ValidationError("folder %d %r is not valid: expected {name, mtime}" % (index + 1, folder))
        name, mtime = folder.get("name"), folder.get("mtime")
        if not isinstance(name, str) or not name:
            raise ValidationError("folder %d name %r is not valid: expected a non-empty string" % (index + 1, name))
        if not _is_number(mtime) or math.isnan(mtime):
            raise ValidationError(
                "folder %r mtime %r is not valid: expected seconds since the epoch" % (name, mtime))
        if name in seen:
            raise ValidationError("folder %r is listed twice: expected each name once" % (name,))
        seen[name] = mtime
    return seen


def check_live(live, keep):
    """Refuse a ``keep`` that does not name the live release folder ``live``."""
    if not isinstance(live, str) or parse_folder(live) is None:
        raise ValidationError("live %r is not a release folder name: expected <version> or <version>+<n>" % (live,))
    if live not in keep:
        raise ValidationError(
            "the live release %r is not in keep %r: refusing to prune, the live release must never be removable"
            % (live, sorted(set(keep))))
    return live


def plan(folders, keep, count, live=None):
    """``{"keep": [...], "remove": [...], "ignored": [...]}``, each sorted by name.

    ``folders`` is what the node has, ``[{"name": ..., "mtime": ...}]``. Every name in
    ``keep`` stays; ``keep`` in the answer lists the release folders that are present and
    stay (a protected name the node does not have is simply never removable). Of the other
    release folders the ``count`` newest stay and the rest are in ``remove``; ``ignored``
    lists the names that are not release folder names, which are never removed.

    ``live``, when the caller knows it (the folder the live pointer names), must be in
    ``keep``: a caller whose ``keep`` misses the live release has made a mistake, and
    pruning is refused rather than ever offering the live release for removal.

    Why modification time is good enough here: it decides only *how many* of the
    unprotected old releases remain, never which release is live or which one a rollback
    returns to. Those are named explicitly in ``keep`` by a caller that knows them (from
    the live pointer and the deployment record), so a clock that was wrong, a folder whose
    time was carried over by ``rsync --times`` or touched by an operator, at worst keeps a
    different old release than intended; it can never remove a protected one. Ties are
    broken by name (descending) so that the same listing always gives the same answer.
    """
    times = check_folders(folders)
    protected = check_keep(keep)
    count = check_count(count)
    if live is not None:
        check_live(live, protected)
    ignored = sorted(name for name in times if parse_folder(name) is None)
    releases = [name for name in times if parse_folder(name) is not None]
    others = sorted((name for name in releases if name not in protected),
                    key=lambda name: (times[name], name), reverse=True)
    return {
        "keep": sorted([name for name in releases if name in protected] + others[:count]),
        "remove": sorted(others[count:]),
        "ignored": ignored,
    }

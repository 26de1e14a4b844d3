# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter over module_utils._retention: which release folders an IIS node may prune.

The nginx nodes prune with the ``release_retention`` module; the IIS nodes list with
``win_find`` and delete with ``win_file``, and this filter makes the decision in between,
so both platforms keep and remove by the same rule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _retention
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def _entries(folders):
    """``(folders, ignored)``: ``{name, mtime}`` items as they are, win_find's ``files`` items
    translated. A win_find item that is a link, a junction or not a directory is ignored
    whatever its name: it is never followed and never deleted."""
    if not isinstance(folders, list):
        return folders, []  # _retention names what is wrong with it
    plain, ignored = [], []
    for item in folders:
        if isinstance(item, dict) and "filename" in item and "name" not in item:
            if item.get("islnk") or item.get("isjunction") or item.get("isdir") is False:
                ignored.append(item["filename"])
                continue
            item = {"name": item["filename"], "mtime": item.get("lastwritetime")}
        plain.append(item)
    return plain, ignored


def _count(count):
    # -e routing_ml_frontend_keep_releases=5 arrives as a string, as the module's int option
    # would take it; anything else that is not a whole number is left for _retention to refuse
    # (never "| int", which turns a typo into 0 and so prunes everything unprotected).
    if isinstance(count, str) and re.match(r"^[0-9]+$", count):
        return int(count)
    return count


def release_prune(folders, keep, count, live=None):
    plain, ignored = _entries(folders)
    try:
        decision = _retention.plan(plain, keep, _count(count), live=live)
    except ValidationError as exc:
        raise AnsibleFilterError("release_prune: %s" % to_native(exc))
    decision["ignored"] = sorted(decision["ignored"] + ignored)
    return decision


class FilterModule(object):
    def filters(self):
        return {
            "release_prune": release_prune,
        }

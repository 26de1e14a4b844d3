#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: release_retention
short_description: Prune old release folders of an nginx node, never the live one or a rollback target
description:
  - Lists the release folders in O(root)C(/releases) (C(<version>) and C(<version>+<n>)), keeps
    every folder named in O(keep) and the O(count) newest of the others (by modification time),
    and deletes the rest.
  - Only real directories count. A symbolic link or a file with a release folder name is reported
    in RV(ignored), never followed and never deleted; so is anything whose name is not a release
    folder name (C(.tmp-rsync), C(notes.txt)).
  - Each folder is first renamed to C(releases/.deleting-<name>-<random>) (one atomic step) and
    then removed, so nginx, a rollback or a deployment never sees a half-deleted release under
    its real name. An interrupted run leaves only such a C(.deleting-) folder behind, which later
    runs ignore.
  - Refuses, deleting nothing, when the release the C(current) link points at is not in O(keep) -
    the caller has lost track of what is live, and removing the live release must be impossible.
  - The decision is the one the C(routing_ml.deploy.release_prune) filter makes for IIS nodes.
version_added: 0.3.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  root:
    description: The node's web root, holding C(releases/) and the C(current) link.
    type: path
    required: true
  keep:
    description:
      - Release folder names that stay whatever their age, at least one - the live release, the
        rollback target, anything else the caller protects. A name the node does not have is
        allowed (it is simply never removable).
      - Must include the release the C(current) link points at.
    type: list
    elements: str
    required: true
  count:
    description:
      - How many of the other release folders stay, the newest first. V(0) keeps only O(keep).
    type: int
    default: 3
attributes:
  check_mode:
    support: full
    details: Lists and decides as a real run does and reports what it would remove; deletes nothing.
  diff_mode:
    support: full
    details: Shows the release folders before and after pruning, one name a line.
  platform:
    platforms: posix
    support: full
    details: nginx nodes; IIS nodes use the C(routing_ml.deploy.release_prune) filter with C(win_find) and C(win_file).
notes:
  - Modification time decides only how many unprotected old releases remain. The rollback target
    is never chosen by time; it is protected by naming it in O(keep).
  - A folder mirrored with C(rsync --times) carries the time of the folder it was copied from, so
    the order is that of the staged bundles rather than of the deployments; either is fine for
    choosing which old releases to let go.
seealso:
  - module: routing_ml.deploy.web_node_state
"""

EXAMPLES = r"""
- name: Keep the live release, the rollback target and the three newest others
  routing_ml.deploy.release_retention:
    root: /srv/routing_ml/www
    keep: ["1.4.0+1", "1.3.2"]
    count: 3
  register: pruned
"""

RETURN = r"""
removed:
  description: The release folders deleted (in check mode, that would be deleted), sorted.
  returned: success
  type: list
  elements: str
  sample: ["1.2.0", "1.2.1"]
kept:
  description: The release folders present that stay, sorted.
  returned: success
  type: list
  elements: str
  sample: ["1.3.0", "1.3.1", "1.3.2", "1.4.0", "1.4.0+1"]
ignored:
  description:
    - Names in C(releases/) that were neither kept nor removed - names that are not release folder
      names, and links or files with a release folder name - sorted.
  returned: success
  type: list
  elements: str
  sample: [".tmp-rsync", "notes.txt"]
"""

import os
import shutil
import stat
import uuid

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _retention
from ansible_collections.routing_ml.deploy.plugins.module_utils._releases import RELEASES, parse_folder
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

LINK = "current"


def is_real_directory(path):
    """A directory that is not a link: the only kind of entry ever deleted."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def listing(releases):
    """``(folders, ignored)``: the real directories with their times, and every other entry."""
    folders, ignored = [], []
    if not os.path.isdir(releases):
        return folders, ignored
    for name in os.listdir(releases):
        try:
            info = os.lstat(os.path.join(releases, name))
        except OSError:
            continue  # gone since listdir: nothing to decide about
        if stat.S_ISDIR(info.st_mode):
            folders.append(dict(name=name, mtime=info.st_mtime))
        else:
            ignored.append(name)
    return folders, ignored


def live_release(root, releases):
    """The release folder ``current`` resolves into, or None.

    Resolved, not read: a link that reaches a release through another link (or through a
    link named like a release) still protects the folder it really serves.
    """
    pointer = os.path.join(root, LINK)
    if not os.path.lexists(pointer):
        return None
    real = os.path.realpath(pointer)
    base = os.path.realpath(releases)
    if not real.startswith(base.rstrip(os.sep) + os.sep):
        return None
    name = os.path.relpath(real, base).split(os.sep)[0]
    return name if parse_folder(name) is not None else None


def lines(names):
    return "".join("%s\n" % name for name in sorted(names))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path", required=True),
            keep=dict(type="list", elements="str", required=True),
            count=dict(type="int", default=3),
        ),
        supports_check_mode=True,
    )
    root, keep, count = module.params["root"], module.params["keep"], module.params["count"]
    releases = os.path.join(root, RELEASES)
    result = dict(changed=False, removed=[], kept=[], ignored=[])
    try:
        folders, not_folders = listing(releases)
    except OSError as exc:
        module.fail_json(msg="cannot list %s: %s" % (releases, to_native(exc)), **result)
    try:
        decision = _retention.plan(folders, keep, count)
    except ValidationError as exc:
        module.fail_json(msg="%s; nothing deleted" % to_native(exc), **result)
    live = live_release(root, releases)
    if live is not None:
        try:
            _retention.check_live(live, keep)
        except ValidationError as exc:
            pointer = os.path.join(root, LINK)
            module.fail_json(msg="%s -> %s serves %s: %s; nothing deleted"
                             % (pointer, os.readlink(pointer) if os.path.islink(pointer) else "(not a link)", live,
                                to_native(exc)), **result)
    result.update(kept=decision["keep"], ignored=sorted(decision["ignored"] + not_folders))
    if module._diff:
        result["diff"] = dict(before_header=releases, after_header=releases,
                              before=lines(decision["keep"] + decision["remove"]), after=lines(decision["keep"]))
    for name in decision["remove"]:
        path = os.path.join(releases, name)
        if module.check_mode:
            result["removed"].append(name)
            continue
        if not is_real_directory(path):
            # Replaced by a link (or gone) since the listing: never follow it, leave it be.
            result["ignored"] = sorted(result["ignored"] + [name])
            continue
        doomed = os.path.join(releases, ".deleting-%s-%s" % (name, uuid.uuid4().hex[:12]))
        try:
            os.rename(path, doomed)
        except OSError as exc:
            module.fail_json(msg="cannot move %s aside to %s: %s" % (path, doomed, to_native(exc)), **result)
        # From here the release is gone under its real name: count it, even if the files resist.
        result.update(changed=True, removed=result["removed"] + [name])
        try:
            shutil.rmtree(doomed)
        except OSError as exc:
            module.fail_json(msg="moved %s aside, but cannot remove %s: %s" % (path, doomed, to_native(exc)), **result)
    result["changed"] = bool(result["removed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()

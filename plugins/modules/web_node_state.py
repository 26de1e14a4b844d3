#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: web_node_state
short_description: What an nginx node serves now, verified file by file, and whether nginx runs
description:
  - Reads the live pointer O(root)/O(link) (the C(current) link), hashes the release folder it
    points at and compares it with O(expected), and tells whether the web server named by
    O(pidfile) is running. Changes nothing.
  - The frontend role hands this to the C(routing_ml.deploy.release_plan) filter, which decides
    whether the node is up to date and which release folder a new mirror goes into; IIS nodes
    report the same facts from PowerShell.
version_added: 0.2.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.read_only
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  root:
    description: The node's web root, holding C(releases/) and the live pointer.
    type: path
    required: true
  link:
    description: The live pointer, a symbolic link relative to O(root).
    type: str
    default: current
  expected:
    description:
      - The manifest (sidecar format) the live release must match.
      - Exactly one of O(expected) and O(manifest_sha256) is given.
    type: str
  manifest_sha256:
    description:
      - The SHA256 of the manifest's text the live release must match, instead of the manifest
        itself (O(expected)), so that a bundle of thousands of files costs the node one digest
        as its argument. The node hashes its release, writes the manifest's text and compares
        digests.
      - RV(difference) is then null; with O(report_version), a live release of that version
        that does not match returns its own manifest (RV(manifest)) for the caller to compare.
    type: str
    version_added: 0.5.0
  report_version:
    description:
      - With O(manifest_sha256), the version whose live release, when it does not match, is
        reported file by file in RV(manifest), so that the caller of a repair names what changed.
    type: str
    version_added: 0.5.0
  pidfile:
    description:
      - The web server's pid file. When given, RV(server_running) says whether the process it
        names is running (and, where C(/proc) exists, is called O(process_name)).
    type: path
  process_name:
    description: The web server's process name, so that a stale pid file naming a reused pid is not taken for it.
    type: str
    default: nginx
  folders:
    description:
      - Release folder names under C(releases/) to check against O(expected) as well (a rollback
        asks about the folders of its target version before it switches to one).
      - A name that is not a release folder name is refused.
    type: list
    elements: str
    default: []
attributes:
  platform:
    platforms: posix
    support: full
    details: nginx nodes; IIS nodes answer from the frontend role's PowerShell.
"""

EXAMPLES = r"""
- name: What does this node serve?
  routing_ml.deploy.web_node_state:
    root: /srv/routing_ml/www
    expected: "{{ bundle.manifest }}"
    pidfile: /run/nginx.pid
  register: node
"""

RETURN = r"""
link_target:
  description: Where the live pointer points, or null when it is missing or not a link.
  returned: success
  type: str
  sample: releases/1.4.0
matches:
  description: Whether the live release holds exactly the files of O(expected), with their digests.
  returned: success
  type: bool
  sample: true
difference:
  description: Missing, extra and changed files of the live release against O(expected); null when nothing is live.
  returned: success
  type: dict
  sample: {missing: [], extra: [debug.js], changed: [index.html]}
  contains:
    invalid:
      description: Why the live release could not be hashed (a link or special file in it); only then.
      type: list
      elements: str
folders:
  description: For each of O(folders), whether it exists (a real folder, not a link) and matches O(expected).
  returned: success
  type: dict
  sample: {"1.3.0": {exists: true, matches: true}, "1.3.0+1": {exists: false, matches: false}}
releases_folder:
  description: Whether O(root)C(/releases) is a folder (a fresh node has none yet).
  returned: success
  type: bool
  version_added: 0.5.0
live_sha256:
  description: With O(manifest_sha256), the SHA256 of the live release's manifest text; null when nothing is live.
  returned: with O(manifest_sha256)
  type: str
  version_added: 0.5.0
manifest:
  description: The live release's manifest, only for O(report_version)'s release when it does not match.
  returned: success
  type: str
  version_added: 0.5.0
switched:
  description:
    - Whether the live pointer named another folder (or none) once the release it named had been
      hashed; RV(matches) is then false. A deployment switched the node meanwhile.
  returned: success
  type: bool
  version_added: 0.5.0
server_running:
  description: Whether the web server runs; null without O(pidfile).
  returned: success
  type: bool
  sample: true
"""

import errno
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checksum, _releases, _tree
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def process_running(pidfile, name):
    try:
        with open(pidfile) as handle:
            pid = int(handle.read().split()[0])
    except (IOError, OSError, ValueError, IndexError):
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:
        if exc.errno != errno.EPERM:  # EPERM: it exists, owned by another user
            return False
    try:
        with open("/proc/%d/comm" % pid) as handle:
            return handle.read().strip() == name
    except (IOError, OSError):
        return not os.path.isdir("/proc/self")


def matches(expected, tree):
    """``expected`` is a manifest (a dict) or the SHA256 of a manifest's text."""
    if isinstance(expected, dict):
        return not any(_tree.compare(expected, tree).values())
    return _tree.text_sha256(_tree.manifest_text(tree)) == expected


def folder_state(path, expected):
    """Whether a release folder exists and holds exactly ``expected``; unreadable counts as no match."""
    if os.path.islink(path) or not os.path.isdir(path):
        return dict(exists=False, matches=False)
    try:
        return dict(exists=True, matches=matches(expected, _tree.tree_manifest(path)))
    except (ValidationError, IOError, OSError):
        return dict(exists=True, matches=False)


def live_state(folder, target, expected, report_version):
    """What is reported of the live release: ``matches`` and, against a manifest, its
    ``difference``; against a digest, ``live_sha256`` and, for a repair of
    ``report_version``, the live manifest. Raises IOError/OSError when it cannot be read."""
    try:
        tree = _tree.tree_manifest(folder)
    except ValidationError as exc:
        # A link or device planted in the live release: not the bundle, so mirror anew.
        return dict(matches=False, difference=dict(missing=[], extra=[], changed=[], invalid=[to_native(exc)]))
    if isinstance(expected, dict):
        difference = _tree.compare(expected, tree)
        return dict(matches=not any(difference.values()), difference=difference)
    text = _tree.manifest_text(tree)
    result = dict(live_sha256=_tree.text_sha256(text))
    result["matches"] = result["live_sha256"] == expected
    parsed = _releases.parse_folder(_releases.live_folder(target) or "")
    if not result["matches"] and report_version and parsed and parsed[0] == report_version:
        result["manifest"] = text
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path", required=True),
            link=dict(type="str", default="current"),
            expected=dict(type="str"),
            manifest_sha256=dict(type="str"),
            report_version=dict(type="str"),
            pidfile=dict(type="path"),
            process_name=dict(type="str", default="nginx"),
            folders=dict(type="list", elements="str", default=[]),
        ),
        mutually_exclusive=[("expected", "manifest_sha256")],
        required_one_of=[("expected", "manifest_sha256")],
        supports_check_mode=True,
    )
    params = module.params
    pointer = os.path.join(params["root"], params["link"])
    result = dict(changed=False, matches=False, difference=None, server_running=None, switched=False,
                  link_target=os.readlink(pointer) if os.path.islink(pointer) else None,
                  releases_folder=os.path.isdir(os.path.join(params["root"], _releases.RELEASES)))
    if params["pidfile"]:
        result["server_running"] = process_running(params["pidfile"], params["process_name"])
    try:
        if params["manifest_sha256"] is not None:
            expected = _checksum.parse_digest(params["manifest_sha256"], "manifest_sha256")
            result["live_sha256"] = None
        else:
            expected = _tree.parse_manifest(params["expected"])
    except ValidationError as exc:
        module.fail_json(msg="%s: %s" % ("manifest_sha256" if params["manifest_sha256"] else "expected", to_native(exc)),
                         **result)
    # The folder the pointer named when it was read, not the pointer: a switch during the
    # hash must not mix two releases into one answer.
    folder = os.path.join(os.path.dirname(pointer), result["link_target"] or "")
    if result["link_target"] is not None and os.path.isdir(folder):
        try:
            result.update(live_state(folder, result["link_target"], expected, params["report_version"]))
        except (IOError, OSError) as exc:
            module.fail_json(msg="cannot read %s: %s" % (pointer, to_native(exc)), **result)
        result["switched"] = not os.path.islink(pointer) or os.readlink(pointer) != result["link_target"]
        if result["switched"]:
            result["matches"] = False
    result["folders"] = {}
    for name in params["folders"]:
        if _releases.parse_folder(name) is None:
            module.fail_json(msg="folders: %r is not a release folder name (<version> or <version>+<n>)" % (name,),
                             **result)
        result["folders"][name] = folder_state(os.path.join(params["root"], _releases.RELEASES, name), expected)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

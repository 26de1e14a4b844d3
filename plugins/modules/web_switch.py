#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: web_switch
short_description: Verify a release folder of an nginx node by digest, switch the live link to it, and reload nginx
description:
  - On an nginx node, in one step, what the frontend role did in four tasks before C(web_release)
    (which runs this module after its mirror).
  - Hashes O(root)C(/releases/)O(folder), writes its manifest's text and compares the text's
    SHA256 with O(manifest_sha256); a folder that differs is never switched to (the module
    fails and returns the folder's manifest, so that the caller names the files).
  - Points the live link O(root)/O(link) at C(releases/)O(folder) through a new link renamed
    over the old one, so nginx sees the old release or the new one, never none.
  - Tests the nginx configuration before the switch (a configuration nginx refuses leaves the
    node as it was) and reloads nginx when the link changed (a reload drops
    cached file handles of the old release). Starting a stopped nginx is the caller's (the
    service module's) work.
version_added: 0.5.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  root:
    description: The node's web root, holding C(releases/) and the live link.
    type: path
    required: true
  link:
    description: The live link, relative to O(root).
    type: str
    default: current
  folder:
    description: The release folder under C(releases/) to switch to (C(<version>) or C(<version>+<n>)).
    type: str
    required: true
  manifest_sha256:
    description: The SHA256 of the manifest's text (sidecar format) that O(folder) must hold exactly.
    type: str
    required: true
  command:
    description: The nginx command with the node's own flags; C(-t) and C(-s reload) are added to it.
    type: list
    elements: str
    default: [/usr/sbin/nginx]
  reload:
    description:
      - Reload nginx when the link changed. Off when nginx does not run (the caller starts it
        after the switch, with the service module).
    type: bool
    default: true
  test:
    description: Test the nginx configuration even when the link does not change (before the caller starts nginx).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Reports whether the link would change; nothing is hashed, tested, started or reloaded.
  diff_mode:
    support: full
    details: The link's target before and after.
  platform:
    platforms: posix
    support: full
"""

EXAMPLES = r"""
- name: Switch to the verified release and reload nginx
  routing_ml.deploy.web_switch:
    root: /srv/routing_ml/www
    folder: 1.4.0
    manifest_sha256: "{{ bundle.sha256 }}"
"""

RETURN = r"""
switched:
  description: Whether the live link changed.
  returned: always
  type: bool
before:
  description: The live link's target before, or null.
  returned: always
  type: str
  sample: releases/1.3.0
after:
  description: The live link's target now.
  returned: always
  type: str
  sample: releases/1.4.0
reloaded:
  description: Whether nginx was reloaded.
  returned: success
  type: bool
manifest:
  description: The folder's own manifest, when it does not match O(manifest_sha256).
  returned: failure
  type: str
"""

import os
import uuid

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checksum, _releases, _tree
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def folder_manifest(path):
    """The manifest text of a release folder, or None with the reason it cannot be hashed."""
    try:
        return _tree.manifest_text(_tree.tree_manifest(path)), None
    except ValidationError as exc:
        return None, to_native(exc)


def replace_link(pointer, target):
    """Point ``pointer`` at ``target`` through a new link renamed over it (one atomic step)."""
    tmp = os.path.join(os.path.dirname(pointer), ".%s.%s" % (os.path.basename(pointer), uuid.uuid4().hex[:8]))
    os.symlink(target, tmp)
    try:
        os.rename(tmp, pointer)
    except OSError:
        os.unlink(tmp)
        raise


def nginx(module, result, args, what):
    rc, out, err = module.run_command(module.params["command"] + args)
    if rc:
        module.fail_json(msg="%s failed (rc %d): %s" % (what, rc, (err or out).strip()), **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            root=dict(type="path", required=True),
            link=dict(type="str", default="current"),
            folder=dict(type="str", required=True),
            manifest_sha256=dict(type="str", required=True),
            command=dict(type="list", elements="str", default=["/usr/sbin/nginx"]),
            reload=dict(type="bool", default=True),
            test=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if _releases.parse_folder(params["folder"]) is None:
        module.fail_json(msg="folder: %r is not a release folder name (<version> or <version>+<n>)" % (params["folder"],))
    try:
        expected = _checksum.parse_digest(params["manifest_sha256"], "manifest_sha256")
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    pointer = os.path.join(params["root"], params["link"])
    before = os.readlink(pointer) if os.path.islink(pointer) else None
    after = "%s/%s" % (_releases.RELEASES, params["folder"])
    result = dict(changed=False, switched=before != after, before=before, after=after, reloaded=False)
    if module._diff:
        result["diff"] = dict(before="%s -> %s\n" % (params["link"], before), after="%s -> %s\n" % (params["link"], after))
    if module.check_mode:
        result["changed"] = result["switched"]
        module.exit_json(**result)
    path = os.path.join(params["root"], _releases.RELEASES, params["folder"])
    # What a refusal returns: the link as it was.
    refused = dict(result)
    refused.update(switched=False)
    if os.path.islink(path) or not os.path.isdir(path):
        module.fail_json(msg="%s is not a release folder on the node: nothing switched" % path,
                         **refused)
    text, invalid = folder_manifest(path)
    if text is None or _tree.text_sha256(text) != expected:
        module.fail_json(msg="%s does not match the manifest (%s): nothing switched" % (path, invalid or "digest differs"),
                         manifest=text, **refused)
    if os.path.lexists(pointer) and not os.path.islink(pointer):
        module.fail_json(msg="%s exists and is not a link: nothing switched" % pointer, **refused)
    # Before the switch: a configuration nginx refuses leaves the node as it was.
    if result["switched"] or params["test"]:
        nginx(module, refused, ["-t"], "nginx -t")
    try:
        if result["switched"]:
            replace_link(pointer, after)
    except OSError as exc:
        module.fail_json(msg="cannot switch %s: %s" % (pointer, to_native(exc)), **refused)
    result["changed"] = result["switched"]
    if result["switched"] and params["reload"]:
        nginx(module, result, ["-s", "reload"], "nginx -s reload")
        result["reloaded"] = True
    module.exit_json(**result)


if __name__ == "__main__":
    main()

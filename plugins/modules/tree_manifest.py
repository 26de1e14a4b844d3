#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tree_manifest
short_description: SHA256 manifest of a folder tree, and verification against one
description:
  - Hashes every file under O(path) and returns the manifest in the sidecar format
    (C(<sha256>  <relative path>), sorted), what C(sha256sum -c) reads.
  - With O(expected), fails unless the tree holds exactly those files with those digests,
    naming the missing, extra and changed files. This is how a web node proves that its
    release folder mirrors the bundle.
  - With O(dest), also writes the manifest there (atomically; unchanged content is left alone).
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.file_host
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  path:
    description: The folder.
    type: path
    required: true
  expected:
    description: The manifest the folder must match.
    type: str
  dest:
    description: A file to write the manifest to.
    type: path
  fail_on_mismatch:
    description:
      - Fail when the tree does not match O(expected). With V(false), report C(matches) instead,
        also when O(path) does not exist, so that a play can decide what to do.
    type: bool
    default: true
  link:
    description: A symbolic link whose target to report as RV(link_target) (the live path).
    type: path
attributes:
  check_mode:
    support: full
    details: Reads and compares; reports whether O(dest) would change without writing it.
  diff_mode:
    support: none
    details: Not shown; the manifest can be thousands of lines.
  platform:
    details: POSIX hosts; Windows nodes run the frontend role's PowerShell counterpart.
"""

EXAMPLES = r"""
- name: The release folder on this node is the bundle, file for file
  routing_ml.deploy.tree_manifest:
    path: /srv/routing_ml/www/releases/1.4.0
    expected: "{{ bundle_manifest.manifest }}"
"""

RETURN = r"""
manifest:
  description: The manifest of the tree.
  returned: success
  type: str
  sample: "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b  index.html\n"
count:
  description: Number of files.
  returned: success
  type: int
  sample: 2000
sha256:
  description: SHA256 of the manifest text, one value that stands for the whole tree.
  returned: success
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
difference:
  description: Missing, extra and changed files against O(expected).
  returned: when O(expected) is given
  type: dict
  sample: {missing: [], extra: [old.js], changed: []}
matches:
  description: Whether the tree matches O(expected).
  returned: when O(expected) is given
  type: bool
  sample: true
link_target:
  description: Where O(link) points, or null when it is not a link.
  returned: when O(link) is given
  type: str
  sample: releases/1.4.0
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic, _tree
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            expected=dict(type="str"),
            dest=dict(type="path"),
            fail_on_mismatch=dict(type="bool", default=True),
            link=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False)
    if params["link"]:
        result["link_target"] = os.readlink(params["link"]) if os.path.islink(params["link"]) else None
    try:
        if params["expected"] is not None and not params["fail_on_mismatch"] and not os.path.isdir(params["path"]):
            module.exit_json(matches=False, difference=None, count=0, manifest="", sha256=None, **result)
        actual = _tree.tree_manifest(params["path"])
        text = _tree.manifest_text(actual)
        result.update(manifest=text, count=len(actual), sha256=_tree.text_sha256(text))
        if params["expected"] is not None:
            difference = _tree.compare(_tree.parse_manifest(params["expected"]), actual)
            result.update(difference=difference, matches=not any(difference.values()))
            if not result["matches"] and params["fail_on_mismatch"]:
                module.fail_json(msg="%s does not match its manifest: %s" % (
                    params["path"], _tree.describe(difference)), **result)
        if params["dest"] and _atomic.read_text(params["dest"], default="") != text:
            result["changed"] = True
            if not module.check_mode:
                _atomic.write_text_atomic(params["dest"], text)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot read %s: %s" % (params["path"], to_native(exc)))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

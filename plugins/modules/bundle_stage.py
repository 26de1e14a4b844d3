#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: bundle_stage
short_description: Unpack the frontend bundle once into a cache folder and return its manifest
description:
  - Unpacks a bundle zip into O(dest) through a temporary folder renamed into place, so the
    cache is never half-unpacked, and writes the tree's manifest beside it
    (C(<dest>.manifest.sha256), sidecar format) with the zip's SHA256 in C(<dest>.source.sha256).
  - The zip is read once; its manifest is taken from the zip's members, never from the cache.
    The cache folder is hashed at every call and unpacked again when it does not hold exactly the
    zip's files (a file edited, added or removed there, or the folder missing), so a cache is never
    trusted because it exists. An unchanged re-deploy unpacks nothing.
  - With O(sha256), a zip whose digest differs (it changed since the run pinned it) is refused,
    naming both digests, and nothing is staged.
  - Refuses members that would land outside O(dest) (absolute paths, C(..), links).
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.controller
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  src:
    description: The bundle zip.
    type: path
    required: true
  dest:
    description: The cache folder.
    type: path
    required: true
  sha256:
    description: The SHA256 the zip must have (the digest the run pinned at its start).
    type: str
attributes:
  check_mode:
    support: none
    details: The cache is controller-side scratch space; run the task with C(check_mode=false).
  diff_mode:
    support: none
    details: Nothing to show.
"""

EXAMPLES = r"""
- name: Unpack the bundle (once per version)
  routing_ml.deploy.bundle_stage:
    src: "{{ routing_ml_workspace }}/build/frontend/RoutingMLFrontend_1.4.0.zip"
    dest: "{{ routing_ml_workspace }}/.stage/frontend/1.4.0"
  delegate_to: localhost
  check_mode: false
"""

RETURN = r"""
manifest:
  description: The unpacked tree's manifest.
  returned: success
  type: str
  sample: "3a7b...  index.html\n"
count:
  description: Number of files.
  returned: success
  type: int
  sample: 2000
sha256:
  description: SHA256 of the manifest text.
  returned: success
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
source_sha256:
  description: SHA256 of the zip that was staged.
  returned: success
  type: str
  sample: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
"""

import zipfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _stage
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def main():
    module = AnsibleModule(
        argument_spec=dict(src=dict(type="path", required=True), dest=dict(type="path", required=True),
                           sha256=dict(type="str")),
        supports_check_mode=False,
    )
    src, dest = module.params["src"], module.params["dest"].rstrip("/")
    try:
        result = _stage.stage(src, dest, module.params["sha256"])
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError, zipfile.BadZipfile) as exc:
        module.fail_json(msg="cannot unpack %s: %s" % (src, to_native(exc)))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

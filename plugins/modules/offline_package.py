#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: offline_package
short_description: Build the offline frontend package for sites without VPN (SOP 4.4)
description:
  - Writes a reproducible zip holding the unpacked frontend bundle under C(RoutingMLFrontend/),
    its C(MANIFEST.sha256) and a verification script that an operator runs before uploading
    the files to a local IIS. The same bundle gives the same zip, byte for byte.
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.controller
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  src:
    description: The unpacked bundle.
    type: path
    required: true
  dest:
    description: The zip to write, e.g. C(build/windows/RoutingMLFrontend_<ver>.zip).
    type: path
    required: true
  script:
    description: The verification script to include.
    type: path
    required: true
  manifest:
    description:
      - The files O(src) must hold (sidecar format), the bundle zip's own manifest. A tree that
        differs is refused, naming the first files that differ, and the package's
        C(MANIFEST.sha256) is written from this manifest, so a file changed afterwards fails the
        site's verification script.
    type: str
attributes:
  check_mode:
    support: full
    details: Builds the zip aside and reports whether it would change.
  diff_mode:
    support: none
    details: Binary content.
"""

EXAMPLES = r"""
- name: Offline package for non-VPN sites
  routing_ml.deploy.offline_package:
    src: "{{ routing_ml_workspace }}/.stage/frontend/1.4.0"
    dest: "{{ routing_ml_workspace }}/build/windows/RoutingMLFrontend_1.4.0.zip"
    script: "{{ role_path }}/files/Verify-RoutingMLFrontend.ps1"
  delegate_to: localhost
"""

RETURN = r"""
sha256:
  description: SHA256 of the zip.
  returned: success
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
files:
  description: Number of bundle files in the package.
  returned: success
  type: int
  sample: 2000
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _tree, _zip
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

FOLDER = "RoutingMLFrontend"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path", required=True),
            dest=dict(type="path", required=True),
            script=dict(type="path", required=True),
            manifest=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        manifest = _tree.tree_manifest(params["src"])
        if params["manifest"] is not None:
            expected = _tree.parse_manifest(params["manifest"])
            if manifest != expected:
                raise ValidationError("%s is not the bundle's files: %s" % (
                    params["src"], _tree.describe(_tree.compare(expected, manifest))))
            manifest = expected
        members = _zip.folder_members(params["src"], FOLDER)
        members["MANIFEST.sha256"] = _tree.manifest_text(
            dict(("%s/%s" % (FOLDER, path), digest) for path, digest in manifest.items())).encode("utf-8")
        members[os.path.basename(params["script"])] = params["script"]
        digest, changed = _zip.write_reproducible(members, params["dest"], dry_run=module.check_mode)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot build %s: %s" % (params["dest"], to_native(exc)))
    module.exit_json(changed=changed, sha256=digest, files=len(manifest))


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: artifact_hash
short_description: SHA256 of a release artifact, its C(.sha256) sidecar, and verification
description:
  - Computes the SHA256 of a file by streaming it through OpenSSL (large reads, no subprocess).
  - Writes or refreshes the sidecar C(<file>.sha256) in the format C(sha256sum -c) reads
    (C(<64 lowercase hex>  <file name>)), through a temporary file and an atomic rename.
  - Verifies the file against an expected digest given as C(sha256:<hex>), as bare hex in any
    case, or as a sidecar file (upper case and the C(*name) form are read too).
    A mismatch fails, names the file and gives both digests, and writes nothing.
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.file_host
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  path:
    description: The file to hash.
    type: path
    required: true
  sidecar:
    description: Where the sidecar is written. Defaults to O(path) with C(.sha256) appended.
    type: path
  write_sidecar:
    description: Write or refresh the sidecar. An up-to-date sidecar is left alone.
    type: bool
    default: true
  expected:
    description:
      - The digest the file must have, as C(sha256:<hex>) or 64 hex characters in any case.
    type: str
  expected_sidecar:
    description:
      - A sidecar file whose digest for this file's name the file must have.
    type: path
attributes:
  check_mode:
    support: full
    details: Hashes and verifies, and reports whether the sidecar would change, without writing it.
  diff_mode:
    support: full
    details: Shows the sidecar's content before and after.
notes:
  - Windows hosts verify a landed file with M(routing_ml.deploy.verify_remote_checksum), which
    asks C(win_stat) for the digest.
seealso:
  - module: routing_ml.deploy.verify_remote_checksum
"""

EXAMPLES = r"""
- name: Hash the installer and write RoutingMLInstaller_1.4.0.exe.sha256 beside it
  routing_ml.deploy.artifact_hash:
    path: "{{ routing_ml_workspace }}/build/windows/RoutingMLInstaller_1.4.0.exe"
  delegate_to: localhost

- name: Refuse a bundle whose published sidecar does not match
  routing_ml.deploy.artifact_hash:
    path: "{{ routing_ml_workspace }}/build/frontend/RoutingMLFrontend_1.4.0.zip"
    expected_sidecar: "{{ routing_ml_workspace }}/build/frontend/RoutingMLFrontend_1.4.0.zip.sha256"
    write_sidecar: false
  delegate_to: localhost

- name: Check a file against a digest from the release notes
  routing_ml.deploy.artifact_hash:
    path: /srv/share/RoutingMLInstaller_1.4.0.exe
    expected: "sha256:9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
    write_sidecar: false
"""

RETURN = r"""
name:
  description: The file's name (without folder), as its sidecar names it.
  returned: success
  type: str
  sample: RoutingMLInstaller_1.4.0.exe
checksum:
  description: SHA256 of the file, lowercase hex.
  returned: success
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
size:
  description: Size of the file in bytes.
  returned: success
  type: int
  sample: 104857600
sidecar:
  description: Path of the sidecar written or checked, or null when O(write_sidecar=false).
  returned: success
  type: str
  sample: /release/build/windows/RoutingMLInstaller_1.4.0.exe.sha256
verified:
  description: Whether the file was checked against an expected digest (and matched).
  returned: success
  type: bool
  sample: true
expected:
  description: The expected digest, normalised to lowercase hex, or null.
  returned: success
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic, _checksum
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def run(module):
    params = module.params
    path = params["path"]
    name = _checksum.file_name(path)
    expected = None
    if params["expected"] is not None:
        expected = _checksum.parse_digest(params["expected"])
    elif params["expected_sidecar"] is not None:
        expected = _checksum.read_sidecar_digest(params["expected_sidecar"], name)
    if not os.path.isfile(path):
        raise ValidationError("path %s is not an existing file" % path)

    digest, size = _checksum.sha256_file(path)
    if expected is not None and digest != expected:
        raise ValidationError(_checksum.describe_mismatch(path, expected, digest))

    result = dict(changed=False, name=name, checksum=digest, size=size, verified=expected is not None,
                  expected=expected, sidecar=None)
    if params["write_sidecar"]:
        sidecar = params["sidecar"] or _checksum.sidecar_path_for(path)
        before = _atomic.read_text(sidecar, default="")
        after = _checksum.format_sidecar(digest, name)
        result["sidecar"] = sidecar
        if before != after:
            result["changed"] = True
            result["diff"] = dict(before_header=sidecar, after_header=sidecar, before=before, after=after)
            if not module.check_mode:
                _atomic.write_text_atomic(sidecar, after)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            sidecar=dict(type="path"),
            write_sidecar=dict(type="bool", default=True),
            expected=dict(type="str"),
            expected_sidecar=dict(type="path"),
        ),
        mutually_exclusive=[("expected", "expected_sidecar")],
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot hash %s: %s" % (module.params["path"], to_native(exc)))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

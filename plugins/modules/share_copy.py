#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: share_copy
short_description: Put files on the NAS/SCCM share over SMB, verified by SHA256
description:
  - Copies a file, or mirrors a folder, from the controller to an SMB share (SOP 4.3-4.4), with
    smbprotocol; no mounted share and no Windows host are needed.
  - Each file is written under a temporary name in its target folder, read back and compared
    with the source's SHA256, and only then renamed over the target, so a host pulling it
    never reads a half-written file. A target that already has the same SHA256 is left alone.
  - With a folder and O(mirror=true), files on the share that the source does not have are
    deleted, as C(robocopy /MIR) would.
  - A folder holding a file whose name contains a backslash (a plain character on Linux, a separator
    on the share) is refused before anything is written.
  - The SMB session is encrypted (SMB3) unless O(encrypt=false); the password is never logged.
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.controller
  - routing_ml.deploy.smb
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  src:
    description: The file or folder on the controller. Required unless O(content) is given.
    type: path
  dest:
    description: The UNC path of the target file or folder, C(\\server\share\folder\name).
    type: str
    required: true
  mirror:
    description: With a folder O(src), delete files under O(dest) that O(src) does not have.
    type: bool
    default: false
  content:
    description: Text to write to O(dest) in place of a file O(src) (a sidecar made from a pinned digest).
    type: str
  manifest:
    description:
      - With a folder O(src), the files it must hold (sidecar format, C(<sha256>  <relative path>)
        lines); only these are copied, each read back and compared with its digest here before
        it is renamed into place, so a file that differs from the manifest is refused.
    type: str
  sha256:
    description:
      - The SHA256 a file O(src) must have (a digest pinned earlier). The copy is read back and
        compared with it before it is renamed into place, so a file that changed since is refused
        and the target is left as it was.
    type: str
  write_once:
    description: A target file that exists with another SHA256 is refused, naming both digests, instead of replaced.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Compares digests and reports what would be copied or deleted without writing.
  diff_mode:
    support: none
    details: Binary content.
"""

EXAMPLES = r"""
- name: Installer and its sidecar on the share
  routing_ml.deploy.share_copy:
    src: "{{ routing_ml_workspace }}/build/windows/{{ item }}"
    dest: '\\share\routing_ml\releases\1.4.0\{{ item }}'
    username: "{{ routing_ml_share_user }}"
    password: "{{ routing_ml_share_password }}"
  loop: [RoutingMLInstaller_1.4.0.exe, RoutingMLInstaller_1.4.0.exe.sha256]
  delegate_to: localhost
"""

RETURN = r"""
checksum:
  description: SHA256 of the file copied (file O(src) only).
  returned: when O(src) is a file
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
copied:
  description: Files written (relative to O(src) for a folder).
  returned: success
  type: list
  elements: str
  sample: [index.html]
deleted:
  description: Files removed from the share by O(mirror).
  returned: success
  type: list
  elements: str
  sample: [assets/old-1a2b3c4d.js]
"""

import ntpath
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checksum, _smb, _tree
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError, smb_spec


def run(module):
    params = module.params
    dest = _smb.check_unc(params["dest"], "dest")
    if params["content"] is not None:
        return put_content(module, dest)
    src = params["src"]
    if not os.path.exists(src):
        raise ValidationError("src %s does not exist" % src)
    manifest = None
    if os.path.isdir(src):
        manifest = _tree.parse_manifest(params["manifest"]) if params["manifest"] else _tree.tree_manifest(src)
        for rel in manifest:
            _smb.check_relative(rel)  # every name before connecting, so before the first write
    share = _smb.Share(_smb.server_of(dest), params["port"], params["username"], params["password"],
                       params["encrypt"])
    if manifest is not None:
        if params["mirror"]:
            copied, deleted = share.mirror(src, dest, manifest, module.check_mode)
        else:
            copied = [rel for rel in sorted(manifest) if share.put(
                os.path.join(src, *rel.split("/")), _smb.join(dest, rel), manifest[rel], module.check_mode)]
            deleted = []
        return dict(changed=bool(copied or deleted), copied=copied, deleted=deleted)
    digest = _checksum.parse_digest(params["sha256"], "sha256") if params["sha256"] else _checksum.sha256_file(src)[0]
    changed = share.put(src, dest, digest, module.check_mode, params["write_once"])
    return dict(changed=changed, checksum=digest, copied=[os.path.basename(src)] if changed else [], deleted=[])


def put_content(module, dest):
    params = module.params
    data = params["content"].encode("utf-8")
    digest = _checksum.sha256_bytes(data)
    share = _smb.Share(_smb.server_of(dest), params["port"], params["username"], params["password"],
                       params["encrypt"])
    with tempfile.NamedTemporaryFile(prefix=".share_copy.") as local:
        local.write(data)
        local.flush()
        changed = share.put(local.name, dest, digest, module.check_mode, params["write_once"])
    return dict(changed=changed, checksum=digest, copied=[ntpath.basename(dest)] if changed else [], deleted=[])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path"),
            dest=dict(type="str", required=True),
            mirror=dict(type="bool", default=False),
            content=dict(type="str"),
            manifest=dict(type="str"),
            sha256=dict(type="str"),
            write_once=dict(type="bool", default=False),
            **smb_spec(),
        ),
        required_one_of=[("src", "content")],
        mutually_exclusive=[("src", "content"), ("content", "sha256")],
        supports_check_mode=True,
    )
    if not _smb.HAS_SMB:
        module.fail_json(msg=missing_required_lib("smbprotocol"))
    try:
        result = run(module)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except Exception as exc:  # pylint: disable=broad-except
        # smbprotocol's own errors (logon failure, access denied, path not found) say what went wrong.
        module.fail_json(msg="SMB copy to %s failed: %s" % (module.params["dest"], to_native(exc)))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

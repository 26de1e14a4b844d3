#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: verify_remote_checksum
short_description: Check that a file on the managed host has the SHA256 it should
description:
  - Compares the SHA256 of a file on the managed host with the SHA256 of a controller-side
    file (O(src)), with an expected digest (O(checksum)), or with the digest a controller-side
    sidecar (O(sidecar)) records for the remote file's name.
  - The host is asked with C(ansible.legacy.stat) and O(ansible.builtin.stat#module:checksum_algorithm=sha256). On
    WinRM hosts ansible-core runs C(ansible.windows.win_stat) instead, so the same task works
    over SSH and over WinRM.
  - A missing remote file, a directory, and a mismatch are distinct failures that name the
    host and the path; a mismatch gives both digests.
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.action
  - routing_ml.deploy.attributes.read_only
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  path:
    description: The file on the managed host.
    type: str
    required: true
  src:
    description: A controller-side file whose SHA256 the remote file must have.
    type: path
  checksum:
    description: The expected digest, C(sha256:<hex>) or 64 hex characters in any case.
    type: str
  sidecar:
    description: A controller-side C(.sha256) sidecar; its digest for the remote file's name is expected.
    type: path
  expected_from:
    description:
      - What holds the expected digest, for the failure message, which then names both sides
        (C(<path> on <host> has sha256 <actual>, but <expected_from> has sha256 <expected>)).
    type: str
attributes:
  action:
    details: Runs on the controller and asks the host for the digest.
  platform:
    platforms: [posix, windows]
    support: full
    details: POSIX hosts through C(stat), Windows hosts through C(win_stat).
notes:
  - Exactly one of O(src), O(checksum) and O(sidecar) is required.
seealso:
  - module: routing_ml.deploy.artifact_hash
  - module: ansible.builtin.stat
  - module: ansible.windows.win_stat
"""

EXAMPLES = r"""
- name: The installer pulled onto an IIS node is the published one
  routing_ml.deploy.verify_remote_checksum:
    path: 'C:\RoutingML\incoming\RoutingMLInstaller_1.4.0.exe'
    sidecar: "{{ routing_ml_workspace }}/build/windows/RoutingMLInstaller_1.4.0.exe.sha256"

- name: The bundle on a DMZ nginx node matches the controller's copy
  routing_ml.deploy.verify_remote_checksum:
    path: /srv/routing_ml/incoming/RoutingMLFrontend_1.4.0.zip
    src: "{{ routing_ml_workspace }}/build/frontend/RoutingMLFrontend_1.4.0.zip"

- name: Check against a digest published in the release notes
  routing_ml.deploy.verify_remote_checksum:
    path: /srv/routing_ml/incoming/RoutingMLFrontend_1.4.0.zip
    checksum: "sha256:{{ routing_ml_frontend_sha256 }}"
"""

RETURN = r"""
path:
  description: The remote path that was checked.
  returned: always
  type: str
  sample: /srv/routing_ml/incoming/RoutingMLFrontend_1.4.0.zip
expected:
  description: The expected digest, lowercase hex.
  returned: when the expected digest could be determined
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
checksum:
  description: The remote file's SHA256 as the host reported it.
  returned: when the remote file exists
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
size:
  description: The remote file's size in bytes.
  returned: when the remote file exists
  type: int
  sample: 104857600
exists:
  description: Returned as false when the remote file is missing.
  returned: when the remote file does not exist
  type: bool
  sample: false
"""

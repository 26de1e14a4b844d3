# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # How a module reaches an SMB share (module_utils/_smb.py), by the names share_copy takes;
    # the argument spec is module_utils/_validation.py's smb_spec(). The same settings are
    # suboptions of gate_precheck's smb (port, username, password, encrypt) and records_mirror's
    # smb_port, smb_user, smb_password and smb_encrypt; a fragment cannot document those, so
    # those modules describe them in the same words.

    DOCUMENTATION = r"""
options:
  port:
    description: The SMB port.
    type: int
    default: 445
  username:
    description: The share account (from vault or an AWX credential).
    type: str
  password:
    description: Its password; never logged.
    type: str
  encrypt:
    description: Require SMB3 encryption.
    type: bool
    default: true
requirements:
  - smbprotocol
"""

# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Who may sign: the approvers (one namespace per role) and the controller (the ledger).
    DOCUMENTATION = r"""
options:
  allowed_signers:
    description:
      - An OpenSSH C(allowed_signers) file on the controller (see C(ssh-keygen(1))) that enrols
        each approver's key for the namespaces of their roles (C(routing-ml-approval-<role>))
        and the controller's key for C(routing-ml-ledger). See C(docs/formats.md).
    type: path
"""

    # Modules that append to the ledger.
    CHECKPOINT = r"""
options:
  checkpoint_key:
    description:
      - The controller's private key (OpenSSH, no passphrase), a file from vault or an AWX credential.
        When given, each record appended is signed first (C(logs/checkpoints/<sha256>.sig)).
      - Once a ledger has a checkpoint, M(routing_ml.deploy.ledger_verify) refuses a later
        record without one.
    type: path
"""

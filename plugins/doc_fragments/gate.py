# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The Stage 9 gate and the release version it is about (SOP 7). The argument spec is
    # module_utils/_validation.py's gate_spec(); the choices are its GATES. A module that takes
    # the version otherwise (gate_precheck: type raw) overrides the keys that differ.

    DOCUMENTATION = r"""
options:
  gate:
    description: The Stage 9 gate. The gates go C(Alpha), C(Beta), C(GA) for a version.
    type: str
    required: true
    choices: [Alpha, Beta, GA]
  version:
    description: The release version, matching C(^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$).
    type: str
    required: true
"""

    # Who approves a gate, or decides a rollback or an unblocking, as the ledger records it.
    APPROVER = r"""
options:
  approver:
    description:
      - Who approves, e.g. C(QA-KIM) (for a rollback or an unblocking, who decided it; for an
        automatic rollback, its operator). One line, no C(|).
      - A signed approval is signed by this principal of O(allowed_signers).
    type: str
    required: true
"""

    # Who launched the run.
    OPERATOR = r"""
options:
  operator:
    description:
      - Who launched the run (under AWX, C(awx_user_name)); the ledger record names it when given.
        One line, no C(|).
    type: str
"""

    # The gate policy (module_utils/_gate_policy.py), the same for the early check and the record.
    POLICY = r"""
options:
  policy:
    description:
      - The gate policy. For each of C(Alpha), C(Beta), C(GA) a mapping with C(status),
        C(approver_role), C(requires) (null or C({gate, status})), C(evidence) (file name
        patterns the manifest must match) and C(tasklist_item).
      - Defaults to the SOP 7 policy. A run that passes its own (C(routing_ml_gate_policy)) passes
        it to every gate module, so that the early check (M(routing_ml.deploy.gate_precheck)),
        the statement, the record and the verification apply the same one.
    type: dict
"""

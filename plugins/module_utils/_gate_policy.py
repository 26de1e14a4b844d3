# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stage 9 gate policy (SOP 7) as data, and its evaluation against the ledger.

A policy maps each gate to::

    status:         the status its approval records ("Next Stage Ready")
    approver_role:  who approves (documentation and the Tasklist line)
    requires:       null, or {gate: <earlier gate>, status: <status it must have recorded>}
                    for the same version
    evidence:       file name patterns (fnmatch) that the evidence manifest must match,
                    each at least once
    tasklist_item:  the text that starts the gate's checkbox in the Tasklist's Phase 5

``DEFAULT_POLICY`` follows SOP 7 and is the one policy unless a run passes its own
(``routing_ml_gate_policy``), which then serves the early check and the record alike.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import fnmatch

from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    GATES, ValidationError, check_field)

NEXT_STAGE_READY = "Next Stage Ready"
# A rollback marks its version bad for every gate; only an Unblocked record (with a reason)
# after it lets the version be deployed or promoted again.
ROLLED_BACK = "Rolled Back"
UNBLOCKED = "Unblocked"

DEFAULT_POLICY = {
    "Alpha": {
        "status": NEXT_STAGE_READY,
        "approver_role": "QA Lead",
        "requires": None,
        "evidence": ["frontend_build_*.log", "pytest_rsl_routing_groups_*.log", "verify_*.json"],
        "tasklist_item": "Stage 9 Alpha",
    },
    "Beta": {
        "status": NEXT_STAGE_READY,
        "approver_role": "Deployment Engineer",
        "requires": {"gate": "Alpha", "status": NEXT_STAGE_READY},
        "evidence": ["verify_*.json", "upload_*.json", "feedback_summary*"],
        "tasklist_item": "Stage 9 Beta",
    },
    "GA": {
        "status": "GA Approved",
        "approver_role": "Release Owner",
        "requires": {"gate": "Beta", "status": NEXT_STAGE_READY},
        "evidence": ["change_approval*", "user_notice*", "verify_*.json"],
        "tasklist_item": "Stage 9 GA",
    },
}

_KEYS = ("status", "approver_role", "requires", "evidence", "tasklist_item")


def default_policy():
    return copy.deepcopy(DEFAULT_POLICY)


def check_policy(policy):
    """Validate a policy's structure; returns it. Every gate must be described."""
    if not isinstance(policy, dict):
        raise ValidationError("gate policy must be a mapping of gate to rules, got %r" % (policy,))
    unknown_gates = sorted(set(policy) - set(GATES))
    if unknown_gates:
        raise ValidationError("gate policy names unknown gates: %s" % ", ".join(unknown_gates))
    for gate in GATES:
        rules = policy.get(gate)
        if not isinstance(rules, dict):
            raise ValidationError("gate policy has no rules for %s" % gate)
        unknown = sorted(set(rules) - set(_KEYS))
        missing = sorted(set(_KEYS) - set(rules))
        if unknown:
            raise ValidationError("gate policy for %s has unknown keys: %s" % (gate, ", ".join(unknown)))
        if missing:
            raise ValidationError("gate policy for %s lacks: %s" % (gate, ", ".join(missing)))
        check_field("%s status" % gate, rules["status"])
        check_field("%s tasklist_item" % gate, rules["tasklist_item"])
        if not isinstance(rules["evidence"], list) or not all(isinstance(p, str) and p for p in rules["evidence"]):
            raise ValidationError("gate policy for %s: evidence must be a list of file name patterns" % gate)
        requires = rules["requires"]
        if requires is not None:
            if not isinstance(requires, dict) or sorted(requires) != ["gate", "status"]:
                raise ValidationError(
                    "gate policy for %s: requires must be null or {gate, status}, got %r" % (gate, requires))
            if requires["gate"] not in GATES or GATES.index(requires["gate"]) >= GATES.index(gate):
                raise ValidationError(
                    "gate policy for %s: requires gate %r, which is not an earlier gate" % (gate, requires["gate"]))
    return policy


def missing_evidence(rules, names):
    """Patterns of the policy that no evidence file name matches."""
    return [p for p in rules["evidence"] if not any(fnmatch.fnmatchcase(n, p) for n in names)]


def rollback_block(version, records):
    """The ``Rolled Back`` record that still blocks ``version``, or None: the latest
    ``Rolled Back`` / ``Unblocked`` record of the version decides."""
    last = None
    for record in records:
        if record.fields["version"] == version and record.fields["status"] in (ROLLED_BACK, UNBLOCKED):
            last = record
    return last if last is not None and last.fields["status"] == ROLLED_BACK else None


def rollback_in_force(version, gate, records):
    """The newest ``Rolled Back`` record of ``version`` at ``gate`` that no ``Unblocked``
    record of the version follows, or None: what a re-run of that rollback finds recorded."""
    found = None
    for record in records:
        if record.fields["version"] != version:
            continue
        if record.fields["status"] == UNBLOCKED:
            found = None
        elif record.fields["status"] == ROLLED_BACK and record.fields["gate"] == gate:
            found = record
    return found


def unmet_order(policy, gate, version, records):
    """What keeps ``gate`` from starting for ``version``: a rollback that was not unblocked,
    or the earlier gate's status missing from the ledger. What the early check enforces
    before any host is touched."""
    blocked = rollback_block(version, records)
    if blocked is not None:
        return ["version %s was rolled back at %s on %s (reason: %s): it is not deployed or promoted again "
                "until an %r record with a reason follows (playbooks/unblock.yml)" % (
                    version, blocked.fields["gate"], blocked.timestamp,
                    blocked.fields.get("reason") or "none given", UNBLOCKED)]
    requires = policy[gate]["requires"]
    if requires is None:
        return []
    earlier = [r for r in records
               if r.fields["gate"] == requires["gate"] and r.fields["version"] == version
               and r.fields["status"] == requires["status"]]
    if earlier:
        return []
    return ["%s needs %s's %r for version %s in the ledger; there is none" % (
        gate, requires["gate"], requires["status"], version)]


def written_by_run(pattern, produced):
    """True when a file the run itself writes (``produced``: file name patterns, such as
    ``verify_*.json``) has a name ``pattern`` matches: each produced pattern is read as a
    name (``verify_1.4.0_*.json`` matches ``verify_*.json`` too)."""
    return any(fnmatch.fnmatchcase(p, pattern) for p in produced)


def missing_evidence_before_run(rules, names, produced):
    """The policy's patterns that no existing evidence name matches and that the run does
    not write either: what the gate will refuse however the deployment goes."""
    return [p for p in missing_evidence(rules, names) if not written_by_run(p, produced)]


def unmet_evidence(rules, names):
    return ["required evidence matching %r is missing" % pattern for pattern in missing_evidence(rules, names)]


def unmet_preconditions(policy, gate, version, records, evidence_names, approver, operator=None,
                        forbid_self_approval=False):
    """Every precondition of recording ``gate`` for ``version`` that does not hold."""
    problems = unmet_order(policy, gate, version, records)
    problems += [p.replace("required evidence", "required %s evidence" % gate)
                 for p in unmet_evidence(policy[gate], evidence_names)]
    if forbid_self_approval and operator and approver.casefold() == operator.casefold():
        problems.append("approver %r launched this run: %s must be approved by someone else" % (approver, gate))
    return problems

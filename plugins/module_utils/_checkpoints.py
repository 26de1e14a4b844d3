# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ledger checkpoints: the controller's signature over each record's line.

The hash chain alone shows that nothing was changed *before* the last record; anyone who can
write the file can append a record with the right ``prev``. A checkpoint is an SSHSIG over
the record's line in the namespace ``routing-ml-ledger`` by a key that ``allowed_signers``
enrols for that namespace only, so an append needs the controller's key.

Rule: once a record has a checkpoint, every later record needs one; with ``required``, every
record does. A checkpoint whose record is absent (a crash between the two writes, or records
removed from the end) is reported, not fatal: anchors and the share's copy cover removal.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic, _ledger, _signing


def signer(key_path):
    """A ``_ledger.append`` signer that signs with the controller's key, or None without one."""
    if not key_path:
        return None

    def sign(message):
        return _signing.sign(key_path, _signing.LEDGER_NAMESPACE, message)
    return sign


def key_problems(key_path):
    """Why the controller could not sign the ledger with ``key_path`` (empty: it can)."""
    if not key_path:
        return ["signed approvals are required and there is no controller key to sign the ledger record "
                "with (set routing_ml_ledger_signing_key: a vault file or an AWX credential)"]
    if not os.path.isfile(key_path):
        return ["the controller's ledger key %s is not a file" % key_path]
    return []


def verified_records(workspace, allowed_signers=None, required=False, anchors=()):
    """``(records, summary)``: the chain walked (``_ledger.verify``) and its checkpoints checked."""
    records = _ledger.verify(workspace, anchors)
    return records, verify(workspace, records, allowed_signers, required)


def present(workspace):
    """Digests of the records that have a checkpoint file."""
    directory = os.path.join(_ledger.log_dir(workspace), _ledger.CHECKPOINT_DIR)
    if not os.path.isdir(directory):
        return set()
    return set(n[:-len(".sig")] for n in os.listdir(directory) if n.endswith(".sig"))


def verify(workspace, records, allowed_signers=None, required=False):
    """Check the checkpoints of ``records`` (a verified chain). Returns a summary dict with
    ``signed``, ``unsigned`` (records before the first checkpoint) and ``orphans``; raises
    ``LedgerError`` naming the first record whose checkpoint is missing or does not verify."""
    have = present(workspace)
    signed = []
    unsigned = []
    principals = None
    started = required
    for record in records:
        where = record.where(workspace)
        if record.digest not in have:
            if started:
                raise _ledger.LedgerError(
                    "record has no checkpoint (%s): it was not written by a controller with the "
                    "ledger key, or its signature was removed" % _rel(workspace, record.digest), where)
            unsigned.append(record.digest)
            continue
        started = True
        if not allowed_signers:
            raise _ledger.LedgerError(
                "the ledger has checkpoints; give allowed_signers to verify them", where)
        try:
            signature = _atomic.read_text(_ledger.checkpoint_path(workspace, record.digest))
            if _signing.check_signature_text(signature, _rel(workspace, record.digest)) != signature:
                raise _signing.SigningError("it is not in the form ssh-keygen writes (it was changed)")
            if principals is None:
                principals = _ledger_principals(allowed_signers)
            who = _verify_one(allowed_signers, record, signature, principals)
        except _signing.SigningError as exc:
            raise _ledger.LedgerError("checkpoint %s does not verify: %s" % (
                _rel(workspace, record.digest), exc), where)
        signed.append((record.digest, who))
    orphans = sorted(have - set(r.digest for r in records))
    return {"signed": len(signed), "unsigned": len(unsigned), "orphans": orphans,
            "signers": sorted(set(w for dummy, w in signed))}


def _ledger_principals(allowed_signers):
    """The plain principals enrolled for the ledger namespace: usually the one controller."""
    entries = _signing.load_allowed_signers(allowed_signers)
    return [p for e in entries if _signing.allows_namespace(e, _signing.LEDGER_NAMESPACE)
            for p in e.principals if not any(c in p for c in "*?!")]


def _verify_one(allowed_signers, record, signature, principals=None):
    message = record.text.encode("utf-8")
    # One ssh-keygen run per record when the controller's principal is known; asking
    # ssh-keygen who signed costs a second run and is only needed to explain a failure.
    for principal in principals or ():
        try:
            _signing.verify(allowed_signers, principal, _signing.LEDGER_NAMESPACE, message, signature,
                            verify_time=record.timestamp)
            return principal
        except _signing.SigningError:
            continue
    candidates = _signing.find_principals(allowed_signers, signature)
    if not candidates:
        raise _signing.SigningError("it is signed by a key that allowed_signers does not list")
    problems = []
    for principal in candidates:
        try:
            _signing.verify(allowed_signers, principal, _signing.LEDGER_NAMESPACE, message, signature,
                            verify_time=record.timestamp)
            return principal
        except _signing.SigningError as exc:
            problems.append(str(exc))
    raise _signing.SigningError("; ".join(problems))


def _rel(workspace, digest):
    return "%s/%s/%s.sig" % (_ledger.LOG_DIR, _ledger.CHECKPOINT_DIR, digest)

# -*- coding: utf-8 -*-
"""The environment's trust settings: pinned once, compared at every use, changed only by a
record the Release Owner signed against the allowed_signers in force before the change."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _gate_policy, _ledger, _signing, _trust

pytestmark = pytest.mark.skipif(not shutil.which("ssh-keygen"), reason="needs ssh-keygen")

POLICY = _gate_policy.default_policy()
OWNER_NS = "routing-ml-approval-release-owner"


def keygen(directory, name):
    path = str(directory / name)
    subprocess.check_call(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path])
    return path


def allowed(path, lines):
    with open(str(path), "w") as handle:
        for principal, key, namespace in lines:
            keytype, blob = open(key + ".pub").read().split()[:2]
            handle.write('%s namespaces="%s" %s %s\n' % (principal, namespace, keytype, blob))
    return str(path)


@pytest.fixture()
def env(tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    owner, qa, mallory = keygen(keys, "owner"), keygen(keys, "qa"), keygen(keys, "mallory")
    signers = allowed(tmp_path / "allowed_signers", [("OWNER-PARK", owner, OWNER_NS),
                                                     ("QA-KIM", qa, "routing-ml-approval-qa-lead")])
    workspace = tmp_path / "ws"
    workspace.mkdir()
    return dict(workspace=str(workspace), owner=owner, qa=qa, mallory=mallory, signers=signers, tmp=tmp_path)


def pinned(env, signatures="required", environment="lab"):
    seen = _trust.settings(signatures, env["signers"], environment)
    _trust.pin(env["workspace"], seen, env["signers"], None)
    return _trust.load(env["workspace"], POLICY)


def sign(key, path, namespace=OWNER_NS):
    subprocess.check_call(["ssh-keygen", "-q", "-Y", "sign", "-f", key, "-n", namespace, path])


def test_a_run_with_the_pinned_settings_passes(env):
    loaded = pinned(env)
    assert loaded.rel == "deliverables/approvals/trust/0001.json" and loaded.status == _trust.PINNED
    assert _trust.refusal(_trust.settings("required", env["signers"], "lab"), loaded) is None
    # A copy of the allowed_signers in force is kept beside the record.
    digest = loaded.settings["allowed_signers_sha256"]
    assert os.path.isfile(os.path.join(env["workspace"], _trust.copy_rel(digest)))


@pytest.mark.parametrize("seen, words", [
    (lambda e: _trust.settings("off", e["signers"], "lab"),
     ["routing_ml_approval_signatures is 'off' in this run", "recorded setting is 'required'"]),
    (lambda e: _trust.settings("required", allowed(e["tmp"] / "mine", [("OWNER-PARK", e["mallory"], OWNER_NS)]), "lab"),
     ["routing_ml_allowed_signers is sha256 ", "recorded setting is sha256 "]),
    (lambda e: _trust.settings("required", None, "lab"),
     ["routing_ml_allowed_signers is unset in this run", "recorded setting is sha256 "]),
    (lambda e: _trust.settings("required", e["signers"], "production"),
     ["routing_ml_environment is 'production' in this run", "recorded setting is 'lab'"]),
])
def test_a_run_that_sees_other_settings_is_refused_naming_both(env, seen, words):
    loaded = pinned(env)
    message = _trust.refusal(seen(env), loaded)
    assert message.startswith("refusing: the trust settings of this run are not the ones recorded")
    assert "deliverables/approvals/trust/0001.json (Trust Pinned)" in message
    for word in words:
        assert word in message, message
    assert "signed by the Release Owner (playbooks/trust_change.yml)" in message


def test_an_audit_without_the_environment_compares_the_rest(env):
    loaded = pinned(env)
    assert _trust.refusal(_trust.settings("required", env["signers"]), loaded) is None


def propose(env, loaded, signatures="off", approver="OWNER-PARK"):
    wanted = _trust.proposal(loaded, _trust.settings(signatures, env["signers"], "lab"), approver, "drills unsigned", None)
    _trust.write_proposal(env["workspace"], wanted)
    return os.path.join(env["workspace"], _trust.PROPOSAL)


def test_a_change_signed_by_the_release_owner_is_recorded_and_then_in_force(env):
    loaded = pinned(env)
    path = propose(env, loaded)
    sign(env["owner"], path)
    data = open(path, "rb").read()
    rel = _trust.record_change(env["workspace"], loaded, data, env["signers"])
    assert rel == "deliverables/approvals/trust/0002.json"
    again = _trust.load(env["workspace"], POLICY)
    assert again.status == _trust.CHANGED and again.settings["signatures"] == "off"
    assert not os.path.exists(path)
    assert _trust.refusal(_trust.settings("off", env["signers"], "lab"), again) is None
    assert "is 'required' in this run" in _trust.refusal(_trust.settings("required", env["signers"], "lab"), again)


@pytest.mark.parametrize("who, key, namespace, words", [
    ("OWNER-PARK", "mallory", OWNER_NS, "does not verify"),
    ("QA-KIM", "qa", "routing-ml-approval-qa-lead", "may not sign in namespace routing-ml-approval-release-owner"),
    ("MALLORY", "mallory", OWNER_NS, "'MALLORY' is not in allowed_signers"),
])
def test_a_change_not_signed_by_the_release_owner_is_refused(env, who, key, namespace, words):
    loaded = pinned(env)
    path = propose(env, loaded, approver=who)
    sign(env[key], path, namespace)
    with pytest.raises(_trust.TrustError) as raised:
        _trust.record_change(env["workspace"], loaded, open(path, "rb").read(), env["signers"])
    assert words in str(raised.value)
    assert not os.path.exists(os.path.join(env["workspace"], "deliverables/approvals/trust/0002.json"))


def test_a_change_signed_with_a_key_of_the_new_allowed_signers_only_is_refused(env):
    """The launcher enrols their own key as Release Owner in a new file and signs the change
    with it: the signature is checked against the file in force before the change."""
    loaded = pinned(env)
    mine = allowed(env["tmp"] / "mine", [("OWNER-PARK", env["mallory"], OWNER_NS)])
    wanted = _trust.proposal(loaded, _trust.settings("required", mine, "lab"), "OWNER-PARK", "new keys", None)
    _trust.write_proposal(env["workspace"], wanted)
    path = os.path.join(env["workspace"], _trust.PROPOSAL)
    sign(env["mallory"], path)
    with pytest.raises(_trust.TrustError, match="does not verify"):
        _trust.record_change(env["workspace"], loaded, open(path, "rb").read(), mine)


def test_a_change_record_planted_without_a_valid_signature_is_refused_on_load(env):
    loaded = pinned(env)
    path = propose(env, loaded)
    sign(env["mallory"], path)
    target = os.path.join(env["workspace"], "deliverables/approvals/trust/0002.json")
    shutil.copy(path, target)
    shutil.copy(path + ".sig", target + ".sig")
    with pytest.raises(_trust.TrustError, match="0002.json.sig does not verify"):
        _trust.load(env["workspace"], POLICY)
    os.unlink(target + ".sig")
    with pytest.raises(_trust.TrustError, match="0002.json has no signature"):
        _trust.load(env["workspace"], POLICY)


def test_an_edited_pin_breaks_the_record_after_it(env):
    loaded = pinned(env)
    path = propose(env, loaded)
    sign(env["owner"], path)
    _trust.record_change(env["workspace"], loaded, open(path, "rb").read(), env["signers"])
    first = os.path.join(env["workspace"], "deliverables/approvals/trust/0001.json")
    document = json.load(open(first))
    document["settings"]["signatures"] = "off"
    open(first, "w").write(_trust.dumps(document))
    with pytest.raises(_trust.TrustError, match="names the previous trust record"):
        _trust.load(env["workspace"], POLICY)


def test_a_gap_in_the_numbering_is_refused(env):
    pinned(env)
    os.rename(os.path.join(env["workspace"], "deliverables/approvals/trust/0001.json"),
              os.path.join(env["workspace"], "deliverables/approvals/trust/0002.json"))
    with pytest.raises(_trust.TrustError, match="not numbered 0001 to 0001 without a gap: 0002"):
        _trust.load(env["workspace"], POLICY)


def test_a_pin_made_against_a_ledger_head_this_ledger_lacks_is_refused(env):
    seen = _trust.settings("required", env["signers"], "lab")
    _trust.pin(env["workspace"], seen, env["signers"], "ab" * 32)
    with pytest.raises(_trust.TrustError, match="was made at ledger head abab"):
        _trust.load(env["workspace"], POLICY)
    assert _ledger.GENESIS == "0" * 64


def test_a_pin_is_written_once(env):
    pinned(env)
    with pytest.raises(_trust.TrustError, match="exists already"):
        _trust.pin(env["workspace"], _trust.settings("off", env["signers"], "lab"), env["signers"], None)


def test_bad_settings_are_refused_by_name(env):
    with pytest.raises(_trust.TrustError, match="routing_ml_approval_signatures 'maybe'"):
        _trust.settings("maybe")
    with pytest.raises(_trust.TrustError, match="routing_ml_allowed_signers '/nonexistent' is not a file"):
        _trust.settings("required", "/nonexistent")


def test_the_change_role_is_the_ga_approver_of_the_policy():
    assert _trust.trust_role(POLICY) == "Release Owner"
    assert _signing.role_namespace(_trust.trust_role(POLICY)) == OWNER_NS


def write_ledger_record(workspace):
    _ledger.append(workspace, dict(gate="Alpha", status="Next Stage Ready", version="1.4.0", approver="QA-KIM",
                                   evidence="deliverables/onboarding_evidence/x", manifest_sha256="0" * 64))


def test_run_pins_once_then_compares(env):
    seen = _trust.settings("required", env["signers"], "lab")
    first = _trust.run(env["workspace"], POLICY, seen, "pinned", env["signers"])
    assert first["changed"] and first["record"] == "deliverables/approvals/trust/0001.json"
    again = _trust.run(env["workspace"], POLICY, seen, "pinned", env["signers"])
    assert not again["changed"] and again["in_force"] == seen
    with pytest.raises(_trust.TrustError, match="is 'off' in this run"):
        _trust.run(env["workspace"], POLICY, _trust.settings("off", env["signers"], "lab"), "pinned", env["signers"])


def test_run_in_check_mode_writes_nothing(env):
    seen = _trust.settings("required", env["signers"], "lab")
    result = _trust.run(env["workspace"], POLICY, seen, "pinned", env["signers"], check_mode=True)
    assert result["changed"] and os.listdir(env["workspace"]) == []


def test_an_audit_refuses_a_ledger_without_a_trust_record_and_passes_an_empty_one(env):
    seen = _trust.settings("off")
    assert not _trust.run(env["workspace"], POLICY, seen, "checked")["changed"]
    write_ledger_record(env["workspace"])
    with pytest.raises(_trust.TrustError, match="the ledger has 1 record.s. but no trust record"):
        _trust.run(env["workspace"], POLICY, seen, "checked")


def test_run_changed_proposes_waits_and_records_once_signed(env):
    seen = _trust.settings("required", env["signers"], "lab")
    _trust.run(env["workspace"], POLICY, seen, "pinned", env["signers"])
    off = _trust.settings("off", env["signers"], "lab")
    proposed = _trust.run(env["workspace"], POLICY, off, "changed", env["signers"], "OWNER-PARK", "drills")
    assert proposed["changed"] and proposed["proposal"] == _trust.PROPOSAL
    assert "waits for the signature of OWNER-PARK (Release Owner)" in proposed["msg"]
    # Asked again unsigned: the same proposal stands (its time too).
    waiting = _trust.run(env["workspace"], POLICY, off, "changed", env["signers"], "OWNER-PARK", "drills")
    assert not waiting["changed"]
    sign(env["owner"], os.path.join(env["workspace"], _trust.PROPOSAL))
    recorded = _trust.run(env["workspace"], POLICY, off, "changed", env["signers"], "OWNER-PARK", "drills")
    assert recorded["record"] == "deliverables/approvals/trust/0002.json"
    assert _trust.run(env["workspace"], POLICY, off, "checked")["in_force"] == off


def test_run_changed_without_a_pin_is_refused(env):
    with pytest.raises(_trust.TrustError, match="nothing is pinned yet"):
        _trust.run(env["workspace"], POLICY, _trust.settings("off"), "changed", None, "OWNER-PARK", "x")


def test_settings_given_at_launch_are_never_pinned(env):
    seen = _trust.settings("off", env["signers"], "lab")
    with pytest.raises(_trust.TrustError) as raised:
        _trust.run(env["workspace"], POLICY, seen, "pinned", env["signers"], launched=["routing_ml_approval_signatures"])
    assert str(raised.value).startswith("refusing to pin the environment's trust settings from a launch: "
                                        "routing_ml_approval_signatures='off' given as an extra variable")
    assert not os.path.exists(os.path.join(env["workspace"], "deliverables"))
    # Once pinned, a value given at launch that is the recorded one is no override.
    _trust.run(env["workspace"], POLICY, seen, "pinned", env["signers"])
    assert not _trust.run(env["workspace"], POLICY, seen, "pinned", env["signers"],
                          launched=["routing_ml_approval_signatures"])["changed"]


@pytest.mark.parametrize("state", ["checked", "pinned", "changed"])
def test_a_gate_policy_given_at_launch_is_refused_in_every_state(env, state):
    """Another policy could name the launcher's own role for GA, and so for the trust settings."""
    seen = _trust.settings("off", env["signers"], "lab")
    _trust.run(env["workspace"], POLICY, seen, "pinned", env["signers"])
    before = sorted(os.listdir(os.path.join(env["workspace"], "deliverables", "approvals", "trust")))
    with pytest.raises(_trust.TrustError, match="routing_ml_gate_policy is given as an extra variable .* from "
                                                "the inventory only"):
        _trust.run(env["workspace"], POLICY, seen, state, env["signers"], "OWNER-PARK", "x",
                   launched=["routing_ml_gate_policy"])
    assert sorted(os.listdir(os.path.join(env["workspace"], "deliverables", "approvals", "trust"))) == before

# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import os
import subprocess

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _gate_policy, _signing, _statement
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

EVIDENCE = "deliverables/onboarding_evidence/Stage9_Alpha_20251003"
TIME = "2025-10-03T14:02:11+09:00"
INSTALLER, BUNDLE, MANIFEST = "a" * 64, "b" * 64, "c" * 64


def subjects(installer=INSTALLER, bundle=BUNDLE, manifest=MANIFEST, version="1.4.0"):
    return [("RoutingMLInstaller_%s.exe" % version, installer), ("RoutingMLFrontend_%s.zip" % version, bundle),
            (EVIDENCE + "/MANIFEST.sha256", manifest)]


def make(**change):
    args = dict(gate="Alpha", version="1.4.0", status="Next Stage Ready", approver="QA-KIM", role="QA Lead",
                reason="smoke tests and UI review passed", policy=_gate_policy.default_policy(),
                evidence=EVIDENCE, subjects=subjects(), time=TIME)
    args.update(change)
    return _statement.build(**args)


def test_build_shape_and_canonical_text():
    statement = make()
    text = _statement.dumps(statement)
    assert text == """{
  "_type": "https://in-toto.io/Statement/v1",
  "predicate": {
    "approver": "QA-KIM",
    "evidence": "deliverables/onboarding_evidence/Stage9_Alpha_20251003",
    "gate": "Alpha",
    "namespace": "routing-ml-approval-qa-lead",
    "policy_sha256": "%s",
    "reason": "smoke tests and UI review passed",
    "role": "QA Lead",
    "status": "Next Stage Ready",
    "time": "2025-10-03T14:02:11+09:00",
    "version": "1.4.0"
  },
  "predicateType": "https://routing-ml.invalid/stage9-approval/v1",
  "subject": [
    {
      "digest": {
        "sha256": "%s"
      },
      "name": "RoutingMLInstaller_1.4.0.exe"
    },
    {
      "digest": {
        "sha256": "%s"
      },
      "name": "RoutingMLFrontend_1.4.0.zip"
    },
    {
      "digest": {
        "sha256": "%s"
      },
      "name": "deliverables/onboarding_evidence/Stage9_Alpha_20251003/MANIFEST.sha256"
    }
  ]
}
""" % (_statement.policy_sha256(_gate_policy.default_policy()), INSTALLER, BUNDLE, MANIFEST)
    assert _statement.loads(text, "x") == statement
    assert _statement.loads(text.encode("utf-8"), "x") == statement


def test_build_details():
    assert "reason" not in make(reason=None)["predicate"]
    assert "reason" not in make(reason="")["predicate"]
    korean = make(reason="UI 검토 완료")
    assert "UI 검토 완료" in _statement.dumps(korean)
    assert make(subjects=[("x.exe", "sha256:" + "A" * 64)])["subject"][0]["digest"]["sha256"] == "a" * 64
    moment = datetime.datetime(2025, 10, 3, 14, 2, 11, 500, tzinfo=datetime.timezone(datetime.timedelta(hours=9)))
    assert make(time=moment)["predicate"]["time"] == TIME
    assert make(role="Release Owner")["predicate"]["namespace"] == "routing-ml-approval-release-owner"


def test_policy_sha256_is_canonical():
    policy = _gate_policy.default_policy()
    reordered = json.loads(json.dumps(policy, sort_keys=True), object_pairs_hook=lambda p: dict(reversed(p)))
    assert list(reordered) != list(policy)
    assert _statement.policy_sha256(reordered) == _statement.policy_sha256(policy)
    expected = hashlib.sha256(json.dumps(policy, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert _statement.policy_sha256(policy) == expected
    policy["Alpha"]["evidence"].append("extra_*")
    assert _statement.policy_sha256(policy) != expected


def test_relpaths():
    assert _statement.relpath("1.4.0", "Alpha") == "deliverables/approvals/1.4.0/Alpha.statement.json"
    assert _statement.signature_relpath("1.4.0", "GA") == "deliverables/approvals/1.4.0/GA.statement.json.sig"
    with pytest.raises(ValidationError, match="version '../x'"):
        _statement.relpath("../x", "Alpha")
    with pytest.raises(ValidationError, match="gate 'Gamma'"):
        _statement.relpath("1.4.0", "Gamma")


@pytest.mark.parametrize("change, text", [
    (dict(gate="Gamma"), "gate 'Gamma'"),
    (dict(version="1.4 0"), "version '1.4 0'"),
    (dict(status=""), "status ''"),
    (dict(approver="QA|KIM"), "approver 'QA|KIM'"),
    (dict(role="---"), "role '---'"),
    (dict(reason="a\nb"), "reason 'a\\nb'"),
    (dict(policy=None), "gate policy must be a mapping"),
    (dict(evidence="../outside"), "evidence folder '../outside'"),
    (dict(evidence="/abs/path"), "evidence folder '/abs/path'"),
    (dict(subjects=[]), "non-empty list"),
    (dict(subjects=[("x.exe", "nothex")]), "sha256 of x.exe 'nothex'"),
    (dict(subjects=[("x.exe", INSTALLER), ("x.exe", BUNDLE)]), "'x.exe' is named twice"),
    (dict(subjects=[("x.exe",)]), "not a (name, sha256) pair"),
    (dict(time="2025-10-03T14:02:11"), "time '2025-10-03T14:02:11'"),
    (dict(time="2025-13-03T14:02:11Z"), "not a calendar date"),
    (dict(time=datetime.datetime(2025, 10, 3)), "no time zone offset"),
])
def test_build_refuses(change, text):
    with pytest.raises(ValidationError) as exc:
        make(**change)
    assert text in str(exc.value)


def mutated(mutate):
    data = make()
    mutate(data)
    return json.dumps(data)


@pytest.mark.parametrize("text, expected", [
    ("{", "is not JSON"),
    ("[]", "the statement must be a JSON object"),
    ("\ufeff" + _statement.dumps(make()), "byte order mark"),
    ('{"_type": 1, "_type": 2}', "key '_type' appears twice"),
    (mutated(lambda d: d.update(extra=1)), "the statement has unknown keys extra"),
    (mutated(lambda d: d.pop("subject")), "the statement lacks subject"),
    (mutated(lambda d: d.update(_type="https://in-toto.io/Statement/v0.1")), "_type is 'https://in-toto.io/Statement/v0.1'"),
    (mutated(lambda d: d.update(predicateType="x")), "predicateType is 'x'"),
    (mutated(lambda d: d.update(subject=[])), "subject must be a non-empty list"),
    (mutated(lambda d: d["subject"][1].update(uri="x")), "subject[1] has unknown keys uri"),
    (mutated(lambda d: d["subject"][1]["digest"].update(sha512="x")), "subject[1].digest has unknown keys sha512"),
    (mutated(lambda d: d["subject"][2]["digest"].update(sha256="C" * 64)), "subject[2].digest.sha256 'CCCC"),
    (mutated(lambda d: d["subject"][0].update(name="../x")), "subject[0].name"),
    (mutated(lambda d: d["subject"][1].update(name=d["subject"][0]["name"])), "subject[1].name 'RoutingMLInstaller_1.4.0.exe' appears twice"),
    (mutated(lambda d: d["predicate"].pop("approver")), "predicate lacks approver"),
    (mutated(lambda d: d["predicate"].update(signer="x")), "predicate has unknown keys signer"),
    (mutated(lambda d: d["predicate"].update(gate=1)), "predicate.gate must be a string"),
    (mutated(lambda d: d["predicate"].update(gate="Gamma")), "predicate.gate: gate 'Gamma'"),
    (mutated(lambda d: d["predicate"].update(version="")), "predicate.version: version ''"),
    (mutated(lambda d: d["predicate"].update(reason=" x")), "predicate.reason: reason ' x'"),
    (mutated(lambda d: d["predicate"].update(time="yesterday")), "predicate.time: time 'yesterday'"),
    (mutated(lambda d: d["predicate"].update(policy_sha256="x")), "predicate.policy_sha256 'x'"),
    (mutated(lambda d: d["predicate"].update(namespace="routing-ml-approval-release-owner")),
     "predicate.namespace 'routing-ml-approval-release-owner' is not the namespace of role 'QA Lead'"),
])
def test_loads_refuses(text, expected):
    with pytest.raises(_statement.StatementError) as exc:
        _statement.loads(text, "deliverables/approvals/1.4.0/Alpha.statement.json")
    assert str(exc.value).startswith("deliverables/approvals/1.4.0/Alpha.statement.json")
    assert expected in str(exc.value)


def test_same_facts_ignores_time_and_subject_order():
    statement = make()
    assert _statement.same_facts(statement, make(time="2025-10-04T09:00:00+09:00"))
    assert _statement.same_facts(statement, make(subjects=list(reversed(subjects()))))
    assert not _statement.same_facts(statement, make(reason=None))
    assert not _statement.same_facts(statement, make(subjects=subjects(bundle="d" * 64)))


def test_differences_each_field():
    expected = make()
    assert _statement.differences(make(time="2026-01-01T00:00:00Z"), expected) == []
    assert _statement.differences(make(version="1.3.0", subjects=subjects(version="1.4.0")), expected) == [
        "the statement is for version '1.3.0', not '1.4.0'"]
    assert _statement.differences(make(gate="Beta"), expected) == ["the statement is for gate 'Beta', not 'Alpha'"]
    assert _statement.differences(make(status="GA Approved"), expected) == [
        "the statement records status 'GA Approved', not 'Next Stage Ready'"]
    assert _statement.differences(make(approver="DEPLOY-LEE"), expected) == [
        "the statement names approver 'DEPLOY-LEE', not 'QA-KIM'"]
    assert _statement.differences(make(role="Release Owner"), expected) == [
        "the statement is for role 'Release Owner', not 'QA Lead'",
        "the statement is for namespace 'routing-ml-approval-release-owner', not 'routing-ml-approval-qa-lead'"]
    other = EVIDENCE.replace("20251003", "20251004")
    assert _statement.differences(make(evidence=other), expected) == [
        "the statement is for evidence folder %r, not %r" % (other, EVIDENCE)]
    policy = _gate_policy.default_policy()
    policy["Alpha"]["evidence"] = ["*"]
    assert _statement.differences(make(policy=policy), expected) == [
        "the statement was made under gate policy %s, this run's is %s" % (
            _statement.policy_sha256(policy), _statement.policy_sha256(_gate_policy.default_policy()))]
    assert _statement.differences(make(reason="other"), expected) == [
        "the statement gives the reason 'other', not 'smoke tests and UI review passed'"]
    assert _statement.differences(make(reason=None), expected) == [
        "the statement gives no reason, this run gives 'smoke tests and UI review passed'"]
    assert _statement.differences(make(), make(reason=None)) == [
        "the statement gives the reason 'smoke tests and UI review passed', this run gives none"]
    assert _statement.differences(make(subjects=subjects(bundle="d" * 64)), expected) == [
        "subject RoutingMLFrontend_1.4.0.zip: the statement has sha256 %s, the workspace has %s" % ("d" * 64, BUNDLE)]
    old = make(version="1.3.0", subjects=subjects(version="1.3.0"))
    assert _statement.differences(old, expected) == [
        "the statement is for version '1.3.0', not '1.4.0'",
        "subject RoutingMLInstaller_1.4.0.exe is not in the statement (the workspace has sha256 %s)" % INSTALLER,
        "subject RoutingMLFrontend_1.4.0.zip is not in the statement (the workspace has sha256 %s)" % BUNDLE,
        "the statement names subject RoutingMLInstaller_1.3.0.exe (sha256 %s), which is not this run's" % INSTALLER,
        "the statement names subject RoutingMLFrontend_1.3.0.zip (sha256 %s), which is not this run's" % BUNDLE]


def test_write_keeps_same_facts_and_their_time(workspace):
    path, changed, previous = _statement.write(str(workspace), make())
    assert changed and previous is None
    assert path == str(workspace / "deliverables/approvals/1.4.0/Alpha.statement.json")
    first = (workspace / "deliverables/approvals/1.4.0/Alpha.statement.json").read_text(encoding="utf-8")
    assert first == _statement.dumps(make())
    result = _statement.write(str(workspace), make(time="2025-10-05T10:00:00+09:00"))
    assert (result.changed, result.previous, result.stale_signature) == (False, first, None)
    assert _statement.loads(open(path).read())["predicate"]["time"] == TIME


def test_write_check_mode(workspace):
    path, changed, previous = _statement.write(str(workspace), make(), check_mode=True)
    assert changed and previous is None and not os.path.exists(path)
    _statement.write(str(workspace), make())
    assert _statement.write(str(workspace), make(reason="new"), check_mode=True).changed
    assert _statement.loads(open(path).read()) == make()


def test_write_rewrites_other_facts_and_moves_a_signature_aside(workspace):
    path = _statement.write(str(workspace), make()).path
    old_text = open(path).read()
    with open(path + ".sig", "w") as handle:
        handle.write("the approver's signature\n")
    now = datetime.datetime(2025, 10, 4, 1, 2, 3, tzinfo=datetime.timezone.utc)
    result = _statement.write(str(workspace), make(subjects=subjects(bundle="d" * 64)), now=now)
    assert result.changed and result.previous == old_text
    assert result.stale_signature == path + ".sig.stale-20251004T010203"
    assert result.stale_statement == path + ".stale-20251004T010203"
    assert not os.path.exists(path + ".sig")
    assert open(result.stale_signature).read() == "the approver's signature\n"
    assert open(result.stale_statement).read() == old_text
    assert _statement.loads(open(path).read())["subject"][1]["digest"]["sha256"] == "d" * 64
    # again within the same second: a second name, nothing overwritten
    with open(path + ".sig", "w") as handle:
        handle.write("second\n")
    again = _statement.write(str(workspace), make(), now=now)
    assert again.stale_signature == path + ".sig.stale-20251004T010203-1"
    # no signature: nothing moved
    third = _statement.write(str(workspace), make(reason=None), now=now)
    assert third.changed and third.stale_signature is None and third.stale_statement is None


def test_write_check_mode_moves_nothing(workspace):
    path = _statement.write(str(workspace), make()).path
    with open(path + ".sig", "w") as handle:
        handle.write("sig\n")
    result = _statement.write(str(workspace), make(reason="other"), check_mode=True)
    assert result.changed and result.stale_signature
    assert os.path.exists(path + ".sig") and not os.path.exists(result.stale_signature)


def test_write_replaces_an_unreadable_statement(workspace):
    path = _statement.write(str(workspace), make()).path
    with open(path, "w") as handle:
        handle.write("{ edited by hand")
    result = _statement.write(str(workspace), make())
    assert result.changed and result.previous == "{ edited by hand"
    assert _statement.loads(open(path).read()) == make()


def test_write_refuses_an_invalid_statement(workspace):
    statement = make()
    statement["predicate"]["gate"] = "Gamma"
    with pytest.raises(_statement.StatementError, match="predicate.gate"):
        _statement.write(str(workspace), statement)


def test_write_refuses_a_link_out_of_the_workspace(workspace, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (workspace / "deliverables" / "approvals").symlink_to(outside)
    with pytest.raises(ValidationError, match="escapes the workspace"):
        _statement.write(str(workspace), make())
    assert os.listdir(str(outside)) == []


@pytest.mark.skipif(not _signing.shutil.which("ssh-keygen"), reason="needs ssh-keygen")
def test_signed_statement_end_to_end(workspace, tmp_path):
    key = str(tmp_path / "qa")
    subprocess.check_call(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key])
    allowed = tmp_path / "allowed_signers"
    allowed.write_text('QA-KIM namespaces="routing-ml-approval-qa-lead" %s\n' % open(key + ".pub").read().strip())
    statement = make()
    path = _statement.write(str(workspace), statement).path
    namespace = statement["predicate"]["namespace"]
    with open(path, "rb") as handle:
        signed = handle.read()
    with open(path + ".sig", "w") as handle:
        handle.write(_signing.sign(key, namespace, signed))
    on_disk = _statement.loads(signed, path)
    assert _statement.differences(on_disk, make(time="2025-10-09T00:00:00Z")) == []
    result = _signing.verify(str(allowed), on_disk["predicate"]["approver"], namespace, signed,
                             open(path + ".sig").read(), on_disk["predicate"]["time"])
    assert result["principal"] == "QA-KIM"
    # other facts: the old pair stays verifiable aside, the new statement has no signature
    moved = _statement.write(str(workspace), make(subjects=subjects(manifest="e" * 64)))
    with open(moved.stale_statement, "rb") as handle:
        assert _signing.verify(str(allowed), "QA-KIM", namespace, handle.read(), open(moved.stale_signature).read(), TIME)
    with open(path, "rb") as handle:
        with pytest.raises(_signing.SigningError, match="does not match the message"):
            _signing.verify(str(allowed), "QA-KIM", namespace, handle.read(), open(moved.stale_signature).read(), TIME)

# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import subprocess
import time

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _signing
from ansible_collections.routing_ml.deploy.plugins.module_utils._signing import SigningError
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

QA = "routing-ml-approval-qa-lead"
DEPLOY = "routing-ml-approval-deployment-engineer"
OWNER = "routing-ml-approval-release-owner"
AT = "2025-10-03T14:02:11+09:00"
MESSAGE = b'{"predicate": {"gate": "Alpha"}}\n'

pytestmark = pytest.mark.skipif(not _signing.shutil.which("ssh-keygen"), reason="needs ssh-keygen")


def keygen(directory, name, passphrase=""):
    path = str(directory / name)
    subprocess.check_call(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f", path])
    with open(path + ".pub") as handle:
        public = " ".join(handle.read().split()[:2])
    return path, public


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    directory = tmp_path_factory.mktemp("keys")
    result = {name: keygen(directory, name) for name in ("qa", "qa2", "deploy", "owner", "ctrl", "stranger")}
    result["locked"] = keygen(directory, "locked", passphrase="secret words")
    return result


@pytest.fixture(scope="module")
def allowed(keys, tmp_path_factory):
    """QA-KIM (QA Lead), DEPLOY-LEE (Deployment Engineer until 2027-12-31 UTC), OWNER-PARK
    (Release Owner from 2025-01-01 UTC), the controller (ledger only); QA-KIM's old key
    (qa2) expired 2025-06-30."""
    path = tmp_path_factory.mktemp("trust") / "allowed_signers"
    path.write_text(
        "# who may sign what\n"
        "\n"
        'QA-KIM namespaces="%s",valid-before="20250630Z" %s old laptop\n'
        'QA-KIM namespaces="%s" %s qa-kim laptop\n'
        'DEPLOY-LEE namespaces="%s",valid-before="20271231Z" %s\n'
        'OWNER-PARK namespaces="%s",valid-after="20250101Z" %s\n'
        'routing-ml-controller namespaces="routing-ml-ledger" %s awx signing key\n'
        % (QA, keys["qa2"][1], QA, keys["qa"][1], DEPLOY, keys["deploy"][1], OWNER, keys["owner"][1],
           keys["ctrl"][1]))
    return str(path)


def sig(keys, who, namespace, message=MESSAGE):
    return _signing.sign(keys[who][0], namespace, message)


def refused(*args, **kwargs):
    with pytest.raises(SigningError) as exc:
        _signing.verify(*args, **kwargs)
    return str(exc.value)


@pytest.fixture
def local_zone(monkeypatch):
    def set_zone(name):
        monkeypatch.setenv("TZ", name)
        time.tzset()
    yield set_zone
    monkeypatch.undo()
    time.tzset()


# --------------------------------------------------------------------------- namespaces

@pytest.mark.parametrize("role, namespace", [
    ("QA Lead", "routing-ml-approval-qa-lead"),
    ("Deployment Engineer", "routing-ml-approval-deployment-engineer"),
    ("  Release -- Owner! ", "routing-ml-approval-release-owner"),
    ("SRE2", "routing-ml-approval-sre2"),
])
def test_role_namespace(role, namespace):
    assert _signing.role_namespace(role) == namespace


@pytest.mark.parametrize("role, text", [("", "empty namespace"), (" - ", "empty namespace"),
                                        ("QA 리드", "outside A-Z"), (None, "not a text")])
def test_role_namespace_refuses(role, text):
    with pytest.raises(SigningError) as exc:
        _signing.role_namespace(role)
    assert text in str(exc.value) and repr(role) in str(exc.value)


def test_signing_error_is_a_validation_error():
    assert issubclass(SigningError, ValidationError)


# --------------------------------------------------------------------------- allowed_signers

def test_parse_options_patterns_and_comments(keys):
    qa = keys["qa"][1]
    text = ("  # comment\r\n"
            "\r\n"
            'QA-KIM,*-LEE,!BAD-LEE NAMESPACES="routing-ml-approval-qa-*,a,b",Valid-After="20250101",'
            'valid-before="202712311200Z" %s qa-kim laptop \r\n'
            '"Kim Soo" %s\n'
            "\t ops@* cert-authority %s  the CA\n" % (qa, qa, qa))
    first, second, third = _signing.parse_allowed_signers(text, "as")
    assert (first.line_number, second.line_number, third.line_number) == (3, 4, 5)
    assert first.principals == ["QA-KIM", "*-LEE", "!BAD-LEE"]
    assert first.namespaces == ["routing-ml-approval-qa-*", "a", "b"]
    assert first.valid_before == datetime.datetime(2027, 12, 31, 12, 0, tzinfo=datetime.timezone.utc)
    assert first.valid_after.tzinfo is not None
    assert (first.key_type, first.key, first.comment) == ("ssh-ed25519", qa.split()[1], "qa-kim laptop")
    assert first.fingerprint.startswith("SHA256:")
    assert second.principals == ["Kim Soo"] and second.namespaces is None and second.comment is None
    assert third.cert_authority and third.principals == ["ops@*"] and third.comment == "the CA"

    entries = [first, second, third]
    assert _signing.entries_for(entries, "DEPLOY-LEE") == [first]
    assert _signing.entries_for(entries, "BAD-LEE") == []
    assert _signing.entries_for(entries, "ops@example") == [third]
    assert _signing.entries_for(entries, "Kim Soo") == [second]
    assert _signing.allows_namespace(first, "routing-ml-approval-qa-lead")
    assert _signing.allows_namespace(first, "b")
    assert not _signing.allows_namespace(first, "routing-ml-ledger")
    assert _signing.allows_namespace(second, "anything")
    assert _signing.roles_of(entries, "QA-KIM") == ["routing-ml-approval-qa-*", "a", "b"]
    assert _signing.roles_of(entries, "Kim Soo") == ["*"]


def test_namespace_patterns_negation_and_brackets(keys):
    entry, = _signing.parse_allowed_signers(
        'X namespaces="routing-ml-*,!routing-ml-ledger,[ab]" %s\n' % keys["qa"][1], "as")
    assert _signing.allows_namespace(entry, QA)
    assert not _signing.allows_namespace(entry, "routing-ml-ledger")
    assert _signing.allows_namespace(entry, "[ab]") and not _signing.allows_namespace(entry, "a")


def test_time_without_z_is_local_standard_time(keys, local_zone):
    line = 'X valid-before="202712311200" %s\n' % keys["qa"][1]
    local_zone("Asia/Seoul")
    entry, = _signing.parse_allowed_signers(line, "as")
    assert entry.valid_before == datetime.datetime(2027, 12, 31, 3, 0, tzinfo=datetime.timezone.utc)
    local_zone("UTC")
    entry, = _signing.parse_allowed_signers(line, "as")
    assert entry.valid_before == datetime.datetime(2027, 12, 31, 12, 0, tzinfo=datetime.timezone.utc)


def test_local_time_matches_ssh_keygen(keys, tmp_path, local_zone):
    """A valid-before without Z as ssh-keygen reads it, summer time included (New York
    12:00 in July is 17:00Z for ssh-keygen: mktime with tm_isdst=0)."""
    local_zone("America/New_York")
    path = tmp_path / "allowed_signers"
    path.write_text('DEPLOY-LEE namespaces="%s",valid-before="202707011200" %s\n' % (DEPLOY, keys["deploy"][1]))
    signature = sig(keys, "deploy", DEPLOY)
    entry, = _signing.load_allowed_signers(str(path))
    assert entry.valid_before == datetime.datetime(2027, 7, 1, 17, 0, tzinfo=datetime.timezone.utc)
    assert _signing.verify(str(path), "DEPLOY-LEE", DEPLOY, MESSAGE, signature, "2027-07-01T17:00:00Z")
    message = refused(str(path), "DEPLOY-LEE", DEPLOY, MESSAGE, signature, "2027-07-01T17:00:01Z")
    assert "expired at 2027-07-01T17:00:00Z" in message


@pytest.mark.parametrize("line, text", [
    ("QA-KIM", "is followed by no key"),
    ("QA-KIM ssh-ed25519", "'ssh-ed25519' is not followed by a base64 ssh-ed25519 key"),
    ("QA-KIM ssh-ed25519 AAAAnot-base64", "'ssh-ed25519' is not followed by a base64 ssh-ed25519 key"),
    ("QA-KIM options", "nothing follows the options"),
    ('QA-KIM namespaces="a" AAAAC3NzaC1lZDI1NTE5 x', "'AAAAC3NzaC1lZDI1NTE5' is not followed by a base64"),
    ('QA-KIM namespaces="a" ed-25519! x', "'ed-25519!' is not a key type"),
    ('QA-KIM namespaces="a" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAA', "not followed by a base64 ssh-ed25519 key"),
    ('QA-KIM namespaces="a {key}', "no closing double quote"),
    ('QA-KIM namespace="a" {key}', "'namespace=\"a\"' is not an option ssh-keygen knows"),
    ('QA-KIM namespaces=a {key}', "must be in double quotes"),
    ('QA-KIM valid-before="2027-12-31" {key}', "'2027-12-31' is not a time as ssh-keygen reads it"),
    ('QA-KIM valid-before="20271340" {key}', "is not a calendar date"),
    ('QA-KIM valid-after="20270101Z",valid-before="20260101Z" {key}', 'valid-before="20260101Z" is not after'),
    ('QA-KIM namespaces="a",namespaces="b" {key}', "is given twice"),
    ('QA-KIM namespaces="a", {key}', "end with a comma"),
    ('QA-KIM cert-authorityx {key}', "options are separated by commas"),
    ('QA-KIM,,X {key}', "empty name"),
    ('"QA-KIM {key}', "quoted principals have no closing"),
])
def test_malformed_line_named(keys, line, text):
    content = "# header\n\n%s\n" % line.format(key=keys["qa"][1])
    with pytest.raises(SigningError) as exc:
        _signing.parse_allowed_signers(content, "/etc/rml/allowed_signers")
    assert "allowed_signers /etc/rml/allowed_signers line 3" in str(exc.value)
    assert text in str(exc.value)


def test_key_type_must_match_the_key(keys):
    with pytest.raises(SigningError) as exc:
        _signing.parse_allowed_signers("X ssh-rsa %s\n" % keys["qa"][1].split()[1], "as")
    assert "line 1" in str(exc.value)


def test_load_refuses_bom_missing_and_binary(tmp_path, keys):
    path = tmp_path / "allowed_signers"
    path.write_bytes(b"\xef\xbb\xbfQA-KIM " + keys["qa"][1].encode() + b"\n")
    with pytest.raises(SigningError, match="byte order mark"):
        _signing.load_allowed_signers(str(path))
    path.write_bytes(b"QA-KIM \xff\n")
    with pytest.raises(SigningError, match="not UTF-8"):
        _signing.load_allowed_signers(str(path))
    with pytest.raises(SigningError, match="cannot be read"):
        _signing.load_allowed_signers(str(tmp_path / "missing"))


# --------------------------------------------------------------------------- times

def test_iso_to_ssh_time():
    assert _signing.iso_to_ssh_time("2025-10-03T14:02:11+09:00") == "20251003050211Z"
    assert _signing.iso_to_ssh_time("2025-10-03T14:02:11.999Z") == "20251003140211Z"
    assert _signing.iso_to_ssh_time("2025-10-03T00:30:00-01:30") == "20251003020000Z"
    moment = datetime.datetime(2025, 10, 3, 14, 2, 11, tzinfo=datetime.timezone(datetime.timedelta(hours=9)))
    assert _signing.iso_to_ssh_time(moment) == "20251003050211Z"
    # One rule for every time of the records (_time): no offset without its colon, no space.
    for bad in ("2025-10-03T14:02:11", "20251003", None, datetime.datetime(2025, 10, 3),
                "2025-10-03T00:30:00-0130", "2025-10-03 14:02:11Z"):
        with pytest.raises(SigningError):
            _signing.iso_to_ssh_time(bad)


# --------------------------------------------------------------------------- signature text

def test_check_signature_text_normalises(keys):
    signature = sig(keys, "qa", QA)
    assert signature.startswith(_signing.BEGIN_MARKER + "\n") and signature.endswith(_signing.END_MARKER + "\n")
    assert _signing.check_signature_text(signature) == signature
    assert _signing.check_signature_text(signature.replace("\n", "\r\n")) == signature
    assert _signing.check_signature_text(signature.rstrip("\n")) == signature
    assert _signing.check_signature_text("\n  " + signature + "  \n\n") == signature
    assert _signing.check_signature_text(" ".join(signature.split("\n"))) == signature
    assert _signing.check_signature_text(signature.encode("ascii")) == signature
    info = _signing.signature_info(signature)
    assert info["namespace"] == QA and info["key_type"] == "ssh-ed25519"


@pytest.mark.parametrize("text, expected", [
    ("", "is empty"),
    ("hello", "it has no such lines"),
    ("-----BEGIN PGP SIGNATURE-----\niQEzBAABCAAdFiEE\n-----END PGP SIGNATURE-----\n",
     "it starts with '-----BEGIN PGP SIGNATURE-----'"),
    ("-----BEGIN SSH SIGNATURE-----\nnot base64!\n-----END SSH SIGNATURE-----\n", "not a base64 SSHSIG blob"),
    ("-----BEGIN SSH SIGNATURE-----\naGVsbG8gd29ybGQ=\n-----END SSH SIGNATURE-----\n", "does not start with SSHSIG"),
    ("-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ==\n-----END SSH SIGNATURE-----\n", "cut short"),
    ("x" * 20000, "more than an SSH signature"),
])
def test_check_signature_text_refuses(text, expected):
    with pytest.raises(SigningError) as exc:
        _signing.check_signature_text(text, "signature from the survey")
    message = str(exc.value)
    assert message.startswith("signature from the survey ")
    assert expected in message
    assert "ssh-keygen -Y sign" in message and _signing.BEGIN_MARKER in message


def test_check_signature_text_never_echoes_a_private_key(keys):
    with open(keys["qa"][0]) as handle:
        private = handle.read()
    with pytest.raises(SigningError) as exc:
        _signing.check_signature_text(private)
    assert "is a private key" in str(exc.value)
    assert private.splitlines()[1] not in str(exc.value)


def test_signature_around_other_text_refused(keys):
    signature = sig(keys, "qa", QA)
    with pytest.raises(SigningError, match="it has text before or after the signature"):
        _signing.check_signature_text("approved!\n" + signature)
    with pytest.raises(SigningError, match="it has text before or after the signature"):
        _signing.check_signature_text(signature + "approved!\n")
    with pytest.raises(SigningError, match="it holds 2 BEGIN and 2 END lines"):
        _signing.check_signature_text(signature + signature)
    with pytest.raises(SigningError, match="it has no END line"):
        _signing.check_signature_text(signature[:signature.index("-----END")])


# --------------------------------------------------------------------------- sign and verify

def test_sign_verify_round_trip(keys, allowed):
    signature = sig(keys, "qa", QA)
    result = _signing.verify(allowed, "QA-KIM", QA, MESSAGE, signature, verify_time=AT)
    fingerprint = subprocess.check_output(["ssh-keygen", "-lf", keys["qa"][0] + ".pub"]).decode().split()[1]
    assert result == {"principal": "QA-KIM", "namespace": QA, "key_type": "ED25519",
                      "fingerprint": fingerprint, "verify_time": "2025-10-03T05:02:11Z"}
    # pasted with CRLF and no final newline: the same
    assert _signing.verify(allowed, "QA-KIM", QA, MESSAGE, signature.replace("\n", "\r\n").rstrip())["principal"] == "QA-KIM"
    assert _signing.find_principals(allowed, signature) == ["QA-KIM"]


def test_ledger_checkpoint_by_the_controller(keys, allowed):
    line = ("2025-10-03T14:02:11+09:00 | Stage9 | gate=Alpha | status=Next Stage Ready | version=1.4.0 "
            "| prev=" + "0" * 64).encode("utf-8")
    signature = sig(keys, "ctrl", _signing.LEDGER_NAMESPACE, line)
    result = _signing.verify(allowed, _signing.DEFAULT_LEDGER_SIGNER, _signing.LEDGER_NAMESPACE, line, signature)
    assert result["principal"] == "routing-ml-controller"
    # the controller's key cannot approve a gate
    approval = sig(keys, "ctrl", QA)
    message = refused(allowed, "routing-ml-controller", QA, MESSAGE, approval, AT)
    assert "may not sign in namespace %s" % QA in message and "only in routing-ml-ledger" in message


def test_unknown_principal(keys, allowed):
    message = refused(allowed, "NOBODY", QA, MESSAGE, sig(keys, "qa", QA), AT)
    assert "principal 'NOBODY' is not in allowed_signers %s" % allowed in message
    assert "QA-KIM, DEPLOY-LEE, OWNER-PARK, routing-ml-controller" in message


def test_deployment_engineer_cannot_sign_as_release_owner(keys, allowed):
    signature = sig(keys, "deploy", OWNER)
    message = refused(allowed, "DEPLOY-LEE", OWNER, MESSAGE, signature, AT)
    assert message == ("DEPLOY-LEE's key may not sign in namespace %s: allowed_signers %s lets DEPLOY-LEE "
                       "sign only in %s (line 5)" % (OWNER, allowed, DEPLOY))
    # presented as the Release Owner's approval: named as DEPLOY-LEE's
    message = refused(allowed, "OWNER-PARK", OWNER, MESSAGE, signature, AT)
    assert "made with DEPLOY-LEE's key, not OWNER-PARK's" in message


@pytest.mark.parametrize("who, principal", [("deploy", "DEPLOY-LEE"), ("owner", "OWNER-PARK")])
def test_another_approver_signing_in_the_qa_leads_namespace_is_refused_naming_them(keys, allowed, who, principal):
    """What record_gate meets when DEPLOY-LEE or OWNER-PARK signs the Alpha statement in the QA
    Lead's namespace (the e2e test_signed_gates.py proves the wiring with DEPLOY-LEE)."""
    signature = sig(keys, who, QA)
    message = refused(allowed, "QA-KIM", QA, MESSAGE, signature, AT)
    assert message.startswith("the signature was made with %s's key, not QA-KIM's" % principal), message
    assert _signing.find_principals(allowed, signature) == [principal]


def test_signature_by_another_enrolled_key(keys, allowed, tmp_path):
    both = tmp_path / "allowed_signers"
    both.write_text('QA-KIM namespaces="%s" %s\nQA-CHO namespaces="%s" %s\n' % (QA, keys["qa"][1], QA, keys["owner"][1]))
    message = refused(str(both), "QA-CHO", QA, MESSAGE, sig(keys, "qa", QA), AT)
    assert message == "the signature was made with QA-KIM's key, not QA-CHO's (allowed_signers %s)" % both


def test_signature_in_another_namespace(keys, allowed):
    message = refused(allowed, "QA-KIM", QA, MESSAGE, sig(keys, "qa", "file"), AT)
    assert "the signature is for namespace 'file', not '%s'" % QA in message
    assert "made with QA-KIM's key" in message and "ssh-keygen -Y sign -n %s" % QA in message
    message = refused(allowed, "DEPLOY-LEE", DEPLOY, MESSAGE, sig(keys, "qa", QA), AT)
    assert "for namespace '%s', not '%s'" % (QA, DEPLOY) in message
    assert "QA-KIM's key, not DEPLOY-LEE's" in message


def test_key_not_in_allowed_signers(keys, allowed):
    signature = sig(keys, "stranger", QA)
    message = refused(allowed, "QA-KIM", QA, MESSAGE, signature, AT)
    assert "made with a key that is not in allowed_signers %s (ssh-ed25519 key SHA256:" % allowed in message
    assert "not with QA-KIM's" in message
    assert _signing.find_principals(allowed, signature) == []


def test_message_changed_by_one_byte(keys, allowed):
    signature = sig(keys, "qa", QA)
    changed = MESSAGE.replace(b"Alpha", b"Alphb")
    message = refused(allowed, "QA-KIM", QA, changed, signature, AT)
    assert message == ("the signature by QA-KIM's key does not match the message: the signed file was "
                       "changed after it was signed, or the signature is of another file")
    assert refused(allowed, "QA-KIM", QA, MESSAGE + b"\n", signature, AT) == message


def test_expired_key_at_the_statement_time(keys, allowed):
    signature = sig(keys, "deploy", DEPLOY)
    assert _signing.verify(allowed, "DEPLOY-LEE", DEPLOY, MESSAGE, signature, "2027-12-31T08:59:59+09:00")
    message = refused(allowed, "DEPLOY-LEE", DEPLOY, MESSAGE, signature, "2028-01-02T09:00:00+09:00")
    assert message == ("DEPLOY-LEE's key may not sign in namespace %s at 2028-01-02T00:00:00Z: "
                       "allowed_signers %s line 5 expired at 2027-12-31T00:00:00Z "
                       "(valid-before=\"20271231Z\")" % (DEPLOY, allowed))


def test_valid_after_in_the_future(keys, allowed):
    signature = sig(keys, "owner", OWNER)
    message = refused(allowed, "OWNER-PARK", OWNER, MESSAGE, signature, "2024-12-31T23:00:00Z")
    assert "allowed_signers %s line 6 is valid only from 2025-01-01T00:00:00Z (valid-after=\"20250101Z\")" % allowed in message
    assert _signing.verify(allowed, "OWNER-PARK", OWNER, MESSAGE, signature, "2025-01-01T00:00:00Z")


def test_retired_key_of_a_principal_with_a_new_one(keys, allowed):
    old = sig(keys, "qa2", QA)
    assert _signing.verify(allowed, "QA-KIM", QA, MESSAGE, old, "2025-06-29T12:00:00Z")
    message = refused(allowed, "QA-KIM", QA, MESSAGE, old, AT)
    assert "made with QA-KIM's key at a time it is not valid (2025-10-03T05:02:11Z)" in message
    assert "line 3 expired at 2025-06-30T00:00:00Z" in message


@pytest.mark.parametrize("text", ["", "approved", "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----"])
def test_garbage_signature(allowed, text):
    message = refused(allowed, "QA-KIM", QA, MESSAGE, text, AT)
    assert "signature is" in message and "ssh-keygen -Y sign" in message


def test_passphrase_key_fails_fast(keys):
    started = time.monotonic()
    with pytest.raises(SigningError) as exc:
        _signing.sign(keys["locked"][0], QA, MESSAGE)
    assert time.monotonic() - started < 5
    assert "signing key %s is protected by a passphrase" % keys["locked"][0] in str(exc.value)
    assert "secret" not in str(exc.value)


def test_sign_refuses_missing_open_and_public_keys(keys, tmp_path):
    with pytest.raises(SigningError, match="does not exist"):
        _signing.sign(str(tmp_path / "nope"), QA, MESSAGE)
    with pytest.raises(SigningError, match="is not a file"):
        _signing.sign(str(tmp_path), QA, MESSAGE)
    loose = tmp_path / "loose"
    loose.write_bytes(open(keys["qa"][0], "rb").read())
    os.chmod(str(loose), 0o644)
    with pytest.raises(SigningError, match="has mode 0644: ssh-keygen refuses"):
        _signing.sign(str(loose), QA, MESSAGE)
    public = tmp_path / "public"
    public.write_text(keys["qa"][1] + "\n")
    os.chmod(str(public), 0o600)
    with pytest.raises(SigningError) as exc:
        _signing.sign(str(public), QA, MESSAGE)
    assert "is not an OpenSSH private key" in str(exc.value)
    with pytest.raises(SigningError, match="namespace 'bad namespace'"):
        _signing.sign(keys["qa"][0], "bad namespace", MESSAGE)
    with pytest.raises(SigningError, match="must be bytes"):
        _signing.sign(keys["qa"][0], QA, u"text")


def test_ssh_keygen_missing(monkeypatch, keys):
    monkeypatch.setattr(_signing.shutil, "which", lambda name: None)
    with pytest.raises(SigningError, match="ssh-keygen .* is not installed"):
        _signing.sign(keys["qa"][0], QA, MESSAGE)


def test_ssh_keygen_timeout(monkeypatch, keys):
    def slow(*args, **kwargs):
        raise subprocess.TimeoutExpired(args[0], kwargs.get("timeout"))
    monkeypatch.setattr(_signing.subprocess, "run", slow)
    with pytest.raises(SigningError, match="did not finish within 30 s"):
        _signing.sign(keys["qa"][0], QA, MESSAGE)


def test_temporary_signature_file_removed(keys, allowed, monkeypatch, tmp_path):
    monkeypatch.setattr(_signing.tempfile, "tempdir", str(tmp_path))
    signature = sig(keys, "qa", QA)
    _signing.verify(allowed, "QA-KIM", QA, MESSAGE, signature, AT)
    refused(allowed, "QA-KIM", QA, b"other", signature, AT)
    assert os.listdir(str(tmp_path)) == []

# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenSSH signatures (SSHSIG, ``ssh-keygen -Y``) of approval statements and ledger lines.

Who may sign what is one ``allowed_signers`` file (ssh-keygen(1), "ALLOWED SIGNERS"); a
role is a namespace (``routing-ml-approval-<role>``), the controller signs ledger
checkpoints in ``routing-ml-ledger``. ``ssh-keygen`` does the cryptography; this module
parses the allowed_signers file the way ``ssh-keygen`` does so that a refusal can say *why*
(unknown principal, a role the key does not have, a key expired at the statement's time,
a signature by somebody else's key, a changed file) instead of "Could not verify
signature.".

Pure Python around the ``ssh-keygen`` binary: raises ``SigningError`` (a
``ValidationError``) with a message that names the offending value. Messages never
contain the signed bytes or key material.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import calendar
import datetime
import hashlib
import os
import re
import shutil
import struct
import subprocess
import tempfile
import time

from ansible_collections.routing_ml.deploy.plugins.module_utils import _time
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

APPROVAL_NAMESPACE_PREFIX = "routing-ml-approval-"
LEDGER_NAMESPACE = "routing-ml-ledger"
DEFAULT_LEDGER_SIGNER = "routing-ml-controller"

BEGIN_MARKER = "-----BEGIN SSH SIGNATURE-----"
END_MARKER = "-----END SSH SIGNATURE-----"
MAX_SIGNATURE_TEXT = 16 * 1024
# ssh-keygen wraps the armored base64 at 70 columns.
ARMOR_WIDTH = 70
TIMEOUT = 30

_SSHSIG_MAGIC = b"SSHSIG"
_KEY_TYPE_RE = re.compile(r"[A-Za-z0-9@._+-]+")
_SSH_TIME_RE = re.compile(r"([0-9]{8}|[0-9]{12}|[0-9]{14})(Z|UTC)?", re.IGNORECASE)
_GOOD_RE = re.compile(
    r'^Good "(?P<namespace>[^"]*)" signature for (?P<principal>.+) with (?P<key_type>\S+) key '
    r'(?P<fingerprint>SHA256:[A-Za-z0-9+/]+)', re.MULTILINE)
_UTC = datetime.timezone.utc


class SigningError(ValidationError):
    """A signature that cannot be made or does not verify; the message says why."""


# --------------------------------------------------------------------------- namespaces

def role_namespace(role):
    """The namespace of an approver role: ``QA Lead`` -> ``routing-ml-approval-qa-lead``."""
    if not isinstance(role, str):
        raise SigningError("approver role %r is not a text" % (role,))
    if any(c.isalnum() and not c.isascii() for c in role):
        raise SigningError(
            "approver role %r has letters outside A-Z and digits: its namespace would drop them; "
            "name the role in ASCII (e.g. 'QA Lead')" % (role,))
    slug = re.sub(r"[^a-z0-9]+", "-", role.lower()).strip("-")
    if not slug:
        raise SigningError(
            "approver role %r gives an empty namespace: it needs letters or digits" % (role,))
    return APPROVAL_NAMESPACE_PREFIX + slug


# --------------------------------------------------------------------------- patterns

def _match_pattern(name, pattern):
    """OpenSSH ``match_pattern``: ``*`` and ``?`` only (``[`` is an ordinary character)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, name, re.DOTALL) is not None


def match_list(name, patterns):
    """OpenSSH ``match_pattern_list``: 1 when a pattern matches, -1 when a ``!pattern``
    matches (that wins), 0 when none does."""
    found = 0
    for pattern in patterns:
        negated = pattern.startswith("!")
        if negated:
            pattern = pattern[1:]
        if _match_pattern(name, pattern):
            if negated:
                return -1
            found = 1
    return found


# --------------------------------------------------------------------------- times

def _epoch(moment):
    return calendar.timegm(moment.astimezone(_UTC).utctimetuple())


def _utc_text(moment):
    return moment.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ssh_time(text, what="time"):
    """An ``allowed_signers``/``-Overify-time`` time as an aware UTC datetime.

    ``YYYYMMDD[HHMM[SS]]`` with ``Z``/``UTC`` is UTC; without, ssh-keygen calls ``mktime``
    with ``tm_isdst = 0``, i.e. the local zone's *standard* time: the same here.
    """
    match = _SSH_TIME_RE.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise SigningError(
            "%s %r is not a time as ssh-keygen reads it: expected YYYYMMDD, YYYYMMDDHHMM or "
            "YYYYMMDDHHMMSS, optionally followed by Z for UTC" % (what, text))
    digits = match.group(1).ljust(14, "0")
    try:
        parts = time.strptime(digits, "%Y%m%d%H%M%S")
    except ValueError:
        raise SigningError("%s %r is not a calendar date and time" % (what, text))
    fields = tuple(parts)[:6]
    try:
        if match.group(2):
            seconds = calendar.timegm(fields + (0, 0, 0))
        else:
            seconds = time.mktime(fields + (0, 0, 0))
    except (OverflowError, ValueError):
        seconds = -1
    if seconds < 0:
        raise SigningError("%s %r is not a time ssh-keygen accepts" % (what, text))
    return datetime.datetime.fromtimestamp(int(seconds), _UTC)


def _as_moment(value, what="time"):
    """An aware datetime from an aware datetime or ISO8601 text with an offset."""
    try:
        return _time.moment_of(value, what)
    except ValidationError as exc:
        raise SigningError(str(exc))


def iso_to_ssh_time(timestamp):
    """ISO8601 with an offset (or an aware datetime) -> ``YYYYMMDDHHMMSSZ`` in UTC."""
    moment = _as_moment(timestamp, "verify time")
    return time.strftime("%Y%m%d%H%M%SZ", time.gmtime(_epoch(moment)))


# --------------------------------------------------------------------------- allowed_signers

class AllowedSigner(object):
    """One line of an allowed_signers file."""

    def __init__(self, path, line_number, principals, key_type, key, comment=None,
                 cert_authority=False, namespaces=None, valid_after=None, valid_before=None,
                 valid_after_text=None, valid_before_text=None):
        self.path = path
        self.line_number = line_number
        self.principals = principals
        self.key_type = key_type
        self.key = key
        self.comment = comment
        self.cert_authority = cert_authority
        self.namespaces = namespaces
        self.valid_after = valid_after
        self.valid_before = valid_before
        self.valid_after_text = valid_after_text
        self.valid_before_text = valid_before_text

    @property
    def key_blob(self):
        return base64.b64decode(self.key)

    @property
    def fingerprint(self):
        return fingerprint(self.key_blob)

    def where(self):
        return "allowed_signers %s line %d" % (self.path, self.line_number)

    def matches_principal(self, principal):
        return match_list(principal, self.principals) == 1

    def validity_problem(self, moment):
        """None when the line is valid at ``moment``, else why not (ssh-keygen's rule:
        valid-after <= time <= valid-before, in whole seconds)."""
        seconds = _epoch(moment)
        if self.valid_after is not None and seconds < _epoch(self.valid_after):
            return "%s is valid only from %s (valid-after=\"%s\")" % (
                self.where(), _utc_text(self.valid_after), self.valid_after_text)
        if self.valid_before is not None and seconds > _epoch(self.valid_before):
            return "%s expired at %s (valid-before=\"%s\")" % (
                self.where(), _utc_text(self.valid_before), self.valid_before_text)
        return None

    def __repr__(self):
        return "AllowedSigner(%s, %s)" % (self.where(), ",".join(self.principals))


def fingerprint(key_blob):
    """``SHA256:<base64 without padding>`` as ``ssh-keygen -l`` prints it."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(key_blob).digest()).decode("ascii").rstrip("=")


def _read_string(data, offset, what):
    if offset + 4 > len(data):
        raise ValueError("%s is cut short" % what)
    (length,) = struct.unpack(">I", data[offset:offset + 4])
    end = offset + 4 + length
    if end > len(data):
        raise ValueError("%s is cut short" % what)
    return data[offset + 4:end], end


def _blob_key_type(blob):
    try:
        name, dummy = _read_string(blob, 0, "key")
        return name.decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None


def _well_formed_blob(key_type, blob):
    """A plain public key blob is length-prefixed fields, the first its type, nothing
    after (certificates, with fixed-size fields, are left to ssh-keygen)."""
    if key_type.endswith("-cert-v01@openssh.com"):
        return True
    fields, offset = [], 0
    try:
        while offset < len(blob):
            field, offset = _read_string(blob, offset, "key")
            fields.append(field)
    except ValueError:
        return False
    if key_type == "ssh-ed25519":
        return len(fields) == 2 and len(fields[1]) == 32
    return len(fields) >= 2


def _decode_key(key_type, b64):
    """The key blob when ``key_type b64`` is a public key (the blob names that type)."""
    if not _KEY_TYPE_RE.fullmatch(key_type or ""):
        return None
    try:
        blob = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not blob or _blob_key_type(blob) != key_type or not _well_formed_blob(key_type, blob):
        return None
    return blob


def _looks_like_key_type(token):
    return re.match(r"(ssh|ecdsa|sk|rsa)-[a-z0-9@.-]+$", token) is not None


def _split_first(text):
    """``(first whitespace-separated token, rest without leading white space)``."""
    match = re.match(r"([^ \t]+)[ \t]*", text)
    if not match:
        return "", text
    return match.group(1), text[match.end():]


def _skip_options(text):
    """OpenSSH ``sshkey_advance_past_options``: the options field ends at white space
    outside double quotes (``\\"`` is an escaped quote). Returns (options, rest) or None
    for an unterminated quote."""
    quoted = False
    i = 0
    while i < len(text) and (quoted or text[i] not in " \t"):
        if text[i] == "\\" and text[i + 1:i + 2] == '"':
            i += 1
        elif text[i] == '"':
            quoted = not quoted
        i += 1
    if quoted:
        return None
    return text[:i], text[i:].lstrip(" \t")


def _dequote(opts, i):
    """OpenSSH ``opt_dequote``: a ``"..."`` value starting at ``opts[i]``; (value, next i)."""
    if opts[i:i + 1] != '"':
        raise ValueError("its value must be in double quotes")
    value = []
    i += 1
    while i < len(opts):
        if opts[i] == '"':
            return "".join(value), i + 1
        if opts[i] == "\\" and opts[i + 1:i + 2] == '"':
            i += 1
        value.append(opts[i])
        i += 1
    raise ValueError("its value has no closing double quote")


_OPTIONS_HELP = 'cert-authority, namespaces="...", valid-after="...", valid-before="..."'


def _parse_options(opts, where):
    """OpenSSH ``sshsigopt_parse``: comma-separated, names in any case."""
    result = {"cert_authority": False, "namespaces": None, "valid-after": None, "valid-before": None}
    texts = {}
    i = 0
    while i < len(opts):
        rest = opts[i:].lower()
        try:
            if rest.startswith("cert-authority"):
                result["cert_authority"] = True
                i += len("cert-authority")
            else:
                name = next((n for n in ("namespaces", "valid-after", "valid-before")
                             if rest.startswith(n + "=")), None)
                if name is None:
                    raise ValueError("is not an option ssh-keygen knows (%s)" % _OPTIONS_HELP)
                if name in texts:
                    raise ValueError("is given twice")
                value, i = _dequote(opts, i + len(name) + 1)
                texts[name] = value
                if name == "namespaces":
                    result["namespaces"] = value.split(",")
                else:
                    result[name] = parse_ssh_time(value, "%s: %s" % (where, name))
                    if _epoch(result[name]) == 0:
                        raise ValueError("is not a time ssh-keygen accepts")
        except ValueError as exc:
            raise SigningError("%s: option %r %s" % (where, opts[i:].split(",")[0], exc))
        if i == len(opts):
            break
        if opts[i] != ",":
            raise SigningError("%s: unexpected %r in the options %r: options are separated by "
                               "commas (%s)" % (where, opts[i:], opts, _OPTIONS_HELP))
        i += 1
        if i == len(opts):
            raise SigningError("%s: the options %r end with a comma" % (where, opts))
    after, before = result["valid-after"], result["valid-before"]
    if after is not None and before is not None and before <= after:
        raise SigningError('%s: valid-before="%s" is not after valid-after="%s"' % (
            where, texts["valid-before"], texts["valid-after"]))
    result["valid_after_text"] = texts.get("valid-after")
    result["valid_before_text"] = texts.get("valid-before")
    return result


def _parse_line(line, path, number):
    where = "allowed_signers %s line %d" % (path, number)
    text = line.strip(" \t")
    # principals: one field, or a double-quoted text that may hold spaces
    if text.startswith('"'):
        end = text.find('"', 1)
        if end < 0:
            raise SigningError("%s: the quoted principals have no closing double quote" % where)
        principals_text, rest = text[1:end], text[end + 1:]
        if rest and rest[0] not in " \t":
            raise SigningError("%s: expected white space after the quoted principals" % where)
        rest = rest.lstrip(" \t")
    else:
        principals_text, rest = _split_first(text)
    principals = principals_text.split(",")
    if not all(principals):
        raise SigningError("%s: the principals %r hold an empty name" % (where, principals_text))
    key_type, after_type = _split_first(rest)
    key_b64, comment = _split_first(after_type)
    options = None
    if _decode_key(key_type, key_b64) is None:
        if not rest:
            raise SigningError("%s: %r is followed by no key: expected 'principals [options] "
                               "keytype base64-key [comment]'" % (where, principals_text))
        if _looks_like_key_type(key_type):
            raise SigningError(
                "%s: %r is not followed by a base64 %s key (copy the key from the .pub file "
                "whole)" % (where, key_type, key_type))
        split = _skip_options(rest)
        if split is None:
            raise SigningError("%s: the options %r have no closing double quote" % (where, rest.split()[0]))
        options, rest = split
        key_type, after_type = _split_first(rest)
        key_b64, comment = _split_first(after_type)
        if _decode_key(key_type, key_b64) is None:
            if not key_type:
                problem = "nothing follows the options"
            elif not _KEY_TYPE_RE.fullmatch(key_type):
                problem = "%r is not a key type" % key_type
            else:
                problem = "%r is not followed by a base64 %s key" % (key_type, key_type)
            raise SigningError(
                "%s: expected 'principals [options] keytype base64-key [comment]' (e.g. QA-KIM "
                "namespaces=\"routing-ml-approval-qa-lead\" ssh-ed25519 AAAA... qa-kim laptop): %s"
                % (where, problem))
    parsed = _parse_options(options, where) if options else _parse_options("", where)
    return AllowedSigner(
        path, number, principals, key_type, key_b64, comment=comment.strip() or None,
        cert_authority=parsed["cert_authority"], namespaces=parsed["namespaces"],
        valid_after=parsed["valid-after"], valid_before=parsed["valid-before"],
        valid_after_text=parsed["valid_after_text"], valid_before_text=parsed["valid_before_text"])


def parse_allowed_signers(text, path):
    """The entries of an allowed_signers file; a malformed line is refused by number."""
    if text.startswith("\ufeff"):
        raise SigningError(
            "allowed_signers %s starts with a byte order mark, which ssh-keygen reads as part of "
            "the first principal: save the file as UTF-8 without BOM" % (path,))
    entries = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        stripped = line.strip(" \t")
        if not stripped or stripped.startswith("#"):
            continue
        entries.append(_parse_line(line, path, number))
    return entries


def load_allowed_signers(path):
    try:
        with open(path, "rb") as handle:
            raw = handle.read(4 * 1024 * 1024 + 1)
    except (IOError, OSError) as exc:
        raise SigningError("allowed_signers %s cannot be read: %s" % (path, exc.strerror or exc))
    if len(raw) > 4 * 1024 * 1024:
        raise SigningError("allowed_signers %s is larger than 4 MiB" % (path,))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SigningError("allowed_signers %s is not UTF-8 text (byte %d)" % (path, exc.start))
    return parse_allowed_signers(text, path)


def entries_for(entries, principal):
    """The lines whose principals (patterns) match ``principal``."""
    return [e for e in entries if e.matches_principal(principal)]


def allows_namespace(entry, namespace):
    """True when the line lets its key sign in ``namespace`` (no ``namespaces=``: any)."""
    return entry.namespaces is None or match_list(namespace, entry.namespaces) == 1


def roles_of(entries, principal):
    """The namespaces (patterns) enrolled for ``principal``, in file order; ``*`` for a
    line without ``namespaces=``."""
    found = []
    for entry in entries_for(entries, principal):
        for pattern in entry.namespaces if entry.namespaces is not None else ["*"]:
            if pattern not in found:
                found.append(pattern)
    return found


def _all_principals(entries):
    found = []
    for entry in entries:
        for principal in entry.principals:
            if principal not in found:
                found.append(principal)
    return found


# --------------------------------------------------------------------------- signature text

def _parse_sshsig(blob):
    """The fields of an SSHSIG blob: magic, version 1, public key, namespace, reserved,
    hash algorithm, signature; ValueError when it is not one."""
    if not blob.startswith(_SSHSIG_MAGIC):
        raise ValueError("it does not start with SSHSIG")
    offset = len(_SSHSIG_MAGIC)
    if len(blob) < offset + 4:
        raise ValueError("it is cut short")
    (version,) = struct.unpack(">I", blob[offset:offset + 4])
    if version != 1:
        raise ValueError("it is SSHSIG version %d, not 1" % version)
    offset += 4
    public_key, offset = _read_string(blob, offset, "the public key")
    namespace, offset = _read_string(blob, offset, "the namespace")
    dummy, offset = _read_string(blob, offset, "the reserved field")
    hash_algorithm, offset = _read_string(blob, offset, "the hash algorithm")
    dummy, offset = _read_string(blob, offset, "the signature")
    if offset != len(blob):
        raise ValueError("it has %d bytes after the signature" % (len(blob) - offset))
    try:
        return {
            "public_key": public_key,
            "key_type": _blob_key_type(public_key),
            "fingerprint": fingerprint(public_key),
            "namespace": namespace.decode("utf-8"),
            "hash_algorithm": hash_algorithm.decode("ascii"),
        }
    except UnicodeDecodeError:
        raise ValueError("its namespace or hash algorithm is not text")


def _armor_body(text):
    """The base64 between the markers (white space removed: a survey text field may have
    joined the lines with spaces), or None when the text is not markers around it."""
    if text.count(BEGIN_MARKER) != 1 or text.count(END_MARKER) != 1:
        return None
    begin = text.index(BEGIN_MARKER)
    start = begin + len(BEGIN_MARKER)
    end = text.index(END_MARKER)
    if end < start or (text[:begin] + text[end + len(END_MARKER):]).strip():
        return None
    return re.sub(r"\s+", "", text[start:end])


def check_signature_text(text, what="signature"):
    """The armored SSH signature ``ssh-keygen -Y sign`` writes, normalised: LF line ends,
    base64 wrapped at 70 columns as ssh-keygen does, one final newline. Accepts CRLF, a
    missing final newline, surrounding white space and lines joined by spaces (pasted
    into a survey). Refuses anything else, saying what was expected."""
    expected = ("expected the content of the .sig file that 'ssh-keygen -Y sign' writes: a line "
                "'%s', base64 lines and a line '%s'" % (BEGIN_MARKER, END_MARKER))
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise SigningError("%s is not ASCII text: %s" % (what, expected))
    if not isinstance(text, str) or not text.strip():
        raise SigningError("%s is empty: %s" % (what, expected))
    if len(text) > MAX_SIGNATURE_TEXT:
        raise SigningError("%s is %d characters long, more than an SSH signature (at most %d): %s"
                           % (what, len(text), MAX_SIGNATURE_TEXT, expected))
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "PRIVATE KEY" in text:
        raise SigningError("%s is a private key, not a signature: never paste a key; %s" % (what, expected))
    body = _armor_body(text)
    if body is None:
        first = text.strip().split("\n")[0].strip()
        begins, ends = text.count(BEGIN_MARKER), text.count(END_MARKER)
        if begins > 1 or ends > 1:
            got = "it holds %d BEGIN and %d END lines, one signature has one of each" % (begins, ends)
        elif begins and ends:
            got = "it has text before or after the signature"
        elif begins:
            got = "it has no END line (cut short?)"
        elif re.fullmatch(r"-----BEGIN [A-Z0-9 ]{1,40}-----", first):
            got = "it starts with %r" % first
        else:
            got = "it has no such lines"
        raise SigningError("%s is not an SSH signature: %s; %s" % (what, got, expected))
    try:
        blob = base64.b64decode(body, validate=True)
        if not blob:
            raise ValueError("it is empty")
        _parse_sshsig(blob)
    except (binascii.Error, ValueError) as exc:
        raise SigningError("%s is not an SSH signature: the text between the markers is not a "
                           "base64 SSHSIG blob (%s); %s" % (what, exc, expected))
    wrapped = [body[i:i + ARMOR_WIDTH] for i in range(0, len(body), ARMOR_WIDTH)]
    return "\n".join([BEGIN_MARKER] + wrapped + [END_MARKER]) + "\n"


def signature_info(signature_text, what="signature"):
    """What the signature itself says: namespace, key_type, fingerprint, public_key (blob).
    Unverified: only ``verify`` says whether it is good."""
    normalised = check_signature_text(signature_text, what)
    body = "".join(normalised.split("\n")[1:-2])
    return _parse_sshsig(base64.b64decode(body))


# --------------------------------------------------------------------------- ssh-keygen

def ssh_keygen():
    """The path of ``ssh-keygen``."""
    path = shutil.which("ssh-keygen")
    if not path:
        raise SigningError(
            "ssh-keygen (OpenSSH) is not installed or not on PATH of this machine: "
            "signatures are made and verified with 'ssh-keygen -Y'")
    return path


def _environment():
    env = dict(os.environ)
    # No prompt through an askpass program: a key that needs a passphrase fails at once.
    for name in ("SSH_ASKPASS", "DISPLAY"):
        env.pop(name, None)
    env["SSH_ASKPASS_REQUIRE"] = "never"
    return env


def _run(args, stdin=None, timeout=TIMEOUT):
    """Run ssh-keygen without a controlling terminal (no prompt can hang); stdin from
    bytes. Returns (rc, stdout text, stderr text)."""
    command = [ssh_keygen()] + list(args)
    try:
        process = subprocess.run(
            command, input=stdin if stdin is not None else b"", stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=_environment(), timeout=timeout, start_new_session=True,
            close_fds=True, check=False)
    except subprocess.TimeoutExpired:
        raise SigningError("ssh-keygen %s did not finish within %d s" % (" ".join(args[:2]), timeout))
    except OSError as exc:
        raise SigningError("ssh-keygen cannot be run: %s" % (exc.strerror or exc,))
    return (process.returncode, process.stdout.decode("utf-8", "replace"),
            _clean_stderr(process.stderr.decode("utf-8", "replace")))


def _clean_stderr(text):
    noise = ("Signing data on standard input", "@@@@", "WARNING: UNPROTECTED PRIVATE KEY FILE",
             "It is required that your private key", "This private key will be ignored")
    lines = [line.strip() for line in text.splitlines()]
    return "; ".join(line for line in lines if line and not line.startswith(noise))


def _check_key_file(key_path):
    """Fail fast and clearly on a key that ssh-keygen would refuse or prompt for."""
    if not isinstance(key_path, str) or not key_path:
        raise SigningError("signing key %r is not a file path" % (key_path,))
    if not os.path.exists(key_path):
        raise SigningError("signing key %s does not exist" % (key_path,))
    if not os.path.isfile(key_path):
        raise SigningError("signing key %s is not a file" % (key_path,))
    try:
        with open(key_path, "rb") as handle:
            handle.read(1)
    except (IOError, OSError) as exc:
        raise SigningError("signing key %s cannot be read: %s" % (key_path, exc.strerror or exc))
    status = os.stat(key_path)
    if status.st_uid == os.getuid() and status.st_mode & 0o077:
        raise SigningError(
            "signing key %s has mode %04o: ssh-keygen refuses a private key that others may "
            "read; chmod 600 it" % (key_path, status.st_mode & 0o7777))
    # -y prints the public key of a private key; with -P '' it never prompts.
    rc, dummy, err = _run(["-y", "-P", "", "-f", key_path])
    if rc != 0:
        if "passphrase" in err:
            raise SigningError(
                "signing key %s is protected by a passphrase: signing here runs without a "
                "prompt, so the key must have none (keep it in vault or an AWX credential "
                "instead)" % (key_path,))
        if "invalid format" in err or "error in libcrypto" in err:
            raise SigningError("signing key %s is not an OpenSSH private key (a public key or "
                               "another file?)" % (key_path,))
        raise SigningError("signing key %s cannot be loaded: %s" % (key_path, err or "ssh-keygen -y failed"))


def _check_namespace(namespace):
    if not isinstance(namespace, str) or not re.fullmatch(r"[A-Za-z0-9@._+-]{1,128}", namespace):
        raise SigningError("namespace %r is not valid: expected letters, digits and . _ + - @" % (namespace,))
    return namespace


def _check_message(message_bytes):
    if not isinstance(message_bytes, bytes):
        raise SigningError("the message to sign or verify must be bytes, got %s" % type(message_bytes).__name__)
    return message_bytes


def sign(key_path, namespace, message_bytes):
    """Sign ``message_bytes`` in ``namespace`` with the private key at ``key_path``;
    returns the armored signature text."""
    _check_namespace(namespace)
    _check_message(message_bytes)
    _check_key_file(key_path)
    # -P '' as well: should the key change in between, ssh-keygen fails instead of reading
    # a passphrase from stdin (the message).
    rc, out, err = _run(["-Y", "sign", "-P", "", "-f", key_path, "-n", namespace], stdin=message_bytes)
    if rc != 0:
        raise SigningError("ssh-keygen could not sign in namespace %s with %s: %s" % (
            namespace, key_path, err or "exit status %d" % rc))
    return check_signature_text(out, "the signature ssh-keygen wrote")


class _SignatureFile(object):
    """The signature text in a private temporary file for the block, removed after."""

    def __init__(self, signature_text):
        self.text = signature_text
        self.path = None

    def __enter__(self):
        fd, self.path = tempfile.mkstemp(prefix="routing-ml-", suffix=".sig")
        with os.fdopen(fd, "w") as handle:
            handle.write(self.text)
        return self.path

    def __exit__(self, *exc_info):
        try:
            os.unlink(self.path)
        except OSError:
            pass


def find_principals(allowed_signers_path, signature_text, verify_time=None):
    """The principals of the allowed_signers line whose key made the signature (valid at
    ``verify_time``, default now), or []."""
    load_allowed_signers(allowed_signers_path)
    normalised = check_signature_text(signature_text)
    args = ["-Y", "find-principals", "-f", allowed_signers_path]
    if verify_time is not None:
        args.append("-Overify-time=%s" % iso_to_ssh_time(verify_time))
    with _SignatureFile(normalised) as sig_path:
        rc, out, dummy = _run(args + ["-s", sig_path])
    if rc != 0:
        return []
    found = []
    for line in out.splitlines():
        for principal in line.strip().split(","):
            if principal and principal not in found:
                found.append(principal)
    return found


def _names(principals):
    return " or ".join("%s's" % p for p in principals)


def verify(allowed_signers_path, principal, namespace, message_bytes, signature_text, verify_time=None):
    """Verify that ``principal`` signed ``message_bytes`` in ``namespace``, with a key
    that allowed_signers lets sign there at ``verify_time`` (ISO8601 or aware datetime;
    default now). Returns {principal, namespace, fingerprint, key_type, verify_time}."""
    _check_namespace(namespace)
    _check_message(message_bytes)
    if not isinstance(principal, str) or not principal:
        raise SigningError("principal %r is not a name" % (principal,))
    moment = _as_moment(verify_time, "verify time") if verify_time is not None else \
        datetime.datetime.now(_UTC)
    entries = load_allowed_signers(allowed_signers_path)
    mine = entries_for(entries, principal)
    if not mine:
        raise SigningError(
            "principal %r is not in allowed_signers %s (it lists %s): enrol the key with a "
            "line '%s namespaces=\"%s\" ssh-ed25519 AAAA...'" % (
                principal, allowed_signers_path, ", ".join(_all_principals(entries)) or "nobody",
                principal, namespace))
    for_namespace = [e for e in mine if allows_namespace(e, namespace)]
    if not for_namespace:
        raise SigningError(
            "%s's key may not sign in namespace %s: allowed_signers %s lets %s sign only in %s "
            "(line %s)" % (
                principal, namespace, allowed_signers_path, principal, ", ".join(roles_of(entries, principal)),
                ", ".join(str(e.line_number) for e in mine)))
    problems = [e.validity_problem(moment) for e in for_namespace]
    if all(problems):
        raise SigningError(
            "%s's key may not sign in namespace %s at %s: %s" % (
                principal, namespace, _utc_text(moment), "; ".join(problems)))
    normalised = check_signature_text(signature_text)
    info = signature_info(normalised)
    ssh_time = iso_to_ssh_time(moment) if verify_time is not None else None
    args = ["-Y", "verify", "-f", allowed_signers_path, "-I", principal, "-n", namespace]
    if ssh_time:
        args.append("-Overify-time=%s" % ssh_time)
    with _SignatureFile(normalised) as sig_path:
        rc, out, err = _run(args + ["-s", sig_path], stdin=message_bytes)
    good = _GOOD_RE.search(out)
    if rc == 0 and good:
        return {
            "principal": good.group("principal"),
            "namespace": good.group("namespace"),
            "key_type": good.group("key_type"),
            "fingerprint": good.group("fingerprint"),
            "verify_time": _utc_text(moment) if verify_time is not None else None,
        }
    raise SigningError(_explain_failure(
        allowed_signers_path, entries, principal, namespace, normalised, info, moment,
        verify_time, err))


def _explain_failure(path, entries, principal, namespace, signature_text, info, moment, verify_time, err):
    signers = find_principals(path, signature_text, moment if verify_time is not None else None)
    by_key = [e for e in entries if e.key_blob == info["public_key"]]
    key_text = "%s key %s" % (info["key_type"] or "unknown", info["fingerprint"])
    claimed = any(match_list(principal, [s]) == 1 for s in signers)
    if info["namespace"] != namespace:
        owners = signers or _all_principals(by_key)
        if not owners:
            who = "a key that is not in allowed_signers %s (%s)" % (path, key_text)
        elif claimed or any(e.matches_principal(principal) for e in by_key):
            who = "%s's key" % principal
        else:
            who = "%s key, not %s's," % (_names(owners), principal)
        return ("the signature is for namespace %r, not %r: it was made with %s for another "
                "role or purpose (sign with: ssh-keygen -Y sign -n %s ...)" % (
                    info["namespace"], namespace, who, namespace))
    if signers and not claimed:
        return "the signature was made with %s key, not %s's (allowed_signers %s)" % (
            _names(signers), principal, path)
    if not signers:
        if by_key:
            owners = _all_principals(by_key)
            problems = [p for p in (e.validity_problem(moment) for e in by_key) if p]
            if not any(e.matches_principal(principal) for e in by_key):
                return "the signature was made with %s key, not %s's (allowed_signers %s)%s" % (
                    _names(owners), principal, path,
                    ": and that key is not valid at %s either (%s)" % (_utc_text(moment), "; ".join(problems))
                    if problems else "")
            if problems:
                return "the signature was made with %s key at a time it is not valid (%s): %s" % (
                    _names(owners), _utc_text(moment), "; ".join(problems))
        else:
            return ("the signature was made with a key that is not in allowed_signers %s (%s), "
                    "not with %s's" % (path, key_text, principal))
    if "incorrect signature" in err or claimed:
        return ("the signature by %s's key does not match the message: the signed file was changed "
                "after it was signed, or the signature is of another file" % principal)
    return "ssh-keygen could not verify the signature as %s's in namespace %s: %s" % (
        principal, namespace, err or "Could not verify signature.")

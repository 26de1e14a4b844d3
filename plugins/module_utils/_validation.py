# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input rules shared by every module: versions, gates, workspace paths, record fields.

Pure Python: raises ``ValidationError`` with a message that names the offending value,
so a module can fail before it touches a file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import re

VERSION_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$"
GATES = ("Alpha", "Beta", "GA")
DATE_PATTERN = r"^[0-9]{8}$"
# Who approves, unblocks or rolls back: a principal as allowed_signers enrols it and as AWX
# names a user (letters, digits, '.', '_', '@', '+', '-'; 64 at most). The one rule for every
# name that is recorded or written into Markdown (roles/gate/meta/argument_specs.yml).
APPROVER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$"

_VERSION_RE = re.compile(VERSION_PATTERN)
_DATE_RE = re.compile(DATE_PATTERN)
_APPROVER_RE = re.compile(APPROVER_PATTERN)


class ValidationError(ValueError):
    """Bad input; the message names the value and what was expected."""


def check_version(version):
    if not isinstance(version, str) or not _VERSION_RE.fullmatch(version):
        raise ValidationError(
            "version %r is not valid: expected %s" % (version, VERSION_PATTERN))
    return version


def check_gate(gate):
    if gate not in GATES:
        raise ValidationError(
            "gate %r is not known: expected one of %s" % (gate, ", ".join(GATES)))
    return gate


def check_date(date):
    """A YYYYMMDD day as used in evidence folder and ledger file names."""
    if not isinstance(date, str) or not _DATE_RE.fullmatch(date):
        raise ValidationError("date %r is not valid: expected YYYYMMDD" % (date,))
    try:
        datetime.datetime.strptime(date, "%Y%m%d")
    except ValueError:
        raise ValidationError("date %r is not a calendar day" % (date,))
    return date


def check_field(name, value):
    """A value that goes into one ledger/document line: non-empty, one line, no '|'."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("%s %r must not be empty" % (name, value))
    if value != value.strip():
        raise ValidationError("%s %r must not start or end with white space" % (name, value))
    if any(c in value for c in "|\r\n\t\x00"):
        raise ValidationError(
            "%s %r must be one line without '|', tabs or control characters" % (name, value))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("%s %r is not UTF-8 text (it was given in another encoding)" % (name, value))
    return value


def check_approver(value, name="approver"):
    """A name that approves (``APPROVER_PATTERN``), or ``ValidationError`` naming it."""
    check_field(name, value)
    if not _APPROVER_RE.fullmatch(value):
        raise ValidationError("%s %r is not a name as allowed_signers enrols it: expected %s" % (
            name, value, APPROVER_PATTERN))
    return value


def real_workspace(workspace):
    if not workspace or not os.path.isdir(workspace):
        raise ValidationError("workspace %r is not an existing directory" % (workspace,))
    return os.path.realpath(workspace)


def is_within(path, root):
    """True when the real path lies inside the real root (or is the root)."""
    path = os.path.realpath(path)
    root = os.path.realpath(root)
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve_in_workspace(workspace, relpath, what="path"):
    """Join ``relpath`` to the workspace and refuse anything that lands outside it.

    Symbolic links are resolved first, so a link pointing out of the workspace is refused
    as well as ``..`` components and absolute paths elsewhere.
    """
    if not isinstance(relpath, str) or not relpath or "\x00" in relpath:
        raise ValidationError("%s %r is not a usable path" % (what, relpath))
    root = os.path.realpath(workspace)
    candidate = os.path.realpath(os.path.join(root, relpath))
    if not is_within(candidate, root):
        raise ValidationError(
            "%s %r escapes the workspace %s" % (what, relpath, root))
    return candidate


def relative_to(path, root):
    return os.path.relpath(os.path.realpath(path), os.path.realpath(root)).replace(os.sep, "/")


# Argument spec pieces that several modules share, each matching a doc fragment
# (plugins/doc_fragments); a module merges them into its argument_spec. Each call returns new
# dicts, so a module may change its copy.

def workspace_spec():
    """``workspace``; documented by ``routing_ml.deploy.workspace``."""
    return dict(workspace=dict(type="path", required=True))


def gate_spec(version_type="str"):
    """``gate`` (one of ``GATES``) and ``version``; documented by ``routing_ml.deploy.gate``."""
    return dict(
        gate=dict(type="str", required=True, choices=list(GATES)),
        version=dict(type=version_type, required=True),
    )


def signing_spec():
    """``allowed_signers``; documented by ``routing_ml.deploy.signing``."""
    return dict(allowed_signers=dict(type="path"))


def checkpoint_spec():
    """``checkpoint_key`` (a path, not a secret); documented by ``routing_ml.deploy.signing.checkpoint``."""
    return dict(checkpoint_key=dict(type="path", no_log=False))


def smb_spec(port="port", username="username", password="password", encrypt="encrypt"):
    """How to reach an SMB share; documented by ``routing_ml.deploy.smb`` under the default names.

    A module that names them otherwise passes its names (records_mirror: ``smb_port``,
    ``smb_user``, ``smb_password``, ``smb_encrypt``).
    """
    return {
        port: dict(type="int", default=445),
        username: dict(type="str"),
        password: dict(type="str", no_log=True),
        encrypt: dict(type="bool", default=True),
    }

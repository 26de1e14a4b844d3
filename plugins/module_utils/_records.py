# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deployment records: ``logs/deploy/<kind>_<version>[_<host>].json`` (docs/formats.md).

Every step that changes a host, or the share, leaves one record: what was there before and
after, the digests involved, and the outcome. Rollback reads them; the gates archive them as
evidence. One format, versioned, written by one module (``deploy_record``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import json
import os
import re

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic, _checksum
from ansible_collections.routing_ml.deploy.plugins.module_utils._time import parse as parse_timestamp
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError, check_version

FORMAT = 1
# kind: does a record of it name a host?
KINDS = {"upload": False, "backup": True, "frontend_sync": True, "verify": True, "rollback": True}
OUTCOMES = ("ok", "failed", "rolled back", "halted")
FOLDER = os.path.join("logs", "deploy")
_HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,253}$")


def file_name(kind, version, host=None):
    if kind not in KINDS:
        raise ValidationError("record kind %r is not one of %s" % (kind, ", ".join(sorted(KINDS))))
    check_version(version)
    if KINDS[kind]:
        if not isinstance(host, str) or not _HOST_RE.match(host):
            raise ValidationError("a %s record needs a host name, got %r" % (kind, host))
        return "%s_%s_%s.json" % (kind, version, host)
    if host is not None:
        raise ValidationError("a %s record names no host, got %r" % (kind, host))
    return "%s_%s.json" % (kind, version)


def build(kind, version, time, host=None, before=None, after=None, digests=None, outcome="ok", details=None):
    """The record as a dict, every field checked."""
    file_name(kind, version, host)
    if outcome not in OUTCOMES:
        raise ValidationError("outcome %r is not one of %s" % (outcome, ", ".join(OUTCOMES)))
    checked = {}
    for name, digest in sorted((digests or {}).items()):
        checked[name] = _checksum.parse_digest(digest, "digest of %s" % name)
    return {
        "format": FORMAT,
        "kind": kind,
        "version": version,
        "host": host,
        "time": time,
        "before": before,
        "after": after,
        "digests": checked,
        "outcome": outcome,
        "details": details or {},
    }


def text(record):
    return json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read(path):
    """The record at ``path``, or None when there is none (or it is no record of this format)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (IOError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def path_of(workspace, kind, version, host=None):
    return os.path.join(workspace, FOLDER, file_name(kind, version, host))


def find(workspace, kind, host=None):
    """Every readable record of ``kind`` (for ``host``, when given), oldest first by time."""
    folder = os.path.join(workspace, FOLDER)
    try:
        names = sorted(os.listdir(folder))
    except (IOError, OSError):
        return []
    found = []
    for name in names:
        if name.startswith(kind + "_") and name.endswith(".json"):
            record = read(os.path.join(folder, name))
            if record and record.get("kind") == kind and (host is None or record.get("host") == host):
                found.append(record)
    return sorted(found, key=_moment)


def _moment(record):
    """When a record was written, comparable across offsets (a laptop in KST, AWX in UTC)."""
    try:
        return parse_timestamp(record.get("time") or "", what="record time")
    except ValidationError:
        return datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)


def write(workspace, record, carry=()):
    """Write ``record`` unless the one there says the same (its time aside): ``(changed,
    path, before_text, after_text)``. The time of an unchanged record is kept.

    ``carry`` names ``details`` keys that the new record leaves null and the one there
    holds: they are kept (a repair of a version keeps what was live before the version)."""
    path = path_of(workspace, record["kind"], record["version"], record["host"])
    old = read(path)
    for key in carry:
        if old is not None and record["details"].get(key) is None and (old.get("details") or {}).get(key) is not None:
            record["details"][key] = old["details"][key]
    if old is not None and dict(old, time=None) == dict(record, time=None):
        return False, path, text(old), text(old)
    new = text(record)
    return True, path, _atomic.read_text(path, default=""), new


def commit(path, new_text):
    _atomic.write_text_atomic(path, new_text)

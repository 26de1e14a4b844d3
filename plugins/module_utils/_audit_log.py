# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading the audit logs of SOP 6.3 (``logs/audit/ui_actions.log``, ``rsl.audit.log``).

Two line shapes are read:

* JSON objects: ``{"timestamp": ..., "client_ip": ..., "action": ...}`` (also ``time``,
  ``ts``, ``@timestamp``; ``ip``, ``client``, ``remote_addr``; ``event``);
* text: an ISO8601 timestamp first, then ``key=value`` fields (``ip=``/``client_ip=``,
  ``action=``) or, failing those, the first IP address on the line and the rest as action.

A timestamp without an offset is taken in ``default_tz``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import ipaddress
import json
import re

from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

_TS_RE = re.compile(
    r"^\[?(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d{1,9}))?"
    r"\s?(Z|[+-]\d{2}:?\d{2})?\]?")
_KV_RE = re.compile(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_.-]*)=(\"(?:[^\"\\]|\\.)*\"|\S+)")
_TS_KEYS = ("timestamp", "time", "ts", "@timestamp")
_IP_KEYS = ("client_ip", "ip", "client", "remote_addr", "remote_ip")
_ACTION_KEYS = ("action", "event")


def parse_timestamp(text, default_tz=None, what="timestamp"):
    """An aware ``datetime`` from ISO8601 text (``Z``, ``+09:00``, ``+0900`` or no offset)."""
    match = _TS_RE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValidationError("%s %r is not an ISO8601 date and time" % (what, text))
    return _to_datetime(match, default_tz)


def _to_datetime(match, default_tz):
    day, clock, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    value = datetime.datetime.strptime(day + "T" + clock, "%Y-%m-%dT%H:%M:%S").replace(microsecond=micro)
    if offset is None:
        tz = default_tz or datetime.datetime.now().astimezone().tzinfo
    elif offset == "Z":
        tz = datetime.timezone.utc
    else:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        tz = datetime.timezone(sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return value.replace(tzinfo=tz)


def normalise_ip(text):
    """Canonical text of an IP address (IPv4-mapped IPv6 shown as IPv4), or None."""
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


def parse_line(line, default_tz=None):
    """``{"timestamp", "client_ip", "action"}`` of one log line, or None when unreadable."""
    line = line.strip()
    if not line:
        return None
    if line.startswith("{"):
        return _parse_json(line, default_tz)
    match = _TS_RE.match(line)
    if not match:
        return None
    when = _to_datetime(match, default_tz)
    rest = line[match.end():].strip(" |-\t")
    fields = dict((k.lower(), _unquote(v)) for k, v in _KV_RE.findall(rest))
    client_ip = next((normalise_ip(fields[k]) for k in _IP_KEYS if k in fields), None)
    action = next((fields[k] for k in _ACTION_KEYS if k in fields), None)
    if client_ip is None:
        for token in re.split(r"[\s|,;]+", rest):
            client_ip = normalise_ip(token)
            if client_ip:
                if action is None:
                    action = rest.replace(token, "", 1).strip(" |-\t")
                break
    if action is None:
        action = rest
    return {"timestamp": when, "client_ip": client_ip, "action": action}


def _parse_json(line, default_tz):
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    stamp = next((record[k] for k in _TS_KEYS if isinstance(record.get(k), str)), None)
    match = _TS_RE.match(stamp) if stamp else None
    if not match:
        return None
    ip_text = next((record[k] for k in _IP_KEYS if isinstance(record.get(k), str)), None)
    action = next((record[k] for k in _ACTION_KEYS if record.get(k) is not None), None)
    return {
        "timestamp": _to_datetime(match, default_tz),
        "client_ip": normalise_ip(ip_text) if ip_text else None,
        "action": action if isinstance(action, str) else json.dumps(action, sort_keys=True),
    }


def _unquote(value):
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def search(lines, since=None, until=None, client_ip=None, action=None, default_tz=None):
    """Entries of ``lines`` inside ``[since, until]`` from ``client_ip`` whose action
    matches the regular expression ``action``. Returns ``(matches, unreadable_count)``."""
    wanted_ip = None
    if client_ip is not None:
        wanted_ip = normalise_ip(client_ip)
        if wanted_ip is None:
            raise ValidationError("client_ip %r is not an IP address" % (client_ip,))
    try:
        pattern = re.compile(action) if action else None
    except re.error as exc:
        raise ValidationError("action %r is not a regular expression: %s" % (action, exc))
    matches = []
    unreadable = 0
    for number, line in enumerate(lines, 1):
        entry = parse_line(line, default_tz)
        if entry is None:
            if line.strip():
                unreadable += 1
            continue
        if since is not None and entry["timestamp"] < since:
            continue
        if until is not None and entry["timestamp"] > until:
            continue
        if wanted_ip is not None and entry["client_ip"] != wanted_ip:
            continue
        if pattern is not None and not pattern.search(entry["action"] or ""):
            continue
        entry = dict(entry, line=number, timestamp=entry["timestamp"].isoformat())
        matches.append(entry)
    return matches, unreadable

# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one rule for the times the Stage 9 records carry: the ledger, the statements, the
deployment records, the status and the release report.

A time is ISO8601 with an offset, ``YYYY-MM-DDTHH:MM:SS[.ffffff](Z|+HH:MM|-HH:MM)``, in full
(nothing before or after it), and a moment of the calendar. A time without an offset is
refused: read in this machine's zone it would mean another moment on another machine, so the
same record could pass on a laptop in KST and fail in AWX in UTC. Written times have whole
seconds and the offset of the moment given (``format_time``).

Third-party logs (``_audit_log``) are read more leniently on purpose; they are not records.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re

from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$"
EXAMPLE = "2025-10-03T14:02:11+09:00"
_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|([+-])(\d{2}):(\d{2}))")


def parse(text, what="time"):
    """An aware ``datetime`` from ``text``; ``ValidationError`` naming ``what`` and the value."""
    match = _RE.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ValidationError("%s %r is not an ISO8601 date and time with an offset (e.g. %s)" % (
            what, text, EXAMPLE))
    year, month, day, hour, minute, second, fraction, zone, sign, off_h, off_m = match.groups()
    if zone == "Z":
        tz = datetime.timezone.utc
    else:
        if int(off_h) > 23 or int(off_m) > 59:
            raise ValidationError("%s %r has an offset that is no time zone's" % (what, text))
        delta = datetime.timedelta(hours=int(off_h), minutes=int(off_m))
        tz = datetime.timezone(-delta if sign == "-" else delta)
    try:
        return datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                                 int((fraction or "0").ljust(6, "0")), tzinfo=tz)
    except ValueError:
        raise ValidationError("%s %r is not a calendar date and time" % (what, text))


def check(text, what="time"):
    """``text`` unchanged when ``parse`` accepts it."""
    parse(text, what)
    return text


def moment_of(value, what="time"):
    """An aware datetime from an aware datetime or text ``parse`` accepts."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError("%s %r has no time zone offset" % (what, value))
        return value
    return parse(value, what)


def format_time(moment=None):
    """ISO8601 with the moment's offset and whole seconds (now, in this machine's zone, when
    ``moment`` is None; a naive moment is read in this machine's zone)."""
    if moment is None:
        moment = datetime.datetime.now().astimezone()
    elif moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.astimezone()
    return moment.replace(microsecond=0).isoformat()

# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import (
    _ledger, _records, _release_report, _signing, _statement, _status, _time)
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

KST = datetime.timezone(datetime.timedelta(hours=9))

GOOD = [
    ("2025-10-03T14:02:11+09:00", datetime.datetime(2025, 10, 3, 14, 2, 11, tzinfo=KST)),
    ("2025-10-03T05:02:11Z", datetime.datetime(2025, 10, 3, 5, 2, 11, tzinfo=datetime.timezone.utc)),
    ("2025-10-03T05:02:11.5+00:00", datetime.datetime(2025, 10, 3, 5, 2, 11, 500000, tzinfo=datetime.timezone.utc)),
    ("2024-02-29T23:59:59-01:30",
     datetime.datetime(2024, 2, 29, 23, 59, 59, tzinfo=datetime.timezone(-datetime.timedelta(hours=1, minutes=30)))),
]

BAD = [
    ("2025-10-03T14:02:11", "with an offset"),             # no offset: another moment on another machine
    ("2025-10-03 14:02:11+09:00", "with an offset"),       # a space for the T
    ("2025-10-03T14:02:11+0900", "with an offset"),        # offset without its colon
    ("2025-10-03t14:02:11z", "with an offset"),
    ("2025-10-03T14:02:11+09:00 trailing", "with an offset"),
    (" 2025-10-03T14:02:11+09:00", "with an offset"),
    ("2025-10-03T14:02:11.1234567Z", "with an offset"),   # more than microseconds
    ("2025-02-30T14:02:11Z", "not a calendar date"),
    ("2025-10-03T24:00:00Z", "not a calendar date"),
    ("2025-10-03T14:02:11+24:00", "no time zone's"),
    ("", "with an offset"),
    (None, "with an offset"),
    (20251003, "with an offset"),
]


@pytest.mark.parametrize("text, moment", GOOD)
def test_parse_reads_iso8601_with_an_offset(text, moment):
    assert _time.parse(text) == moment
    assert _time.parse(text).utcoffset() == moment.utcoffset()
    assert _time.check(text) == text


@pytest.mark.parametrize("text, message", BAD)
def test_parse_refuses_naming_the_value(text, message):
    with pytest.raises(ValidationError) as exc:
        _time.parse(text, "record time")
    assert message in str(exc.value) and "record time %r" % (text,) in str(exc.value)


def test_format_time_has_whole_seconds_and_the_offset():
    moment = datetime.datetime(2025, 10, 3, 14, 2, 11, 987654, tzinfo=KST)
    assert _time.format_time(moment) == "2025-10-03T14:02:11+09:00"
    assert _time.parse(_time.format_time()) is not None
    assert _time.format_time(datetime.datetime(2025, 10, 3, 14, 2, 11)).startswith("2025-10-03T14:02:11")
    assert _time.parse(_time.format_time(datetime.datetime(2025, 10, 3, 14, 2, 11)))


def test_moment_of_takes_aware_datetimes_only():
    moment = datetime.datetime(2025, 10, 3, 14, 2, 11, tzinfo=KST)
    assert _time.moment_of(moment) is moment
    assert _time.moment_of("2025-10-03T14:02:11+09:00") == moment
    with pytest.raises(ValidationError, match="no time zone offset"):
        _time.moment_of(datetime.datetime(2025, 10, 3))


@pytest.mark.parametrize("text, message", BAD[:8])
def test_the_ledger_the_statement_signing_records_status_and_report_give_one_answer(text, message):
    """Each reader of a record's time refuses what _time refuses (they gave four answers)."""
    prev = "0" * 64
    fields = dict(gate="Alpha", status="Next Stage Ready", version="1.4.0", approver="QA-KIM",
                  evidence="deliverables/onboarding_evidence/Stage9_Alpha_20251003", manifest_sha256="a" * 64)
    with pytest.raises(ValidationError):
        _ledger.format_record(text, fields, prev)
    with pytest.raises(ValidationError):
        _statement._check_time(text)
    with pytest.raises(_signing.SigningError):
        _signing.iso_to_ssh_time(text)
    with pytest.raises(ValidationError):
        _status._moment(text, "node1")
    assert _release_report._moment(text) is None
    assert _records._moment({"time": text}) == datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("text, moment", GOOD)
def test_and_accept_the_same(text, moment):
    fields = dict(gate="Alpha", status="Next Stage Ready", version="1.4.0", approver="QA-KIM",
                  evidence="deliverables/onboarding_evidence/Stage9_Alpha_20251003", manifest_sha256="a" * 64)
    assert _ledger.format_record(text, fields, "0" * 64).startswith(text + " | Stage9 |")
    assert _statement._check_time(text) == text
    assert _signing.iso_to_ssh_time(text)
    assert _status._moment(text, "node1") == moment
    assert _release_report._moment(text) == moment
    assert _records._moment({"time": text}) == moment

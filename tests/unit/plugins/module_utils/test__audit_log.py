# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _audit_log as audit
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

KST = datetime.timezone(datetime.timedelta(hours=9))
LINES = [
    '2025-10-03T14:00:00+09:00 ip=10.0.0.5 action="GET /api/health" status=200',
    '2025-10-03T14:02:11.123+09:00 client_ip=127.0.0.1 action="POST /api/rsl/groups name=spot-1"',
    '{"timestamp": "2025-10-03T05:02:12Z", "client_ip": "::ffff:127.0.0.1", "action": "GET /api/rsl/groups"}',
    '2025-10-03 14:03:00,500 | 127.0.0.2 | 그룹 저장 클릭',
    'garbage line',
    '',
]


def test_lines_of_each_shape_parse():
    first = audit.parse_line(LINES[0])
    assert first["timestamp"] == datetime.datetime(2025, 10, 3, 14, 0, tzinfo=KST)
    assert first["client_ip"] == "10.0.0.5" and first["action"] == "GET /api/health"
    as_json = audit.parse_line(LINES[2])
    assert as_json["client_ip"] == "127.0.0.1"
    assert as_json["timestamp"] == datetime.datetime(2025, 10, 3, 14, 2, 12, tzinfo=KST)
    plain = audit.parse_line(LINES[3], default_tz=KST)
    assert plain["client_ip"] == "127.0.0.2" and plain["action"] == "그룹 저장 클릭"
    assert plain["timestamp"] == datetime.datetime(2025, 10, 3, 14, 3, 0, 500000, tzinfo=KST)
    assert audit.parse_line(LINES[4]) is None


def test_search_by_window_ip_and_action():
    since = audit.parse_timestamp("2025-10-03T14:02:00+09:00")
    matches, unreadable = audit.search(LINES, since=since, client_ip="127.0.0.1", action=r"/api/rsl/groups",
                                       default_tz=KST)
    assert [m["line"] for m in matches] == [2, 3]
    assert unreadable == 1
    matches, dummy = audit.search(LINES, action=r"POST .*spot-1", default_tz=KST)
    assert [m["line"] for m in matches] == [2]
    until = audit.parse_timestamp("2025-10-03T05:01:00Z")
    matches, dummy = audit.search(LINES, until=until, default_tz=KST)
    assert [m["line"] for m in matches] == [1]


@pytest.mark.parametrize("kwargs", [dict(client_ip="10.0.0"), dict(action="([")])
def test_bad_search_input_is_named(kwargs):
    with pytest.raises(ValidationError) as exc:
        audit.search(LINES, **kwargs)
    assert repr(list(kwargs.values())[0]) in str(exc.value)


@pytest.mark.parametrize("text,offset", [("2025-10-03T14:02:11Z", 0), ("2025-10-03T14:02:11+0900", 540),
                                         ("2025-10-03T14:02:11-05:30", -330)])
def test_timestamp_offsets(text, offset):
    assert audit.parse_timestamp(text).utcoffset() == datetime.timedelta(minutes=offset)


def test_bad_timestamp_is_named():
    with pytest.raises(ValidationError) as exc:
        audit.parse_timestamp("yesterday", what="since")
    assert "since 'yesterday'" in str(exc.value)

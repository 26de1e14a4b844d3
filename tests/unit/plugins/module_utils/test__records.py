# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _records
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

DIGEST = "ab" * 32


@pytest.mark.parametrize("kind, version, host, name", [
    ("upload", "1.4.0", None, "upload_1.4.0.json"),
    ("verify", "1.4.0", "backend1", "verify_1.4.0_backend1.json"),
    ("frontend_sync", "1.4.0-rc1", "node1.corp", "frontend_sync_1.4.0-rc1_node1.corp.json"),
    ("backup", "1.3.2", "backend1", "backup_1.3.2_backend1.json"),
])
def test_file_names(kind, version, host, name):
    assert _records.file_name(kind, version, host) == name


@pytest.mark.parametrize("kind, version, host, message", [
    ("audit", "1.4.0", "h", "kind 'audit'"),
    ("verify", "1.4.0", None, "needs a host name"),
    ("verify", "1.4.0", "../etc", "needs a host name"),
    ("upload", "1.4.0", "nas1", "names no host"),
    ("verify", "1.4.0/../x", "h", "version"),
])
def test_bad_names_are_refused(kind, version, host, message):
    with pytest.raises(ValidationError, match=message):
        _records.file_name(kind, version, host)


def test_build_checks_digests_and_outcome():
    record = _records.build("verify", "1.4.0", "2025-10-03T14:00:00+09:00", host="backend1",
                            digests={"installer": DIGEST.upper()}, details={"health": {"status": "ok"}})
    assert record["format"] == 1 and record["digests"] == {"installer": DIGEST} and record["outcome"] == "ok"
    with pytest.raises(ValidationError, match="outcome 'fine'"):
        _records.build("verify", "1.4.0", "t", host="backend1", outcome="fine")
    with pytest.raises(ValidationError, match="digest of installer"):
        _records.build("verify", "1.4.0", "t", host="backend1", digests={"installer": "nope"})


def test_a_record_that_says_the_same_is_left_alone_with_its_time(tmp_path):
    os.makedirs(str(tmp_path / "logs" / "deploy"))
    first = _records.build("frontend_sync", "1.4.0", "2025-10-03T14:00:00+09:00", host="node1", before="1.3.2",
                           after="1.4.0")
    changed, path, before, after = _records.write(str(tmp_path), first)
    assert changed and before == ""
    _records.commit(path, after)
    later = dict(first, time="2025-10-04T09:00:00+09:00")
    changed, path, before, after = _records.write(str(tmp_path), later)
    assert not changed and json.loads(after)["time"] == "2025-10-03T14:00:00+09:00"
    changed, path, before, after = _records.write(str(tmp_path), dict(later, outcome="rolled back"))
    assert changed and json.loads(after)["outcome"] == "rolled back"
    assert _records.read(path)["outcome"] == "ok", "write only says what would change; commit writes"

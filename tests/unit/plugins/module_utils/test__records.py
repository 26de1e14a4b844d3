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


def sync_record(time, before, after, previous, version="1.4.0", host="node1", **details):
    fields = dict(release="/srv/routing_ml/www/releases/%s" % after, files=2, repaired=before == version,
                  difference={"missing": [], "extra": [], "changed": []}, previous=previous)
    fields.update(details)
    return _records.build("frontend_sync", version, time, host=host, before=before, after=after,
                          digests={"manifest": DIGEST}, details=fields)


def put(workspace, record, carry=()):
    changed, path, _before, after = _records.write(str(workspace), record, carry)
    if changed:
        _records.commit(path, after)
    return changed, path


@pytest.fixture
def deployed(tmp_path):
    """1.4.0 switched in over 1.3.2 on node1."""
    os.makedirs(str(tmp_path / "logs" / "deploy"))
    put(tmp_path, sync_record("2025-10-03T14:00:00+09:00", "1.3.2", "1.4.0", "1.3.2"), ["previous"])
    return tmp_path


def test_a_repair_carries_the_previous_version(deployed):
    repair = sync_record("2025-10-04T09:00:00+09:00", "1.4.0", "1.4.0+1", None,
                         difference={"missing": [], "extra": [], "changed": ["index.html"]})
    changed, path = put(deployed, repair, ["previous"])
    assert changed
    written = _records.read(path)
    assert written["details"]["previous"] == "1.3.2"
    assert (written["before"], written["after"], written["time"]) == ("1.4.0", "1.4.0+1", "2025-10-04T09:00:00+09:00")
    assert written["details"]["difference"]["changed"] == ["index.html"]


def test_a_key_missing_from_the_new_details_is_carried_too(deployed):
    repair = sync_record("2025-10-04T09:00:00+09:00", "1.4.0", "1.4.0+1", None)
    del repair["details"]["previous"]
    changed, path = put(deployed, repair, ["previous"])
    assert changed and _records.read(path)["details"]["previous"] == "1.3.2"


def test_without_carry_a_null_replaces_the_recorded_value(deployed):
    changed, path = put(deployed, sync_record("2025-10-04T09:00:00+09:00", "1.4.0", "1.4.0+1", None))
    assert changed and _records.read(path)["details"]["previous"] is None


def test_a_new_value_wins_over_the_carried_one(deployed):
    changed, path = put(deployed, sync_record("2025-10-04T09:00:00+09:00", "1.3.0", "1.4.0", "1.3.0"), ["previous"])
    assert changed and _records.read(path)["details"]["previous"] == "1.3.0"


def test_a_carried_value_that_makes_the_record_the_same_changes_nothing(deployed):
    """A re-run that finds the same facts (previous left null by the repair logic) keeps the record and its time."""
    path = _records.path_of(str(deployed), "frontend_sync", "1.4.0", "node1")
    text = open(path).read()
    changed, _path, before, after = _records.write(
        str(deployed), sync_record("2025-10-05T09:00:00+09:00", "1.3.2", "1.4.0", None), ["previous"])
    assert not changed and before == after == text


def test_another_version_is_another_file_and_carries_nothing(deployed):
    changed, path = put(deployed, sync_record("2025-10-06T09:00:00+09:00", "1.4.0", "1.5.0", None, version="1.5.0"),
                        ["previous"])
    assert changed and os.path.basename(path) == "frontend_sync_1.5.0_node1.json"
    assert _records.read(path)["details"]["previous"] is None
    changed, path = put(deployed, sync_record("2025-10-06T09:00:00+09:00", "1.3.2", "1.4.0", None, host="node2"),
                        ["previous"])
    assert changed and _records.read(path)["details"]["previous"] is None, "another host's record is not carried"
    assert _records.read(_records.path_of(str(deployed), "frontend_sync", "1.4.0", "node1"))["details"]["previous"] \
        == "1.3.2"


def test_path_of(tmp_path):
    assert _records.path_of(str(tmp_path), "backup", "1.3.2", "backend1") == os.path.join(
        str(tmp_path), "logs", "deploy", "backup_1.3.2_backend1.json")
    assert _records.path_of(str(tmp_path), "upload", "1.4.0") == os.path.join(
        str(tmp_path), "logs", "deploy", "upload_1.4.0.json")
    with pytest.raises(ValidationError, match="needs a host name"):
        _records.path_of(str(tmp_path), "rollback", "1.4.0")


def test_find_returns_the_kind_for_the_host_oldest_first(tmp_path):
    os.makedirs(str(tmp_path / "logs" / "deploy"))
    for version, host, time in [("1.3.2", "backend1", "2025-10-03T10:00:00+09:00"),
                                ("1.3.0", "backend1", "2025-10-01T10:00:00+09:00"),
                                ("1.3.1", "backend10", "2025-10-02T10:00:00+09:00")]:
        put(tmp_path, _records.build("backup", version, time, host=host, digests={"update.bat": DIGEST},
                                     details={"replaced_by": "1.4.0"}))
    put(tmp_path, sync_record("2025-10-03T14:00:00+09:00", "1.3.2", "1.4.0", "1.3.2", host="backend1"))
    (tmp_path / "logs" / "deploy" / "backup_1.2.0_backend1.json").write_text("{broken")
    (tmp_path / "logs" / "deploy" / "backup_notes.txt").write_text("not a record")
    assert [r["version"] for r in _records.find(str(tmp_path), "backup", "backend1")] == ["1.3.0", "1.3.2"]
    assert [r["version"] for r in _records.find(str(tmp_path), "backup")] == ["1.3.0", "1.3.1", "1.3.2"]
    assert [r["kind"] for r in _records.find(str(tmp_path), "frontend_sync")] == ["frontend_sync"]
    assert _records.find(str(tmp_path / "elsewhere"), "backup") == []


def test_find_skips_a_file_whose_content_is_another_kind(tmp_path):
    os.makedirs(str(tmp_path / "logs" / "deploy"))
    record = _records.build("verify", "1.3.2", "2025-10-03T10:00:00+09:00", host="backend1")
    (tmp_path / "logs" / "deploy" / "backup_1.3.2_backend1.json").write_text(_records.text(record))
    assert _records.find(str(tmp_path), "backup", "backend1") == []

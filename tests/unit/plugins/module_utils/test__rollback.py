# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _ledger, _records, _rollback, _tree
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

KST = datetime.timezone(datetime.timedelta(hours=9))
BUNDLE = hashlib.sha256(b"bundle manifest").hexdigest()


def at(day, hour, minute=0):
    return datetime.datetime(2025, 10, day, hour, minute, tzinfo=KST)


def stamp(day, hour, minute=0):
    return _ledger.format_timestamp(at(day, hour, minute))


def put(workspace, record, carry=()):
    """Write a record the way deploy_record does: ``write`` then ``commit``."""
    (workspace / "logs" / "deploy").mkdir(parents=True, exist_ok=True)
    changed, path, _before, after = _records.write(str(workspace), record, carry)
    if changed:
        _records.commit(path, after)
    return path


def sync(workspace, host, version, before, after, time, **details):
    """A frontend_sync record as roles/frontend "Record the sync of this node" writes it; ``previous``
    (and anything else) only when given, so the records older than ``previous`` can be made too."""
    fields = dict(release="/srv/routing_ml/www/releases/%s" % after, files=2,
                  repaired=bool(before) and before.split("+")[0] == version,
                  difference={"missing": [], "extra": [], "changed": []})
    fields.update(details)
    return put(workspace, _records.build("frontend_sync", version, time, host=host, before=before, after=after,
                                         digests={"manifest": BUNDLE}, details=fields))


def backup_files(version):
    return {"RoutingMLInstaller_%s.exe" % version: hashlib.sha256(version.encode()).hexdigest(),
            "update.bat": hashlib.sha256(b"update " + version.encode()).hexdigest(),
            "backup/settings.json": hashlib.sha256(b"settings " + version.encode()).hexdigest()}


def backup(workspace, host, version, replaced_by, time):
    """A backup record as roles/backup/tasks/record.yml writes it (digests from the manifest)."""
    return put(workspace, _records.build(
        "backup", version, time, host=host, before=version, after="/srv/share/routing_ml/backup/%s" % version,
        digests=backup_files(version), details={"replaced_by": replaced_by}))


def event(workspace, status, version, when, gate="Beta", reason="health check failed on backend1"):
    fields = dict(gate=gate, status=status, version=version, approver="DEPLOY-LEE", reason=reason,
                  evidence="logs/deploy/rollback_%s_*.json" % version,
                  manifest_sha256=hashlib.sha256(b"").hexdigest())
    if status == "Rolled Back":
        fields.update(target="1.2.0", outcome="verified")
    return _ledger.append(str(workspace), fields, now=when)


def plan(workspace, version, web=(), backend=(), target=None):
    hosts = [dict(name=n, component="frontend") for n in web] + [dict(name=n, component="backend") for n in backend]
    return _rollback.plan(str(workspace), version, hosts, _ledger.verify(str(workspace)), target=target)


def refused(workspace, version, web=(), backend=(), target=None):
    with pytest.raises(_rollback.RollbackRefused) as exc:
        plan(workspace, version, web, backend, target)
    return exc.value


# --- frontend_previous: what a web node served before the version -----------------------------------------

@pytest.mark.parametrize("before, details, previous", [
    # The recorded previous wins, even over what the folder in before says.
    ("1.3.2", {"previous": "1.3.2"}, "1.3.2"),
    ("1.4.0", {"previous": "1.3.2"}, "1.3.2"),
    # A record written before "previous" existed: the version of the folder that was live.
    ("1.3.0+1", {}, "1.3.0"),
    ("1.3.0", {}, "1.3.0"),
    # A repair of the version itself names no previous: nothing is known.
    ("1.4.0", {}, None),
    ("1.4.0+1", {"previous": None}, None),
    # The first deployment onto an empty node, or a live pointer outside releases/.
    (None, {"previous": None}, None),
    ("C:\\inetpub\\wwwroot", {}, None),
])
def test_frontend_previous(before, details, previous):
    record = _records.build("frontend_sync", "1.4.0", stamp(3, 14), host="node1", before=before, after="1.4.0+1",
                            details=details)
    assert _rollback.frontend_previous(record, "1.4.0") == previous


def test_frontend_previous_without_a_record():
    assert _rollback.frontend_previous(None, "1.4.0") is None


# --- plan: web nodes ---------------------------------------------------------------------------------------

def test_each_web_node_goes_back_to_what_it_served_before(workspace):
    sync(workspace, "node1", "1.4.0", "1.3.2", "1.4.0", stamp(3, 14), previous="1.3.2")
    sync(workspace, "node2", "1.4.0", "1.3.0+1", "1.4.0", stamp(3, 14, 5))  # an older record: no "previous"
    planned = plan(workspace, "1.4.0", web=["node1", "node2"])
    assert planned == {
        "node1": {"component": "frontend", "target": "1.3.2", "backup": None, "problem": None,
                  "source": "logs/deploy/frontend_sync_1.4.0_node1.json"},
        "node2": {"component": "frontend", "target": "1.3.0", "backup": None, "problem": None,
                  "source": "logs/deploy/frontend_sync_1.4.0_node2.json"},
    }


def test_a_repaired_node_keeps_the_version_before_the_first_switch(workspace):
    """The role writes previous=None on a repair and carries the recorded one (carry: [previous])."""
    sync(workspace, "node1", "1.4.0", "1.3.2", "1.4.0", stamp(3, 14), previous="1.3.2")
    path = _records.path_of(str(workspace), "frontend_sync", "1.4.0", "node1")
    repair = _records.build("frontend_sync", "1.4.0", stamp(4, 9), host="node1", before="1.4.0", after="1.4.0+1",
                            digests={"manifest": BUNDLE},
                            details={"release": "/srv/routing_ml/www/releases/1.4.0+1", "files": 2, "repaired": True,
                                     "difference": {"missing": [], "extra": [], "changed": ["index.html"]},
                                     "previous": None})
    assert put(workspace, repair, carry=["previous"]) == path
    assert _records.read(path)["before"] == "1.4.0"
    assert plan(workspace, "1.4.0", web=["node1"])["node1"]["target"] == "1.3.2"


@pytest.mark.parametrize("write, says", [
    (lambda ws: sync(ws, "node1", "1.4.0", "1.4.0", "1.4.0+1", stamp(3, 14)), "names none"),
    (lambda ws: None, "does not exist"),
])
def test_a_node_without_a_known_previous_gets_no_target_and_a_problem_not_a_refusal(workspace, write, says):
    write(workspace)
    entry = plan(workspace, "1.4.0", web=["node1"])["node1"]
    assert entry["target"] is None
    assert entry["problem"] == (
        "node1: no release before 1.4.0 is known (logs/deploy/frontend_sync_1.4.0_node1.json %s); "
        "name one with routing_ml_rollback_to" % says)


def test_a_previous_that_was_itself_rolled_back_is_refused_naming_host_gate_and_time(workspace):
    sync(workspace, "node1", "1.4.0", "1.3.2", "1.4.0", stamp(3, 14), previous="1.3.2")
    event(workspace, "Rolled Back", "1.3.2", at(2, 10), gate="Alpha")
    exc = refused(workspace, "1.4.0", web=["node1"])
    assert exc.problems == ["node1: 1.3.2 was itself rolled back at Alpha on 2025-10-02T10:00:00+09:00 and is not "
                            "a rollback target"]
    assert str(exc) == exc.problems[0]


def test_an_unblocked_version_is_a_target_again(workspace):
    sync(workspace, "node1", "1.4.0", "1.3.2", "1.4.0", stamp(3, 14), previous="1.3.2")
    event(workspace, "Rolled Back", "1.3.2", at(2, 10), gate="Alpha")
    event(workspace, "Unblocked", "1.3.2", at(2, 11), gate="Alpha", reason="CHG-1 fixed in the environment")
    assert plan(workspace, "1.4.0", web=["node1"])["node1"]["target"] == "1.3.2"
    # ... until it is rolled back once more.
    event(workspace, "Rolled Back", "1.3.2", at(2, 12), gate="Beta")
    assert "at Beta on 2025-10-02T12:00:00+09:00" in refused(workspace, "1.4.0", web=["node1"]).problems[0]


def test_the_version_being_rolled_back_may_already_be_marked(workspace):
    """A re-run of a rollback whose Rolled Back record is already in the ledger still plans."""
    sync(workspace, "node1", "1.4.0", "1.3.2", "1.4.0", stamp(3, 14), previous="1.3.2")
    event(workspace, "Rolled Back", "1.4.0", at(3, 15))
    assert plan(workspace, "1.4.0", web=["node1"])["node1"]["target"] == "1.3.2"


def test_to_gives_every_node_the_target_records_or_not(workspace):
    sync(workspace, "node1", "1.4.0", "1.3.2", "1.4.0", stamp(3, 14), previous="1.3.2")
    planned = plan(workspace, "1.4.0", web=["node1", "node2"], target="1.3.0")
    for name in ("node1", "node2"):
        assert planned[name] == {"component": "frontend", "target": "1.3.0", "source": "routing_ml_rollback_to",
                                 "backup": None, "problem": None}


@pytest.mark.parametrize("target, bad, says", [
    ("1.4.0", [], "the rollback target 1.4.0 is the version being rolled back"),
    ("1.3.0", [("Rolled Back", "1.3.0", at(2, 10), "GA")],
     "1.3.0 was itself rolled back at GA on 2025-10-02T10:00:00+09:00 and is not a rollback target"),
])
def test_a_named_target_that_cannot_be_used_is_refused_for_every_node(workspace, target, bad, says):
    for status, version, when, gate in bad:
        event(workspace, status, version, when, gate=gate)
    exc = refused(workspace, "1.4.0", web=["node1", "node2"], target=target)
    assert exc.problems == ["node1: " + says, "node2: " + says]


@pytest.mark.parametrize("version, target", [("1.4.0\n", None), ("../1.4.0", None), ("1.4.0", "1.3.0/.."),
                                             ("1.4.0", "")])
def test_bad_versions_are_refused_naming_them(workspace, version, target):
    with pytest.raises(ValidationError) as exc:
        plan(workspace, version, web=["node1"], target=target)
    assert not isinstance(exc.value, _rollback.RollbackRefused)
    assert "version %r is not valid" % ((target if target is not None else version),) in str(exc.value)


def test_an_unknown_component_is_refused(workspace):
    with pytest.raises(ValidationError, match="host 'db1': component 'database' is not one of frontend, backend"):
        _rollback.plan(str(workspace), "1.4.0", [dict(name="db1", component="database")], [])


# --- plan: backend hosts ------------------------------------------------------------------------------------

def test_a_backend_host_goes_back_to_the_backup_taken_when_the_version_replaced_it(workspace):
    backup(workspace, "backend1", "1.3.2", "1.4.0", stamp(3, 13))
    backup(workspace, "backend1", "1.3.0", "1.3.2", stamp(1, 13))  # an earlier deployment's backup
    backup(workspace, "backend2", "1.2.0", "1.4.0", stamp(3, 14))  # another host's
    entry = plan(workspace, "1.4.0", backend=["backend1"])["backend1"]
    assert entry == {
        "component": "backend", "target": "1.3.2", "problem": None,
        "source": "logs/deploy/backup_1.3.2_backend1.json",
        "backup": {"folder": "/srv/share/routing_ml/backup/1.3.2",
                   "manifest": _tree.manifest_text(backup_files("1.3.2")),
                   "record": "logs/deploy/backup_1.3.2_backend1.json"},
    }
    # The manifest is the sidecar format, every backed-up file with its digest.
    assert _tree.parse_manifest(entry["backup"]["manifest"]) == backup_files("1.3.2")


@pytest.mark.parametrize("older, newer", [("1.3.0", "1.3.2"), ("1.3.2", "1.3.0")])
def test_of_two_backups_replaced_by_the_version_the_newest_by_time_wins(workspace, older, newer):
    """1.4.0 installed over ``older``, rolled back, then installed over ``newer``: back to ``newer``
    (by the records' time, not by their names)."""
    backup(workspace, "backend1", older, "1.4.0", stamp(2, 10))
    backup(workspace, "backend1", newer, "1.4.0", stamp(3, 10))
    entry = plan(workspace, "1.4.0", backend=["backend1"])["backend1"]
    assert entry["target"] == newer and entry["backup"]["record"] == "logs/deploy/backup_%s_backend1.json" % newer


def test_the_newest_backup_is_decided_by_the_moment_not_the_text_of_its_time(workspace):
    """Records written by controllers in different offsets (an operator's laptop in KST, an AWX
    container in UTC): 1.4.0 was installed over 1.3.2 at 00:30 UTC and, later, over 1.3.0 at 05:00
    UTC. What was live before the last deployment is 1.3.0."""
    backup(workspace, "backend1", "1.3.2", "1.4.0", "2025-10-03T09:30:00+09:00")  # 2025-10-03T00:30Z
    backup(workspace, "backend1", "1.3.0", "1.4.0", "2025-10-03T05:00:00+00:00")  # 2025-10-03T05:00Z, newer
    assert plan(workspace, "1.4.0", backend=["backend1"])["backend1"]["target"] == "1.3.0"


def test_a_named_target_uses_any_backup_of_it(workspace):
    backup(workspace, "backend1", "1.3.2", "1.4.0", stamp(3, 13))
    backup(workspace, "backend1", "1.3.0", "1.3.2", stamp(1, 13))
    entry = plan(workspace, "1.4.0", backend=["backend1"], target="1.3.0")["backend1"]
    assert entry["target"] == "1.3.0" and entry["source"] == "routing_ml_rollback_to"
    assert entry["backup"]["folder"] == "/srv/share/routing_ml/backup/1.3.0"
    assert entry["backup"]["record"] == "logs/deploy/backup_1.3.0_backend1.json"


def test_a_named_target_without_a_backup_is_refused_naming_host_and_record_pattern(workspace):
    backup(workspace, "backend1", "1.3.2", "1.4.0", stamp(3, 13))
    exc = refused(workspace, "1.4.0", backend=["backend1"], target="1.2.0")
    assert exc.problems == [
        "backend1: no backup of 1.2.0 in logs/deploy (the backup role writes backup_<version>_backend1.json when it "
        "installs over a version)"]


def test_without_a_backup_a_backend_host_gets_no_target_and_a_problem_not_a_refusal(workspace):
    backup(workspace, "backend1", "1.3.0", "1.3.2", stamp(1, 13))  # not replaced by 1.4.0
    entry = plan(workspace, "1.4.0", backend=["backend1"])["backend1"]
    assert entry["target"] is None and entry["backup"] is None and entry["source"] is None
    assert entry["problem"] == (
        "backend1: no backup of the version 1.4.0 replaced in logs/deploy (the backup role writes "
        "backup_<version>_backend1.json when it installs over a version)")


def test_a_backup_of_a_bad_version_is_no_target(workspace):
    backup(workspace, "backend1", "1.3.2", "1.4.0", stamp(3, 13))
    event(workspace, "Rolled Back", "1.3.2", at(3, 14), gate="GA")
    assert refused(workspace, "1.4.0", backend=["backend1"]).problems == [
        "backend1: 1.3.2 was itself rolled back at GA on 2025-10-03T14:00:00+09:00 and is not a rollback target"]


def test_records_that_are_not_of_this_format_are_not_backups(workspace):
    backup(workspace, "backend1", "1.3.2", "1.4.0", stamp(3, 13))
    folder = workspace / "logs" / "deploy"
    (folder / "backup_1.3.9_backend1.json").write_text('{"format": 2, "kind": "backup", "version": "1.3.9", '
                                                       '"host": "backend1", "time": "2025-10-04T00:00:00+09:00", '
                                                       '"details": {"replaced_by": "1.4.0"}}')
    (folder / "backup_1.3.8_backend1.json").write_text("not json")
    assert plan(workspace, "1.4.0", backend=["backend1"])["backend1"]["target"] == "1.3.2"


# --- one refusal for every problem ----------------------------------------------------------------------------

def test_every_problem_of_every_host_is_in_one_refusal(workspace):
    sync(workspace, "node1", "1.4.0", "1.3.2", "1.4.0", stamp(3, 14), previous="1.3.2")
    sync(workspace, "node2", "1.4.0", "1.3.0", "1.4.0", stamp(3, 14), previous="1.3.0")
    sync(workspace, "node3", "1.4.0", "1.3.0", "1.4.0", stamp(3, 14), previous="1.3.0")
    backup(workspace, "backend1", "1.3.2", "1.4.0", stamp(3, 13))
    event(workspace, "Rolled Back", "1.3.2", at(2, 10), gate="Alpha")
    exc = refused(workspace, "1.4.0", web=["node1", "node2", "node3"], backend=["backend1"])
    assert [p.split(":")[0] for p in exc.problems] == ["node1", "backend1"]
    assert all("1.3.2 was itself rolled back at Alpha" in p for p in exc.problems)
    assert str(exc) == "; ".join(exc.problems)


def test_a_host_with_a_problem_does_not_keep_the_others_from_being_planned(workspace):
    sync(workspace, "node1", "1.4.0", "1.3.2", "1.4.0", stamp(3, 14), previous="1.3.2")
    planned = plan(workspace, "1.4.0", web=["node1", "node9"], backend=["backend1"])
    assert sorted(planned) == ["backend1", "node1", "node9"]
    assert planned["node1"]["target"] == "1.3.2" and planned["node1"]["problem"] is None
    assert planned["node9"]["target"] is None and planned["node9"]["problem"].startswith("node9: ")
    assert planned["backend1"]["target"] is None and planned["backend1"]["problem"].startswith("backend1: ")


# --- bad_versions ---------------------------------------------------------------------------------------------

def test_bad_versions_are_those_rolled_back_and_not_unblocked(workspace):
    event(workspace, "Rolled Back", "1.3.0", at(1, 10), gate="Alpha")
    event(workspace, "Rolled Back", "1.3.2", at(1, 11), gate="Beta")
    event(workspace, "Unblocked", "1.3.2", at(1, 12), gate="Beta", reason="CHG-7")
    _ledger.append(str(workspace), dict(gate="Alpha", status="Next Stage Ready", version="1.4.0", approver="QA-KIM",
                                        evidence="deliverables/onboarding_evidence/Stage9_Alpha_20251001",
                                        manifest_sha256="a" * 64), now=at(1, 13))
    bad = _rollback.bad_versions(_ledger.verify(str(workspace)))
    assert sorted(bad) == ["1.3.0"]
    assert bad["1.3.0"].fields["gate"] == "Alpha" and bad["1.3.0"].timestamp == "2025-10-01T10:00:00+09:00"
    assert _rollback.bad_versions([]) == {}


# --- outcome_message ------------------------------------------------------------------------------------------

FAILURES = [
    {"host": "node2", "component": "frontend", "task": "The node serves the release", "message": "HTTP 502"},
    {"host": "backend1", "component": "backend", "task": "Health with a deadline", "message": "status 500"},
]


def test_the_message_names_every_failure_and_every_rollback():
    results = [{"host": "node2", "outcome": "rolled back", "from": "1.4.0", "to": "1.3.2"},
               {"host": "backend1", "outcome": "rolled back", "from": "1.4.0", "to": "1.3.0"}]
    message = _rollback.outcome_message("1.4.0", "Beta", FAILURES, results)
    assert message.splitlines() == [
        "Stage 9 Beta deployment of 1.4.0 failed; no later batch started.",
        "What failed:",
        "  backend1 (backend): Health with a deadline: status 500",
        "  node2 (frontend): The node serves the release: HTTP 502",
        "Rolled back (this run's changes only): backend1 1.4.0 -> 1.3.0, node2 1.4.0 -> 1.3.2",
        "State now: every host serves one whole, verified version; the hosts rolled back serve the version they had before",
    ]


def test_a_rollback_that_failed_is_named_and_the_state_says_so():
    results = [{"host": "node2", "outcome": "rolled back", "from": "1.4.0", "to": "1.3.2"},
               {"host": "backend1", "outcome": "failed", "message": "Reinstall: installer exited 2"}]
    message = _rollback.outcome_message("1.4.0", "Beta", FAILURES, results)
    assert "Rolled back (this run's changes only): node2 1.4.0 -> 1.3.2" in message.splitlines()
    assert "  ROLLBACK FAILED on backend1: Reinstall: installer exited 2" in message.splitlines()
    assert message.splitlines()[-1] == "State now: rollback failed on backend1: attention needed; every other host serves one whole, verified version"
    assert "every host serves" not in message


def test_nothing_changed_nothing_rolled_back():
    message = _rollback.outcome_message("1.4.0", "Alpha", FAILURES[1:], [])
    assert "Rolled back (this run's changes only): nothing (no host had been changed)" in message.splitlines()
    assert "ROLLBACK FAILED" not in message


def test_halt_says_nothing_was_rolled_back():
    message = _rollback.outcome_message("1.4.0", "GA", FAILURES, [], on_failure="halt")
    lines = message.splitlines()
    assert lines[0] == "Stage 9 GA deployment of 1.4.0 failed; no later batch started."
    assert "  node2 (frontend): The node serves the release: HTTP 502" in lines
    assert "  backend1 (backend): Health with a deadline: status 500" in lines
    assert ("Rolled back: nothing (routing_ml_on_failure=halt): the hosts are left as they are for inspection; "
            "roll back with playbooks/rollback.yml or re-run after the fix.") in lines
    assert "this run's changes only" not in message


def test_halt_does_not_claim_the_failed_hosts_serve_a_verified_version():
    """After a halt the failed hosts are left as they failed (node2 answers 502, backend1 500):
    the closing message must not tell the operator that every host serves a verified version."""
    message = _rollback.outcome_message("1.4.0", "GA", FAILURES, [], on_failure="halt")
    assert "every host serves one whole, verified version" not in message


@pytest.mark.parametrize("entry, running, needs_copy, can_copy, expected", [
    # A host with no target must not run the version; otherwise it is left alone.
    ({"target": None, "problem": "node1: no release before 1.4.0 is known"}, "1.4.0", False, True,
     "node1: no release before 1.4.0 is known; it runs 1.4.0"),
    ({"target": None, "problem": "node1: no release before 1.4.0 is known"}, "1.3.0", False, True, None),
    ({"target": None, "problem": "node1: x"}, None, False, True, None),
    # A host with a target runs the version or the target already.
    ({"target": "1.3.0"}, "1.4.0", False, True, None),
    ({"target": "1.3.0"}, "1.3.0", False, True, None),
    ({"target": "1.3.0"}, "1.2.0", False, True, "node1 runs 1.2.0, neither 1.4.0 nor the rollback target 1.3.0"),
    ({"target": "1.3.0"}, None, False, True, "node1 runs nothing, neither 1.4.0 nor the rollback target 1.3.0"),
    # An IIS node cannot re-create a folder; an nginx node can; one already on the target needs nothing.
    ({"target": "1.3.0"}, "1.4.0", True, False, "node1: no folder of 1.3.0 verifies against its manifest"),
    ({"target": "1.3.0"}, "1.4.0", True, True, None),
    ({"target": "1.3.0"}, "1.3.0", True, False, None),
])
def test_host_problem(entry, running, needs_copy, can_copy, expected):
    problem = _rollback.host_problem("node1", entry, "1.4.0", running, needs_copy, can_copy)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and problem.startswith(expected), problem


def test_a_lost_host_ends_the_run_failed_and_nothing_is_rolled_back():
    failures = _rollback.lost_host_failures(["node3"])
    message = _rollback.outcome_message("1.7.0", "GA", failures, [])
    assert "  node3 (host): reaching the host: unreachable (or failed outside the checks)" in message
    assert "Rolled back (this run's changes only): nothing (no check failed: a lost host is not rolled back)" in message
    assert message.splitlines()[-1].startswith("State now: node3 left as it failed")

# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rollback targets (SOP 5): what each host goes back to, decided before any host changes.

"Previous" is what was live before the last deployment of the version being rolled back,
read from the deployment records, never from folder times:

- a web node: the ``previous`` of its ``frontend_sync_<version>_<host>.json`` (the version
  that was live when ``<version>`` was first switched in; a repair of the same version keeps
  it), or, in records without it, the version of the folder named in ``before``;
- a backend host: the newest ``backup_<v>_<host>.json`` whose ``replaced_by`` is the version
  (the backup taken when it was installed), which also holds the digest of every backed-up
  file.

A version with a ``Rolled Back`` ledger record that no ``Unblocked`` record follows is bad:
it is never a target. A host with no record of the version never received it from this
workspace: it gets no target and a ``problem``, which the host check raises only if the host
runs the version after all. Every host is planned, and every refusal reported together, so
that one run either has a target for every host that needs one or changes none.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.routing_ml.deploy.plugins.module_utils import _gate_policy, _records, _releases, _tree
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, check_version, relative_to)

COMPONENTS = ("frontend", "backend")


class RollbackRefused(ValidationError):
    """One or more hosts have no usable target; ``problems`` lists them all."""

    def __init__(self, problems):
        ValidationError.__init__(self, "; ".join(problems))
        self.problems = problems


def frontend_previous(record, version):
    """The version a web node served before ``version``, from its sync record, or None."""
    if not record:
        return None
    previous = (record.get("details") or {}).get("previous")
    if previous:
        return previous
    parsed = _releases.parse_folder(record.get("before") or "")
    return parsed[0] if parsed and parsed[0] != version else None


def backend_backup(records, version, target=None):
    """The backup record a backend host goes back to: of ``target`` when named (any backup of
    it), else the newest one taken when ``version`` replaced what ran. None when there is none."""
    if target is not None:
        candidates = [r for r in records if r.get("version") == target]
    else:
        candidates = [r for r in records if (r.get("details") or {}).get("replaced_by") == version]
    return candidates[-1] if candidates else None


def bad_versions(ledger_records):
    """``{version: record}`` of every version a rollback marked bad and nobody unblocked."""
    versions = sorted(set(r.fields["version"] for r in ledger_records))
    bad = {}
    for version in versions:
        record = _gate_policy.rollback_block(version, ledger_records)
        if record is not None:
            bad[version] = record
    return bad


def plan(workspace, version, hosts, ledger_records, target=None):
    """``{host: {component, target, source, backup, problem}}`` for ``hosts`` (``[{name, component}]``).

    ``target`` is the version an operator named (``routing_ml_rollback_to``); without it each
    host's previous version, or None with the ``problem`` to raise should the host run
    ``version``. Raises ``RollbackRefused`` listing every host whose target cannot be used."""
    check_version(version)
    if target is not None:
        check_version(target)
    bad = bad_versions(ledger_records)
    bad.pop(version, None)  # the version being rolled back may already be marked (a re-run)
    planned, problems = {}, []
    for host in hosts:
        name, component = host.get("name"), host.get("component")
        if component not in COMPONENTS:
            raise ValidationError("host %r: component %r is not one of %s" % (name, component, ", ".join(COMPONENTS)))
        entry = {"component": component, "target": None, "source": None, "backup": None, "problem": None}
        if component == "frontend":
            path = _records.path_of(workspace, "frontend_sync", version, name)
            record = _records.read(path)
            entry["target"] = target or frontend_previous(record, version)
            entry["source"] = "routing_ml_rollback_to" if target else relative_to(path, workspace)
            if entry["target"] is None:
                entry["problem"] = "%s: no release before %s is known (%s %s); name one with routing_ml_rollback_to" % (
                    name, version, entry["source"], "names none" if record else "does not exist")
        else:
            backup = backend_backup(_records.find(workspace, "backup", name), version, target)
            entry["target"] = target or (backup or {}).get("version")
            if backup is None:
                missing = "no backup of %s in %s (the backup role writes backup_<version>_%s.json when it " \
                          "installs over a version)" % (
                              target or ("the version %s replaced" % version), _records.FOLDER.replace("\\", "/"), name)
                if target:
                    problems.append("%s: %s" % (name, missing))
                else:
                    entry["target"] = None
                    entry["problem"] = "%s: %s" % (name, missing)
            else:
                record_path = _records.path_of(workspace, "backup", backup["version"], name)
                entry["backup"] = {"folder": backup.get("after"),
                                   "manifest": _tree.manifest_text(backup.get("digests") or {}),
                                   "record": relative_to(record_path, workspace)}
                entry["source"] = "routing_ml_rollback_to" if target else entry["backup"]["record"]
        chosen = entry["target"]
        if chosen == version:
            problems.append("%s: the rollback target %s is the version being rolled back" % (name, chosen))
        elif chosen in bad:
            problems.append("%s: %s was itself rolled back at %s on %s and is not a rollback target" % (
                name, chosen, bad[chosen].fields["gate"], bad[chosen].timestamp))
        planned[name] = entry
    if problems:
        raise RollbackRefused(problems)
    return planned


def outcome_message(version, gate, failures, results, on_failure="rollback"):
    """The one message a failed deployment ends with: what failed, what was rolled back, and
    the state now. ``failures`` and ``results`` are the hosts' ``routing_ml_failure`` and
    ``routing_ml_rollback_result`` facts."""
    lines = ["Stage 9 %s deployment of %s failed; no later batch started." % (gate, version)]
    lines.append("What failed:")
    for failure in sorted(failures, key=lambda f: f.get("host") or ""):
        lines.append("  %s (%s): %s: %s" % (failure.get("host"), failure.get("component"), failure.get("task"),
                                            failure.get("message")))
    if on_failure == "halt":
        lines.append("Rolled back: nothing (routing_ml_on_failure=halt): the hosts are left as they are for "
                     "inspection; roll back with playbooks/rollback.yml or re-run after the fix.")
    else:
        done = [r for r in results if r.get("outcome") == "rolled back"]
        broken = [r for r in results if r.get("outcome") == "failed"]
        lines.append("Rolled back (this run's changes only): %s" % (
            ", ".join("%s %s -> %s" % (r["host"], r.get("from"), r.get("to")) for r in sorted(done, key=_host))
            or ("nothing (no check failed: a lost host is not rolled back)"
                if all(f.get("component") == "host" for f in failures) else "nothing (no host had been changed)")))
        for result in sorted(broken, key=_host):
            lines.append("  ROLLBACK FAILED on %s: %s" % (result["host"], result.get("message")))
    rolled_back = set(r.get("host") for r in results if r.get("outcome") == "rolled back")
    broken = set(r.get("host") for r in results if r.get("outcome") == "failed")
    as_failed = sorted(set(f.get("host") for f in failures) - rolled_back - broken)
    state = []
    if broken:
        state.append("rollback failed on %s: attention needed" % ", ".join(sorted(broken)))
    if as_failed:
        state.append("%s left as %s failed%s" % (
            ", ".join(as_failed), "it" if len(as_failed) == 1 else "they",
            " (halt)" if on_failure == "halt" else " (this run had not changed them, or changed nothing yet)"))
    if state:
        lines.append("State now: %s; every other host serves one whole, verified version" % "; ".join(state))
    else:
        lines.append("State now: every host serves one whole, verified version; the hosts rolled back serve the "
                     "version they had before")
    return "\n".join(lines)


def _host(result):
    return result.get("host") or ""


def host_problem(name, entry, version, running, needs_copy=False, can_copy=True):
    """Why ``name`` cannot be rolled back as planned, or None. ``running`` is the version the
    host serves or runs now (None when nothing is); ``needs_copy`` says that no folder of the
    target verified on a web node, which only nodes that can copy (nginx) may fix."""
    target = entry.get("target")
    if target is None:
        if running == version:
            return "%s; it runs %s" % (entry.get("problem") or "%s: no rollback target" % name, version)
        return None
    if running not in (version, target):
        return "%s runs %s, neither %s nor the rollback target %s" % (name, running or "nothing", version, target)
    if running != target and needs_copy and not can_copy:
        return ("%s: no folder of %s verifies against its manifest, and an IIS node copies only from frontend\\latest, "
                "which holds %s: put %s there and deploy it instead" % (name, target, version, target))
    return None


def lost_host_failures(hosts):
    """Failure entries for hosts Ansible took out of the run (unreachable, or failed outside a
    check's rescue): nothing ran on them after that, so nothing is rolled back there."""
    return [{"host": host, "component": "host", "task": "reaching the host",
             "message": "unreachable (or failed outside the checks): later batches did not start; fix the host "
                        "and run the deployment again"} for host in sorted(hosts)]


def changed_hosts(host_facts, version, lost=()):
    """The hosts a deployment of ``version`` changed, in the order given, for a later rollback
    to act on (an AWX workflow's failure edge gets them from the job's ``set_stats``).

    ``host_facts`` is ``[(host, facts)]``: a web node changed when its switch (an nginx node's
    web_release action, an IIS node's switch task) reported a
    change; a backend host when it ran another version (or none) before this run installed
    ``version``. A host lost on the way may have changed in part: it is listed too, and the
    rollback proves its state before touching it."""
    lost = set(lost)
    changed = []
    for host, facts in host_facts:
        switch = facts.get("_routing_ml_frontend_switch")
        release = facts.get("_routing_ml_frontend_release")
        running = facts.get("routing_ml_running_version")
        if (host in lost or (isinstance(switch, dict) and switch.get("changed"))
                or (isinstance(release, dict) and release.get("switched"))
                or (running is not None and running != version)):
            changed.append(host)
    return changed

# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each host should serve, and how what it serves compares (``playbooks/status.yml``).

What a host should serve comes from the workspace, never from the host:

- every deployment record (``logs/deploy``) that names a gate says that gate's run left its
  host at the record's version at the record's time; a ``Rolled Back`` ledger record says
  the gate's hosts went back to its target. The newest of these events, over the gates whose
  stage group (``stage_alpha`` ...) holds the host, is what the host should serve: a host a
  failed batch never reached is *left behind* when another host of its stage moved on.
- a host's own newest record counts too (a rollback run without a gate, a record written
  before records named their gate);
- what was *approved* for the host is the newest approval in the ledger of one of those
  gates (the gate policy's status for it), or the target of a newer rollback;
- a version a gate run put on a host must have what the gate policy requires in the
  ledger (Beta: Alpha's approval of the same version): a record claiming otherwise is not
  trusted, the ledger being the tamper-evident part.

``judge`` turns that and what the node answered into one row of the status table.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.routing_ml.deploy.plugins.module_utils import _gate_policy, _records, _releases, _tree
from ansible_collections.routing_ml.deploy.plugins.module_utils._time import parse as parse_timestamp
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import GATES, ValidationError

STATES = ("ok", "drift", "in progress", "unreachable", "not deployed")
ROLES = ("web", "backend")
_HOST_KINDS = {"web": ("frontend_sync", "rollback"), "backend": ("verify", "rollback")}


def stage_group(gate):
    return "stage_%s" % gate.lower()


def gates_of(groups):
    """The gates whose stage group holds a host that is in ``groups``."""
    return [gate for gate in GATES if stage_group(gate) in (groups or ())]


def _moment(text, where):
    try:
        return parse_timestamp(text or "", what="%s time" % where)
    except (TypeError, ValueError, ValidationError):
        raise ValidationError("%s: time %r is not ISO8601 with an offset" % (where, text))


def _component(record):
    if record["kind"] == "rollback":
        return record["details"].get("component")
    return "web" if record["kind"] == "frontend_sync" else "backend"


def read_records(workspace):
    """Every deployment record of the workspace that says where a host was left, oldest first."""
    folder = os.path.join(workspace, _records.FOLDER)
    found = []
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
        record = _records.read(os.path.join(folder, name))
        if not record or record.get("kind") not in ("frontend_sync", "verify", "rollback") or not record.get("host"):
            continue
        if record.get("outcome") not in ("ok", "rolled back") or _releases.folder_version(record.get("after")) is None:
            continue
        component = _component(record)
        found.append(dict(host=record["host"], role="web" if component in ("web", "frontend") else "backend",
                          version=_releases.folder_version(record["after"]), gate=(record.get("details") or {}).get("gate"),
                          time=_moment(record.get("time"), name), kind=record["kind"],
                          manifest=(record.get("digests") or {}).get("manifest"), name=name))
    return sorted(found, key=lambda r: (r["time"], r["name"]))


def _approved_by(records, policy, gate, version, before):
    """Whether the ledger, before ``before``, holds what ``gate``'s policy requires of ``version``."""
    requires = policy[gate]["requires"]
    if requires is None:
        return True
    return any(r["fields"]["gate"] == requires["gate"] and r["fields"]["status"] == requires["status"]
               and r["fields"]["version"] == version and r["time"] <= before for r in records)


def ledger_lines(records):
    """The ledger's records (``_ledger.Record``) as the dicts ``expectations`` reads."""
    return [dict(fields=r.fields, time=_moment(r.timestamp, "%s line %d" % (os.path.basename(r.path), r.line_number)),
                 name="%s line %d" % (os.path.basename(r.path), r.line_number)) for r in records]


def _rollback_target(line):
    """What a ``Rolled Back`` ledger line went back to (its ``target``), or None for any other line."""
    if line["fields"]["status"] != _gate_policy.ROLLED_BACK:
        return None
    return line["fields"].get("target") or None


def _one_version(target):
    """The one version a rollback target names; None when it names several (hosts went back to
    different versions, and only their own records say which)."""
    versions = sorted(set(v.strip() for v in (target or "").split(",") if v.strip()))
    return versions[0] if len(versions) == 1 else None


def expectations(ledger_records, deploy_records, hosts, policy=None):
    """``ledger_records``: from ``ledger_lines``; ``deploy_records``: from ``read_records``.

    For each host of ``hosts`` (``{name: {"role": web|backend, "groups": [...]}}``): what it
    should serve (``expected_version``, ``expected_by``: the record or ledger line behind it),
    what was last approved for it (``approved_version``), the manifest digest recorded for the
    expected version (web), and ``untrusted``: why the expectation is not backed by the ledger."""
    policy = _gate_policy.check_policy(policy) if policy is not None else _gate_policy.default_policy()
    events = dict((gate, []) for gate in GATES)
    for record in deploy_records:
        if record["gate"] in events:
            events[record["gate"]].append(record)
    for line in ledger_records:
        if _one_version(_rollback_target(line)):
            for role in ROLES:
                events[line["fields"]["gate"]].append(dict(
                    host=None, role=role, version=_one_version(_rollback_target(line)), gate=line["fields"]["gate"],
                    time=line["time"], kind="ledger", manifest=None, name=line["name"]))
    manifests = {}
    for record in deploy_records:
        if record["role"] == "web" and record["manifest"]:
            manifests[record["version"]] = record["manifest"]
    result = {}
    for host, facts in sorted(hosts.items()):
        role, gates = facts["role"], gates_of(facts.get("groups"))
        own = [r for r in deploy_records if r["host"] == host and r["role"] == role]
        candidates = own + [e for gate in gates for e in events[gate] if e["role"] == role]
        newest = max(candidates, key=lambda r: (r["time"], r["name"])) if candidates else None
        if newest is not None and own and own[-1]["version"] == newest["version"]:
            # The host got that version itself: its own record is the one to name.
            newest = own[-1]
        approvals = [line for line in ledger_records if line["fields"]["gate"] in gates and (
            line["fields"]["status"] == policy[line["fields"]["gate"]]["status"] or _rollback_target(line))]
        approved = approvals[-1] if approvals else None
        entry = dict(role=role, gates=gates, expected_version=None, expected_by=None, expected_gate=None, expected_host=None,
                     approved_version=None, approved_gate=None, manifest_sha256=None, untrusted=None)
        if approved is not None:
            entry["approved_gate"] = approved["fields"]["gate"]
            entry["approved_version"] = _rollback_target(approved) or approved["fields"]["version"]
        if newest is not None:
            entry.update(expected_version=newest["version"], expected_by=newest["name"], expected_gate=newest["gate"],
                         expected_host=newest["host"], manifest_sha256=manifests.get(newest["version"]))
            if newest["gate"] in policy and newest["kind"] != "ledger" and newest["kind"] != "rollback" and \
                    not _approved_by(ledger_records, policy, newest["gate"], newest["version"], newest["time"]):
                requires = policy[newest["gate"]]["requires"]
                entry["untrusted"] = "%s says the %s run deployed %s, but the ledger has no %s %r of %s before it" % (
                    newest["name"], newest["gate"], newest["version"], requires["gate"], requires["status"],
                    newest["version"])
        result[host] = entry
    return result


def first_difference(expected_text, live_text):
    """``(path, how, count)``: the first file in path order where a live manifest differs from
    the expected one, how (changed, missing, extra), and how many differ; ``(None, None, 0)``."""
    return first_of(_tree.compare(_tree.parse_manifest(expected_text), _tree.parse_manifest(live_text)))


def first_of(difference):
    """``(path, how, count)`` of a ``difference`` dict (missing, extra, changed, invalid lists)."""
    found = sorted((path, how) for how in ("changed", "missing", "extra", "invalid")
                   for path in (difference or {}).get(how) or ())
    return (found[0][0], found[0][1], len(found)) if found else (None, None, 0)


def judge(host, expected, observed, deploying=False):
    """One row of the status table.

    ``observed``: ``{"unreachable": msg}``, or ``{"live_version", "verified" (True/False/None),
    "first_difference", "how", "switched" (the pointer moved while it was read), "detail"}``.
    ``deploying``: a deployment or rollback holds the environment's lock now; a host that does
    not match is then *in progress*, neither healthy nor a failure.
    """
    row = dict(host=host, role=expected["role"], live_version=observed.get("live_version"),
               verified=observed.get("verified"), approved_version=expected["approved_version"],
               expected_version=expected["expected_version"], first_difference=observed.get("first_difference"),
               state="ok", drift=None)
    problem = None
    if expected["expected_version"] is None and row["live_version"] is None and not observed.get("unreachable") \
            and not observed.get("link_target"):
        # A host no run has reached yet (a GA host before GA): nothing is owed, nothing drifts.
        row["state"] = "not deployed"
        return row
    if observed.get("unreachable"):
        row["state"] = "unreachable"
        row["drift"] = "unreachable: %s" % observed["unreachable"]
        return row
    if observed.get("switched"):
        problem = "its live pointer moved while it was checked"
    elif row["live_version"] is None:
        problem = observed.get("detail") or "serves no release"
    elif expected["expected_version"] is None:
        problem = "serves %s, which no deployment record or ledger line puts on it" % row["live_version"]
    elif expected["untrusted"]:
        problem = expected["untrusted"]
    elif row["live_version"] != expected["expected_version"]:
        problem = "serves %s, but %s puts %s on it%s" % (
            row["live_version"], expected["expected_by"], expected["expected_version"],
            " (left behind by the %s run)" % expected["expected_gate"] if expected["expected_host"] != host else "")
    elif row["verified"] is False:
        if row["first_difference"]:
            problem = "%s of %s differs from its manifest (%s%s)" % (
                row["first_difference"], row["live_version"], observed.get("how") or "changed",
                ", and more" if observed.get("more") else "")
        else:
            problem = observed.get("detail") or "%s does not match its manifest" % row["live_version"]
    elif row["verified"] is None and row["role"] == "web":
        problem = observed.get("detail") or "no manifest of %s to verify it against" % row["live_version"]
    if problem:
        row["state"] = "in progress" if deploying else "drift"
        row["drift"] = problem
    return row


def table(rows):
    """The status table as text: one line per host, columns aligned."""
    header = ("host", "role", "live", "verified", "approved", "state", "drift")
    lines = [header]
    for row in rows:
        verified = {True: "yes", False: "NO", None: "-"}[row["verified"]]
        lines.append((row["host"], row["role"], row["live_version"] or "-", verified,
                      row["approved_version"] or "-", row["state"], row["drift"] or ""))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    return [("  ".join(cell.ljust(width) for cell, width in zip(line[:-1], widths)) + "  " + line[-1]).rstrip()
            for line in lines]


def observed_from(answer, expected_version):
    """What ``judge`` reads, from a host's answer: ``{"unreachable": msg}``, ``{"node_status":
    <node_status result>}``, or ``{"windows": <Verify-RoutingMLFrontend.ps1 result>}``."""
    if answer.get("unreachable"):
        return dict(unreachable=answer["unreachable"])
    if "node_status" in answer:
        result = answer["node_status"] or {}
        if result.get("failed"):
            return dict(live_version=None, verified=False, detail=result.get("msg") or "the check failed")
        return result
    result = answer.get("windows") or {}
    if result.get("skipped"):
        return dict(live_version=None, verified=None,
                    detail="no staged bundle of %s on the controller to check this IIS node against" % expected_version)
    if result.get("failed"):
        return dict(live_version=None, verified=False, detail=result.get("msg") or "the check failed")
    observed = dict(live_version=_releases.live_version(result.get("link_target")), verified=None,
                    first_difference=None, how=None, more=False)
    if observed["live_version"] is None:
        observed["detail"] = "its site's physical path %s is no release folder" % result.get("link_target")
    elif observed["live_version"] == expected_version:
        observed["verified"] = bool(result.get("matches"))
        path, how, count = first_of(result.get("difference"))
        if path and not observed["verified"]:
            observed.update(first_difference=path, how=how, more=count > 1)
    return observed


def report(expected, answers, deploying=False, lock=None, time=None):
    """The status check's record (``logs/status/last.json``): every host's row, sorted."""
    rows = [judge(host, expected[host], observed_from(answers.get(host) or dict(unreachable="no answer"),
                                                      expected[host]["expected_version"]), deploying)
            for host in sorted(expected)]
    return dict(format=1, time=time, deploying=deploying, lock=lock,
                drift=any(row["state"] in ("drift", "unreachable") for row in rows), nodes=rows)


def answer_of(platform, web, windows, backend):
    """A host's answer for ``report``, from what the status tasks registered on it: the
    ``node_status`` result of an nginx node (``web``) or a backend (``backend``), or the
    ``win_powershell`` result of an IIS node's check (``windows``). Each skipped task
    registers too; the one that ran is the answer. An IIS node whose check was skipped had
    no staged manifest to be checked against."""
    registered = [r for r in (windows, web, backend) if isinstance(r, dict)]
    for result in registered:
        if result.get("unreachable"):
            return dict(unreachable=result.get("msg") or "unreachable")
    ran = [r for r in registered if not r.get("skipped")]
    if not ran:
        if platform == "windows" and isinstance(windows, dict):
            return dict(windows=dict(skipped=True))
        return dict(unreachable="no answer: the host left the play before it was asked")
    if ran[0] is windows:
        if windows.get("failed"):
            return dict(windows=dict(failed=True, msg=windows.get("msg")))
        return dict(windows=windows.get("result") or {})
    return dict(node_status=ran[0])

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: audit_log_search
short_description: Find audit log entries by time window, client IP and action
description:
  - Reads the Routing ML audit logs (SOP 6.3, C(logs/audit/ui_actions.log) and
    C(logs/audit/rsl.audit.log)) and returns the entries in a time window from a client IP
    whose action matches a regular expression.
  - Reads JSON lines (C(timestamp)/C(time)/C(ts), C(client_ip)/C(ip)/C(client),
    C(action)/C(event)) and text lines that start with an ISO8601 timestamp followed by
    C(key=value) fields or an IP address and the action.
  - Fails when fewer than O(min_count) entries match, saying what was searched for.
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.read_only
  - routing_ml.deploy.attributes.file_host
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  path:
    description: The log files to read.
    type: list
    elements: path
    required: true
  since:
    description: Earliest time (ISO8601, inclusive).
    type: str
  until:
    description: Latest time (ISO8601, inclusive).
    type: str
  client_ip:
    description: The client IP the entries must carry.
    type: str
  action:
    description: A regular expression the action must contain a match of.
    type: str
  min_count:
    description: Fail when fewer entries match. C(0) only reports.
    type: int
    default: 1
  default_offset:
    description: UTC offset (C(+09:00)) for timestamps written without one. Defaults to this host's.
    type: str
attributes:
  platform:
    details: Runs where the logs are; the C(verify) role fetches them to the controller first.
"""

EXAMPLES = r"""
- name: The spot test's POST is in the RSL audit log with this controller's IP
  routing_ml.deploy.audit_log_search:
    path:
      - "{{ routing_ml_workspace }}/logs/audit/backend1/rsl.audit.log"
    since: "{{ spot_test_started }}"
    client_ip: "{{ controller_ip }}"
    action: "POST /api/rsl/groups .*spot-test-1234"
  delegate_to: localhost
"""

RETURN = r"""
matches:
  description: Matching entries with file, line, timestamp, client IP and action.
  returned: success
  type: list
  elements: dict
  sample: [{file: rsl.audit.log, line: 7, timestamp: "2025-10-03T14:05:00+09:00", client_ip: 10.0.0.5, action: "POST /api/rsl/groups"}]
count:
  description: Number of matching entries.
  returned: always
  type: int
  sample: 1
unreadable:
  description: Number of non-blank lines that could not be read as entries.
  returned: success
  type: int
  sample: 0
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic, _audit_log
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def run(params):
    default_tz = None
    if params["default_offset"]:
        default_tz = _audit_log.parse_timestamp(
            "2000-01-01T00:00:00" + params["default_offset"], what="default_offset").tzinfo
    since = _audit_log.parse_timestamp(params["since"], default_tz, "since") if params["since"] else None
    until = _audit_log.parse_timestamp(params["until"], default_tz, "until") if params["until"] else None
    matches, unreadable = [], 0
    for path in params["path"]:
        lines = _atomic.read_text(path).split("\n")
        found, bad = _audit_log.search(lines, since, until, params["client_ip"], params["action"], default_tz)
        matches += [dict(entry, file=path) for entry in found]
        unreadable += bad
    return matches, unreadable


def describe(params):
    parts = ["client_ip=%s" % params["client_ip"]] if params["client_ip"] else []
    parts += ["action~%s" % params["action"]] if params["action"] else []
    parts += ["since %s" % params["since"]] if params["since"] else []
    parts += ["until %s" % params["until"]] if params["until"] else []
    return ", ".join(parts) or "any entry"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="list", elements="path", required=True),
            since=dict(type="str"),
            until=dict(type="str"),
            client_ip=dict(type="str"),
            action=dict(type="str"),
            min_count=dict(type="int", default=1),
            default_offset=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    try:
        matches, unreadable = run(module.params)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc), count=0)
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot read the audit log: %s" % to_native(exc), count=0)
    result = dict(changed=False, matches=matches, count=len(matches), unreadable=unreadable)
    if len(matches) < module.params["min_count"]:
        module.fail_json(msg="%d audit entries match (%s) in %s; at least %d expected" % (
            len(matches), describe(module.params), ", ".join(module.params["path"]),
            module.params["min_count"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: status_report
short_description: Compare what each host serves with what it should, and keep the answer
description:
  - The last step of C(playbooks/status.yml), on the controller.
  - Judges each host of O(expected) by its answer in O(answers) - C(ok); C(drift) (files changed,
    a version no record or ledger line puts there, a host left behind, a record the ledger does
    not back, nothing live, nginx not running); C(unreachable); or C(in progress) instead of
    drift while O(deploying), since a host in the middle of a deployment is neither healthy nor
    a failure.
  - Writes the rows to C(logs/status/last.json) in O(workspace) (replaced atomically), which
    the release report reads. Does not fail on drift; RV(drift) and RV(problems) say it.
version_added: 0.5.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.file_edit
  - routing_ml.deploy.attributes.controller
  - routing_ml.deploy.workspace
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  expected:
    description: RV(routing_ml.deploy.status_expected#module:hosts).
    type: dict
    required: true
  answers:
    description:
      - Per host its answer - C({node_status - <the node_status result>}), C({windows - <the
        Verify-RoutingMLFrontend.ps1 result>}) or C({unreachable - <message>}). A host of
        O(expected) without an answer is unreachable.
    type: dict
    required: true
  deploying:
    description: RV(routing_ml.deploy.status_expected#module:deploying).
    type: bool
    default: false
  lock:
    description: Who holds the deploy lock, for the record.
    type: str
"""

EXAMPLES = r"""
- name: Judge every host and keep the answer
  routing_ml.deploy.status_report:
    workspace: "{{ routing_ml_workspace }}"
    expected: "{{ expected.hosts }}"
    answers: "{{ answers }}"
    deploying: "{{ expected.deploying }}"
  register: status
  delegate_to: localhost
"""

RETURN = r"""
nodes:
  description: Per host (sorted) - host, role, live_version, verified, approved_version, expected_version, state, drift, first_difference.
  returned: success
  type: list
  elements: dict
table:
  description: The table as aligned lines of text.
  returned: success
  type: list
  elements: str
drift:
  description: Whether any host drifts or could not be asked.
  returned: success
  type: bool
problems:
  description: C(<host> - <what drifts>), one per host that is not ok.
  returned: success
  type: list
  elements: str
path:
  description: The status record written.
  returned: success
  type: str
"""

import datetime
import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic, _ledger, _status
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, real_workspace, workspace_spec)

STATUS_FILE = os.path.join("logs", "status", "last.json")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **workspace_spec(),
            expected=dict(type="dict", required=True),
            answers=dict(type="dict", required=True),
            deploying=dict(type="bool", default=False),
            lock=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        workspace = real_workspace(params["workspace"])
        record = _status.report(params["expected"], params["answers"], params["deploying"], params["lock"],
                                _ledger.format_timestamp(datetime.datetime.now().astimezone()))
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (KeyError, TypeError) as exc:
        module.fail_json(msg="expected: not what status_expected returns (%s)" % to_native(exc))
    path = os.path.join(workspace, STATUS_FILE)
    if not module.check_mode:
        try:
            if not os.path.isdir(os.path.dirname(path)):
                os.makedirs(os.path.dirname(path))
            _atomic.write_text_atomic(path, json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        except (IOError, OSError) as exc:
            module.fail_json(msg="cannot write %s: %s" % (path, to_native(exc)))
    problems = ["%s: %s" % (row["host"], row["drift"]) for row in record["nodes"] if row["state"] != "ok"]
    module.exit_json(changed=True, nodes=record["nodes"], table=_status.table(record["nodes"]), drift=record["drift"],
                     deploying=record["deploying"], problems=problems, path=path)


if __name__ == "__main__":
    main()

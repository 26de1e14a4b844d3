#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: preflight_report
short_description: Check the pre-deployment list of SOP 2 and report every gap at once
description:
  - Checks, in the release workspace, that the newest frontend build log shows a successful
    C(npm run build) without TypeScript errors, that the newest pytest log shows
    C(tests/test_rsl_routing_groups.py) passing, that the release notes' approval section
    is all checked, and that the QA checklist is all checked.
  - Adds what each backend host reported about C(ROUTING_ML_RSL_DATABASE_URL) (set or not,
    and whether the database file it names is reachable).
  - Fails with one message that lists every problem, the host ones per host.
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.read_only
  - routing_ml.deploy.attributes.controller
  - routing_ml.deploy.workspace
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  build_log:
    description: Glob, relative to O(workspace), of the frontend build logs; the newest (by name) is read.
    type: str
    default: logs/qa/frontend_build_*.log
  pytest_log:
    description: Glob, relative to O(workspace), of the pytest logs; the newest (by name) is read.
    type: str
    default: logs/qa/pytest_rsl_routing_groups_*.log
  pytest_target:
    description: The test file the pytest log must show passing.
    type: str
    default: tests/test_rsl_routing_groups.py
  release_notes:
    description: The release notes, relative to O(workspace).
    type: str
    required: true
  approval_section:
    description: The release notes' section whose checkboxes record the approval.
    type: str
    default: 승인 (Approval)
  qa_checklist:
    description: The QA checklist, relative to O(workspace).
    type: str
    default: docs/sprint/routing_enhancement_qa.md
  qa_section:
    description: The QA checklist's section.
    type: str
    default: QA Checklist
  variable:
    description: The environment variable the backend hosts must have.
    type: str
    default: ROUTING_ML_RSL_DATABASE_URL
  hosts:
    description:
      - What each backend host reported, a mapping of host name to C(present), C(path) and C(exists).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Pre-deployment checklist
  routing_ml.deploy.preflight_report:
    workspace: "{{ routing_ml_workspace }}"
    release_notes: deliverables/release_notes_2025-09-29.md
    hosts:
      backend1: {present: true, path: 'C:\RoutingML\data\rsl.accdb', exists: true}
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
problems:
  description: Problems not tied to a host.
  returned: always
  type: list
  elements: str
  sample: ["logs/qa/frontend_build_20250929.log shows a build error: error TS2322 ..."]
host_problems:
  description: Problems per backend host.
  returned: always
  type: dict
  sample: {backend1: ["ROUTING_ML_RSL_DATABASE_URL is not set"]}
checked:
  description: The files that were read.
  returned: always
  type: dict
  sample: {build_log: logs/qa/frontend_build_20250929.log}
"""

import glob
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic, _markdown, _preflight
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, real_workspace, relative_to, resolve_in_workspace, workspace_spec)


def newest(workspace, pattern, what, problems):
    resolve_in_workspace(workspace, os.path.dirname(pattern) or ".", what)
    found = sorted(glob.glob(os.path.join(workspace, pattern)))
    if not found:
        problems.append("no %s matches %s" % (what, pattern))
        return None, None
    return relative_to(found[-1], workspace), _atomic.read_text(found[-1])


def checklist(workspace, relpath, section, what, problems):
    path = resolve_in_workspace(workspace, relpath, what)
    if not os.path.isfile(path):
        problems.append("%s %s does not exist" % (what, relpath))
        return
    try:
        summary = _markdown.checklist_summary(_markdown.Document(_atomic.read_text(path), relpath).checklist(section))
    except ValidationError as exc:
        problems.append(to_native(exc))
        return
    if not summary["items"]:
        problems.append("%s %s: section %r has no checkboxes" % (what, relpath, section))
    for item in summary["unchecked"]:
        problems.append("%s %s: unchecked: %s" % (what, relpath, item))


def run(params):
    workspace = real_workspace(params["workspace"])
    problems, checked = [], {}
    name, text = newest(workspace, params["build_log"], "frontend build log", problems)
    if name:
        checked["build_log"] = name
        problems += _preflight.build_log_problems(text, name)
    name, text = newest(workspace, params["pytest_log"], "pytest log", problems)
    if name:
        checked["pytest_log"] = name
        problems += _preflight.pytest_log_problems(text, name, params["pytest_target"])
    checklist(workspace, params["release_notes"], params["approval_section"], "release notes", problems)
    checklist(workspace, params["qa_checklist"], params["qa_section"], "QA checklist", problems)
    checked.update(release_notes=params["release_notes"], qa_checklist=params["qa_checklist"])
    host_problems = _preflight.host_problems(params["hosts"], params["variable"])
    return problems, host_problems, checked


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **workspace_spec(),
            build_log=dict(type="str", default="logs/qa/frontend_build_*.log"),
            pytest_log=dict(type="str", default="logs/qa/pytest_rsl_routing_groups_*.log"),
            pytest_target=dict(type="str", default="tests/test_rsl_routing_groups.py"),
            release_notes=dict(type="str", required=True),
            approval_section=dict(type="str", default="승인 (Approval)"),
            qa_checklist=dict(type="str", default="docs/sprint/routing_enhancement_qa.md"),
            qa_section=dict(type="str", default="QA Checklist"),
            variable=dict(type="str", default="ROUTING_ML_RSL_DATABASE_URL"),
            hosts=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    try:
        problems, host_problems, checked = run(module.params)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc), problems=[], host_problems={}, checked={})
    result = dict(changed=False, problems=problems, host_problems=host_problems, checked=checked)
    if problems or host_problems:
        module.fail_json(msg=_preflight.format_report(problems, host_problems), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: checklist_status
short_description: Report the checked and unchecked items of a Markdown checklist section
description:
  - Reads the C(- [ ]) / C(- [x]) items of one section of a Markdown file (the QA checklist
    C(docs/sprint/routing_enhancement_qa.md), the Tasklist's C(Phase 5)), subsections included.
  - The section is found by its heading text, case-insensitively and in any script
    (C(배포 준비) works); a heading that starts with O(section) followed by punctuation or a space
    matches too (C(Phase 5) finds C(Phase 5 - 배포 및 승인)). Fenced code blocks are skipped.
  - With O(require_all=true) it fails when an item is unchecked, listing every one of them.
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.read_only
  - routing_ml.deploy.attributes.file_host
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  path:
    description: The Markdown file.
    type: path
    required: true
  section:
    description: The section's heading text, without the C(#) marks.
    type: str
    required: true
  require_all:
    description: Fail unless the section has items and all are checked.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Every QA checklist item is checked (SOP 7.1)
  routing_ml.deploy.checklist_status:
    path: "{{ routing_ml_workspace }}/docs/sprint/routing_enhancement_qa.md"
    section: QA Checklist
    require_all: true
  delegate_to: localhost
"""

RETURN = r"""
items:
  description: Every item with its state, text and line number.
  returned: success
  type: list
  elements: dict
  sample: [{checked: true, text: "RSL 그룹 저장 확인", line: 12}]
checked:
  description: Texts of the checked items.
  returned: success
  type: list
  elements: str
  sample: ["RSL 그룹 저장 확인"]
unchecked:
  description: Texts of the unchecked items.
  returned: success
  type: list
  elements: str
  sample: ["감사 로그 IP 기록 확인"]
all_checked:
  description: Whether the section has items and all are checked.
  returned: success
  type: bool
  sample: false
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic, _markdown
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            section=dict(type="str", required=True),
            require_all=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    path, section = module.params["path"], module.params["section"]
    try:
        doc = _markdown.Document(_atomic.read_text(path), path)
        summary = _markdown.checklist_summary(doc.checklist(section))
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot read %s: %s" % (path, to_native(exc)))
    if module.params["require_all"] and not summary["all_checked"]:
        if not summary["items"]:
            module.fail_json(msg="section %r of %s has no checklist items" % (section, path), **summary)
        module.fail_json(msg="section %r of %s has %d unchecked item(s): %s" % (
            section, path, len(summary["unchecked"]), "; ".join(summary["unchecked"])), **summary)
    module.exit_json(changed=False, **summary)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: document_line
short_description: Keep one line in a section of a Markdown document
description:
  - Replaces the line of section O(section) that contains O(key) with O(line), or adds
    O(line) at the end of the section; adds the section when the document has none.
  - Headings in any script work (C(배포 준비)); nothing else in the file changes, line endings
    and byte order mark included. The file is replaced atomically.
  - A file that is not UTF-8 is refused and left as it is.
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.file_edit
  - routing_ml.deploy.attributes.file_host
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  path:
    description: The Markdown file.
    type: path
    required: true
  section:
    description: The section's heading text.
    type: str
    required: true
  key:
    description: Text that identifies the line this module owns; it must not be empty.
    type: str
    required: true
  line:
    description: The line; it must contain O(key) and no line break (C(\n) or C(\r)).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Link the sync result in the Stage 4 report (SOP 4.5)
  routing_ml.deploy.document_line:
    path: "{{ routing_ml_workspace }}/docs/stage4_frontend_report.md"
    section: 배포 준비
    key: "frontend 1.4.0 sync"
    line: "- frontend 1.4.0 sync: 6 nodes, [records](../logs/deploy/)"
  delegate_to: localhost
"""

RETURN = r"""
line:
  description: The line as written.
  returned: success
  type: str
  sample: "- frontend 1.4.0 sync: 6 nodes"
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _markdown
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            section=dict(type="str", required=True),
            key=dict(type="str", required=True, no_log=False),
            line=dict(type="str", required=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if not params["key"].strip():
        # "" (or blanks) is in every line: the first line of the section would be overwritten.
        module.fail_json(msg="key %r must not be empty or only blanks" % (params["key"],))
    # Markdown reads a lone CR as a line break too.
    if params["key"] not in params["line"] or "\n" in params["line"] or "\r" in params["line"]:
        module.fail_json(msg="line %r must be one line containing key %r" % (params["line"], params["key"]))
    try:
        dummy, diff = _markdown.edit_file(
            params["path"], lambda doc: doc.upsert_line(params["section"], lambda text: params["key"] in text,
                                                        params["line"]), module.check_mode)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot edit %s: %s" % (params["path"], to_native(exc)))
    except UnicodeDecodeError as exc:
        module.fail_json(msg="cannot edit %s: it is not UTF-8 text (%s); it is left as it is" % (
            params["path"], to_native(exc)))
    result = dict(changed=diff is not None, line=params["line"])
    if diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()

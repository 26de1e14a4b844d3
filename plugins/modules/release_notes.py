#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: release_notes
short_description: Keep the digest table, Highlights links and rollback results of release notes
description:
  - Edits the sections of a release notes Markdown file that the SOP asks for, and nothing else
    in the file (line endings and byte order mark are kept).
  - the digest table (SOP 4.2), one row per file keyed by its name;
  - links under C(Highlights) (SOP 7.4), one line per link target;
  - the rollback results table (SOP 5.4), one row per rollback keyed by its time.
  - A missing section is added at the end of the file. Running it again with the same input
    changes nothing. The file is replaced atomically.
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.file_edit
  - routing_ml.deploy.attributes.file_host
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  path:
    description: The release notes file.
    type: path
    required: true
  digests:
    description: Files and their SHA256, for the digest table.
    type: list
    elements: dict
    default: []
    suboptions:
      file:
        description: The file's name as published.
        type: str
        required: true
      sha256:
        description: Its digest (C(sha256:<hex>) or hex in any case; written lowercase).
        type: str
        required: true
  digest_section:
    description: Heading of the digest table's section.
    type: str
    default: SHA256 Checksums
  highlights:
    description: Links to keep under the Highlights section.
    type: list
    elements: dict
    default: []
    suboptions:
      text:
        description: The link text.
        type: str
        required: true
      link:
        description: The link target; an existing line linking to it is replaced.
        type: str
        required: true
      note:
        description: Text after the link.
        type: str
  highlights_section:
    description: Heading of the Highlights section.
    type: str
    default: Highlights
  rollback:
    description: One rollback result for the rollback table.
    type: dict
    suboptions:
      timestamp:
        description: When the rollback ran (ISO8601); the row's key.
        type: str
        required: true
      from_version:
        description: The version rolled back.
        type: str
        required: true
      to_version:
        description: The version restored.
        type: str
        required: true
      result:
        description: The outcome, e.g. C(success) or C(failed).
        type: str
        required: true
      note:
        description: Reason or ticket.
        type: str
        default: ""
  rollback_section:
    description: Heading of the rollback results section.
    type: str
    default: Rollback
"""

EXAMPLES = r"""
- name: Publish the digests in the release notes (SOP 4.2)
  routing_ml.deploy.release_notes:
    path: "{{ routing_ml_workspace }}/deliverables/release_notes_2025-09-29.md"
    digests:
      - file: RoutingMLInstaller_1.4.0.exe
        sha256: "{{ installer_hash.checksum }}"
      - file: RoutingMLFrontend_1.4.0.zip
        sha256: "{{ bundle_hash.checksum }}"
  delegate_to: localhost

- name: Record a rollback (SOP 5.4)
  routing_ml.deploy.release_notes:
    path: "{{ routing_ml_workspace }}/deliverables/release_notes_2025-09-29.md"
    rollback:
      timestamp: "2025-10-03T15:10:00+09:00"
      from_version: 1.4.0
      to_version: 1.3.2
      result: success
      note: health check failed on node2
  delegate_to: localhost
"""

RETURN = r"""
sections:
  description: The sections that changed.
  returned: success
  type: list
  elements: str
  sample: [SHA256 Checksums]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checksum, _markdown
from ansible_collections.routing_ml.deploy.plugins.module_utils._time import parse as parse_timestamp
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, check_field, check_version)

DIGEST_HEADER = ["File", "SHA256"]
ROLLBACK_HEADER = ["Time", "From", "To", "Result", "Note"]


def edit(doc, params):
    """Apply the requested edits to ``doc``; returns the names of the sections changed."""
    changed = []
    if params["digests"]:
        rows = [[check_field("file", d["file"]), _checksum.parse_digest(d["sha256"], "sha256 of %s" % d["file"])]
                for d in params["digests"]]
        if doc.upsert_table_rows(params["digest_section"], DIGEST_HEADER, rows):
            changed.append(params["digest_section"])
    for item in params["highlights"]:
        link = check_field("link", item["link"])
        line = "- [%s](%s)" % (_markdown.escape(check_field("text", item["text"])), link)
        if item["note"]:
            line += " " + _markdown.escape(check_field("note", item["note"]))
        key = "](%s)" % link
        if doc.upsert_line(params["highlights_section"], lambda text, key=key: key in text, line):
            if params["highlights_section"] not in changed:
                changed.append(params["highlights_section"])
    rollback = params["rollback"]
    if rollback:
        parse_timestamp(rollback["timestamp"], what="rollback timestamp")
        row = [check_field("timestamp", rollback["timestamp"]), check_version(rollback["from_version"]),
               check_version(rollback["to_version"]), _markdown.escape(check_field("result", rollback["result"])),
               rollback["note"] and _markdown.escape(check_field("note", rollback["note"]))]
        if doc.upsert_table_rows(params["rollback_section"], ROLLBACK_HEADER, [row]):
            changed.append(params["rollback_section"])
    return changed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            digests=dict(type="list", elements="dict", default=[], options=dict(
                file=dict(type="str", required=True),
                sha256=dict(type="str", required=True),
            )),
            digest_section=dict(type="str", default="SHA256 Checksums"),
            highlights=dict(type="list", elements="dict", default=[], options=dict(
                text=dict(type="str", required=True),
                link=dict(type="str", required=True),
                note=dict(type="str"),
            )),
            highlights_section=dict(type="str", default="Highlights"),
            rollback=dict(type="dict", options=dict(
                timestamp=dict(type="str", required=True),
                from_version=dict(type="str", required=True),
                to_version=dict(type="str", required=True),
                result=dict(type="str", required=True),
                note=dict(type="str", default=""),
            )),
            rollback_section=dict(type="str", default="Rollback"),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    try:
        sections, diff = _markdown.edit_file(path, lambda doc: edit(doc, module.params), module.check_mode)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot edit %s: %s" % (path, to_native(exc)))
    result = dict(changed=diff is not None, sections=sections)
    if diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()

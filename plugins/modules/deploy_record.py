#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: deploy_record
short_description: Write a deployment record (logs/deploy/<kind>_<version>[_<host>].json)
description:
  - Every step that changes a host or the share leaves one record in the release workspace, in
    the versioned format of C(docs/formats.md) - what was there before and after, the digests
    involved, and the outcome. Rollback reads these records; the gates archive them as evidence.
  - A record that says the same as the one already there (its time aside) is left alone, so a
    re-run that changes nothing changes no record. Written through a temporary file and a rename.
version_added: 0.2.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.controller
  - routing_ml.deploy.workspace
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  kind:
    description: What the record is of.
    type: str
    required: true
    choices: [upload, backup, frontend_sync, verify, rollback]
  version:
    description: The version the step was about (for a backup, the version backed up).
    type: str
    required: true
  host:
    description: The host; every kind but C(upload) needs one.
    type: str
  before:
    description: What was there before (a version, a release folder, a path), or null.
    type: raw
  after:
    description: What is there after.
    type: raw
  digests:
    description: SHA256 digests by name (file name, or C(manifest) for a release's manifest).
    type: dict
    default: {}
  manifest:
    description: More digests, as a manifest in the sidecar format (C(<sha256>  <name>) lines), e.g. a backup's files.
    type: str
  outcome:
    description: How the step ended.
    type: str
    default: ok
    choices: [ok, failed, rolled back, halted]
  details:
    description: What else the step knows (health answer, spot test, sizes, differences).
    type: dict
    default: {}
  carry:
    description:
      - Keys of O(details) that, when null here, keep the value of the record already there for
        the same kind, version and host (a repair of a version keeps C(previous), the version
        live before it, which rollback reads).
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    details: Reports whether the record would change without writing it.
  diff_mode:
    support: full
    details: The record's text before and after.
"""

EXAMPLES = r"""
- name: Record the sync of this node
  routing_ml.deploy.deploy_record:
    workspace: "{{ routing_ml_workspace }}"
    kind: frontend_sync
    version: 1.4.0
    host: "{{ inventory_hostname }}"
    before: 1.3.2
    after: 1.4.0
    digests: {manifest: "{{ bundle.sha256 }}"}
  delegate_to: localhost
"""

RETURN = r"""
path:
  description: The record file.
  returned: success
  type: str
  sample: /srv/release/logs/deploy/frontend_sync_1.4.0_node1.json
record:
  description: The record as written (or as it stands, when unchanged).
  returned: success
  type: dict
  sample: {format: 1, kind: verify, version: 1.4.0, host: backend1, outcome: ok}
"""

import datetime

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _ledger, _records, _tree
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, real_workspace, workspace_spec)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **workspace_spec(),
            kind=dict(type="str", required=True, choices=sorted(_records.KINDS)),
            version=dict(type="str", required=True),
            host=dict(type="str"),
            before=dict(type="raw"),
            after=dict(type="raw"),
            digests=dict(type="dict", default={}),
            manifest=dict(type="str"),
            outcome=dict(type="str", default="ok", choices=list(_records.OUTCOMES)),
            details=dict(type="dict", default={}),
            carry=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        workspace = real_workspace(params["workspace"])
        digests = dict(_tree.parse_manifest(params["manifest"]) if params["manifest"] else {}, **params["digests"])
        record = _records.build(
            params["kind"], params["version"], _ledger.format_timestamp(datetime.datetime.now().astimezone()),
            host=params["host"], before=params["before"], after=params["after"], digests=digests,
            outcome=params["outcome"], details=params["details"])
        changed, path, before_text, after_text = _records.write(workspace, record, params["carry"])
        if changed and not module.check_mode:
            _records.commit(path, after_text)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot write the record: %s" % to_native(exc))
    result = dict(changed=changed, path=path, record=record if changed else _records.read(path) or record)
    if module._diff:
        result["diff"] = dict(before=before_text, after=after_text, before_header=path, after_header=path)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

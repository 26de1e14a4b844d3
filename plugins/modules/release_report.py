#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: release_report
short_description: Write the release report of a version, as one HTML page and its Markdown twin
description:
  - Reads what the release workspace records about one version and writes
    C(release_report_<version>.html) and C(release_report_<version>.md) into O(dest).
  - The Stage 9 timeline - every ledger record of the version in ledger order (gate, time,
    status, approver, operator, reason, target, a link to the evidence) with the state of
    its signed approval, checked as M(routing_ml.deploy.ledger_verify) checks it when
    O(allowed_signers) is given, and a small timeline chart.
  - Without O(allowed_signers) the signed approvals are reported as C(not checked). O(policy)
    names each gate's approver role, in whose namespace its approval is signed.
  - The installer and bundle digests from the upload record C(logs/deploy/upload_<version>.json),
    or from their C(.sha256) sidecars when there is no upload record.
  - Each node - from the last status check C(logs/status/last.json) when there is one,
    otherwise from the newest C(frontend_sync), C(verify) or C(rollback) record of the
    version for the host.
  - The backend checks of the C(verify) records (health, the spot test, the audit log entries)
    and the rollbacks (the C(rollback) records and the ledger's C(Rolled Back) records).
  - The page is self-contained - inline style, no script, nothing fetched from the network;
    its only links are relative ones to files of the workspace. Every value read from the
    workspace is escaped. The same workspace gives the same bytes (nothing depends on the clock
    or on the order the file system lists names), so a second run changes nothing.
  - What the workspace lacks (no ledger records for the version, no upload record, no status
    check) is said on the page and in RV(missing); it does not fail the task.
  - Both files are written through a temporary file and an atomic rename, and only when their
    bytes differ.
version_added: 0.5.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.controller
  - routing_ml.deploy.workspace
  - routing_ml.deploy.gate.policy
  - routing_ml.deploy.signing
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  version:
    description: The release version, matching C(^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$).
    type: str
    required: true
  dest:
    description:
      - The folder the two files are written to. Links in them are relative to it.
      - Defaults to C(<workspace>/deliverables).
    type: path
attributes:
  check_mode:
    support: full
    details: Reads the workspace and reports whether either file would change, without writing.
  diff_mode:
    support: full
    details: Shows the Markdown report before and after.
seealso:
  - module: routing_ml.deploy.ledger_verify
  - module: routing_ml.deploy.release_notes
"""

EXAMPLES = r"""
- name: Write the release report of 1.4.0
  routing_ml.deploy.release_report:
    workspace: "{{ routing_ml_workspace }}"
    version: 1.4.0
    allowed_signers: "{{ routing_ml_allowed_signers }}"
  delegate_to: localhost
  register: report

- name: Say where it is
  ansible.builtin.debug:
    msg: "{{ report.html_path }} (sha256 {{ report.html_sha256 }})"
"""

RETURN = r"""
html_path:
  description: The HTML report.
  returned: success
  type: str
  sample: /srv/release-1.4.0/deliverables/release_report_1.4.0.html
markdown_path:
  description: The Markdown report.
  returned: success
  type: str
  sample: /srv/release-1.4.0/deliverables/release_report_1.4.0.md
html_sha256:
  description: SHA256 of the HTML report as written (in check mode, as it would be written).
  returned: success
  type: str
  sample: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
markdown_sha256:
  description: SHA256 of the Markdown report as written (in check mode, as it would be written).
  returned: success
  type: str
  sample: fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9
missing:
  description: What the workspace lacks for the report, as the page says it.
  returned: success
  type: list
  elements: str
  sample: [no verify records for 1.4.0]
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic, _checksum, _release_report
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, check_version, real_workspace, relative_to, is_within, signing_spec, workspace_spec)


def run(params, check_mode):
    version = check_version(params["version"])
    workspace = real_workspace(params["workspace"])
    dest = os.path.realpath(params["dest"] or os.path.join(workspace, _release_report.REPORT_DIR))
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise ValidationError("dest %s is not a folder" % dest)
    model = _release_report.collect(workspace, version, params["allowed_signers"], params["policy"], dest)
    html_name, markdown_name = _release_report.file_names(version)
    outputs = [(os.path.join(dest, html_name), _release_report.html(model).encode("utf-8")),
               (os.path.join(dest, markdown_name), _release_report.markdown(model).encode("utf-8"))]
    before = [_atomic.read_bytes(path) for path, dummy in outputs]
    changed = [old != new for old, (dummy, new) in zip(before, outputs)]
    if not check_mode and any(changed):
        if not os.path.isdir(dest):
            os.makedirs(dest)
        for (path, data), differs in zip(outputs, changed):
            if differs:
                _atomic.write_atomic(path, data)
    markdown_path = outputs[1][0]
    header = relative_to(markdown_path, workspace) if is_within(dest, workspace) else markdown_path
    return dict(
        changed=any(changed),
        html_path=outputs[0][0],
        markdown_path=markdown_path,
        html_sha256=_checksum.sha256_bytes(outputs[0][1]),
        markdown_sha256=_checksum.sha256_bytes(outputs[1][1]),
        missing=model["missing"],
        diff=dict(before_header=header, after_header=header,
                  before=(before[1] or b"").decode("utf-8", "replace"), after=outputs[1][1].decode("utf-8")),
    )


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **workspace_spec(),
            version=dict(type="str", required=True),
            **signing_spec(),
            policy=dict(type="dict"),
            dest=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module.params, module.check_mode)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot write the release report: %s" % to_native(exc))
    if not result["changed"] or not module._diff:
        del result["diff"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()

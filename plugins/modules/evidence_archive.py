#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: evidence_archive
short_description: Collect Stage 9 gate evidence into a folder with a manifest
description:
  - Copies named evidence files into C(deliverables/onboarding_evidence/Stage9_<Gate>_<YYYYMMDD>/)
    under the release workspace (SOP 7.4) and writes C(MANIFEST.sha256) (one C(sha256sum) line a
    file, sorted) and C(manifest.json) (gate, version, created, and source, size and sha256 of
    each file).
  - One folder belongs to one version. The first version collected for a gate on a day gets the
    SOP's name C(Stage9_<Gate>_<YYYYMMDD>); another version that day gets
    C(Stage9_<Gate>_<YYYYMMDD>_<version>). A version keeps the folder it has (the plain one when
    it holds this version's manifest, else its own when that exists), so the same call finds the
    same folder every time; the result's RV(folder) names it. A folder a ledger record names is
    sealed, so the gate recorded again (after a rollback and an unblock) collects into
    C(..._<version>_r2) (C(_r3), ...), the folder M(routing_ml.deploy.gate_precheck) predicted.
  - Every file is written to a temporary file, verified, and renamed into place.
  - Collecting the same evidence again changes nothing. Different content under a name the
    folder already holds is B(refused), never overwritten; collect it under another name.
    A file in the folder that the manifest does not list is refused too, and so is a folder
    whose manifest is another gate's or version's. Every problem is reported at once.
  - Sources must lie inside the workspace or one of O(allowed_roots); symbolic links are
    resolved before that check.
  - Optionally writes a reproducible zip of the folder beside it (sorted members, fixed
    timestamps and modes), so the same evidence gives the same zip digest.
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.controller
  - routing_ml.deploy.workspace
  - routing_ml.deploy.gate
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  date:
    description:
      - The day in the folder name, C(YYYYMMDD). Defaults to today on the host running the module.
      - Give the day the run's early check looked at (C(evidence_date) of M(routing_ml.deploy.gate_precheck)),
        so that a run across midnight collects into the folder that was checked.
    type: str
  files:
    description:
      - The evidence to collect. Relative sources are relative to O(workspace).
    type: list
    elements: dict
    default: []
    suboptions:
      src:
        description: The file to collect.
        type: path
        required: true
      name:
        description: Its name in the folder. Defaults to the source's file name.
        type: str
  sources:
    description:
      - More evidence files, each collected under its own file name. Relative paths are
        relative to O(workspace).
    type: list
    elements: path
    default: []
  allowed_roots:
    description: Folders sources may come from, besides O(workspace).
    type: list
    elements: path
    default: []
  zip:
    description: Also write the folder's zip beside it, C(Stage9_<Gate>_<YYYYMMDD>.zip) (or C(..._<version>.zip)).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Validates everything and reports what would change without writing.
  diff_mode:
    support: full
    details: Shows C(MANIFEST.sha256) before and after.
seealso:
  - module: routing_ml.deploy.gate_record
  - module: routing_ml.deploy.gate_precheck
"""

EXAMPLES = r"""
- name: Archive Alpha evidence
  routing_ml.deploy.evidence_archive:
    workspace: "{{ routing_ml_workspace }}"
    gate: Alpha
    version: 1.4.0
    files:
      - src: logs/qa/frontend_build_20251003.log
      - src: logs/qa/pytest_rsl_routing_groups_20251003.log
      - src: logs/deploy/verify_1.4.0_backend1.json
    zip: true
  delegate_to: localhost
"""

RETURN = r"""
folder:
  description: The evidence folder, relative to the workspace (C(Stage9_<Gate>_<YYYYMMDD>), or C(..._<version>) for another version that day).
  returned: success
  type: str
  sample: deliverables/onboarding_evidence/Stage9_Alpha_20251003
manifest_sha256:
  description: SHA256 of C(MANIFEST.sha256), the value the approval ledger records.
  returned: success
  type: str
  sample: 5d41402abc4b2a76b9719d911017c592ae9c3a6f4c5d0f0e2a0c1f3c9b7e6a11
files:
  description: The manifest's entries.
  returned: success
  type: list
  elements: dict
  sample: [{name: frontend_build_20251003.log, source: logs/qa/frontend_build_20251003.log, size: 1024, sha256: "..."}]
copied:
  description: Names of the files copied by this run.
  returned: success
  type: list
  elements: str
  sample: [frontend_build_20251003.log]
zip:
  description: Path (relative to the workspace) and sha256 of the zip, when O(zip=true).
  returned: when O(zip=true)
  type: dict
  sample: {path: deliverables/onboarding_evidence/Stage9_Alpha_20251003.zip, sha256: "..."}
"""

import datetime
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _evidence
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import (
    ValidationError, gate_spec, real_workspace, relative_to, workspace_spec)


def run(module):
    params = module.params
    workspace = real_workspace(params["workspace"])
    now = datetime.datetime.now().astimezone().replace(microsecond=0)
    date = params["date"] or now.strftime("%Y%m%d")
    sources = [(f["name"] or os.path.basename(f["src"]), f["src"]) for f in params["files"]]
    sources += [(os.path.basename(src), src) for src in params["sources"]]
    plan = _evidence.plan(workspace, params["gate"], params["version"], date, sources,
                          allowed_roots=[workspace] + params["allowed_roots"], created=now.isoformat())
    before = ""
    sidecar_path = os.path.join(plan.folder, _evidence.MANIFEST_SIDECAR)
    if os.path.isfile(sidecar_path):
        with open(sidecar_path) as handle:
            before = handle.read()
    result = dict(
        changed=plan.changed,
        folder=relative_to(plan.folder, workspace),
        manifest_sha256=plan.manifest_sha256,
        files=plan.manifest["files"],
        copied=[name for name, dummy, dummy2 in plan.copies],
    )
    if plan.changed:
        result["diff"] = dict(before_header=sidecar_path, after_header=sidecar_path,
                              before=before, after=plan.sidecar_text)
    if not module.check_mode:
        plan.apply()
    if params["zip"]:
        zip_path = plan.folder.rstrip(os.sep) + ".zip"
        if module.check_mode and plan.changed:
            digest, zip_changed = None, True
        else:
            digest, zip_changed = _evidence.write_zip(plan.folder, zip_path, dry_run=module.check_mode)
        result["zip"] = dict(path=relative_to(zip_path, workspace), sha256=digest)
        result["changed"] = result["changed"] or zip_changed
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **workspace_spec(),
            **gate_spec(),
            date=dict(type="str"),
            files=dict(type="list", elements="dict", default=[], options=dict(
                src=dict(type="path", required=True),
                name=dict(type="str"),
            )),
            sources=dict(type="list", elements="path", default=[]),
            allowed_roots=dict(type="list", elements="path", default=[]),
            zip=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except ValidationError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot collect evidence: %s" % to_native(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: node_status
short_description: Which release one host serves now, and whether it is byte for byte that release
description:
  - The per-host question of C(playbooks/status.yml), read-only, one task per host.
  - An nginx node (O(role=web)) is asked with one call of M(routing_ml.deploy.web_node_state),
    given the SHA256 of the expected release's manifest (O(manifest_sha256)), never the
    manifest. It hashes the release its live link names, not the link, so a deployment that
    switches the node meanwhile is reported (RV(switched)) and never mixes two releases.
  - When the live release is O(version) and differs from its manifest, the node's own
    manifest comes back and is compared on the controller with the staged bundle in
    O(staging), so that RV(first_difference) names the first differing file.
  - A backend (O(role=backend)) is not connected to; the controller GETs O(url) (its
    C(/api/health)) once and reports the version it answers.
  - IIS nodes answer the same question from the frontend role's C(Verify-RoutingMLFrontend.ps1).
version_added: 0.5.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.action
  - routing_ml.deploy.attributes.read_only
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  role:
    description: What the host is.
    type: str
    required: true
    choices: [web, backend]
  version:
    description: The version the host should serve (what the records and the ledger say); verified only when it is live.
    type: str
  manifest_sha256:
    description: The SHA256 of O(version)'s manifest text; without it a web node is asked only which release is live.
    type: str
  staging:
    description: The controller folder where O(version)'s bundle is staged, to name the first differing file.
    type: path
  root:
    description: A web node's web root, holding C(releases/) and the live link. Required for O(role=web).
    type: path
  link:
    description: The live link, relative to O(root).
    type: str
    default: current
  pidfile:
    description: nginx's pid file; a node whose nginx does not run is not verified.
    type: path
  url:
    description: A backend's health URL (C(http://<host>:8000/api/health)). Required for O(role=backend).
    type: str
  validate_certs:
    description: Whether the certificate of an C(https) O(url) is verified.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for O(url)'s answer.
    type: float
    default: 10
attributes:
  platform:
    platforms: posix
    support: full
    details: nginx nodes reached over SSH, and backends (asked from the controller); IIS nodes take the frontend role's PowerShell task.
"""

EXAMPLES = r"""
- name: Which release does this node serve?
  routing_ml.deploy.node_status:
    role: web
    version: 1.4.0
    manifest_sha256: "{{ expected.manifest_sha256 }}"
    staging: /srv/release/.stage/frontend/1.4.0
    root: /srv/routing_ml/www
    pidfile: /run/nginx.pid
  register: status
"""

RETURN = r"""
live_version:
  description: The version of the live release (web) or the one C(/api/health) reports (backend); null when none.
  returned: always
  type: str
  sample: 1.4.0
verified:
  description:
    - Web - whether the live release holds exactly O(version)'s files and nginx runs; null when the live
      release is another version or no manifest digest was given.
    - Backend - whether C(/api/health) answered 200 with status C(ok).
  returned: always
  type: bool
first_difference:
  description: The first differing file (path order) of a live O(version) that does not match, when O(staging) is staged.
  returned: web
  type: str
how:
  description: How RV(first_difference) differs (changed, missing, extra).
  returned: web
  type: str
more:
  description: Whether more than that one file differs.
  returned: web
  type: bool
switched:
  description: Whether the live link moved while the node was read (a deployment in progress).
  returned: web
  type: bool
link_target:
  description: What the live link holds.
  returned: web
  type: str
health:
  description: The backend's C(/api/health) answer.
  returned: backend, when it answered JSON
  type: dict
detail:
  description: Why the host is not verified, in a sentence.
  returned: when there is something to say
  type: str
"""

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: web_release
short_description: Bring an nginx node to a served, verified, recorded release in one task
description:
  - The frontend role's whole forward path on an nginx node, as one task per node. In order,
    each step only when the one before says it is needed.
  - Stages the bundle on the controller (O(bundle) into O(staging), under a lock, so the
    nodes of a play unpack it once).
  - Asks the node what it serves (M(routing_ml.deploy.web_node_state) with the manifest's
    SHA256, never the manifest itself, so a bundle of 8,000 files costs the node one digest)
    and plans as the C(routing_ml.deploy.release_plan) filter plans for IIS nodes.
  - A node that serves the version, verified, and runs nginx is left alone (C(changed=false));
    that is the whole unchanged re-deploy.
  - Otherwise mirrors the staged bundle into a release folder that is not live with
    M(ansible.posix.synchronize) (rsync C(--delete --checksum) over the node's SSH connection);
    verifies the folder by digest, switches the live link and reloads nginx with
    M(routing_ml.deploy.web_switch) (nothing is switched to a folder that differs, and the
    failure names the files); starts nginx where it does not run.
  - Fetches O(probe_file) from O(url) on the controller and compares its SHA256 with the
    manifest's, retrying a second apart; writes the C(frontend_sync) record in O(workspace)
    and removes old release folders with M(routing_ml.deploy.release_retention).
version_added: 0.5.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.action
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  version:
    description: The version to serve.
    type: str
    required: true
  root:
    description: The node's web root, holding C(releases/) and the live link.
    type: str
    required: true
  link:
    description: The live link, relative to O(root).
    type: str
    default: current
  staging:
    description: The controller folder of the unpacked bundle (the common role's C(routing_ml_bundle_staging)).
    type: path
    required: true
  bundle:
    description: The bundle zip on the controller, staged into O(staging) first; without it O(staging) must be staged already.
    type: path
  bundle_sha256:
    description:
      - The SHA256 O(bundle) must have, the digest the run pinned at its start. A zip that changed
        since is refused before the node is asked anything. The staged tree is verified against the
        zip either way (M(routing_ml.deploy.bundle_stage)).
    type: str
  workspace:
    description: The release workspace; the record goes to C(logs/deploy/).
    type: path
    required: true
  command:
    description: The nginx command with the node's own flags.
    type: list
    elements: str
    default: [/usr/sbin/nginx]
  service:
    description: The service that starts nginx when it does not run; empty to start it with O(command).
    type: str
    default: nginx
  pidfile:
    description: nginx's pid file, which tells whether it runs.
    type: str
    default: /run/nginx.pid
  gate:
    description:
      - The Stage 9 gate whose run this is, kept in the record's C(details), so that
        C(playbooks/status.yml) can tell a node its stage's run left behind.
    type: str
    version_added: 0.5.0
  url:
    description: The node's own address as the controller reaches it (C(http://<node>)).
    type: str
    required: true
  probe_file:
    description: The file, a path of the manifest, fetched to prove the node serves the release.
    type: str
    default: index.html
  validate_certs:
    description: Validate the node's certificate for an C(https) O(url).
    type: bool
    default: true
  probe_retries:
    description: Retries, a second apart, of the fetch before the node counts as failed.
    type: int
    default: 5
  keep_releases:
    description: Release folders kept besides the live one, the one before it and the recorded previous version's.
    type: int
    default: 3
  compress:
    description:
      - Compress the mirror's data in transit (rsync C(--compress)). Off by default - on a LAN,
        and on a 2-core controller serving many nodes at once, compressing costs more than it saves.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: rsync runs with C(--dry-run); the switch is predicted; nothing is fetched, recorded or removed.
  diff_mode:
    support: full
    details: The live link's target before and after.
  platform:
    platforms: posix
    support: full
    details: nginx nodes reached over SSH; IIS nodes take the frontend role's PowerShell tasks.
notes:
  - The result keeps C(node) (what the node served before) and C(switched), which an automatic
    rollback reads to switch the node back.
"""

EXAMPLES = r"""
- name: Mirror, verify, switch, serve and record this node
  routing_ml.deploy.web_release:
    version: 1.4.0
    root: /srv/routing_ml/www
    bundle: /srv/release/build/frontend/RoutingMLFrontend_1.4.0.zip
    staging: /var/tmp/routing_ml/frontend/1.4.0
    workspace: /srv/release
    url: "http://{{ ansible_host }}"
"""

RETURN = r"""
node:
  description: What the node reported before anything was done (M(routing_ml.deploy.web_node_state)).
  returned: always
  type: dict
plan:
  description: The plan (up_to_date, live, live_version, destination, path, mirror, start_server).
  returned: always
  type: dict
switched:
  description: Whether the live link changed.
  returned: always
  type: bool
probe:
  description: The fetched file's URL, SHA256 and attempts.
  returned: when the node was changed, not in check mode
  type: dict
record:
  description: The path of the C(frontend_sync) record.
  returned: when the node was mirrored or switched, not in check mode
  type: str
removed:
  description: Release folders removed.
  returned: when the node was mirrored or switched, not in check mode
  type: list
  elements: str
"""

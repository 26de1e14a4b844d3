#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: spot_test
short_description: The RSL groups spot test of SOP 6.2, POST then GET
description:
  - Creates a routing group with a unique name through C(POST /api/rsl/groups), then reads
    C(GET /api/rsl/groups) and checks that the group is there.
  - Returns when it started and the source address this host used to reach the backend,
    so that the audit log entries of the test can be found (SOP 6.3).
version_added: 0.1.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.controller
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  url:
    description:
      - The backend's base URL, e.g. C(http://backend1:8000).
      - A URL that is not C(http) or C(https), has a bad port or a host that does not resolve fails
        before any request, in check mode too.
    type: str
    required: true
  name:
    description: The group name to create; make it unique per run.
    type: str
    required: true
  timeout:
    description: Seconds for each request.
    type: int
    default: 10
  validate_certs:
    description: Validate the server's certificate for C(https) URLs.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details: Creates nothing in check mode; reports that the test was skipped.
  diff_mode:
    support: none
    details: Nothing to show.
  platform:
    details: Runs on the controller, which is the client whose IP the audit log must show.
"""

EXAMPLES = r"""
- name: Spot test
  routing_ml.deploy.spot_test:
    url: "http://{{ ansible_host }}:8000"
    name: "spot-{{ routing_ml_version }}-{{ inventory_hostname }}-{{ 999999 | random }}"
  delegate_to: localhost
"""

RETURN = r"""
started:
  description: When the test began, ISO8601 with offset.
  returned: success
  type: str
  sample: "2025-10-03T14:02:11+09:00"
client_ip:
  description: The source address this host used toward the backend.
  returned: success
  type: str
  sample: 10.0.0.5
created:
  description: The group as the backend returned it.
  returned: success and not check mode
  type: dict
  sample: {name: spot-1.4.0-backend1-42, routes: []}
found:
  description: Whether GET listed the group afterwards.
  returned: success
  type: bool
  sample: true
"""

import datetime
import json
import socket
from urllib.parse import urlparse

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible.module_utils.urls import open_url


def source_address(url):
    """The local address the kernel picks toward the URL's host (no packet is sent)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError("not an http:// or https:// URL with a host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)  # ValueError for a bad port
    family, dummy, dummy2, dummy3, address = socket.getaddrinfo(parsed.hostname, port, 0, socket.SOCK_DGRAM)[0]
    probe = socket.socket(family, socket.SOCK_DGRAM)
    try:
        probe.connect(address)
        return probe.getsockname()[0]
    finally:
        probe.close()


def request(module, method, url, body=None):
    data = json.dumps(body).encode("utf-8") if body is not None else None
    try:
        response = open_url(url, data=data, method=method, headers={"Content-Type": "application/json"},
                            timeout=module.params["timeout"], validate_certs=module.params["validate_certs"])
        return response.getcode(), json.loads(response.read() or b"null")
    except Exception as exc:  # pylint: disable=broad-except
        code = getattr(exc, "code", None)
        module.fail_json(msg="%s %s failed: %s" % (method, url, to_native(exc)), status=code)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True),
            name=dict(type="str", required=True),
            timeout=dict(type="int", default=10),
            validate_certs=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    base = module.params["url"].rstrip("/")
    name = module.params["name"]
    started = datetime.datetime.now().astimezone().replace(microsecond=0).isoformat()
    try:
        client_ip = source_address(base)
    except ValueError as exc:
        module.fail_json(msg="url %r is not a usable URL: %s" % (module.params["url"], to_native(exc)))
    except OSError as exc:  # socket.gaierror for a host that does not resolve
        module.fail_json(msg="cannot resolve or find a route to the host of url %r: %s" % (module.params["url"], to_native(exc)))
    result = dict(changed=False, started=started, client_ip=client_ip, found=False)
    if module.check_mode:
        module.exit_json(skipped=True, msg="check mode: the spot test creates a group, so it did not run", **result)
    status, created = request(module, "POST", base + "/api/rsl/groups", {"name": name, "routes": []})
    if status != 201:
        module.fail_json(msg="POST /api/rsl/groups answered %s, expected 201" % status, **result)
    status, listing = request(module, "GET", base + "/api/rsl/groups")
    groups = (listing or {}).get("groups", []) if isinstance(listing, dict) else listing or []
    result.update(changed=True, created=created, found=any(g.get("name") == name for g in groups))
    if not result["found"]:
        module.fail_json(msg="GET /api/rsl/groups does not list the group %r just created" % name, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

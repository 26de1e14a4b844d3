#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: backend_health
short_description: Wait for the backend's /api/health, but not for a service that is not running
description:
  - Polls O(url) from the controller every O(delay) seconds until it answers 200 with a JSON
    object whose C(status) is C(ok) and whose C(version) is O(version), for at most O(deadline)
    seconds (SOP 6.1).
  - The deadline is for a service that is starting. When the port refuses connections the
    managed host is asked whether the service runs (Windows - C(ansible.windows.win_service_info);
    Linux stand-ins - O(service.status_command), which prints JSON with C(running)). A definite
    "not running" (stopped, paused, not installed) fails the task at once, naming the state and
    O(tried). An answer the host cannot give is not taken for "stopped"; the wait goes on.
version_added: 0.2.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.action
  - routing_ml.deploy.attributes.read_only
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  url:
    description: The health URL.
    type: str
    required: true
  version:
    description: The version the backend must report.
    type: str
    required: true
  deadline:
    description: Seconds to wait for a service that is starting.
    type: float
    default: 60
  delay:
    description: Seconds between polls.
    type: float
    default: 2
  validate_certs:
    description: Validate the certificate of an https O(url).
    type: bool
    default: true
  service:
    description: How to ask the host about the service.
    type: dict
    required: true
    suboptions:
      platform:
        description: C(windows) or C(linux).
        type: str
        required: true
        choices: [linux, windows]
      name:
        description: Windows, the service name. Required for C(windows).
        type: str
      status_command:
        description: Linux stand-ins, the command (argv) that prints the service's state as JSON. Required for C(linux).
        type: list
        elements: str
  tried:
    description: What this run did to the service, for the failure message.
    type: str
    default: ""
  progress:
    description:
      - Seconds left of the rollout's progress deadline (as with Kubernetes' C(progressDeadlineSeconds),
        the whole rollout, every batch, must be healthy by then). When less than O(deadline),
        the wait ends then, and the failure says the progress deadline ran out. Unset - no
        such deadline.
    type: float
attributes:
  action:
    details: Runs on the controller; asks the host only when the port refuses connections.
  check_mode:
    details: Only reads; the roles skip it in check mode, where nothing new was installed.
  platform:
    platforms: [posix, windows]
    support: full
    details: Windows services through C(win_service_info); Linux stand-ins through their status command.
seealso:
  - module: ansible.builtin.uri
  - module: ansible.windows.win_service_info
"""

EXAMPLES = r"""
- name: Health with the deployed version, or the reason it cannot come
  routing_ml.deploy.backend_health:
    url: "http://{{ ansible_host }}:8000/api/health"
    version: 1.4.0
    service:
      platform: windows
      name: RoutingML
    tried: the backend role started the service
"""

RETURN = r"""
status:
  description: The HTTP status of the healthy answer.
  returned: success
  type: int
  sample: 200
json:
  description: The healthy answer.
  returned: success
  type: dict
  sample: {status: ok, version: 1.4.0, database: configured}
attempts:
  description: Polls made.
  returned: always
  type: int
  sample: 3
elapsed:
  description: Seconds spent.
  returned: always
  type: float
  sample: 4.02
service:
  description: The service's state as the host reported it, when a refused connection made the task ask.
  returned: when the service was found not running
  type: str
  sample: state stopped, start mode auto
"""

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: deploy_lock
short_description: One deploy lock per environment, shared by deploy and rollback
description:
  - Takes, releases, queries or clears C(<dir>/<environment>.lock) on the controller (format in
    C(docs/formats.md)). A deploy or rollback takes it before it changes a host; a second run
    against the same environment then fails at once, naming the holder (user and controller),
    its pid, job, playbook, purpose and start time.
  - The lock belongs to the C(ansible-playbook) process that runs the task, not to the task. The
    same run taking it again (a deploy that rolls back in the same run, or the task run for
    several hosts) gets the lock it holds, unchanged, with RV(already_held=true).
  - The C(routing_ml.deploy.deploy_lock) callback releases every lock a run took when the run
    ends, failed or not. A run that was killed cannot; its lock stays. When that lock was taken
    on this controller in this boot and its process is gone, the failure says it is stale and
    gives the command that clears it (C(playbooks/unlock.yml)). A lock taken on another
    controller is never called stale.
  - O(state=cleared) removes the lock deliberately - O(reason) is required - after appending
    who (O(operator)), why and the old lock to C(<dir>/lock_history.jsonl). A lock whose process
    still runs on this controller is refused unless O(force); a forced clearing is recorded as such.
  - A lock file that cannot be read as a lock counts as held; it is never overwritten.
version_added: 0.2.0
extends_documentation_fragment:
  - routing_ml.deploy.attributes
  - routing_ml.deploy.attributes.action
  - routing_ml.deploy.attributes.controller
author:
  - Routing ML Release Engineering (@routing-ml-release)
options:
  dir:
    description: The directory of the locks, on the controller; created (mode 0755) on O(state=acquired) when missing.
    type: path
    required: true
  environment:
    description: The environment the lock is for; the lock file's name. C(^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$).
    type: str
    required: true
  state:
    description:
      - C(acquired) takes the lock (or finds that this run holds it); fails when another holds it.
      - C(released) removes the lock when it carries O(token); another token, or no lock, is left alone.
      - C(cleared) removes the lock whoever holds it, and records that in C(lock_history.jsonl).
      - C(query) reports the lock, changing nothing.
    type: str
    choices: [acquired, released, cleared, query]
    default: acquired
  purpose:
    description: What the run does, for whoever finds the environment locked.
    type: str
    default: ""
  job:
    description: The job that holds the lock. Default - the environment variable C(JOB_ID) or C(AWX_JOB_ID) of the controller, else empty.
    type: str
  playbook:
    description: The playbook that holds the lock. Default - the playbooks this C(ansible-playbook) was given.
    type: str
  token:
    description: The token RV(token) returned when the lock was taken. Required for O(state=released).
    type: str
  reason:
    description: Why the lock may be cleared, one line. Required for O(state=cleared).
    type: str
  operator:
    description: Who clears the lock, one line. Default - the user the controller runs as.
    type: str
  share:
    description:
      - The share the run writes to (its platform, host and root, as one line). The lock's key - the
        first lock taken for a share pins the share's environment in C(<dir>/share-<digest>.environment);
        a run that names the same share under another O(environment) is refused, so an extra variable
        that renames the environment never gets a lock of its own beside the held one.
    type: str
  force:
    description:
      - With O(state=cleared), clear the lock even when its process still runs on this controller
        (refused otherwise). The history line says C(forced) and that the holder was running.
    type: bool
    default: false
attributes:
  action:
    details: Runs on the controller only; never connects to the host.
  check_mode:
    support: full
    details: >-
      O(state=acquired) takes no lock, reports whether it would, and fails as a real run would when
      the lock is held. O(state=released) and O(state=cleared) remove nothing and record nothing.
  diff_mode:
    support: none
    details: No diff is shown.
  platform:
    details: >-
      The controller. Staleness is judged from C(/proc) (Linux); elsewhere a lock is never
      called stale.
notes:
  - Take the lock once per run (C(run_once) with C(delegate_to) C(localhost)) before the first
    host changes. Taken for several hosts, every one after the first finds it already held.
  - Do not set C(no_log) on the task that takes the lock; the callback reads RV(token) and
    RV(lock_path) from its result.
  - Under AWX, use a lock directory that outlives the job (a shared mount), and enable the
    callback where C(ansible.cfg) is not read - C(ANSIBLE_CALLBACKS_ENABLED=routing_ml.deploy.deploy_lock).
"""

EXAMPLES = r"""
- name: Hold the environment for this run (released by the callback when the run ends)
  routing_ml.deploy.deploy_lock:
    dir: "{{ routing_ml_lock_dir }}"
    environment: beta
    purpose: deploy Beta {{ routing_ml_version }}
  run_once: true
  delegate_to: localhost

- name: Who holds it
  routing_ml.deploy.deploy_lock:
    dir: "{{ routing_ml_lock_dir }}"
    environment: beta
    state: query
  register: routing_ml_lock

- name: Clear the lock a killed run left (playbooks/unlock.yml does this)
  routing_ml.deploy.deploy_lock:
    dir: "{{ routing_ml_lock_dir }}"
    environment: beta
    state: cleared
    reason: run 1234 was killed by the OOM killer; no task of it runs
"""

RETURN = r"""
lock:
  description:
    - The lock - as taken or as already held (acquired), as it stands (query, released when not
      removed), or as it was (cleared). None when there is none.
    - An unreadable lock file that was cleared gives C(unreadable) (its content) and C(problem).
  returned: always
  type: dict
  sample:
    format: 1
    environment: beta
    holder: deploy@controller1
    pid: 4242
    pid_start: "1234567"
    boot_id: 41f215af-4c8f-47ec-9731-1c665997c2a9
    job: "17"
    playbook: playbooks/deploy_beta.yml
    purpose: deploy Beta 1.4.0
    started: "2025-10-03T14:02:11+09:00"
    token: 9f2c4e1a7b3d5f60819a2b3c4d5e6f70
lock_path:
  description: The lock file.
  returned: always
  type: str
  sample: /var/lib/routing_ml/locks/beta.lock
token:
  description: The lock's token, for O(state=released).
  returned: when O(state=acquired), not in check mode
  type: str
  sample: 9f2c4e1a7b3d5f60819a2b3c4d5e6f70
already_held:
  description: Whether this run held the lock already.
  returned: always
  type: bool
  sample: false
stale:
  description: >-
    Whether the lock's process is gone (C(true)), runs (C(false)), or cannot be seen from here (C(null):
    another controller, or an earlier boot).
  returned: always
  type: bool
  sample: false
history:
  description: The history file a clearing is recorded in.
  returned: when O(state=cleared)
  type: str
  sample: /var/lib/routing_ml/locks/lock_history.jsonl
forced:
  description: Whether O(force) cleared a lock (its process may still run).
  returned: when O(state=cleared)
  type: bool
  sample: false
operator:
  description: Who cleared the lock.
  returned: when O(state=cleared)
  type: str
  sample: DEPLOY-LEE
"""

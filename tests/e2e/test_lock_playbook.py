# -*- coding: utf-8 -*-
"""The deploy lock in real ansible-playbook runs on localhost: no lab needed.

What only a real run shows: the lock belongs to the ansible-playbook process (the action's
worker's parent), the callback frees it when the run fails, a second run is refused while
the first holds it, and playbooks/unlock.yml clears a killed run's lock on the record.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import subprocess
import sys
import time

from ansible_collections.routing_ml.deploy.plugins.module_utils import _lock

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)

TAKE = """
- name: Hold the environment
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Take the lock
      routing_ml.deploy.deploy_lock:
        dir: "{dir}"
        environment: e2e
        purpose: "{purpose}"
"""


def env(tmp_path):
    variables = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                     ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"), PATH=BIN + os.pathsep + os.environ["PATH"])
    for name in ("JOB_ID", "AWX_JOB_ID", "ANSIBLE_FORCE_COLOR", "ANSIBLE_CALLBACKS_ENABLED"):
        variables.pop(name, None)
    return variables


def command(playbook, *extra):
    return [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
            "-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook)] + list(extra)


def playbook(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def ansible_playbook(tmp_path, path, *extra):
    return subprocess.run(command(path, *extra), cwd=ROOT, env=env(tmp_path), capture_output=True, text=True,
                          timeout=60)


def test_a_failed_run_frees_its_lock(tmp_path):
    locks = tmp_path / "locks"
    path = playbook(tmp_path, "fail.yml", TAKE.format(dir=locks, purpose="fail on purpose") + """
    - name: Fail after the lock is taken
      ansible.builtin.fail:
        msg: failing on purpose
""")
    done = ansible_playbook(tmp_path, path)
    assert done.returncode != 0 and "failing on purpose" in done.stdout, done.stdout + done.stderr
    assert not (locks / "e2e.lock").exists(), done.stdout
    assert "deploy lock of e2e released (%s)" % (locks / "e2e.lock") in done.stdout


def test_a_second_run_is_refused_while_the_first_holds_the_lock(tmp_path):
    locks, go = tmp_path / "locks", tmp_path / "go"
    first_path = playbook(tmp_path, "hold.yml", TAKE.format(dir=locks, purpose="hold for the test") + """
    - name: Hold it until the test says go
      ansible.builtin.wait_for:
        path: "%s"
        timeout: 40
""" % go)
    second_path = playbook(tmp_path, "second.yml", TAKE.format(dir=locks, purpose="the second run"))
    first = subprocess.Popen(command(first_path), cwd=ROOT, env=env(tmp_path), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (locks / "e2e.lock").exists():
            assert first.poll() is None, first.communicate()[0]
            assert time.monotonic() < deadline, "the first run did not take the lock"
            time.sleep(0.1)
        held = json.loads((locks / "e2e.lock").read_text())
        assert held["pid"] == first.pid, "the lock is the ansible-playbook process's, not its worker's"
        assert held["playbook"] == str(first_path) and held["purpose"] == "hold for the test"

        second = ansible_playbook(tmp_path, second_path)
        # Refused while the first still holds it (holding until told to go): it did not wait.
        assert first.poll() is None and (locks / "e2e.lock").exists()
        assert second.returncode != 0
        assert ("environment e2e is locked by %s (pid %d" % (held["holder"], first.pid)) in second.stdout, \
            second.stdout + second.stderr
        assert "still going" in second.stdout
        assert json.loads((locks / "e2e.lock").read_text()) == held, "the second run left it alone"
        assert "released" not in second.stdout, "the refused run took nothing, so it frees nothing"

        go.write_text("")
        output = first.communicate(timeout=40)[0]
        assert first.returncode == 0, output
        assert not (locks / "e2e.lock").exists()
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()


def test_unlock_clears_a_killed_runs_lock_on_the_record(tmp_path):
    locks = tmp_path / "locks"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    held, dummy = _lock.acquire(str(locks), "e2e", pid=sleeper.pid, purpose="deploy Beta 1.4.0")
    sleeper.kill()
    sleeper.wait()
    unlock = os.path.join(ROOT, "playbooks", "unlock.yml")
    base = ["-e", "routing_ml_environment=e2e", "-e", "routing_ml_lock_dir=%s" % locks]

    refused = ansible_playbook(tmp_path, unlock, *base)
    assert refused.returncode != 0 and "routing_ml_unlock_reason is required" in refused.stdout, refused.stdout
    assert (locks / "e2e.lock").exists()

    done = ansible_playbook(tmp_path, unlock, *base + ["-e", 'routing_ml_unlock_reason="job 17 was killed"',
                                                   "-e", "routing_ml_operator=DEPLOY-LEE"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (locks / "e2e.lock").exists()
    assert "held by %s" % held["holder"] in done.stdout and "its process gone" in done.stdout, done.stdout
    entries = [json.loads(line) for line in (locks / "lock_history.jsonl").read_text().splitlines()]
    assert [(e["operator"], e["reason"], e["lock"]) for e in entries] == [("DEPLOY-LEE", "job 17 was killed", held)]

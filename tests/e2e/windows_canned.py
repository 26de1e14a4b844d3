# -*- coding: utf-8 -*-
"""Windows modules that answer with canned replies, so that the roles' Windows path runs here.

A throw-away collections folder shadows ansible.windows, community.windows and microsoft.iis
with one small Python module per module the roles use. Each logs what it was called with
(the arguments ansible-core rendered, and whether in check mode) and answers from
fixtures/windows_replies.json. Check mode is honoured as the real module's source declares
it: a module without ``supports_check_mode`` is skipped, as Ansible.Basic skips it. The real
win_powershell action plugin is kept, so ``path:`` scripts are read from the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import shutil
import sys

from labtools import ROOT

REPLIES = os.path.join(ROOT, "tests", "e2e", "fixtures", "windows_replies.json")


def _site():
    """The folder whose ansible_collections holds the real Windows collections."""
    for entry in sys.path:
        if os.path.isfile(os.path.join(entry, "ansible_collections", "ansible", "windows", "plugins", "modules",
                                       "win_powershell.ps1")):
            return entry
    raise RuntimeError("ansible.windows is not installed")


SITE = _site()

STUB = '''#!/usr/bin/python
import json, os, sys
from ansible.module_utils.basic import _load_params

NAME = %(name)r
SUPPORTS_CHECK_MODE = %(check)r


def main():
    params = _load_params()
    check = bool(params.get("_ansible_check_mode"))
    args = dict((k, v) for k, v in params.items() if not k.startswith("_ansible"))
    with open(os.environ["RML_CANNED_LOG"], "a") as handle:
        handle.write(json.dumps({"module": NAME, "check_mode": check, "args": args}) + "\\n")
    if check and not SUPPORTS_CHECK_MODE:
        print(json.dumps({"skipped": True, "changed": False, "msg": "remote module does not support check mode"}))
        sys.exit(0)
    with open(os.environ["RML_CANNED_REPLIES"]) as handle:
        choices = json.load(handle)[NAME]
    text = json.dumps(args, sort_keys=True)
    for choice in choices:
        if all(part in text for part in choice["when"]):
            print(json.dumps(choice["reply"]))
            sys.exit(0)
    print(json.dumps({"failed": True, "msg": "no canned reply of %%s for %%s" %% (NAME, text)}))
    sys.exit(1)


main()
'''


def supports_check_mode(source):
    with open(source) as handle:
        return bool(re.search(r"supports_check_mode\s*(?:=\s*|\s+)\$true", handle.read()))


def make_collections(base):
    """``base``/ansible_collections with stub modules for every Windows module the roles use."""
    with open(REPLIES) as handle:
        names = [n for n in json.load(handle) if not n.startswith("_")]
    for name in names:
        namespace, collection, module = name.split(".")
        real = os.path.join(SITE, "ansible_collections", namespace, collection, "plugins", "modules", module + ".ps1")
        folder = os.path.join(base, "ansible_collections", namespace, collection, "plugins", "modules")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, module + ".py"), "w") as handle:
            handle.write(STUB % dict(name=name, check=supports_check_mode(real)))
    action = os.path.join(base, "ansible_collections", "ansible", "windows", "plugins", "action")
    os.makedirs(action, exist_ok=True)
    shutil.copy(os.path.join(SITE, "ansible_collections", "ansible", "windows", "plugins", "action", "win_powershell.py"),
                action)
    return base


def calls(log):
    with open(log) as handle:
        return [json.loads(line) for line in handle]

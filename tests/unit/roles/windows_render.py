# -*- coding: utf-8 -*-
"""Template the Windows task files with ansible-core's own templating, as a run would.

2.19 does not unescape backslashes inside ``{{ }}`` the way plain Jinja does, so a Windows
path is only known when core renders it: against an inventory's host variables, beneath
them the roles' defaults (loaded as trusted templates, as role loading does), and above
them what earlier tasks registered (canned here).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import glob
import os
import sys

import yaml

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.task import Task
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar, trust_as_template
from ansible.utils.collection_loader import AnsibleCollectionConfig
from ansible.vars.manager import VariableManager

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PRODUCTION = os.path.join(ROOT, "inventory", "production")
SPACES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "inventory_spaces")
# Task keywords, from ansible-core itself; block keywords on top.
KEYWORDS = frozenset(Task.fattributes) | {"block", "rescue", "always"}
MANIFEST = "%s  index.html\n" % ("a" * 64)
RENDERED_KEYWORDS = ("become", "become_user", "become_flags", "become_method", "changed_when", "failed_when", "until",
                     "retries", "async", "poll")
DATABASE_UNC = "\\\\files01\\db\\RoutingML_RSL.accdb"

WINDOWS_FILES = sorted(os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "*windows*.yml")))


def trusted(node):
    if isinstance(node, str):
        return trust_as_template(node)
    if isinstance(node, dict):
        return dict((k, trusted(v)) for k, v in node.items())
    if isinstance(node, list):
        return [trusted(v) for v in node]
    return node


def strings(node):
    """Every string in a YAML document, however nested."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def load_yaml(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return yaml.safe_load(handle)


def frontend_block_vars():
    """The vars of windows.yml's block that node_/serve_windows.yml run inside."""
    for task in load_yaml("roles", "frontend", "tasks", "windows.yml"):
        if "block" in task:
            return task["vars"]
    raise AssertionError("roles/frontend/tasks/windows.yml has no block")


def registered(inventory_vars):
    """What earlier tasks of a Windows run registered (the shapes their modules return)."""
    root = inventory_vars["routing_ml_frontend_root"]
    return {
        "routing_ml_version": "1.4.0",
        "routing_ml_workspace": "/srv/release",
        "routing_ml_release_notes": "deliverables/release_notes_2025-09-29.md",
        "routing_ml_running_version": "1.3.2",
        "routing_ml_backend_database_url": "access:///C:/RoutingML/data/RoutingML_RSL.accdb",
        "routing_ml_bundle_manifest": {"manifest": MANIFEST, "count": 1, "sha256": "b" * 64},
        "ansible_check_mode": False,
        "_routing_ml_running": {"content": base64.b64encode(b"\xef\xbb\xbf1.3.2\r\n").decode()},
        "_routing_ml_backend_service_info": {"exists": True, "services": [{"state": "running", "start_mode": "auto"}]},
        "_routing_ml_backend_removed": {"exists": False, "services": []},
        "_routing_ml_backend_installer_run": {"rc": 3010, "changed": True},
        "_routing_ml_backend_service_environment": {"changed": True},
        "_routing_ml_backend_database_machine": {"changed": False},
        "routing_ml_backend_service": {"changed": True},
        "_routing_ml_frontend_live_windows": {"result": {
            "link_target": root + "\\releases\\1.4.0", "matches": False, "server_running": False,
            "app_pool": "RoutingML", "difference": {"missing": [], "extra": ["x.js"], "changed": [], "invalid": []}}},
        "_routing_ml_frontend_robocopy": {"rc": 2},
        "_routing_ml_backup_dest": "backup/1.3.2",
        "_routing_ml_backup_source": {"result": {"manifest": "%s  RoutingMLInstaller_1.3.2.exe\n" % ("c" * 64)}},
        "_routing_ml_backup_robocopy": {"rc": 6},
        "_routing_ml_preflight_env": {"output": ["access:///" + DATABASE_UNC]},
        # Retention after a switch: what win_find listed, and what the role protects.
        "_routing_ml_frontend_keep": ["1.4.0+1", "1.4.0"],
        "_routing_ml_frontend_release_folders": {"files": [
            dict(filename=name, path=root + "\\releases\\" + name, lastwritetime=stamp, isdir=True, islnk=False,
                 isjunction=False)
            for name, stamp in (("1.4.0+1", 40.0), ("1.4.0", 30.0), ("1.3.2", 20.0), ("1.3.1", 10.0), ("1.3.0", 5.0),
                                ("1.2.9", 1.0))]},
        # A rollback of 1.4.0 to 1.3.2: the controller's plan, the target's bundle, and which of
        # the target's folders on the node verified.
        # (Every file renders for every host, so both hosts' entries carry the backup.)
        "_routing_ml_rollback_own_plan": {"hosts": dict((host, {
            "component": component, "target": "1.3.2", "source": "logs/deploy/backup_1.3.2_backend1.json",
            "backup": {"folder": "\\\\share\\routing_ml\\backup\\1.3.2", "record": "logs/deploy/backup_1.3.2_backend1.json",
                       "manifest": "%s  RoutingMLInstaller_1.3.2.exe\n%s  update.bat\n" % ("c" * 64, "d" * 64)}})
            for host, component in (("backend1", "backend"), ("node1", "frontend")))},
        "hostvars": {"localhost": {"routing_ml_rollback_bundles": {"results": [
            {"item": "1.3.2", "manifest": MANIFEST, "count": 1, "sha256": "e" * 64}]}}},
        "_routing_ml_rollback_folders": {"results": [{"item": "1.3.2", "failed": False}, {"item": "1.3.2+1", "failed": True}]},
    }


_LOADER_READY = []


def _collections_ready():
    """The collection's filters resolve as in a run: through the collection loader. Other
    unit tests import this collection as plain Python packages first; the loader only
    finds a collection it imported itself, so those imports are dropped."""
    if not _LOADER_READY:
        for name in [n for n in sys.modules if n == "ansible_collections" or n.startswith("ansible_collections.routing_ml")]:
            del sys.modules[name]
        if AnsibleCollectionConfig.collection_finder is None:
            init_plugin_loader([os.path.join(ROOT, ".collections")])
        _LOADER_READY.append(True)


class Renderer(object):
    def __init__(self, inventory, host):
        _collections_ready()
        self.loader = DataLoader()
        manager = InventoryManager(loader=self.loader, sources=[inventory])
        self.host_vars = VariableManager(loader=self.loader, inventory=manager).get_vars(host=manager.get_host(host))
        self.host = host

    def variables(self, role, extra=None):
        variables = {}
        for name in ("common", "preflight", "backup", "backend", "frontend", "verify", "rollback"):
            variables.update(trusted(load_yaml("roles", name, "defaults", "main.yml") or {}))
        variables.update(self.host_vars)
        # Role vars stand above the inventory, as in a run.
        variables.update(trusted(load_yaml("roles", "backend", "vars", "main.yml")))
        if role == "rollback":
            variables.update(trusted(load_yaml("roles", "rollback", "vars", "main.yml")))
        variables.update(trusted(registered(self.host_vars)))
        variables.update(role_path=os.path.join(ROOT, "roles", role), inventory_hostname=self.host)
        if role == "frontend":
            variables.update(trusted(frontend_block_vars()))
        variables.update(trusted(extra or {}))
        return variables

    def tasks(self, path, extra=None):
        """``[(name, module, rendered args, rendered keywords)]`` of every task, blocks walked,
        loops expanded; every template of the task is rendered, ``when`` included."""
        role = path.split(os.sep)[1]
        found = []
        stack = [(task, {}) for task in load_yaml(path)]
        while stack:
            task, inherited = stack.pop(0)
            local = dict(inherited, **(task.get("vars") or {}))
            if "block" in task:
                stack = [(t, local) for t in task["block"] + task.get("rescue", []) + task.get("always", [])] + stack
                continue
            modules = [k for k in task if k not in KEYWORDS]
            assert len(modules) == 1, "%s: task %r: not one module among %s" % (path, task.get("name"), modules)
            variables = self.variables(role, dict(extra or {}, **local))
            templar = Templar(loader=self.loader, variables=variables)
            items = templar.template(trusted(task["loop"])) if "loop" in task else [None]
            for item in items:
                if item is not None:
                    templar = Templar(loader=self.loader, variables=dict(variables, item=item))
                args = task[modules[0]]
                keywords = dict((k, v) for k, v in task.items() if k in RENDERED_KEYWORDS)
                for key in ("when", "changed_when", "failed_when", "until"):
                    if key in keywords or key in task:
                        expression = task[key]
                        for one in expression if isinstance(expression, list) else [expression]:
                            keywords.setdefault("_" + key, []).append(
                                templar.template(trust_as_template("{{ %s }}" % one)))
                found.append((task.get("name"), modules[0], templar.template(trusted(args)),
                              templar.template(trusted(keywords))))
        return found

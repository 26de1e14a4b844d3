# -*- coding: utf-8 -*-
"""Windows task files cannot run here: check every task's module and arguments against
the installed modules' own documentation (ansible-doc -j)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import subprocess
import sys

import pytest
import yaml

from windows_render import KEYWORDS, strings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TASK_FILES = sorted(glob.glob(os.path.join(ROOT, "roles", "*", "tasks", "*windows*.yml")))


def tasks_of(path):
    with open(path) as handle:
        found = []
        stack = list(yaml.safe_load(handle) or [])
        while stack:
            task = stack.pop(0)
            for key in ("block", "rescue", "always"):
                stack += task.get(key, [])
            modules = [k for k in task if k not in KEYWORDS]
            if modules:
                assert len(modules) == 1, "%s: task %r names several modules %s" % (path, task.get("name"), modules)
                args = task[modules[0]] or {}
                # A string is the free-form argument (include_tasks: file.yml).
                found.append((task.get("name"), modules[0], {"free-form": args} if isinstance(args, str) else args))
        return found


ALL_TASKS = [(os.path.relpath(path, ROOT), name, module, args)
             for path in TASK_FILES for name, module, args in tasks_of(path)]


@pytest.fixture(scope="module")
def docs():
    modules = sorted(set(module for dummy, dummy2, module, dummy3 in ALL_TASKS))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".collections"))
    output = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-j"] + modules,
                            stdout=subprocess.PIPE, env=env, check=True).stdout
    return json.loads(output)


def test_there_are_windows_task_files():
    names = sorted(os.path.relpath(p, ROOT) for p in TASK_FILES)
    assert "roles/backend/tasks/install_windows.yml" in names and "roles/frontend/tasks/node_windows.yml" in names
    assert len(ALL_TASKS) >= 10


@pytest.mark.parametrize("path,name,module,args", ALL_TASKS, ids=["%s:%s" % (t[0], t[1]) for t in ALL_TASKS])
def test_module_exists_and_arguments_are_documented(docs, path, name, module, args):
    assert "." in module, "%s: %r is not a fully qualified module name" % (path, module)
    assert module in docs, "%s: module %s is not installed" % (path, module)
    options = docs[module]["doc"].get("options", {})
    known = dict(options)
    for option, spec in options.items():
        for alias in spec.get("aliases", []):
            known[alias] = spec
    unknown = sorted(set(args) - set(known))
    assert not unknown, "%s %r: %s has no option %s" % (path, name, module, unknown)
    for option, spec in options.items():
        if spec.get("required"):
            assert option in args or any(a in args for a in spec.get("aliases", [])), \
                "%s %r: %s requires %s" % (path, name, module, option)
    for option, value in args.items():
        choices = known[option].get("choices")
        if choices and isinstance(value, (str, bool, int)) and "{{" not in str(value):
            assert value in choices, "%s %r: %s=%r is not one of %s" % (path, name, option, value, choices)


ROLE_YAML = sorted(glob.glob(os.path.join(ROOT, "roles", "*", "*", "*.yml")) +
                   glob.glob(os.path.join(ROOT, "playbooks", "*.yml")))


@pytest.mark.parametrize("path", ROLE_YAML, ids=[os.path.relpath(p, ROOT) for p in ROLE_YAML])
def test_every_template_parses(path):
    """A Windows file's templates never run here: at least their syntax must hold."""
    import jinja2

    environment = jinja2.Environment()
    with open(path) as handle:
        document = yaml.safe_load(handle)
    for text in strings(document):
        if "{{" in text or "{%" in text:
            try:
                environment.parse(text)
            except jinja2.TemplateSyntaxError as exc:
                raise AssertionError("%s: %r: %s" % (os.path.relpath(path, ROOT), text, exc))

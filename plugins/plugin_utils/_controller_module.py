# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run one of this collection's modules inside the controller's worker, when its task runs there.

Most of a gate run's steps only read and write files on the controller (the ledger, records,
checks, documents). Run as a module, each step starts a Python process of its own, which then
unpacks the module and imports Ansible again: about half a second a step on the project's
machines, most of a run's time. The worker that runs the task already has Python and Ansible
loaded, so here the module's own ``main()`` runs in it: the same argument spec, check mode,
no_log masking and result as the module process would give, parsed by the same
``_parse_returned_data`` as any module's output.

Only for the controller: a task on a host, with ``become``, ``async`` or an ``environment:``
(which a module process would see and this one would not) runs the module the usual way. The
controller's steps then run in the controller's Python (ansible-playbook's, or the execution
environment's in AWX) whatever ``ansible_python_interpreter`` says for localhost, as an action
plugin's code always does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import importlib
import io
import json
import traceback

from ansible.module_utils import basic
from ansible.module_utils.common.json import Direction, get_module_encoder
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import module_loader
from ansible.vars.clean import remove_internal_keys

COLLECTION = "routing_ml.deploy."
PACKAGE = "ansible_collections.routing_ml.deploy.plugins.modules."
# The serialization profile ansible-core gives a Python module that does not name one.
PROFILE = "legacy"


def runs_here(action):
    """Whether ``action``'s task runs on the controller itself, as this worker could run it."""
    return (action._connection.transport == "local" and not action._play_context.become
            and not action._task.async_val and not any(action._task.environment or ()))


def module_path_of(name):
    """The import path of this collection's module ``name`` (any of its spellings), else None."""
    found = module_loader.find_plugin_with_context(name)
    resolved = found.resolved_fqcn if found.resolved else None
    if not resolved or not resolved.startswith(COLLECTION):
        return None
    return PACKAGE + resolved[len(COLLECTION):]


@contextlib.contextmanager
def _module_args(args):
    """The arguments as ``AnsibleModule`` reads them from its process's standard input."""
    encoder = get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)
    saved = basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE
    basic._ANSIBLE_ARGS = json.dumps(dict(ANSIBLE_MODULE_ARGS=args), cls=encoder).encode()
    basic._ANSIBLE_PROFILE = PROFILE
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = saved


def _run_main(path, args):
    """What the module printed, as its process's standard output would hold it."""
    printed = io.StringIO()
    with _module_args(args), contextlib.redirect_stdout(printed):
        try:
            importlib.import_module(path).main()
        except SystemExit:  # exit_json and fail_json end the "process"
            pass
        except Exception as exc:  # pylint: disable=broad-except
            # A module process would die with its traceback: the task fails with it, nothing else.
            return json.dumps(dict(failed=True, msg="%s raised %s: %s" % (path, type(exc).__name__, exc),
                                   exception=traceback.format_exc()))
    return printed.getvalue()


def execute_module(action, module_name=None, module_args=None, task_vars=None):
    """``action._execute_module(...)``, run in this worker when the task runs on the controller."""
    module_name = module_name or action._task.action
    module_args = dict(action._task.args if module_args is None else module_args)
    task_vars = task_vars if task_vars is not None else {}
    path = module_path_of(module_name) if runs_here(action) else None
    if path is None:
        return action._execute_module(module_name=module_name, module_args=module_args, task_vars=task_vars)
    action._update_module_args(module_name, module_args, task_vars)
    data = action._parse_returned_data(dict(rc=0, stdout=_run_main(path, module_args), stderr=""), PROFILE)
    # As _execute_module leaves a module's result for the task executor.
    remove_internal_keys(data)
    for stream in ("stdout", "stderr"):
        if stream in data and stream + "_lines" not in data:
            data[stream + "_lines"] = (data[stream] or "").splitlines()
    return data


class ControllerModuleAction(ActionBase):
    """The action of a module that mostly runs on the controller: the module, in this worker there."""

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ControllerModuleAction, self).run(tmp, task_vars)
        del tmp
        result.update(execute_module(self, task_vars=task_vars))
        return result

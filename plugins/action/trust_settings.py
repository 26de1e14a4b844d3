# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tell the trust_settings module which trust settings this run was given at launch.

Extra variables (``-e``, an AWX survey answer or launch variables) win over the inventory, so a
module cannot tell where a value came from; the controller can: ``load_extra_vars`` returns the
extra variables of this ``ansible-playbook`` (cached by the main process before the workers
fork). The module refuses to *pin* an environment's settings from such a value; once pinned,
a value given at launch must equal the recorded one (the logic is in ``_trust``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase
from ansible.utils.vars import load_extra_vars

from ansible_collections.routing_ml.deploy.plugins.module_utils import _trust
from ansible_collections.routing_ml.deploy.plugins.plugin_utils._controller_module import execute_module


def launched(extra_vars):
    """The trust variables among ``extra_vars`` (names, sorted), the gate policy among them."""
    names = [variable for dummy, variable in _trust.VARIABLES] + [_trust.POLICY_VARIABLE]
    return sorted(variable for variable in names if variable in (extra_vars or {}))


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        args["launched"] = launched(load_extra_vars(self._loader))
        result.update(execute_module(self, module_name="routing_ml.deploy.trust_settings", module_args=args,
                                     task_vars=task_vars))
        return result

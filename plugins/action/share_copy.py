# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The share_copy module, run inside the controller's worker when its task runs on the controller
(plugin_utils/_controller_module.py); on a host, the module as usual."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.routing_ml.deploy.plugins.plugin_utils._controller_module import ControllerModuleAction


class ActionModule(ControllerModuleAction):
    pass

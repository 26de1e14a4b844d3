# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over module_utils._preflight, so the lab and Windows hosts share one parser."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.routing_ml.deploy.plugins.module_utils._preflight import (
    database_path, environment_value)


class FilterModule(object):
    def filters(self):
        return {
            "database_path": database_path,
            "environment_value": environment_value,
        }

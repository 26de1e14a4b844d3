# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # The controller-side modules that read or write the release workspace (DESIGN.md).
    DOCUMENTATION = r"""
options:
  workspace:
    description: The release workspace; every SOP path is relative to it.
    type: path
    required: true
"""

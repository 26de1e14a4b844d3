# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # As ansible.builtin.action_common_attributes and community.general.attributes do: this
    # fragment says what each attribute means; the others below, or the module itself, give
    # its support and, under details, what the module does. Every module extends this one
    # first. Later fragments and the module's own attributes add keys to each attribute; the
    # module's own keys win.

    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check mode and return the changed status it predicts, without changing anything.
  diff_mode:
    description: Returns what changed (or, in check mode, what would change) when run in diff mode.
  platform:
    description: The target OS families that can be operated against.
"""

    # Modules with an action plugin (plugins/action/<module>.py), which runs on the controller.
    ACTION = r"""
attributes:
  action:
    description: Has an action plugin, so some of the work (or all of it) runs on the controller.
    support: full
  async:
    description: Can be used with the C(async) keyword.
    support: none
"""

    # Modules that only read: check mode is the same run, and there is no diff to show.
    READ_ONLY = r"""
attributes:
  check_mode:
    support: full
    details: Only reads; a run in check mode is the same run.
  diff_mode:
    support: none
    details: Nothing is changed, so there is nothing to show.
"""

    # Modules that edit one text file in place: the file's content before and after is the diff.
    FILE_EDIT = r"""
attributes:
  check_mode:
    support: full
    details: Reports whether the file would change, without writing it.
  diff_mode:
    support: full
    details: Shows the file before and after.
"""

    # Modules that run on the controller, next to the release workspace and its builds.
    CONTROLLER = r"""
attributes:
  platform:
    platforms: posix
    support: full
    details: Runs on the controller (with C(delegate_to) set to C(localhost)), where the release workspace is.
"""

    # Modules that run wherever the file they read or write is.
    FILE_HOST = r"""
attributes:
  platform:
    platforms: posix
    support: full
    details: Runs where the file is, usually the controller (with C(delegate_to) set to C(localhost)).
"""

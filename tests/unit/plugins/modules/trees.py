# -*- coding: utf-8 -*-
"""What the module tests compare before and after a run: a folder's whole content."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os


def snapshot(root):
    """Every path under ``root`` with its bytes (None for folders)."""
    found = {}
    for folder, dirs, names in os.walk(str(root)):
        for name in dirs:
            found[os.path.relpath(os.path.join(folder, name), str(root))] = None
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, str(root))] = handle.read()
    return found

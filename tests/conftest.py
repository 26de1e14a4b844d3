# -*- coding: utf-8 -*-
"""Make ``ansible_collections.routing_ml.deploy`` importable when pytest runs from the checkout.

ansible-test arranges this itself; plain pytest gets the link tree that ./dev maintains.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _ensure_collection_path():
    try:
        import ansible_collections.routing_ml.deploy  # noqa: F401  pylint: disable=unused-import
        return
    except ImportError:
        pass
    base = os.path.join(ROOT, ".collections")
    link = os.path.join(base, "ansible_collections", "routing_ml", "deploy")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.join("..", "..", ".."), link)
    sys.path.insert(0, base)


_ensure_collection_path()

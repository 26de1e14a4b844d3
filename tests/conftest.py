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


# The longest modules first, so that under pytest-xdist (`--dist loadfile --no-loadscope-reorder`,
# as ./dev test runs it) the two workers finish close together: a long module handed out last
# would leave one worker idle while the other runs it. Measured with --durations (the note of
# issue 22); a module not named keeps its place after these.
LONGEST_FIRST = (
    "tests/e2e/test_pipeline.py",
    "tests/e2e/test_drills_automatic.py",
    "tests/e2e/test_drills_rollback.py",
    "tests/e2e/test_signed_gates.py",
    "tests/e2e/test_convergence.py",
    "tests/e2e/test_drills_rounds.py",
    "tests/e2e/test_budgets.py",
    "tests/e2e/test_drills_lost_node.py",
    "tests/e2e/test_attacks_records.py",
    "tests/e2e/test_as_awx_runs_it.py",
    "tests/e2e/test_lab.py",
    "tests/e2e/test_refuse_early.py",
    "tests/e2e/test_status.py",
    "tests/e2e/test_attacks_trust.py",
    "tests/e2e/test_attacks_ledger.py",
    "tests/e2e/test_attacks_pinned.py",
    "tests/e2e/test_attacks_share_lock.py",
    "tests/e2e/test_molecule_roles.py",
    "tests/unit/test_conformance.py",
    "tests/e2e/test_share_records.py",
    "tests/e2e/test_smoke.py",
    "tests/e2e/test_windows_canned.py",
)


def pytest_collection_modifyitems(session, config, items):  # pylint: disable=unused-argument
    rank = dict((path, index) for index, path in enumerate(LONGEST_FIRST))
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))

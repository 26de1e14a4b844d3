# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _retention
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def node(**mtimes):
    """``node(a=1, b=2)`` -> folders; keyword names use ``_`` for ``.`` and ``__`` for ``+``."""
    return [{"name": k.replace("__", "+").replace("_", ".").lstrip("v"), "mtime": float(t)}
            for k, t in mtimes.items()]


SIX = node(v1_0_0=10, v1_1_0=20, v1_2_0=30, v1_3_0=40, v1_3_0__1=50, v1_4_0=60)


@pytest.mark.parametrize("folders, keep, count, kept, removed", [
    # The count newest of the unprotected stay.
    (SIX, ["1.4.0"], 2, ["1.3.0", "1.3.0+1", "1.4.0"], ["1.0.0", "1.1.0", "1.2.0"]),
    # A protected folder stays even when it is the oldest, and does not use up the count.
    (SIX, ["1.4.0", "1.0.0"], 1, ["1.0.0", "1.3.0+1", "1.4.0"], ["1.1.0", "1.2.0", "1.3.0"]),
    # count 0: only what is protected.
    (SIX, ["1.3.0", "1.4.0"], 0, ["1.3.0", "1.4.0"], ["1.0.0", "1.1.0", "1.2.0", "1.3.0+1"]),
    # Fewer folders than the count: nothing goes.
    (SIX, ["1.4.0"], 10, ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.3.0+1", "1.4.0"], []),
    # A protected name the node does not have: allowed, just not there.
    (SIX, ["9.9.9", "1.4.0"], 1, ["1.3.0+1", "1.4.0"], ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]),
    # The live folder need not be the newest (a rollback made the older one live).
    (SIX, ["1.2.0"], 1, ["1.2.0", "1.4.0"], ["1.0.0", "1.1.0", "1.3.0", "1.3.0+1"]),
    # An empty node.
    ([], ["1.4.0"], 3, [], []),
])
def test_keep_and_count(folders, keep, count, kept, removed):
    decision = _retention.plan(folders, keep, count)
    assert decision == {"keep": kept, "remove": removed, "ignored": []}


def test_names_that_are_not_release_folders_are_ignored_never_removed():
    odd = (".tmp-rsync", "old notes", ".deleting-1.0.0-ab12", "1.0.0+0", "~backup", "1.0.0+1+1")
    folders = SIX + [{"name": n, "mtime": 1.0} for n in odd]
    decision = _retention.plan(folders, ["1.4.0"], 0)
    assert decision["ignored"] == sorted(odd)
    assert not set(decision["ignored"]) & set(decision["remove"] + decision["keep"])
    assert decision["keep"] == ["1.4.0"]


def test_a_release_folder_name_is_whatever_parse_folder_accepts():
    # Versions may start with a letter, so a folder called notes.txt is a release folder to
    # retention; only the module's and win_find's "directories only" keep a file of that name safe.
    assert _retention.plan([{"name": "notes.txt", "mtime": 1.0}], ["1.4.0"], 0)["remove"] == ["notes.txt"]


@pytest.mark.parametrize("order", [1, -1])
def test_ties_are_broken_by_name_whatever_the_listing_order(order):
    folders = [{"name": n, "mtime": 5.0} for n in ("1.1.0", "1.3.0", "1.2.0", "1.0.0")][::order]
    decision = _retention.plan(folders + [{"name": "2.0.0", "mtime": 1.0}], ["2.0.0"], 2)
    assert decision["keep"] == ["1.2.0", "1.3.0", "2.0.0"]
    assert decision["remove"] == ["1.0.0", "1.1.0"]


def test_integer_times_and_duplicate_keep_names():
    decision = _retention.plan([{"name": "1.0.0", "mtime": 1}, {"name": "1.1.0", "mtime": 2}], ["1.1.0", "1.1.0"], 0)
    assert decision == {"keep": ["1.1.0"], "remove": ["1.0.0"], "ignored": []}


def test_live_must_be_protected():
    assert _retention.plan(SIX, ["1.3.0+1"], 0, live="1.3.0+1")["keep"] == ["1.3.0+1"]
    with pytest.raises(ValidationError, match=r"live release '1.4.0' is not in keep \['1.3.0'\]"):
        _retention.plan(SIX, ["1.3.0"], 5, live="1.4.0")


@pytest.mark.parametrize("folders, keep, count, message", [
    (SIX, ["1.4.0"], -1, "count -1 is not valid"),
    (SIX, ["1.4.0"], "3", "count '3' is not valid"),
    (SIX, ["1.4.0"], 2.0, "count 2.0 is not valid"),
    (SIX, ["1.4.0"], True, "count True is not valid"),
    (SIX, ["1.4.0"], None, "count None is not valid"),
    (SIX, [], 3, r"keep \[\] names no release"),
    (SIX, "1.4.0", 3, "keep '1.4.0' is not valid: expected a list"),
    (SIX, ["current"], 3, None),  # 'current' is a valid version name: allowed
    (SIX, ["releases/1.4.0"], 3, "keep name 'releases/1.4.0' is not a release folder name"),
    (SIX, ["1.4.0", ".tmp-rsync"], 3, "keep name '.tmp-rsync' is not a release folder name"),
    (SIX, ["1.4.0", None], 3, "keep name None is not a release folder name"),
    ("1.4.0", ["1.4.0"], 3, "folders '1.4.0' is not valid"),
    ([["1.4.0", 1.0]], ["1.4.0"], 3, r"folder 1 \['1.4.0', 1.0\] is not valid"),
    ([{"name": "1.4.0"}], ["1.4.0"], 3, "folder '1.4.0' mtime None is not valid"),
    ([{"name": "1.4.0", "mtime": "yesterday"}], ["1.4.0"], 3, "folder '1.4.0' mtime 'yesterday' is not valid"),
    ([{"name": "1.4.0", "mtime": float("nan")}], ["1.4.0"], 3, "folder '1.4.0' mtime nan is not valid"),
    ([{"name": "", "mtime": 1.0}], ["1.4.0"], 3, "folder 1 name '' is not valid"),
    ([{"name": "1.4.0", "mtime": 1.0}, {"name": "1.4.0", "mtime": 2.0}], ["1.4.0"], 3, "folder '1.4.0' is listed twice"),
    (SIX, ["1.4.0"], 3, None),
])
def test_bad_input_is_refused_naming_it(folders, keep, count, message):
    if message is None:
        _retention.plan(folders, keep, count)
        return
    with pytest.raises(ValidationError, match=message):
        _retention.plan(folders, keep, count)


def test_a_bad_live_name_is_refused():
    with pytest.raises(ValidationError, match="live 'releases/1.4.0' is not a release folder name"):
        _retention.plan(SIX, ["1.4.0"], 3, live="releases/1.4.0")

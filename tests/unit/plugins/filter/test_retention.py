# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.routing_ml.deploy.plugins.filter.retention import FilterModule, release_prune

ROOT = "C:\\inetpub\\routing_ml\\releases"


def found(name, lastwritetime, **extra):
    """One item of win_find's ``files`` (file_type directory), the keys the filter reads and a few it does not."""
    item = {"filename": name, "lastwritetime": lastwritetime, "path": ROOT + "\\" + name, "isdir": True,
            "islnk": False, "isjunction": False, "ishidden": False, "creationtime": 1700000000.0,
            "attributes": "Directory", "exists": True, "size": None, "checksum": None}
    item.update(extra)
    return item


FILES = [
    found("1.2.0", 1759000000.5),
    found("1.3.0", 1759100000.25),
    found("1.3.2", 1759200000.0),
    found("1.4.0", 1759300000.0),
    found("1.4.0+1", 1759400000.0),
    found(".tmp-robocopy", 1759500000.0, ishidden=False),
    # A junction and a directory link named like releases: never removed, whatever their age.
    found("1.0.0", 1.0, isjunction=True, attributes="Directory, ReparsePoint"),
    found("1.1.0", 2.0, islnk=True, attributes="Directory, ReparsePoint"),
]


def test_win_find_files_as_they_are():
    decision = release_prune(FILES, ["1.4.0+1", "1.2.0"], 1)
    assert decision == {"keep": ["1.2.0", "1.4.0", "1.4.0+1"], "remove": ["1.3.0", "1.3.2"],
                        "ignored": [".tmp-robocopy", "1.0.0", "1.1.0"]}


def test_name_mtime_items_and_a_count_given_as_a_string():
    folders = [{"name": "1.3.2", "mtime": 20.0}, {"name": "1.4.0", "mtime": 30.0}, {"name": "1.2.0", "mtime": 10.0}]
    # -e routing_ml_frontend_keep_releases=1 arrives as a string.
    assert release_prune(folders, ["1.4.0"], "1") == {"keep": ["1.3.2", "1.4.0"], "remove": ["1.2.0"], "ignored": []}


def test_the_same_decision_as_the_module_makes_for_the_same_listing():
    from ansible_collections.routing_ml.deploy.plugins.module_utils import _retention
    plain = [{"name": f["filename"], "mtime": f["lastwritetime"]} for f in FILES[:6]]
    assert release_prune(FILES[:6], ["1.4.0+1"], 2) == _retention.plan(plain, ["1.4.0+1"], 2)


def test_an_empty_listing():
    # win_find of a releases folder that does not exist warns and returns no files.
    assert release_prune([], ["1.4.0"], 3) == {"keep": [], "remove": [], "ignored": []}


@pytest.mark.parametrize("folders, keep, count, live, message", [
    (FILES, ["1.4.0+1"], "three", None, "release_prune: count 'three' is not valid"),
    (FILES, ["1.4.0+1"], "-1", None, "release_prune: count '-1' is not valid"),
    (FILES, ["1.4.0+1"], -1, None, "release_prune: count -1 is not valid"),
    (FILES, [], 3, None, r"release_prune: keep \[\] names no release"),
    (FILES, ["C:\\inetpub\\routing_ml\\releases\\1.4.0"], 3, None, "is not a release folder name"),
    (FILES, ["1.3.2"], 3, "1.4.0+1", r"the live release '1.4.0\+1' is not in keep \['1.3.2'\]"),
    ([found("1.4.0", None)], ["1.4.0"], 3, None, "folder '1.4.0' mtime None is not valid"),
    ({"files": FILES}, ["1.4.0"], 3, None, "folders .* is not valid"),
])
def test_bad_input_fails_naming_it(folders, keep, count, live, message):
    with pytest.raises(AnsibleFilterError, match=message):
        release_prune(folders, keep, count, live)


def test_the_filter_is_registered():
    assert FilterModule().filters()["release_prune"] is release_prune

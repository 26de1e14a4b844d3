# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import release_retention

# Oldest first; the times are what the module orders by.
RELEASES = ["1.1.0", "1.2.0", "1.3.0", "1.3.2", "1.4.0", "1.4.0+1"]


@pytest.fixture
def root(tmp_path):
    for age, name in enumerate(RELEASES):
        folder = tmp_path / "releases" / name / "assets"
        folder.mkdir(parents=True)
        (folder / "app.js").write_text("// %s\n" % name)
        (folder.parent / "index.html").write_text("<html>%s</html>\n" % name)
        os.utime(str(folder.parent), (1759000000 + age * 3600,) * 2)
    (tmp_path / "releases" / ".tmp-rsync").mkdir()
    (tmp_path / "releases" / "notes.txt").write_text("1.2.0 kept for audit\n")
    os.symlink("releases/1.4.0+1", str(tmp_path / "current"))
    return tmp_path


def present(root):
    return sorted(os.listdir(str(root / "releases")))


def prune(run_module, root, keep, count=3, **kwargs):
    return run_module(release_retention, dict(root=str(root), keep=keep, count=count), **kwargs)


def test_keeps_the_protected_and_the_newest_and_removes_the_rest(run_module, root):
    # The rollback target is the oldest release: kept anyway, and not counted.
    failed, result = prune(run_module, root, ["1.4.0+1", "1.1.0"], count=2)
    assert not failed, result
    assert result["changed"] and result["removed"] == ["1.2.0", "1.3.0"]
    assert result["kept"] == ["1.1.0", "1.3.2", "1.4.0", "1.4.0+1"]
    assert result["ignored"] == [".tmp-rsync", "notes.txt"]
    assert present(root) == [".tmp-rsync", "1.1.0", "1.3.2", "1.4.0", "1.4.0+1", "notes.txt"], "no .deleting- left"
    assert (root / "current" / "index.html").read_text() == "<html>1.4.0+1</html>\n"


def test_a_second_run_changes_nothing(run_module, root):
    assert prune(run_module, root, ["1.4.0+1"], count=1)[1]["removed"] == ["1.1.0", "1.2.0", "1.3.0", "1.3.2"]
    before = present(root)
    failed, result = prune(run_module, root, ["1.4.0+1"], count=1)
    assert not failed and not result["changed"] and result["removed"] == []
    assert result["kept"] == ["1.4.0", "1.4.0+1"] and present(root) == before


def test_check_mode_reports_and_deletes_nothing(run_module, root):
    before = present(root)
    failed, result = prune(run_module, root, ["1.4.0+1"], count=0, check_mode=True, diff=True)
    assert not failed and result["changed"]
    assert result["removed"] == ["1.1.0", "1.2.0", "1.3.0", "1.3.2", "1.4.0"]
    assert present(root) == before
    assert result["diff"]["before"] == "".join(n + "\n" for n in RELEASES)
    assert result["diff"]["after"] == "1.4.0+1\n"
    assert result["diff"]["before_header"] == str(root / "releases")


def test_nothing_to_remove_is_no_change_in_check_mode_either(run_module, root):
    failed, result = prune(run_module, root, ["1.4.0+1"], count=10, check_mode=True, diff=True)
    assert not failed and not result["changed"] and result["removed"] == []
    assert result["diff"]["before"] == result["diff"]["after"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_live_release_not_in_keep_is_refused_and_nothing_deleted(run_module, root, check_mode):
    before = present(root)
    failed, result = prune(run_module, root, ["1.4.0", "1.3.2"], count=0, check_mode=check_mode)
    assert failed and not result["changed"] and result["removed"] == []
    assert "current -> releases/1.4.0+1 serves 1.4.0+1" in result["msg"]
    assert "not in keep ['1.3.2', '1.4.0']" in result["msg"] and "nothing deleted" in result["msg"]
    assert present(root) == before


def test_the_live_release_is_found_through_a_chain_of_links(run_module, root):
    # current -> releases/1.4.0+1 -> (link) 1.3.0: 1.3.0 is what is served.
    target = root / "releases" / "1.4.0+1"
    os.rename(str(target), str(root / "moved"))
    os.symlink("1.3.0", str(target))
    failed, result = prune(run_module, root, ["1.4.0+1"], count=0)
    assert failed and "serves 1.3.0" in result["msg"] and "1.3.0" in present(root)


def test_a_link_named_like_a_release_is_ignored_and_its_target_untouched(run_module, root, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "keep-me.txt").write_text("precious\n")
    os.symlink(str(elsewhere), str(root / "releases" / "1.0.0"))
    (root / "releases" / "0.9.0").write_text("a file with a release name\n")
    failed, result = prune(run_module, root, ["1.4.0+1"], count=0)
    assert not failed, result
    assert "1.0.0" in result["ignored"] and "0.9.0" in result["ignored"]
    assert "1.0.0" not in result["removed"] and "0.9.0" not in result["removed"]
    assert os.path.islink(str(root / "releases" / "1.0.0"))
    assert (elsewhere / "keep-me.txt").read_text() == "precious\n"
    assert present(root) == [".tmp-rsync", "0.9.0", "1.0.0", "1.4.0+1", "notes.txt"]


def test_a_protected_name_the_node_lacks_and_no_releases_folder(run_module, tmp_path):
    failed, result = prune(run_module, tmp_path, ["1.4.0"], count=0)
    assert not failed and not result["changed"]
    assert result["kept"] == result["removed"] == result["ignored"] == []


def test_without_a_current_link_only_keep_protects(run_module, root):
    (root / "current").unlink()
    failed, result = prune(run_module, root, ["1.3.0"], count=1)
    assert not failed and result["kept"] == ["1.3.0", "1.4.0+1"]


@pytest.mark.parametrize("keep, count, message", [
    (["1.4.0+1", "../etc"], 3, "keep name '../etc' is not a release folder name"),
    ([], 3, r"keep \[\] names no release"),
    (["1.4.0+1"], -2, "count -2 is not valid"),
])
def test_bad_input_is_refused_naming_it(run_module, root, keep, count, message):
    import re
    before = present(root)
    failed, result = prune(run_module, root, keep, count=count)
    assert failed and re.search(message, result["msg"]), result["msg"]
    assert "current ->" not in result["msg"], "the link is named only when it is the reason"
    assert present(root) == before


def test_a_release_that_resists_deletion_is_already_gone_under_its_real_name(run_module, root, monkeypatch):
    def refuse(path):
        raise OSError(13, "Permission denied", path)

    monkeypatch.setattr(release_retention.shutil, "rmtree", refuse)
    failed, result = prune(run_module, root, ["1.4.0+1"], count=4)
    assert failed and result["changed"] and result["removed"] == ["1.1.0"]
    assert "cannot remove" in result["msg"] and "Permission denied" in result["msg"]
    left = [n for n in present(root) if n.startswith(".deleting-1.1.0-")]
    assert len(left) == 1 and "1.1.0" not in present(root)
    assert (root / "releases" / left[0] / "index.html").read_text() == "<html>1.1.0</html>\n"
    # The next run leaves the .deleting- folder alone and has nothing to remove.
    failed, result = prune(run_module, root, ["1.4.0+1"], count=4)
    assert not failed and not result["changed"] and left[0] in result["ignored"]

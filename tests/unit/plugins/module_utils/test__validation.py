# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _validation as v


@pytest.mark.parametrize("version", ["1", "1.4.0", "2025.09.29-rc_1", "A" * 64])
def test_good_versions(version):
    assert v.check_version(version) == version


@pytest.mark.parametrize("version", ["", ".1", "-1", "1.0\n", "1/0", "1 0", "A" * 65, "../x", "1.0;rm", None])
def test_bad_versions_are_named(version):
    with pytest.raises(v.ValidationError) as exc:
        v.check_version(version)
    assert repr(version) in str(exc.value)
    assert v.VERSION_PATTERN in str(exc.value)


@pytest.mark.parametrize("gate", ["alpha", "GA ", "Gamma", "", None])
def test_unknown_gates(gate):
    with pytest.raises(v.ValidationError) as exc:
        v.check_gate(gate)
    assert repr(gate) in str(exc.value)


@pytest.mark.parametrize("date", ["2025103", "20251332", "2025-10-03", "20250230"])
def test_bad_dates(date):
    with pytest.raises(v.ValidationError):
        v.check_date(date)


@pytest.mark.parametrize("value", ["", " ", "a|b", "a\nb", " QA-KIM", "QA\tKIM"])
def test_bad_fields(value):
    with pytest.raises(v.ValidationError) as exc:
        v.check_field("approver", value)
    assert "approver" in str(exc.value)


def test_paths_that_escape_the_workspace_are_refused(tmp_path):
    workspace = tmp_path / "ws"
    (workspace / "docs").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    os.symlink(str(tmp_path / "outside"), str(workspace / "docs" / "link"))
    assert v.resolve_in_workspace(str(workspace), "docs/a.md") == str(workspace / "docs" / "a.md")
    for bad in ["../outside/x", str(tmp_path / "outside" / "x"), "docs/link/x", "docs/../../x"]:
        with pytest.raises(v.ValidationError) as exc:
            v.resolve_in_workspace(str(workspace), bad)
        assert repr(bad) in str(exc.value)


# --------------------------------------------------------------------------- approver names (issue 23)

@pytest.mark.parametrize("name", ["QA-KIM", "DEPLOY-LEE", "OWNER-PARK", "deploy-bot", "kim.qa@corp", "a", "A1+ci"])
def test_check_approver_takes_enrolled_style_names(name):
    assert v.check_approver(name) == name


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "QA<img src=x onerror=alert(1)>", "javascript:alert(1)",
                                  "QA KIM", "-QA", ".QA", "QA|KIM", "", " QA", "x" * 65, "QA\udcff"])
def test_check_approver_refuses_markup_and_names_the_value(name):
    with pytest.raises(v.ValidationError) as exc:
        v.check_approver(name)
    assert repr(name) in str(exc.value)


def test_check_field_refuses_text_that_is_not_utf8():
    # What Ansible makes of a non-UTF-8 command-line value: lone surrogates.
    with pytest.raises(v.ValidationError, match="reason 'CHG-1 \\\\udcff' is not UTF-8 text"):
        v.check_field("reason", "CHG-1 \udcff")

# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import gate_precheck


@pytest.mark.parametrize("version", ["1.4.0", "1.4.0-evidence", "evidence"])
def test_beta_on_an_empty_ledger_is_refused_whatever_the_version_says(run_module, workspace, version):
    failed, result = run_module(gate_precheck, dict(workspace=str(workspace), gate="Beta", version=version))
    assert failed, result
    assert "Beta for %s cannot start: Beta needs Alpha's 'Next Stage Ready' for version %s" % (
        version, version) in result["msg"]


def test_alpha_needs_nothing_earlier_and_no_evidence_yet(run_module, workspace):
    failed, result = run_module(gate_precheck, dict(workspace=str(workspace), gate="Alpha", version="1.4.0"))
    assert not failed and result["recorded"] is None and result["requires"] is None

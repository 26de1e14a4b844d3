# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.routing_ml.deploy.plugins.modules import deploy_record


def args(workspace, **extra):
    return dict(dict(workspace=str(workspace), kind="verify", version="1.4.0", host="backend1",
                     details={"health": {"status": "ok", "version": "1.4.0"}}), **extra)


def test_check_mode_then_write_then_unchanged(run_module, workspace):
    (workspace / "logs" / "deploy").mkdir(parents=True)
    path = workspace / "logs" / "deploy" / "verify_1.4.0_backend1.json"
    failed, result = run_module(deploy_record, args(workspace), check_mode=True, diff=True)
    assert not failed and result["changed"] and not path.exists()
    assert json.loads(result["diff"]["after"])["details"]["health"]["status"] == "ok"
    failed, result = run_module(deploy_record, args(workspace))
    assert not failed and result["changed"] and json.loads(path.read_text())["kind"] == "verify"
    failed, again = run_module(deploy_record, args(workspace))
    assert not failed and not again["changed"] and again["record"]["time"] == result["record"]["time"]


def test_bad_input_names_the_value_and_writes_nothing(run_module, workspace):
    (workspace / "logs" / "deploy").mkdir(parents=True)
    failed, result = run_module(deploy_record, args(workspace, version="1.4.0\n"))
    assert failed and "version '1.4.0\\n'" in result["msg"]
    failed, result = run_module(deploy_record, args(workspace, digests={"installer": "xyz"}))
    assert failed and "digest of installer" in result["msg"]
    assert list((workspace / "logs" / "deploy").iterdir()) == []

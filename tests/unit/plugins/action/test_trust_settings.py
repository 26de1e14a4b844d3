# -*- coding: utf-8 -*-
"""trust_settings' action plugin tells the module which trust settings came with the launch."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from unittest.mock import MagicMock

from ansible_collections.routing_ml.deploy.plugins.action import trust_settings
from ansible_collections.routing_ml.deploy.plugins.action.trust_settings import ActionModule, launched


def test_launched_names_the_trust_variables_among_the_extra_vars():
    assert launched({"routing_ml_approval_signatures": "off", "routing_ml_workspace": "/w",
                     "routing_ml_allowed_signers": "/mine"}) == ["routing_ml_allowed_signers",
                                                                 "routing_ml_approval_signatures"]
    assert launched({"routing_ml_environment": "other"}) == ["routing_ml_environment"]
    assert launched({"routing_ml_gate_policy": {"GA": {}}}) == ["routing_ml_gate_policy"]
    assert launched({}) == [] and launched(None) == []


def test_the_module_is_told_what_the_launch_gave(monkeypatch):
    monkeypatch.setattr(trust_settings, "load_extra_vars", lambda loader: {"routing_ml_approval_signatures": "off"})
    task = MagicMock(args={"workspace": "/w", "signatures": "off", "state": "pinned"}, async_val=0)
    action = ActionModule(task, MagicMock(), MagicMock(), loader=MagicMock(), templar=MagicMock(),
                          shared_loader_obj=MagicMock())
    calls = []
    monkeypatch.setattr(action, "_execute_module",
                        lambda module_name, module_args, task_vars: calls.append((module_name, module_args)) or {"changed": False})
    assert action.run(task_vars={}) == {"changed": False}
    assert calls == [("routing_ml.deploy.trust_settings",
                      {"workspace": "/w", "signatures": "off", "state": "pinned",
                       "launched": ["routing_ml_approval_signatures"]})]

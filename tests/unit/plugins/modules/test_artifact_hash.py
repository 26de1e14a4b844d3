# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

import pytest

from ansible_collections.routing_ml.deploy.plugins.modules import artifact_hash

DATA = b"RoutingML installer bytes\n" * 1000
DIGEST = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def installer(tmp_path):
    path = tmp_path / "RoutingMLInstaller_1.4.0.exe"
    path.write_bytes(DATA)
    return path


def sidecar_of(path):
    return path.parent / (path.name + ".sha256")


def test_writes_sidecar_then_reports_unchanged(run_module, installer):
    failed, result = run_module(artifact_hash, dict(path=str(installer)), diff=True)
    assert not failed and result["changed"]
    assert result["checksum"] == DIGEST and result["size"] == len(DATA)
    assert sidecar_of(installer).read_text() == "%s  RoutingMLInstaller_1.4.0.exe\n" % DIGEST
    assert result["diff"]["before"] == "" and result["diff"]["after"] == sidecar_of(installer).read_text()
    failed, again = run_module(artifact_hash, dict(path=str(installer)))
    assert not failed and not again["changed"]


def test_check_mode_tells_the_truth_and_writes_nothing(run_module, installer):
    failed, result = run_module(artifact_hash, dict(path=str(installer)), check_mode=True)
    assert not failed and result["changed"] and not sidecar_of(installer).exists()
    sidecar_of(installer).write_text("%s *RoutingMLInstaller_1.4.0.exe\n" % DIGEST.upper())
    failed, refresh = run_module(artifact_hash, dict(path=str(installer)), check_mode=True)
    assert refresh["changed"], "an upper-case sidecar is refreshed to the canonical form"
    assert sidecar_of(installer).read_text().startswith(DIGEST.upper())


@pytest.mark.parametrize("expected", [DIGEST, DIGEST.upper(), "sha256:" + DIGEST])
def test_verifies_against_digest_forms(run_module, installer, expected):
    failed, result = run_module(artifact_hash, dict(path=str(installer), expected=expected, write_sidecar=False))
    assert not failed and result["verified"] and result["expected"] == DIGEST and not result["changed"]


def test_verifies_against_a_published_sidecar(run_module, installer, tmp_path):
    published = tmp_path / "published.sha256"
    published.write_text("%s  RoutingMLInstaller_1.4.0.exe\n" % DIGEST.upper())
    failed, result = run_module(artifact_hash, dict(path=str(installer), expected_sidecar=str(published)))
    assert not failed and result["verified"] and result["changed"]


def test_mismatch_names_the_file_and_both_digests_and_writes_nothing(run_module, installer):
    wrong = "0" * 64
    failed, result = run_module(artifact_hash, dict(path=str(installer), expected=wrong))
    assert failed
    assert str(installer) in result["msg"] and wrong in result["msg"] and DIGEST in result["msg"]
    assert not sidecar_of(installer).exists()


@pytest.mark.parametrize("expected", ["sha1:abc", "xyz", DIGEST[:63]])
def test_malformed_digest_is_named(run_module, installer, expected):
    failed, result = run_module(artifact_hash, dict(path=str(installer), expected=expected))
    assert failed and repr(expected) in result["msg"]
    assert not sidecar_of(installer).exists()


def test_missing_file_is_a_clear_failure(run_module, tmp_path):
    failed, result = run_module(artifact_hash, dict(path=str(tmp_path / "nope.exe")))
    assert failed and "nope.exe" in result["msg"] and "not an existing file" in result["msg"]


def test_expected_and_expected_sidecar_exclude_each_other(run_module, installer):
    failed, result = run_module(artifact_hash, dict(path=str(installer), expected=DIGEST, expected_sidecar="x"))
    assert failed and "mutually exclusive" in result["msg"]

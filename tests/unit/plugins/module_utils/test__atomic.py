# -*- coding: utf-8 -*-
"""_atomic: whole-file writes that leave the old content or the new, never a mix, and copies
that are checked against a digest before anyone can move them into place."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import stat
import threading

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

OLD = b"old content\n" * 1000
NEW = b"new content, longer than the old one\n" * 3000


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def leftovers(folder):
    """What a write may have left beside its target: temporary files."""
    return sorted(name for name in os.listdir(str(folder)) if name.endswith(".tmp"))


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


# --- write_atomic ------------------------------------------------------------------------------------------


def test_creates_a_new_file_with_the_umask_mode(tmp_path, umask_022):
    target = tmp_path / "VERSION"
    _atomic.write_atomic(str(target), b"1.4.0\n")
    assert target.read_bytes() == b"1.4.0\n"
    assert mode_of(target) == 0o644
    assert leftovers(tmp_path) == []


def test_replaces_content_and_keeps_the_existing_mode(tmp_path, umask_022):
    target = tmp_path / "report.md"
    target.write_bytes(OLD)
    os.chmod(str(target), 0o600)
    _atomic.write_atomic(str(target), NEW)
    assert target.read_bytes() == NEW
    assert mode_of(target) == 0o600, "an existing file's mode is kept"
    assert leftovers(tmp_path) == []


def test_an_explicit_mode_wins(tmp_path, umask_022):
    target = tmp_path / "script.sh"
    target.write_bytes(OLD)
    os.chmod(str(target), 0o600)
    _atomic.write_atomic(str(target), b"#!/bin/sh\n", mode=0o755)
    assert mode_of(target) == 0o755 and target.read_bytes() == b"#!/bin/sh\n"


def test_a_relative_path_is_written_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    _atomic.write_atomic("relative.txt", b"here")
    assert (tmp_path / "relative.txt").read_bytes() == b"here"
    assert leftovers(tmp_path) == []


def test_a_failed_write_keeps_the_old_content_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "ledger.log"
    target.write_bytes(OLD)
    with pytest.raises(TypeError):
        _atomic.write_atomic(str(target), u"text, not bytes")
    assert target.read_bytes() == OLD
    assert leftovers(tmp_path) == []


def test_a_failed_write_of_a_new_file_leaves_nothing(tmp_path):
    with pytest.raises(TypeError):
        _atomic.write_atomic(str(tmp_path / "new.log"), 12345)
    assert os.listdir(str(tmp_path)) == []


def test_a_missing_folder_is_an_error_not_a_silent_mkdir(tmp_path):
    with pytest.raises(OSError):
        _atomic.write_atomic(str(tmp_path / "no" / "such" / "file"), b"x")
    assert os.listdir(str(tmp_path)) == []


def test_a_reader_sees_the_old_content_or_the_new_never_a_mix(tmp_path):
    target = tmp_path / "manifest.sha256"
    target.write_bytes(OLD)
    seen = set()
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            with open(str(target), "rb") as handle:
                seen.add(hashlib.sha256(handle.read()).hexdigest())

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for number in range(200):
            _atomic.write_atomic(str(target), NEW if number % 2 == 0 else OLD)
    finally:
        stop.set()
        thread.join()
    assert seen, "the reader read something"
    assert seen <= {hashlib.sha256(OLD).hexdigest(), hashlib.sha256(NEW).hexdigest()}
    assert leftovers(tmp_path) == []


def test_write_text_atomic_writes_utf8(tmp_path):
    target = tmp_path / "notes.md"
    _atomic.write_text_atomic(str(target), u"## 배포 준비\n")
    assert target.read_bytes() == u"## 배포 준비\n".encode("utf-8")


# --- read_bytes, read_text ---------------------------------------------------------------------------------


def test_read_bytes_returns_the_bytes_or_none_when_missing(tmp_path):
    target = tmp_path / "data.bin"
    target.write_bytes(b"\x00\xff\r\n")
    assert _atomic.read_bytes(str(target)) == b"\x00\xff\r\n"
    assert _atomic.read_bytes(str(tmp_path / "missing.bin")) is None


def test_read_bytes_does_not_hide_other_errors(tmp_path):
    with pytest.raises(OSError):
        _atomic.read_bytes(str(tmp_path))


def test_read_text_keeps_a_byte_order_mark_and_falls_back_to_the_default(tmp_path):
    target = tmp_path / "bom.md"
    target.write_bytes(u"\ufeff# 제목\r\n".encode("utf-8"))
    assert _atomic.read_text(str(target)) == u"\ufeff# 제목\r\n"
    assert _atomic.read_text(str(tmp_path / "missing.md"), default="") == ""
    with pytest.raises(OSError):
        _atomic.read_text(str(tmp_path / "missing.md"))


# --- verified_copy -----------------------------------------------------------------------------------------


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "src" / "RoutingMLInstaller_1.4.0.exe"
    path.parent.mkdir()
    path.write_bytes(NEW)
    return path


def test_verified_copy_yields_a_checked_copy_beside_the_target(source, tmp_path, umask_022):
    target = tmp_path / "dest" / "sub" / "RoutingMLInstaller_1.4.0.exe"
    with _atomic.verified_copy(str(source), str(target), hashlib.sha256(NEW).hexdigest()) as tmp:
        assert os.path.dirname(tmp) == str(target.parent), "beside the target, so the rename is atomic"
        assert open(tmp, "rb").read() == NEW
        assert mode_of(tmp) == 0o644
        assert not target.exists(), "the caller moves it into place"
        os.replace(tmp, str(target))
    assert target.read_bytes() == NEW
    assert os.listdir(str(target.parent)) == [target.name]


def test_verified_copy_removes_the_copy_the_caller_did_not_move(source, tmp_path):
    target = tmp_path / "dest" / "installer.exe"
    target.parent.mkdir()
    target.write_bytes(OLD)
    with _atomic.verified_copy(str(source), str(target), hashlib.sha256(NEW).hexdigest()) as tmp:
        assert os.path.exists(tmp)
    assert not os.path.exists(tmp)
    assert target.read_bytes() == OLD
    assert os.listdir(str(target.parent)) == ["installer.exe"]


def test_verified_copy_removes_the_copy_when_the_caller_fails(source, tmp_path):
    target = tmp_path / "dest" / "installer.exe"
    with pytest.raises(RuntimeError):
        with _atomic.verified_copy(str(source), str(target), hashlib.sha256(NEW).hexdigest()):
            raise RuntimeError("the caller's own check failed")
    assert os.listdir(str(target.parent)) == []


def test_verified_copy_refuses_a_digest_mismatch_and_leaves_no_partial_file(source, tmp_path):
    target = tmp_path / "dest" / "installer.exe"
    target.parent.mkdir()
    target.write_bytes(OLD)
    wrong = "0" * 64
    entered = []
    with pytest.raises(ValidationError) as exc:
        with _atomic.verified_copy(str(source), str(target), wrong):
            entered.append(True)
    message = str(exc.value)
    assert str(source) in message and wrong in message and hashlib.sha256(NEW).hexdigest() in message
    assert "changed while it was copied" in message
    assert entered == [], "the block never runs with a copy that does not match"
    assert target.read_bytes() == OLD, "the target is untouched"
    assert os.listdir(str(target.parent)) == ["installer.exe"], "no temporary copy is left behind"


def test_verified_copy_names_the_source_in_the_callers_words(source, tmp_path):
    with pytest.raises(ValidationError) as exc:
        with _atomic.verified_copy(str(source), str(tmp_path / "dest" / "x"), "1" * 64,
                                   changed="evidence %s is not what was approved"):
            pass
    assert str(exc.value).startswith("evidence %s is not what was approved: SHA256 mismatch" % source)


def test_verified_copy_of_a_missing_source_leaves_nothing(tmp_path):
    (tmp_path / "dest").mkdir()
    with pytest.raises(OSError):
        with _atomic.verified_copy(str(tmp_path / "missing.exe"), str(tmp_path / "dest" / "x.exe"), "1" * 64):
            pass
    assert os.listdir(str(tmp_path / "dest")) == []


# --- exclusive_lock ----------------------------------------------------------------------------------------


def test_exclusive_lock_makes_a_second_holder_wait(tmp_path):
    lock = str(tmp_path / ".lock")
    inside = threading.Event()

    def second():
        with _atomic.exclusive_lock(lock):
            inside.set()

    with _atomic.exclusive_lock(lock):
        thread = threading.Thread(target=second)
        thread.start()
        assert not inside.wait(0.3), "the second holder got in while the first held the lock"
    assert inside.wait(10), "the second holder got in once the first let go"
    thread.join()
    assert os.path.isfile(lock)


def test_read_text_refuses_a_file_that_is_not_utf8_naming_it(tmp_path):
    path = tmp_path / "release_notes_2025-09-29.md"
    path.write_bytes("# 릴리즈 노트\n".encode("euc-kr"))
    with pytest.raises(ValidationError) as exc:
        _atomic.read_text(str(path))
    assert str(path) in str(exc.value) and "is not UTF-8 text" in str(exc.value)

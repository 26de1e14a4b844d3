# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import subprocess

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checksum
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

HEX = hashlib.sha256(b"routing").hexdigest()


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 3 * 4096 + 17])
def test_sha256_file_streams_across_buffer_boundaries(tmp_path, size):
    data = os.urandom(size)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert _checksum.sha256_file(str(path), read_size=4096) == (hashlib.sha256(data).hexdigest(), size)


@pytest.mark.parametrize("value", [HEX, HEX.upper(), "sha256:" + HEX, "SHA256:" + HEX.upper(), "  %s\n" % HEX])
def test_parse_digest_accepts_prefixed_bare_and_any_case(value):
    assert _checksum.parse_digest(value) == HEX


@pytest.mark.parametrize("value", ["", HEX[:-1], HEX + "0", "md5:" + HEX, "sha256:" + "g" * 64, None, 5])
def test_parse_digest_rejects_and_names_the_value(value):
    with pytest.raises(ValidationError) as exc:
        _checksum.parse_digest(value)
    assert repr(value) in str(exc.value)


def test_sidecar_is_what_sha256sum_checks(tmp_path):
    (tmp_path / "RoutingMLInstaller_1.0.exe").write_bytes(b"installer")
    digest, dummy = _checksum.sha256_file(str(tmp_path / "RoutingMLInstaller_1.0.exe"))
    (tmp_path / "RoutingMLInstaller_1.0.exe.sha256").write_text(
        _checksum.format_sidecar(digest, "RoutingMLInstaller_1.0.exe"))
    check = subprocess.run(["sha256sum", "-c", "RoutingMLInstaller_1.0.exe.sha256"], cwd=str(tmp_path),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    assert check.returncode == 0, check.stdout
    assert _checksum.format_sidecar(digest.upper(), "x.exe") == "%s  x.exe\n" % digest


@pytest.mark.parametrize("text", [
    "%s  app.zip\n" % HEX,
    "%s *app.zip\n" % HEX.upper(),
    "\ufeff%s  app.zip\r\n" % HEX,
    "%s  other.zip\n%s  app.zip\n" % ("0" * 64, HEX),
])
def test_sidecar_readers_accept_common_forms(text):
    assert _checksum.sidecar_digest_for(text, "app.zip") == HEX


def test_sidecar_for_another_file_is_refused():
    with pytest.raises(ValidationError) as exc:
        _checksum.sidecar_digest_for("%s  other.zip\n" % HEX, "app.zip")
    assert "'app.zip'" in str(exc.value) and "'other.zip'" in str(exc.value)


@pytest.mark.parametrize("text", ["", "not a digest\n", "%s\n" % HEX, "%sapp.zip\n" % HEX])
def test_malformed_sidecar_is_refused(text):
    with pytest.raises(ValidationError):
        _checksum.sidecar_digest_for(text, "app.zip")


def test_sidecar_written_by_windows_powershell_in_utf16_is_read(tmp_path):
    path = tmp_path / "app.zip.sha256"
    path.write_bytes(("%s  app.zip\r\n" % HEX.upper()).encode("utf-16"))
    assert _checksum.read_sidecar_digest(str(path), "app.zip") == HEX


@pytest.mark.parametrize("name", ["a/b.zip", "a\\b.zip", "a\nb"])
def test_sidecar_name_must_be_plain(name):
    with pytest.raises(ValidationError):
        _checksum.format_sidecar(HEX, name)


class FailingReader(object):
    """A file whose second read fails, as a disk or share error would."""

    def __init__(self):
        self.reads = 0

    def readinto(self, buf):
        self.reads += 1
        if self.reads > 1:
            raise OSError(5, "Input/output error")
        buf[:4] = b"abcd"
        return 4


def test_overlapped_reader_errors_reach_the_caller():
    with pytest.raises(OSError) as exc:
        _checksum._sha256_overlapped(FailingReader(), 16)
    assert exc.value.errno == 5


def test_serial_and_overlapped_paths_agree(tmp_path):
    data = os.urandom(10 * 4096 + 3)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    with open(str(path), "rb", buffering=0) as handle:
        serial = _checksum._sha256_serial(handle, 4096)
    with open(str(path), "rb", buffering=0) as handle:
        overlapped = _checksum._sha256_overlapped(handle, 4096, depth=2)
    assert serial == overlapped == (hashlib.sha256(data).hexdigest(), len(data))


GET_FILEHASH_TABLE = (
    "\r\nAlgorithm       Hash                                                                   Path\r\n"
    "---------       ----                                                                   ----\r\n"
    "SHA256          %s       C:\\build\\windows\\RoutingMLInstaller_1.4.0.exe\r\n\r\n\r\n")
GET_FILEHASH_LIST = "\r\nAlgorithm : SHA256\r\nHash      : %s\r\nPath      : C:\\build\\RoutingMLInstaller_1.4.0.exe\r\n\r\n"


@pytest.mark.parametrize("template", [GET_FILEHASH_TABLE, GET_FILEHASH_LIST])
@pytest.mark.parametrize("encoding", ["utf-16", "utf-8"])
def test_get_filehash_output_saved_as_it_prints_is_read(tmp_path, template, encoding):
    digest = "AB" * 32
    sidecar = tmp_path / "RoutingMLInstaller_1.4.0.exe.sha256"
    sidecar.write_bytes((template % digest).encode(encoding))
    assert _checksum.read_sidecar_digest(str(sidecar), "RoutingMLInstaller_1.4.0.exe") == digest.lower()


def test_get_filehash_with_another_algorithm_is_refused():
    with pytest.raises(ValidationError, match="algorithm MD5, not SHA256"):
        _checksum.sidecar_digest_for(GET_FILEHASH_LIST.replace("SHA256", "MD5") % ("ab" * 32), "RoutingMLInstaller_1.4.0.exe")


def test_a_truncated_get_filehash_path_names_what_it_lists():
    text = GET_FILEHASH_TABLE.replace("RoutingMLInstaller_1.4.0.exe", "RoutingMLInstal...") % ("ab" * 32)
    with pytest.raises(ValidationError, match="has no digest for 'RoutingMLInstaller_1.4.0.exe'.*RoutingMLInstal..."):
        _checksum.sidecar_digest_for(text, "RoutingMLInstaller_1.4.0.exe")

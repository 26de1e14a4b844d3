# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import codecs

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _text, _winpath
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


@pytest.mark.parametrize("parts, path", [
    (("\\\\share\\routing_ml", "releases/1.4.0", "x.exe"), "\\\\share\\routing_ml\\releases\\1.4.0\\x.exe"),
    (("\\\\share\\routing_ml\\", "\\backup\\", "1.3.2"), "\\\\share\\routing_ml\\backup\\1.3.2"),
    (("C:\\RoutingML\\\\", "installer"), "C:\\RoutingML\\installer"),
    (("D:\\Program Files\\라우팅 ML", "current"), "D:\\Program Files\\라우팅 ML\\current"),
    (("//share/routing_ml",), "\\\\share\\routing_ml"),
])
def test_win_path_has_one_backslash_between_parts(parts, path):
    assert _winpath.win_path(*parts) == path


@pytest.mark.parametrize("parts", [("C:\\x", ""), ("C:\\x", ".."), ("C:\\x", None), ("\\\\share\\a\\..\\b",)])
def test_win_path_refuses(parts):
    with pytest.raises(ValidationError):
        _winpath.win_path(*parts)


@pytest.mark.parametrize("path, url", [
    ("\\\\share\\routing_ml\\releases\\1.4.0\\RoutingMLInstaller_1.4.0.exe",
     "file://share/routing_ml/releases/1.4.0/RoutingMLInstaller_1.4.0.exe"),
    ("\\\\files.corp.example\\routing ml\\릴리스\\a#b%.exe",
     "file://files.corp.example/routing%20ml/%EB%A6%B4%EB%A6%AC%EC%8A%A4/a%23b%25.exe"),
    ("C:\\RoutingML\\in\\x.exe", "file:///C:/RoutingML/in/x.exe"),
])
def test_file_url(path, url):
    assert _winpath.file_url(path) == url


@pytest.mark.parametrize("path", ["\\\\share", "relative\\path", "\\\\bad host\\share\\x"])
def test_file_url_refuses(path):
    with pytest.raises(ValidationError):
        _winpath.file_url(path)


@pytest.mark.parametrize("data", [
    b"1.4.0\r\n", codecs.BOM_UTF8 + b"1.4.0\n", codecs.BOM_UTF16_LE + "1.4.0\r\n".encode("utf-16-le"),
    codecs.BOM_UTF16_BE + "1.4.0".encode("utf-16-be"),
])
def test_version_files_in_every_windows_encoding(data):
    assert _text.b64decode_text(base64.b64encode(data).decode()) == "1.4.0"


def test_undecodable_text_is_refused():
    with pytest.raises(ValidationError, match="neither UTF-8 nor UTF-16"):
        _text.b64decode_text(base64.b64encode(b"\x80\x81 1.4.0").decode())
    with pytest.raises(ValidationError, match="not base64"):
        _text.b64decode_text("not base64!")

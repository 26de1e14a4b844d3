# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small text files written on Windows: a VERSION file may carry a BOM or be UTF-16."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import codecs

from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def decode_text(data, source="file content"):
    """Text of ``data`` by its byte order mark: UTF-16 with one, otherwise UTF-8 (a UTF-8
    BOM dropped). What Windows editors and PowerShell 5 write, and what Linux tools write."""
    codec = "utf-16" if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        raise ValidationError("%s is neither UTF-8 nor UTF-16 with a byte order mark: %r" % (source, data[:32]))


def b64decode_text(content):
    """``decode_text`` of base64 ``content`` (what slurp returns), stripped of white space."""
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise ValidationError("content is not base64: %s" % exc)
    return decode_text(data).strip()

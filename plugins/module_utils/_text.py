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

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_text(data):
    """Text of ``data`` by its byte order mark (UTF-8 without one), stripped of white space."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec).strip()
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValidationError("file content is neither UTF-8 nor UTF-16 with a byte order mark: %r" % (data[:32],))


def b64decode_text(content):
    """``decode_text`` of base64 ``content`` (what slurp returns)."""
    try:
        return decode_text(base64.b64decode(content, validate=True))
    except (binascii.Error, TypeError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError("content is not base64: %s" % exc)

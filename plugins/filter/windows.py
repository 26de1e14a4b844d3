# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over module_utils._winpath and _text: Windows paths, file URLs, text files."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.routing_ml.deploy.plugins.module_utils import _text, _winpath
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def _wrap(name, function):
    def call(*args):
        try:
            return function(*args)
        except ValidationError as exc:
            raise AnsibleFilterError("%s: %s" % (name, to_native(exc)))
    return call


class FilterModule(object):
    def filters(self):
        return {
            "win_path": _wrap("win_path", _winpath.win_path),
            "file_url": _wrap("file_url", _winpath.file_url),
            "b64decode_text": _wrap("b64decode_text", _text.b64decode_text),
            "is_unc": _winpath.is_unc,
        }

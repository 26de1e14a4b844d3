# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows paths and file URLs, built in Python rather than in Jinja.

ansible-core 2.19 does not unescape backslashes inside ``{{ }}`` the way plain Jinja
does, so path arithmetic with ``replace('\\\\', ...)`` in a template means different
things on different versions. These helpers are what the Windows task files call instead.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.six.moves.urllib.parse import quote

from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

_SEPARATORS = re.compile(r"[\\/]+")


def win_path(*parts):
    """Join path parts with exactly one backslash between them, keeping a UNC ``\\\\`` start
    and a drive's ``C:\\``: ``win_path('\\\\share\\rml\\', 'backup/1.3.2')``."""
    pieces = []
    unc = False
    for index, part in enumerate(parts):
        if not isinstance(part, str) or not part:
            raise ValidationError("path part %d %r must be a non-empty string" % (index + 1, part))
        if index == 0:
            unc = is_unc(part)
        pieces += [p for p in _SEPARATORS.split(part) if p]
    if any(p in (".", "..") for p in pieces):
        raise ValidationError("path %r must not contain '.' or '..'" % ("\\".join(parts),))
    joined = "\\".join(pieces)
    return "\\\\" + joined if unc else joined


def file_url(path):
    """A ``file:`` URL for a UNC or drive path, percent-encoded, as .NET's ``[Uri]`` (and so
    ``win_get_url``) reads it: ``\\\\share\\rml\\x.exe`` -> ``file://share/rml/x.exe``."""
    normal = win_path(path)
    if normal.startswith("\\\\"):
        host, dummy, rest = normal[2:].partition("\\")
        if not rest:
            raise ValidationError("UNC path %r names no share" % (path,))
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9.-]*$", host):
            raise ValidationError("UNC path %r: server %r is not a DNS or NetBIOS name" % (path, host))
        return "file://%s/%s" % (host, quote(rest.replace("\\", "/")))
    if re.match(r"^[A-Za-z]:", normal):
        return "file:///%s" % quote(normal.replace("\\", "/"), safe="/:")
    raise ValidationError("path %r is neither a UNC path nor a drive path" % (path,))


def is_unc(path):
    """Whether ``path`` names a file on another server (``\\\\server\\share\\...``)."""
    return isinstance(path, str) and path.startswith(("\\\\", "//"))

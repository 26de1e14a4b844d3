# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reproducible zip files: the same members give the same bytes, and so the same SHA256.

Members are written in name order with a fixed timestamp (1980-01-01, the earliest a zip
entry can carry), mode 0644 and deflate; the zip is built beside its target and renamed in.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import io
import os
import shutil
import tempfile
import zipfile

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checksum

ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def write_reproducible(members, zip_path, dry_run=False):
    """Write ``members`` (``{archive name: source path or bytes}``) to ``zip_path``.

    Returns ``(sha256, changed)``. An identical existing zip is left alone; with ``dry_run``
    the zip is built aside, compared and discarded.
    """
    directory = os.path.dirname(os.path.abspath(zip_path))
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(zip_path), suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        _write(tmp, members)
        digest = _checksum.sha256_file(tmp)[0]
        same = os.path.isfile(zip_path) and _checksum.sha256_file(zip_path)[0] == digest
        if same or dry_run:
            os.unlink(tmp)
            return digest, not same
        os.chmod(tmp, 0o644)
        os.replace(tmp, zip_path)
        return digest, True
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _write(target, members):
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            info.compress_type = zipfile.ZIP_DEFLATED
            source = members[name]
            if isinstance(source, bytes):
                archive.writestr(info, source)
                continue
            with open(source, "rb") as src, archive.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, _checksum.READ_SIZE)


def reproducible_sha256(members):
    """The SHA256 ``write_reproducible`` gives ``members``, built in memory: what a verifier
    compares a zip with where it may write nothing (the share's copy of the records)."""
    buffer = io.BytesIO()
    _write(buffer, members)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def folder_members(folder, prefix):
    """``{prefix/relative path: path}`` for every file under ``folder``."""
    members = {}
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in names:
            path = os.path.join(root, name)
            members["%s/%s" % (prefix, os.path.relpath(path, folder).replace(os.sep, "/"))] = path
    return members

# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whole-file writes that never leave a half-written file behind.

A temporary file in the target's directory, flushed to disk, then ``os.replace``: a reader
sees the old content or the new, never a mix, and a crash leaves at most a stray temp file.
Written by hand because ``AnsibleModule.atomic_move`` needs a module object and this layer
is shared with action plugins and unit tests.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager

from ansible_collections.routing_ml.deploy.plugins.module_utils import _checksum
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError


def write_atomic(path, data, mode=None):
    """Replace ``path`` with ``data`` (bytes). Keeps an existing file's mode unless given."""
    directory = os.path.dirname(os.path.abspath(path))
    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)


def write_text_atomic(path, text, mode=None):
    write_atomic(path, text.encode("utf-8"), mode)


def read_bytes(path):
    """The file's bytes, or None when there is no such file."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise


@contextmanager
def verified_copy(source, target, expected, changed="%s changed while it was copied"):
    """A copy of ``source`` in a temporary file beside ``target`` (fsynced, mode 0644), its
    SHA256 checked against ``expected``; yields the temporary path for the caller to move into
    place, and removes it if the caller did not."""
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        os.makedirs(directory)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(target), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, _checksum.READ_SIZE)
            out.flush()
            os.fsync(out.fileno())
        actual = _checksum.sha256_file(tmp)[0]
        if actual != expected:
            raise ValidationError("%s: %s" % (changed % source, _checksum.describe_mismatch(source, expected, actual)))
        os.chmod(tmp, 0o644)
        yield tmp
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_text(path, default=None):
    """File content as text (a byte order mark kept), or ``default`` when it does not exist."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT and default is not None:
            return default
        raise
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A codec's traceback names neither the file nor what to do about it.
        raise ValidationError("%s is not UTF-8 text (byte 0x%02x at offset %d): save it as UTF-8" % (
            path, data[exc.start], exc.start))


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def exclusive_lock(lock_path):
    """Hold an exclusive ``flock`` on ``lock_path`` (created if missing) for the block."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

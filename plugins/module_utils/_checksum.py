# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SHA256 of files and the ``.sha256`` sidecar format.

Sidecar: ``<64 lowercase hex>  <file name>\\n``, what ``sha256sum -c`` reads. Readers also
take upper-case hex (``Get-FileHash`` prints it) and the binary-mode ``*name`` form.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import queue
import re
import threading

from ansible_collections.routing_ml.deploy.plugins.module_utils import _text
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

SIDECAR_SUFFIX = ".sha256"
# Large reads keep the Python loop out of the profile (hashing runs at OpenSSL's speed);
# 2 MiB measured best with the overlapped reader on these machines (bench/hashing.py).
READ_SIZE = 2 * 1024 * 1024

_HEX_RE = re.compile(r"[0-9A-Fa-f]{64}")
_SIDECAR_LINE_RE = re.compile(r"([0-9A-Fa-f]{64}) [ *](.+)")


def sha256_file(path, read_size=READ_SIZE):
    """Return ``(hexdigest, size)`` of a file, streamed through reused buffers."""
    with open(path, "rb", buffering=0) as handle:
        if os.fstat(handle.fileno()).st_size <= 2 * read_size:
            return _sha256_serial(handle, read_size)
        return _sha256_overlapped(handle, read_size)


def sha256_handle(handle, read_size=READ_SIZE):
    """``(hexdigest, size)`` of what an open binary file object (a zip member too) holds from
    where it stands to its end."""
    return _sha256_serial(handle, read_size)


def _sha256_serial(handle, read_size):
    digest = hashlib.sha256()
    buf = bytearray(read_size)
    view = memoryview(buf)
    size = 0
    while True:
        count = handle.readinto(buf)
        if not count:
            return digest.hexdigest(), size
        digest.update(view[:count])
        size += count


def _sha256_overlapped(handle, read_size, depth=3):
    """Read the next buffers in a thread while this one hashes the last.

    Both ``readinto`` and ``hashlib`` release the GIL on large buffers, so copying from the
    page cache overlaps hashing instead of adding to it (a fifth less time on a 1 GiB file).
    """
    free = queue.Queue()
    full = queue.Queue()
    for dummy in range(depth):
        free.put(bytearray(read_size))

    def reader():
        try:
            while True:
                buf = free.get()
                if buf is None:
                    return
                count = handle.readinto(buf)
                full.put((buf, count))
                if not count:
                    return
        except BaseException as exc:  # pylint: disable=broad-except
            full.put((exc, 0))

    thread = threading.Thread(target=reader, name="sha256-reader")
    thread.daemon = True
    thread.start()
    digest = hashlib.sha256()
    size = 0
    try:
        while True:
            buf, count = full.get()
            if isinstance(buf, BaseException):
                raise buf
            if not count:
                return digest.hexdigest(), size
            digest.update(memoryview(buf)[:count])
            size += count
            free.put(buf)
    finally:
        free.put(None)
        thread.join()


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def parse_digest(value, what="expected digest"):
    """Accept ``sha256:<hex>`` or bare hex in any case; return lowercase hex."""
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, str) and text.lower().startswith("sha256:"):
        text = text[len("sha256:"):]
    if not isinstance(text, str) or not _HEX_RE.fullmatch(text):
        raise ValidationError(
            "%s %r is not a SHA256 digest: expected 64 hex characters, optionally prefixed "
            "with 'sha256:'" % (what, value))
    return text.lower()


def format_sidecar(hexdigest, name):
    if "\n" in name or "/" in name or "\\" in name:
        raise ValidationError("sidecar file name %r must be a plain file name" % (name,))
    return "%s  %s\n" % (parse_digest(hexdigest), name)


_TABLE_HEADER_RE = re.compile(r"\s*Algorithm\s+Hash\s+Path\s*")
_TABLE_ROW_RE = re.compile(r"\s*(\S+)\s+([0-9A-Fa-f]{64})\s+(.+?)\s*")
_LIST_FIELD_RE = re.compile(r"\s*(Algorithm|Hash|Path)\s*:\s*(.*?)\s*")


def _get_filehash_entries(lines, source):
    """What ``Get-FileHash X | Out-File X.sha256`` writes (a table, or ``Format-List``'s
    fields), as ``[(hexdigest, file name)]``; None when the text is neither."""
    if any(_TABLE_HEADER_RE.fullmatch(line) for line in lines):
        rows = [_TABLE_ROW_RE.fullmatch(line) for line in lines
                if line.strip() and not _TABLE_HEADER_RE.fullmatch(line) and set(line.strip()) - set("- ")]
        found = [(m.group(1), m.group(2), m.group(3)) for m in rows if m]
        if len(found) != len(rows):
            raise ValidationError("%s is a Get-FileHash table with a row that is not 'SHA256 <hex> <path>'" % source)
    elif any(_LIST_FIELD_RE.fullmatch(line) for line in lines):
        found, record = [], {}
        for line in lines + [""]:
            match = _LIST_FIELD_RE.fullmatch(line)
            if match:
                record[match.group(1)] = match.group(2)
            elif not line.strip() and record:
                if set(record) != {"Algorithm", "Hash", "Path"} or not _HEX_RE.fullmatch(record["Hash"]):
                    raise ValidationError("%s is Get-FileHash list output without Algorithm, Hash and Path" % source)
                found.append((record["Algorithm"], record["Hash"], record["Path"]))
                record = {}
    else:
        return None
    for algorithm, dummy, dummy2 in found:
        if algorithm.upper() != "SHA256":
            raise ValidationError("%s was written by Get-FileHash with algorithm %s, not SHA256" % (source, algorithm))
    return [(hexdigest.lower(), file_name(path, windows=True)) for dummy, hexdigest, path in found]


def parse_sidecar(text, source="sidecar"):
    """Return ``[(hexdigest, name), ...]`` from sidecar text; every non-blank line must parse.
    ``Get-FileHash`` output saved as it prints (table or list) is read too."""
    lines = [line.strip("\ufeff").rstrip() for line in text.splitlines()]
    table = _get_filehash_entries(lines, source)
    if table:
        return table
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip("\ufeff").rstrip()
        if not line:
            continue
        match = _SIDECAR_LINE_RE.fullmatch(line)
        if not match:
            raise ValidationError(
                "%s line %d %r is not '<sha256 hex>  <file name>'" % (source, number, line))
        entries.append((match.group(1).lower(), match.group(2)))
    if not entries:
        raise ValidationError("%s holds no digest" % (source,))
    return entries


def sidecar_digest_for(text, name, source="sidecar"):
    """The digest a sidecar records for ``name``; a one-line sidecar must name that file."""
    entries = parse_sidecar(text, source)
    for hexdigest, entry_name in entries:
        if entry_name == name:
            return hexdigest
    raise ValidationError(
        "%s has no digest for %r (it lists %s)" % (
            source, name, ", ".join(repr(n) for dummy, n in entries)))


def read_sidecar_digest(sidecar_path, name):
    with open(sidecar_path, "rb") as handle:
        raw = handle.read(1024 * 1024)
    # Windows PowerShell 5 writes UTF-16 with a byte order mark by default.
    text = _text.decode_text(raw, "sidecar %s" % sidecar_path)
    return sidecar_digest_for(text, name, source="sidecar %s" % sidecar_path)


def sidecar_path_for(path):
    return path + SIDECAR_SUFFIX


def describe_mismatch(path, expected, actual):
    return "SHA256 mismatch for %s: expected %s, actual %s" % (path, expected, actual)


def file_name(path, windows=False):
    """The last component of ``path``; Windows paths also split on backslashes."""
    if windows:
        path = path.replace("\\", "/")
    return os.path.basename(path.rstrip("/"))

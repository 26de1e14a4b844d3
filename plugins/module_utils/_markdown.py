# -*- coding: utf-8 -*-
# Copyright: Routing ML release engineering
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small, surgical edits of the SOP's Markdown documents.

Sections are ATX headings (``#`` to ``######``), matched by title case-insensitively, in
any script (``## 배포 준비`` works). A section runs to the next heading of the same or a
higher level; fenced code blocks are not read as headings. Edits change only the lines
they own and keep the file's line endings and byte order mark.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.routing_ml.deploy.plugins.module_utils import _atomic
from ansible_collections.routing_ml.deploy.plugins.module_utils._validation import ValidationError

_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CHECKBOX_RE = re.compile(r"^(\s*[-*+]\s+\[)([ xX])(\]\s+)(.*?)\s*$")
_TABLE_RE = re.compile(r"^\s*\|")
_TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
BOM = "\ufeff"


# A value a person typed (a reason, a note, a name) is text in the document, never markup: no
# raw HTML (<script>, <img onerror=...>), no link or image ([x](javascript:...), <javascript:...>),
# no code span that swallows the rest of the line. '&' first, so the entities stay entities.
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\\", "\\\\"), ("`", "\\`"),
            ("[", "\\["), ("]", "\\]"))


def escape(text):
    """``text`` as Markdown that renders it as itself (HTML and link syntax made inert)."""
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text


class Document(object):
    """A Markdown text as lines, remembering its newline style and byte order mark."""

    def __init__(self, text, source="document"):
        self.source = source
        self.bom = text.startswith(BOM)
        if self.bom:
            text = text[1:]
        self.newline = "\r\n" if "\r\n" in text.split("\n", 1)[0] + "\n" else "\n"
        empty = not text
        self.final_newline = text.endswith("\n") or empty
        if text.endswith("\n"):
            text = text[:-1]
        # str.splitlines() would also split on form feeds and U+2028: only newlines count.
        self.lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")] if not empty else []

    def text(self):
        body = self.newline.join(self.lines)
        if self.final_newline and self.lines:
            body += self.newline
        return (BOM if self.bom else "") + body

    def headings(self):
        """``[(index, level, title)]`` outside fenced code blocks."""
        found = []
        fence = None
        for index, line in enumerate(self.lines):
            fence_match = _FENCE_RE.match(line)
            if fence_match:
                marker = fence_match.group(1)
                if fence is None:
                    fence = marker[0] * len(marker)
                elif marker.startswith(fence):
                    fence = None
                continue
            if fence is not None:
                continue
            match = _HEADING_RE.match(line)
            if match:
                found.append((index, len(match.group(1)), match.group(2).strip()))
        return found

    def section(self, title):
        """``(heading_index, level, end_index)`` of the section named ``title`` or None.

        An exact title wins; otherwise the first heading that starts with the title
        followed by a non-word character ("Phase 5" finds "Phase 5 - 배포 및 승인").
        """
        wanted = _normalise(title)
        all_headings = self.headings()
        chosen = None
        for position, (index, level, heading) in enumerate(all_headings):
            if _normalise(heading) == wanted:
                chosen = position
                break
        if chosen is None:
            for position, (index, level, heading) in enumerate(all_headings):
                name = _normalise(heading)
                if name.startswith(wanted) and not name[len(wanted)].isalnum():
                    chosen = position
                    break
        if chosen is None:
            return None
        index, level, heading = all_headings[chosen]
        end = len(self.lines)
        for other_index, other_level, dummy in all_headings[chosen + 1:]:
            if other_level <= level:
                end = other_index
                break
        return index, level, end

    def require_section(self, title):
        found = self.section(title)
        if found is None:
            raise ValidationError("section %r not found in %s (headings: %s)" % (
                title, self.source, ", ".join(repr(h[2]) for h in self.headings()) or "none"))
        return found

    def ensure_section(self, title, level=2):
        """The section, appended at the end of the document when it is missing."""
        found = self.section(title)
        if found is not None:
            return found
        if self.lines and self.lines[-1].strip():
            self.lines.append("")
        self.lines.append("#" * level + " " + title)
        self.final_newline = True
        return len(self.lines) - 1, level, len(self.lines)

    def checklist(self, title):
        """Checkbox items of a section (its subsections included)."""
        start, dummy, end = self.require_section(title)
        items = []
        for index in range(start + 1, end):
            match = _CHECKBOX_RE.match(self.lines[index])
            if match:
                items.append({
                    "checked": match.group(2) in "xX",
                    "text": match.group(4),
                    "line": index + 1,
                })
        return items

    def upsert_line(self, title, matches, new_line, level=2):
        """Replace the first line of the section for which ``matches(line)`` holds, or add
        ``new_line`` after the section's last non-blank line. Returns True when changed."""
        start, dummy, end = self.ensure_section(title, level)
        for index in range(start + 1, end):
            if matches(self.lines[index]):
                if self.lines[index] == new_line:
                    return False
                self.lines[index] = new_line
                return True
        self.lines.insert(self._insert_point(start, end), new_line)
        return True

    def set_checkbox(self, title, label, new_text, level=2):
        """Check the item whose text starts with ``label`` and give it ``new_text``;
        add the item when the section has none. Returns True when changed."""
        indent_marker = "- ["

        def matches(line):
            match = _CHECKBOX_RE.match(line)
            return bool(match) and _normalise(match.group(4)).startswith(_normalise(label))

        start, dummy, end = self.ensure_section(title, level)
        for index in range(start + 1, end):
            match = _CHECKBOX_RE.match(self.lines[index])
            if match and matches(self.lines[index]):
                indent_marker = match.group(1)
                break
        return self.upsert_line(title, matches, "%sx%s%s" % (indent_marker, "] ", new_text), level)

    def upsert_table_rows(self, title, header, rows, level=2):
        """Keep a table in the section whose rows are keyed by their first cell.

        ``rows`` are lists of cells; a row whose key exists is replaced, others appended.
        A section without a table gets one with ``header``. Returns True when changed.
        """
        start, dummy, end = self.ensure_section(title, level)
        table_start = None
        for index in range(start + 1, end):
            if _TABLE_RE.match(self.lines[index]):
                table_start = index
                break
        if table_start is None:
            block = [_table_line(header), _table_line(["---"] * len(header))]
            block += [_table_line(row) for row in rows]
            point = self._insert_point(start, end)
            if point > start + 1 and self.lines[point - 1].strip():
                block.insert(0, "")
            self.lines[point:point] = block
            return True
        table_end = table_start
        while table_end < end and _TABLE_RE.match(self.lines[table_end]):
            table_end += 1
        changed = False
        for row in rows:
            key = row[0].strip()
            new_line = _table_line(row)
            for index in range(table_start, table_end):
                line = self.lines[index]
                if _TABLE_RULE_RE.match(line):
                    continue
                if _cells(line)[:1] == [key]:
                    if line != new_line:
                        self.lines[index] = new_line
                        changed = True
                    break
            else:
                self.lines.insert(table_end, new_line)
                table_end += 1
                changed = True
        return changed

    def _insert_point(self, start, end):
        point = end
        while point > start + 1 and not self.lines[point - 1].strip():
            point -= 1
        return point


def _normalise(title):
    return " ".join(title.replace(BOM, "").split()).casefold()


def _cells(line):
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|"):
        body = body[:-1]
    return [cell.strip() for cell in body.split("|")]


def _table_line(cells):
    for cell in cells:
        if "|" in cell or "\n" in cell:
            raise ValidationError("table cell %r must be one line without '|'" % (cell,))
    return "| " + " | ".join(cells) + " |"


def checklist_summary(items):
    return {
        "items": items,
        "checked": [i["text"] for i in items if i["checked"]],
        "unchecked": [i["text"] for i in items if not i["checked"]],
        "all_checked": bool(items) and all(i["checked"] for i in items),
    }


def edit_file(path, edit, check_mode=False):
    """Apply ``edit(document)`` to the Markdown file at ``path`` and write it back atomically
    (not in check mode). Returns ``(result of edit, diff or None)``; the diff is the module
    ``diff`` entry, present only when the text changed."""
    before = _atomic.read_text(path)
    doc = Document(before, path)
    outcome = edit(doc)
    after = doc.text()
    if after == before:
        return outcome, None
    if not check_mode:
        _atomic.write_text_atomic(path, after)
    return outcome, dict(before_header=path, after_header=path, before=before, after=after)

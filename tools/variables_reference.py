# -*- coding: utf-8 -*-
"""Write docs/variables.md, the variables reference, from the roles' argument specs.

Every role's ``meta/argument_specs.yml`` and every entry point in it (``main`` and the
``tasks_from`` ones) gives one table: option, type, required, default, choices, description.
Roles are sorted by name, entry points keep the spec's order (``main`` first), options keep
the spec's order (a dict option's own options right after it, as ``parent.child``). The
output depends on the specs only, so it can be checked:

    python tools/variables_reference.py           # write docs/variables.md
    python tools/variables_reference.py --check   # exit 1 when docs/variables.md is not current
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import argparse
import json
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROLES_DIR = os.path.join(ROOT, "roles")
OUTPUT = os.path.join(ROOT, "docs", "variables.md")
COLLECTION = "routing_ml.deploy"
SPEC = os.path.join("meta", "argument_specs.yml")
COLUMNS = ("Option", "Type", "Required", "Default", "Choices", "Description")

# Ansible's documentation markup: C(code), O(option), V(value), I(italic), B(bold), U(url),
# M(module), E(env var), P(plugin), L(text,url), RV(return value); HORIZONTALLINE.
_MARKUP = re.compile(r"\b(?P<kind>RV|[COVIBUMEPL])\((?P<body>[^)]*)\)|HORIZONTALLINE")
_CODE_KINDS = ("C", "O", "V", "M", "E", "P", "RV")
# Characters Markdown would take as syntax in plain text (| is a cell border in a table).
_PLAIN_SPECIALS = re.compile(r"([\\`*\[\]|])")


def _escape_plain(text):
    """Plain text for a table cell: Markdown syntax characters escaped, HTML brackets as entities."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _PLAIN_SPECIALS.sub(r"\\\1", text)
    # An underscore at a word's edge could open or close emphasis; inside a word it cannot.
    return re.sub(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])", r"\\_", text)


def code(text):
    """A code span for a table cell (GFM: a | inside it is still a cell border unless escaped)."""
    text = str(text)
    if text == "":
        return '`""`'
    longest = max([len(run) for run in re.findall(r"`+", text)] or [0])
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return "%s%s%s%s%s" % (fence, pad, text.replace("|", "\\|"), pad, fence)


def _cell_text(text):
    """Spec prose (one or more lines, Ansible markup) as one Markdown table cell."""
    text = " ".join(str(text).split())
    out, last = [], 0
    for match in _MARKUP.finditer(text):
        out.append(_escape_plain(text[last:match.start()]))
        kind, body = match.group("kind"), match.group("body")
        if kind is None:
            out.append("---")
        elif kind in _CODE_KINDS:
            out.append(code(body))
        elif kind == "I":
            out.append("*%s*" % _escape_plain(body))
        elif kind == "B":
            out.append("**%s**" % _escape_plain(body))
        elif kind == "U":
            out.append("<%s>" % body.replace("|", "%7C").replace(">", "%3E"))
        else:  # L(text,url)
            label, dummy, url = body.partition(",")
            out.append("[%s](%s)" % (_escape_plain(label), url.strip().replace("|", "%7C").replace(")", "%29")))
        last = match.end()
    out.append(_escape_plain(text[last:]))
    return "".join(out).strip()


def description(value):
    """A spec description: a string or a list of strings (paragraphs), joined with spaces."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = " ".join(str(part) for part in value)
    return _cell_text(value)


def value_text(value):
    """A default or a choice as a code span: strings as written, anything else as JSON."""
    if isinstance(value, str):
        return code(value)
    return code(json.dumps(value, ensure_ascii=False, sort_keys=True))


def type_text(option):
    """The option's type (Ansible's default, str, when the spec names none), with its elements."""
    kind = option.get("type", "str")
    if option.get("elements"):
        return "%s of %s" % (kind, option["elements"])
    return str(kind)


def option_row(name, option):
    option = option or {}
    choices = option.get("choices")
    return (
        code(name),
        _escape_plain(type_text(option)),
        "yes" if option.get("required") else "no",
        value_text(option["default"]) if "default" in option else "",
        ", ".join(value_text(choice) for choice in choices) if choices else "",
        description(option.get("description")),
    )


def option_rows(options, parent=""):
    """Rows for the options in spec order; a dict option's own options follow it as ``parent.child``."""
    rows = []
    for name, option in options.items():
        option = option or {}
        rows.append(option_row(parent + name, option))
        nested = option.get("options") or option.get("suboptions")
        if nested:
            rows += option_rows(nested, parent + name + ".")
    return rows


def table(rows):
    lines = ["| %s |" % " | ".join(COLUMNS), "|%s|" % "|".join(["---"] * len(COLUMNS))]
    for row in rows:
        lines.append("| %s |" % " | ".join(row))
    return lines


def load_specs(roles_dir):
    """``[(role, {entry point: spec})]`` for every role with an argument spec, sorted by role."""
    found = []
    for role in sorted(os.listdir(roles_dir)):
        path = os.path.join(roles_dir, role, SPEC)
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        specs = data.get("argument_specs") or {}
        if not isinstance(specs, dict):
            raise ValueError("%s: argument_specs is not a mapping" % path)
        found.append((role, specs))
    return found


def entry_points(specs):
    """The spec's entry points, main first, the others in the spec's order."""
    names = list(specs)
    if "main" in names:
        names.remove("main")
        names.insert(0, "main")
    return names


def render(roles_dir=ROLES_DIR):
    """The whole reference as a string."""
    roles = load_specs(roles_dir)
    lines = [
        "# Variables reference",
        "",
        "<!-- Generated by tools/variables_reference.py from roles/*/meta/argument_specs.yml;"
        " do not edit. Regenerate: python tools/variables_reference.py -->",
        "",
        "Every role of `%s` and every entry point it declares (`main` for the role itself, the"
        " others for `tasks_from`), with the options of its argument spec. A type without a name in"
        " the spec is Ansible's default, `str`; an empty default cell means the spec gives none."
        % COLLECTION,
        "",
    ]
    for role, specs in roles:
        lines.append("- [%s](#%s)" % (role, role))
    lines.append("")
    for role, specs in roles:
        lines += ["## %s" % role, ""]
        if not specs:
            lines += ["No entry points.", ""]
        for entry in entry_points(specs):
            spec = specs[entry] or {}
            if entry == "main":
                call = "`%s.%s`" % (COLLECTION, role)
            else:
                call = "`%s.%s` with `tasks_from: %s`" % (COLLECTION, role, entry)
            lines += ["### %s: %s" % (role, entry), ""]
            summary = description(spec.get("short_description"))
            lines.append("%s%s" % (call, (": " + summary) if summary else ""))
            lines.append("")
            options = spec.get("options") or {}
            if options:
                lines += table(option_rows(options))
            else:
                lines.append("No options.")
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def check(output=OUTPUT, roles_dir=ROLES_DIR):
    """None when ``output`` holds what render() writes; otherwise a short message naming the first difference."""
    wanted = render(roles_dir)
    try:
        with open(output, encoding="utf-8") as handle:
            current = handle.read()
    except FileNotFoundError:
        return "%s does not exist" % output
    if current == wanted:
        return None
    have, want = current.splitlines(), wanted.splitlines()
    for number, (old, new) in enumerate(zip(have, want), 1):
        if old != new:
            return "%s is not current: line %d is %r, the specs give %r" % (output, number, old[:120], new[:120])
    if len(have) != len(want):
        number = min(len(have), len(want)) + 1
        if len(have) > len(want):
            return "%s is not current: line %d (%r) and after are not in the specs" % (output, number, have[number - 1][:120])
        return "%s is not current: it ends at line %d, the specs go on with %r" % (output, number - 1, want[number - 1][:120])
    return "%s is not current: it differs in line endings or trailing whitespace" % output


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the variables reference from the roles' argument specs.")
    parser.add_argument("--check", action="store_true", help="exit 1 when the reference is not current; write nothing")
    parser.add_argument("--roles-dir", default=ROLES_DIR, help="roles folder (default: %(default)s)")
    parser.add_argument("--output", default=OUTPUT, help="the reference (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.check:
        problem = check(args.output, args.roles_dir)
        if problem:
            print("%s; run python tools/variables_reference.py" % problem, file=sys.stderr)
            return 1
        print("%s is current" % args.output)
        return 0
    text = render(args.roles_dir)
    folder = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(folder, exist_ok=True)
    tmp = args.output + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    os.replace(tmp, args.output)
    print("wrote %s" % args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

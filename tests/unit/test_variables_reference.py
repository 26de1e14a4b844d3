# -*- coding: utf-8 -*-
"""docs/variables.md is what tools/variables_reference.py makes of the argument specs, and the
generator says what the specs say."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "variables_reference.py")


def _load_tool():
    spec = importlib.util.spec_from_file_location("variables_reference", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load_tool()

SPEC = textwrap.dedent("""\
    ---
    argument_specs:
      extra:
        short_description: The extra entry point
        options:
          only_here:
            type: bool
            default: false
            description: Declared by this entry point only.
      main:
        short_description: Deploy the C(thing)
        description:
          - Not in the tables.
        options:
          zeta_first:
            description: Declared first, listed first.
            type: str
            required: true
          mode:
            description:
              - How it runs - C(fast) or C(safe),
                on two lines.
              - A second paragraph.
            type: str
            default: safe
            choices: [fast, safe, "off"]
          piped:
            description: Either a|b, or C(x | y).
            type: str
            default: "a|b"
          names:
            description: A list.
            type: list
            elements: str
            default: [one, two]
          untyped:
            description: No type given.
          server:
            description: A dict with options of its own.
            type: dict
            options:
              port:
                description: Its port.
                type: int
                required: true
      empty:
        short_description: Nothing to set
    """)


@pytest.fixture
def roles(tmp_path):
    """A roles folder: two roles with specs (named so that sorting matters) and one without."""
    folder = tmp_path / "roles"
    (folder / "zrole" / "meta").mkdir(parents=True)
    (folder / "zrole" / "meta" / "argument_specs.yml").write_text(SPEC, encoding="utf-8")
    (folder / "arole" / "meta").mkdir(parents=True)
    (folder / "arole" / "meta" / "argument_specs.yml").write_text(textwrap.dedent("""\
        argument_specs:
          main:
            short_description: The first role
            options:
              a_var:
                description: A.
                type: int
                default: 3
        """), encoding="utf-8")
    (folder / "nospec" / "tasks").mkdir(parents=True)
    return str(folder)


def _rows(text):
    return [line for line in text.splitlines() if line.startswith("| `")]


def _section(text, heading):
    lines = text.splitlines()
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
    return "\n".join(lines[start:end])


def test_docs_variables_md_is_current():
    problem = reference.check()
    assert problem is None, problem


def test_every_role_and_entry_point_of_the_collection_has_a_section():
    text = reference.render()
    for role in sorted(os.listdir(os.path.join(ROOT, "roles"))):
        path = os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as handle:
            specs = yaml.safe_load(handle)["argument_specs"]
        for entry, spec in specs.items():
            section = _section(text, "### %s: %s" % (role, entry))
            names = [row.split("`")[1] for row in _rows(section) if "." not in row.split("`")[1]]
            assert names == list((spec.get("options") or {})), (role, entry)


def test_rows_say_what_the_spec_says(roles):
    section = _section(reference.render(roles), "### zrole: main")
    assert _rows(section) == [
        "| `zeta_first` | str | yes |  |  | Declared first, listed first. |",
        "| `mode` | str | no | `safe` | `fast`, `safe`, `off` | How it runs - `fast` or `safe`, on two lines."
        " A second paragraph. |",
        "| `piped` | str | no | `a\\|b` |  | Either a\\|b, or `x \\| y`. |",
        '| `names` | list of str | no | `["one", "two"]` |  | A list. |',
        "| `untyped` | str | no |  |  | No type given. |",
        "| `server` | dict | no |  |  | A dict with options of its own. |",
        "| `server.port` | int | yes |  |  | Its port. |",
    ]
    assert "`routing_ml.deploy.zrole`: Deploy the `thing`" in section


def test_roles_sorted_main_first_and_tasks_from_entry_points(roles):
    text = reference.render(roles)
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == ["# Variables reference", "## arole", "### arole: main", "## zrole", "### zrole: main",
                        "### zrole: extra", "### zrole: empty"]
    assert "| `a_var` | int | no | `3` |  | A. |" in text
    extra = _section(text, "### zrole: extra")
    assert "`routing_ml.deploy.zrole` with `tasks_from: extra`: The extra entry point" in extra
    assert _rows(extra) == ["| `only_here` | bool | no | `false` |  | Declared by this entry point only. |"]
    assert "No options." in _section(text, "### zrole: empty")
    assert reference.render(roles) == text


def test_the_tables_render_with_one_cell_per_column(roles):
    markdown_it = pytest.importorskip("markdown_it")
    parser = markdown_it.MarkdownIt("commonmark").enable("table")
    for text in (reference.render(roles), reference.render()):
        tokens = parser.parse(text)
        cells, rows = 0, 0
        for token in tokens:
            if token.type == "tr_open":
                cells, rows = 0, rows + 1
            elif token.type in ("th_open", "td_open"):
                cells += 1
            elif token.type == "tr_close":
                assert cells == len(reference.COLUMNS)
        assert rows
    html = parser.render(reference.render(roles))
    assert "<td>Either a|b, or <code>x | y</code>.</td>" in html
    assert "<td><code>a|b</code></td>" in html


def test_check_mode_names_the_first_difference(roles, tmp_path, capsys):
    output = str(tmp_path / "variables.md")
    assert reference.main(["--roles-dir", roles, "--output", output]) == 0
    assert reference.main(["--check", "--roles-dir", roles, "--output", output]) == 0
    spec = os.path.join(roles, "zrole", "meta", "argument_specs.yml")
    with open(spec, encoding="utf-8") as handle:
        changed = handle.read().replace("Declared first, listed first.", "Changed in the spec.")
    with open(spec, "w", encoding="utf-8") as handle:
        handle.write(changed)
    capsys.readouterr()
    assert reference.main(["--check", "--roles-dir", roles, "--output", output]) == 1
    message = capsys.readouterr().err
    assert "not current" in message and "Changed in the spec." in message and "line " in message
    with open(output, encoding="utf-8") as handle:
        assert "Declared first, listed first." in handle.read()


def test_check_from_the_command_line(roles, tmp_path):
    output = tmp_path / "variables.md"
    command = [sys.executable, TOOL, "--roles-dir", roles, "--output", str(output)]
    missing = subprocess.run(command + ["--check"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             universal_newlines=True, check=False)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    subprocess.run(command, check=True, stdout=subprocess.PIPE)
    output.write_text(output.read_text(encoding="utf-8") + "| stray |\n", encoding="utf-8")
    stale = subprocess.run(command + ["--check"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, check=False)
    assert stale.returncode == 1 and "stray" in stale.stderr

# -*- coding: utf-8 -*-
"""AWX as code, checked offline: awx/definitions.yml (the objects) and awx/apply.yml (the awx.awx
tasks that create them) against the playbooks, the roles' argument specs, the inventory, and the
awx.awx modules' own documentation (ansible-doc -j). No AWX is needed.

Each check is a function returning problems (strings naming the value); the tests run them on the
repository's files, and on mutated copies to prove that each check can fail. Run as a script
(`python tests/unit/test_awx_definitions.py`) it prints the problems and exits non-zero on any.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import glob
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
DEFINITIONS = os.path.join(ROOT, "awx", "definitions.yml")
APPLY = os.path.join(ROOT, "awx", "apply.yml")

PIPELINE = "playbooks/pipeline.yml"
ROLLBACK = "playbooks/rollback.yml"
FAIL = "playbooks/fail_workflow.yml"
LOCK_MODULE = "routing_ml.deploy.deploy_lock"
COLLECTION = "routing_ml.deploy."
GATES = ["Alpha", "Beta", "GA"]
# What a credential type's injectors may inject: names the collection reads (roles, playbooks,
# the production inventory), or the options of the connection plugins that inventory selects.
READ_BY_COLLECTION = ("roles", "playbooks", os.path.join("inventory", "production"))


# AWX survey types and the argument spec type a variable must have to take the answer.
SURVEY_TYPES = {"text": "str", "textarea": "str", "password": "str", "integer": "int", "float": "float",
                "multiplechoice": "str", "multiselect": "list"}
PYTHON_TYPES = {str: "str", int: "int", float: "float", list: "list", bool: "bool", dict: "dict"}
INJECTOR_KINDS = {"extra_vars", "env", "file"}
# Keys of definitions.yml that describe an object for the checks, not an option apply.yml passes.
METADATA = {"builtin", "fields", "secret_fields", "lab_only", "secret_inputs"}
EDGES = ("success_nodes", "failure_nodes", "always_nodes")


def load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def text_of(path):
    """A file's text without its comment lines (a name in a comment is not a read)."""
    try:
        with open(path) as handle:
            return "\n".join(line for line in handle.read().splitlines() if not line.lstrip().startswith("#"))
    except (IOError, UnicodeDecodeError):
        return ""


def mentions(text, name):
    return re.search(r"(?<![\w.])%s(?!\w)" % re.escape(name), text) is not None


# ------------------------------------------------------------------ ansible-doc, once per plugin

_DOCS = {}


def ansible_doc(name, kind="module"):
    """The ``doc`` of ``ansible-doc -t KIND -j NAME`` (None when not installed), run once per plugin."""
    if (kind, name) not in _DOCS:
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
        completed = subprocess.run([os.path.join(BIN, "ansible-doc"), "-t", kind, "-j", name], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
        try:
            found = json.loads(completed.stdout).get(name) or {}
        except ValueError:
            found = {}
        _DOCS[(kind, name)] = found.get("doc")
    return _DOCS[(kind, name)]


def documented_options(doc):
    """``{option or alias: spec}`` of a module's documented options."""
    known = dict(doc.get("options") or {})
    for spec in list(known.values()):
        for alias in spec.get("aliases") or []:
            known[alias] = spec
    return known


# ------------------------------------------------------------------ what a playbook does

def module_of(task):
    from ansible.playbook.task import Task

    keywords = frozenset(Task.fattributes) | {"block", "rescue", "always"}
    names = [k for k in task if k not in keywords]
    return names[0] if len(names) == 1 else None


def all_tasks(container):
    """Every task of a play (or a list of tasks), blocks included."""
    stack = []
    if isinstance(container, list):
        stack = list(container)
    else:
        for key in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            stack += container.get(key) or []
    while stack:
        task = stack.pop(0)
        if not isinstance(task, dict):
            continue
        for key in ("block", "rescue", "always"):
            stack += task.get(key) or []
        yield task


def short_role(name):
    return name[len(COLLECTION):] if name.startswith(COLLECTION) else name


def role_dependencies(role, seen):
    if role in seen:
        return
    seen.add(role)
    meta = os.path.join(ROOT, "roles", role, "meta", "main.yml")
    for dep in ((load(meta) or {}).get("dependencies") or []) if os.path.isfile(meta) else []:
        role_dependencies(short_role(dep.get("role") or dep.get("name") if isinstance(dep, dict) else dep), seen)


class Playbook(object):
    """A playbook and the playbooks it imports: its plays, the roles they run, what it reads."""

    def __init__(self, rel):
        self.rel = rel
        self.exists = os.path.isfile(os.path.join(ROOT, rel))
        self.files, self.plays, self.import_vars = [], [], {}
        self._walk(rel)
        self.text = "\n".join(text_of(os.path.join(ROOT, f)) for f in self.files)
        roles = set()
        for dummy, play in self.plays:
            for entry in play.get("roles") or []:
                roles.add(short_role(entry.get("role") or entry.get("name") if isinstance(entry, dict) else entry))
            for task in all_tasks(play):
                module = module_of(task)
                if module and module.split(".")[-1] in ("include_role", "import_role"):
                    roles.add(short_role(task[module]["name"]))
        self.roles = set()
        for role in roles:
            role_dependencies(role, self.roles)
        self.play_vars = {}
        for dummy, play in self.plays:
            self.play_vars.update(play.get("vars") or {})
        modules = [module_of(t) for dummy, play in self.plays for t in all_tasks(play)]
        self.takes_lock = LOCK_MODULE in modules
        self.serial = any("serial" in play for dummy, play in self.plays)
        self.controller_plays = any(str(play.get("hosts")) == "localhost" for dummy, play in self.plays)

    def _walk(self, rel):
        if rel in self.files or not os.path.isfile(os.path.join(ROOT, rel)):
            return
        self.files.append(rel)
        for play in load(os.path.join(ROOT, rel)) or []:
            target = play.get("ansible.builtin.import_playbook") or play.get("import_playbook")
            if target:
                self.import_vars.update(play.get("vars") or {})
                self._walk(os.path.normpath(os.path.join(os.path.dirname(rel), target)))
            else:
                self.plays.append((rel, play))

    def declarations(self, variable):
        """``[(role, entry point, spec)]`` of the argument specs, of the roles this runs, that declare it."""
        found = []
        for role in sorted(self.roles):
            for entry, spec in sorted(role_specs(role).items()):
                if variable in (spec.get("options") or {}):
                    found.append((role, entry, spec["options"][variable]))
        return found


_PLAYBOOKS = {}
_SPECS = {}


def playbook(rel):
    if rel not in _PLAYBOOKS:
        _PLAYBOOKS[rel] = Playbook(rel)
    return _PLAYBOOKS[rel]


def role_specs(role):
    if role not in _SPECS:
        path = os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")
        _SPECS[role] = ((load(path) or {}).get("argument_specs") or {}) if os.path.isfile(path) else {}
    return _SPECS[role]


def gate_of(rel):
    return playbook(rel).import_vars.get("routing_ml_gate")


# ------------------------------------------------------------------ the checks

def by_name(defs, section):
    return dict((entry.get("name"), entry) for entry in defs.get(section) or [])


def check_playbooks(defs, apply_doc=None):
    """Every playbook a job template names, and every inventory source's file, exists."""
    problems = []
    for template in defs.get("job_templates") or []:
        if not os.path.isfile(os.path.join(ROOT, template.get("playbook", ""))):
            problems.append("job template %r: playbook %r does not exist" % (template.get("name"), template.get("playbook")))
    for source in defs.get("inventory_sources") or []:
        if not os.path.isfile(os.path.join(ROOT, source.get("source_path", ""))):
            problems.append("inventory source %r: source_path %r does not exist" % (source.get("name"), source.get("source_path")))
    return problems


def check_references(defs, apply_doc=None):
    """Every credential, credential type, inventory, project, execution environment and job template named is defined."""
    problems = []
    kinds = {"credential": "credentials", "credential type": "credential_types", "inventory": "inventories",
             "project": "projects", "execution environment": "execution_environments", "job template": "job_templates"}
    defined = dict((kind, by_name(defs, section)) for kind, section in kinds.items())
    for kind, section in kinds.items():
        names = [entry.get("name") for entry in defs.get(section) or []]
        problems += ["%s %r is defined twice" % (kind, name) for name in sorted(set(n for n in names if names.count(n) > 1))]

    def need(where, kind, name):
        if name not in defined[kind]:
            problems.append("%s names %s %r, which is not defined" % (where, kind, name))

    for credential in defs.get("credentials") or []:
        need("credential %r" % credential.get("name"), "credential type", credential.get("credential_type"))
    for project in defs.get("projects") or []:
        if "default_environment" in project:
            need("project %r" % project.get("name"), "execution environment", project["default_environment"])
    for source in defs.get("inventory_sources") or []:
        need("inventory source %r" % source.get("name"), "inventory", source.get("inventory"))
        need("inventory source %r" % source.get("name"), "project", source.get("source_project"))
    lab_only = set(name for name, inventory in defined["inventory"].items() if inventory.get("lab_only"))
    for template in defs.get("job_templates") or []:
        where = "job template %r" % template.get("name")
        need(where, "inventory", template.get("inventory"))
        need(where, "project", template.get("project"))
        need(where, "execution environment", template.get("execution_environment"))
        for credential in template.get("credentials") or []:
            need(where, "credential", credential)
        if template.get("inventory") in lab_only:
            problems.append("%s uses the lab-only inventory %r" % (where, template.get("inventory")))
    for workflow in defs.get("workflow_job_templates") or []:
        for node in workflow.get("nodes") or []:
            if "unified_job_template" in node:
                need("workflow %r node %r" % (workflow.get("name"), node.get("identifier")), "job template", node["unified_job_template"])
    return problems


def _values_of(expression, sources, play_vars):
    """The definitions values a template expression of apply.yml takes: ``[(section, key, value)]``."""
    for name, value in play_vars.items():
        if isinstance(value, str) and re.search(r"(?<![\w.])%s(?!\w)" % re.escape(name), expression):
            expression += " " + value
    found = []
    for index, key in re.findall(r"(?<![\w.])item(?:\.(\d+))?\.(\w+)", expression):
        section, entries = sources.get(index or "", (None, []))
        found += [(section, key, entry[key]) for entry in entries if isinstance(entry, dict) and key in entry]
    for section, key in re.findall(r"(?<![\w.])routing_ml_awx\.(\w+)\.(\w+)", expression):
        entry = sources.get("defs", {}).get(section)
        if isinstance(entry, dict) and key in entry:
            found.append((section, key, entry[key]))
    return found


def _loop_sources(task, defs):
    """What ``item`` (or ``item.0`` / ``item.1``) stands for in a task of apply.yml."""
    loop = str(task.get("loop") or "")
    sections = re.findall(r"routing_ml_awx\.(\w+)", loop)
    sources = {"defs": defs}
    if sections:
        entries = defs.get(sections[0]) or []
        sub = re.search(r"subelements\(\s*['\"](\w+)['\"]", loop)
        if sub:
            sources["0"] = (sections[0], entries)
            sources["1"] = ("%s.%s" % (sections[0], sub.group(1)),
                            [child for entry in entries for child in entry.get(sub.group(1)) or []])
        else:
            sources[""] = (sections[0], entries)
    return sources, sections


def _type_problem(where, option, spec, value):
    wanted = spec.get("type", "str")
    checks = {"bool": bool, "int": int, "list": list, "dict": dict, "float": (int, float)}
    if wanted in checks and not isinstance(value, checks[wanted]) or wanted == "int" and isinstance(value, bool):
        return "%s: %s=%r is not of the option's type %s" % (where, option, value, wanted)
    return None


def check_apply(defs, apply_doc):
    """apply.yml: FQCN and a name on every task; every awx.awx option exists in ansible-doc -j, with its choices and types;
    every key of definitions.yml is passed to a module (a misspelt key would be ignored silently)."""
    problems, used = [], set()
    for play in apply_doc or []:
        play_vars = play.get("vars") or {}
        for task in all_tasks(play):
            module = module_of(task)
            name = task.get("name")
            if not name:
                problems.append("awx/apply.yml: a task of %s has no name" % module)
            if not module or module.count(".") < 2:
                problems.append("awx/apply.yml task %r: %r is not a fully qualified module name" % (name, module))
                continue
            if not module.startswith("awx.awx."):
                continue
            doc = ansible_doc(module)
            if doc is None:
                problems.append("awx/apply.yml task %r: module %s is not installed" % (name, module))
                continue
            options, args = documented_options(doc), task[module] or {}
            where = "awx/apply.yml task %r (%s)" % (name, module)
            for option in sorted(set(args) - set(options)):
                problems.append("%s: %s has no option %r" % (where, module, option))
            for option, spec in sorted((doc.get("options") or {}).items()):
                if spec.get("required") and not any(a in args for a in [option] + (spec.get("aliases") or [])):
                    problems.append("%s: %s requires option %r" % (where, module, option))
            sources, sections = _loop_sources(task, defs)
            for section in sections[:1]:
                if "1" in sources:
                    used.add((section, re.search(r"subelements\(\s*['\"](\w+)['\"]", str(task["loop"])).group(1)))
            for option, value in args.items():
                if option not in options:
                    continue
                spec = options[option]
                if isinstance(value, str) and "{{" in value:
                    taken = _values_of(value, sources, play_vars)
                else:
                    taken = [(None, None, value)]
                for section, key, got in taken:
                    used.add((section, key))
                    label = "%s: %s=%r%s" % (where, option, got, " (definitions.yml %s.%s)" % (section, key) if section else "")
                    choices = spec.get("choices")
                    if choices and got is not None and str(got) not in [str(c) for c in choices]:
                        problems.append("%s is not one of %s" % (label, choices))
                    if isinstance(value, str) and value.strip().startswith("{{") and value.strip().endswith("}}") \
                            and re.match(r"^\{\{\s*item(\.\d+)?\.\w+(\s*\|\s*default\([^)]*\))?\s*\}\}$", value.strip()):
                        problem = _type_problem(where, option, spec, got)
                        if problem:
                            problems.append(problem)
                    for sub in sorted(set(got) - set(spec.get("suboptions") or {})) if spec.get("suboptions") and isinstance(got, dict) else []:
                        problems.append("%s: %s has no suboption %r" % (label, option, sub))
                    for sub, sub_value in got.items() if spec.get("suboptions") and isinstance(got, dict) else []:
                        sub_spec = (spec.get("suboptions") or {}).get(sub) or {}
                        problem = _type_problem(where, "%s.%s" % (option, sub), sub_spec, sub_value) if sub_spec else None
                        if problem:
                            problems.append(problem)
    for section in ("projects", "execution_environments", "inventories", "inventory_sources", "credential_types", "credentials",
                    "job_templates", "workflow_job_templates"):
        for entry in defs.get(section) or []:
            for key in sorted(set(entry) - METADATA):
                if (section, key) not in used:
                    problems.append("definitions.yml %s %r: key %r is passed to no awx.awx module by apply.yml"
                                    % (section, entry.get("name"), key))
    for workflow in defs.get("workflow_job_templates") or []:
        for node in workflow.get("nodes") or []:
            for key in sorted(set(node) - set(k for s, k in used if s == "workflow_job_templates.nodes")):
                problems.append("definitions.yml workflow %r node %r: key %r is passed to no awx.awx module by apply.yml"
                                % (workflow.get("name"), node.get("identifier"), key))
    for key in sorted(set(defs.get("organization") or {}) - set(k for s, k in used if s == "organization")):
        problems.append("definitions.yml organization: key %r is passed to no awx.awx module by apply.yml" % key)
    return problems


def _choices(question):
    choices = question.get("choices") or []
    return [c for c in choices.split("\n") if c] if isinstance(choices, str) else list(choices)


def _question_problems(where, question):
    problems = []
    for key in ("question_name", "variable", "type", "required"):
        if key not in question:
            problems.append("%s: a question lacks %r (%r)" % (where, key, question.get("variable")))
    kind = question.get("type")
    if kind not in SURVEY_TYPES:
        problems.append("%s: question %r has the unknown type %r" % (where, question.get("variable"), kind))
    if kind in ("multiplechoice", "multiselect"):
        if not _choices(question):
            problems.append("%s: question %r offers no choices" % (where, question.get("variable")))
        elif "default" in question and str(question["default"]) not in _choices(question):
            problems.append("%s: question %r: default %r is not one of %s" % (where, question.get("variable"), question["default"],
                                                                              _choices(question)))
    if kind == "integer" and "default" in question and not isinstance(question["default"], int):
        problems.append("%s: question %r: default %r is not an integer" % (where, question.get("variable"), question.get("default")))
    return problems


def accepted(question, book):
    """``(accepted, problems)``: whether the playbook takes the survey variable, with the same type and choices."""
    variable, kind = question.get("variable"), question.get("type")
    wanted = SURVEY_TYPES.get(kind)
    where = "%s (playbook %s)" % (variable, book.rel)
    if variable in book.import_vars:
        return False, ["%s: the playbook sets it (import_playbook vars); an extra variable would override that" % where]
    problems = []
    declarations = book.declarations(variable)
    for role, entry, spec in declarations:
        declared = spec.get("type", "str")
        at = "%s: roles/%s argument spec %r says type %s" % (where, role, entry, declared)
        if declared != wanted:
            problems.append("%s, the survey asks %s (%s)" % (at, kind, wanted))
        if kind == "multiplechoice" and sorted(map(str, spec.get("choices") or [])) != sorted(map(str, _choices(question))):
            problems.append("%s with choices %s, the survey offers %s" % (at, spec.get("choices"), _choices(question)))
        if kind != "multiplechoice" and spec.get("choices"):
            problems.append("%s with choices %s, the survey asks free %s" % (at, spec.get("choices"), kind))
    if declarations:
        return True, problems
    if mentions(book.text, variable):
        literal = book.play_vars.get(variable)
        if literal is not None and not (isinstance(literal, str) and "{{" in literal):
            if PYTHON_TYPES.get(type(literal)) != wanted:
                problems.append("%s: the playbook's vars give it a %s, the survey asks %s" % (where, PYTHON_TYPES.get(type(literal)), kind))
        return True, problems
    return False, ["%s is declared by no argument spec of the roles it runs (%s) and the playbook does not read it"
                   % (where, ", ".join(sorted(book.roles)) or "none")]


def check_surveys(defs, apply_doc=None):
    """Every survey variable is taken by the playbook (argument specs of its roles, or the playbook itself),
    with the same type and choices; a workflow's by one of its nodes' playbooks; node extra_data by the node's survey."""
    problems = []
    templates = by_name(defs, "job_templates")
    for template in defs.get("job_templates") or []:
        where = "job template %r" % template.get("name")
        spec = (template.get("survey_spec") or {}).get("spec") or []
        if template.get("survey_enabled") and not spec:
            problems.append("%s: survey enabled without questions" % where)
        variables = [q.get("variable") for q in spec]
        problems += ["%s: survey variable %s asked twice" % (where, v) for v in sorted(set(v for v in variables if variables.count(v) > 1))]
        for question in spec:
            problems += _question_problems(where, question)
            dummy, found = accepted(question, playbook(template.get("playbook", "")))
            problems += ["%s: survey variable %s" % (where, p) for p in found]
    for workflow in defs.get("workflow_job_templates") or []:
        where = "workflow %r" % workflow.get("name")
        books = [playbook(templates[n["unified_job_template"]].get("playbook", ""))
                 for n in workflow.get("nodes") or [] if n.get("unified_job_template") in templates]
        books = [b for i, b in enumerate(books) if b.rel not in [c.rel for c in books[:i]]]
        for question in (workflow.get("survey_spec") or {}).get("spec") or []:
            problems += _question_problems(where, question)
            results = [accepted(question, book) for book in books]
            if not any(ok for ok, dummy in results):
                problems.append("%s: survey variable %s is taken by none of its nodes' playbooks" % (where, question.get("variable")))
            for ok, found in results:
                overriding = [p for p in found if "would override" in p]
                problems += ["%s: survey variable %s" % (where, p) for p in (found if ok else overriding)]
        given = set(q.get("variable") for q in (workflow.get("survey_spec") or {}).get("spec") or [] if q.get("required"))
        given |= set(q.get("variable") for q in (workflow.get("survey_spec") or {}).get("spec") or [] if "default" in q)
        for node in workflow.get("nodes") or []:
            template = templates.get(node.get("unified_job_template"))
            if template is None:
                continue
            at = "%s node %r" % (where, node.get("identifier"))
            questions = dict((q.get("variable"), q) for q in (template.get("survey_spec") or {}).get("spec") or [])
            for variable, value in sorted((node.get("extra_data") or {}).items()):
                question = questions.get(variable)
                if question is None and not template.get("ask_variables_on_launch"):
                    problems.append("%s: extra_data %s is not a survey variable of %r, and AWX drops it" % (at, variable, template.get("name")))
                elif question and question.get("type") == "multiplechoice" and str(value) not in _choices(question):
                    problems.append("%s: extra_data %s=%r is not one of %s" % (at, variable, value, _choices(question)))
            for variable, question in sorted(questions.items()):
                if question.get("required") and "default" not in question and variable not in (node.get("extra_data") or {}) \
                        and variable not in given:
                    problems.append("%s: the required survey variable %s of %r is given neither by the node nor by the workflow"
                                    % (at, variable, template.get("name")))
    return problems


def node_kind(node, templates):
    if "approval_node" in node:
        return "approval"
    rel = (templates.get(node.get("unified_job_template")) or {}).get("playbook", "")
    if rel == ROLLBACK:
        return "rollback"
    if rel == FAIL:
        return "fail"
    if PIPELINE in playbook(rel).files:
        return "deploy"
    if rel == "playbooks/record_gate.yml":
        return "record"
    return "job"


def node_gate(node, templates, kind):
    if kind == "deploy":
        return gate_of(templates[node["unified_job_template"]]["playbook"])
    return (node.get("extra_data") or {}).get("routing_ml_gate")


def find_cycle(nodes):
    """A cycle of identifiers (the first found), or None."""
    state, path = {}, []

    def visit(identifier):
        state[identifier] = "open"
        path.append(identifier)
        for edge in EDGES:
            for child in nodes[identifier].get(edge) or []:
                if child not in nodes:
                    continue
                if state.get(child) == "open":
                    return path[path.index(child):] + [child]
                if child not in state:
                    cycle = visit(child)
                    if cycle:
                        return cycle
        state[identifier] = "done"
        path.pop()
        return None

    for identifier in nodes:
        if identifier not in state:
            cycle = visit(identifier)
            if cycle:
                return cycle
    return None


def check_workflows(defs, apply_doc=None):
    """No cycle; every deploy node fails over to a rollback of its gate that always leads to the fail node;
    approvals time out; the success path is deploy, approval, record for Alpha, then Beta, then GA."""
    problems = []
    templates = by_name(defs, "job_templates")
    for workflow in defs.get("workflow_job_templates") or []:
        where = "workflow %r" % workflow.get("name")
        listed = [n.get("identifier") for n in workflow.get("nodes") or []]
        problems += ["%s: node %r is defined twice" % (where, i) for i in sorted(set(i for i in listed if listed.count(i) > 1))]
        nodes = dict((n.get("identifier"), n) for n in workflow.get("nodes") or [])
        kinds = dict((i, node_kind(n, templates)) for i, n in nodes.items())
        for identifier, node in nodes.items():
            for edge in EDGES:
                for child in node.get(edge) or []:
                    if child not in nodes:
                        problems.append("%s: node %r has a %s edge to %r, which is not a node" % (where, identifier, edge, child))
            if kinds[identifier] == "approval":
                timeout = (node.get("approval_node") or {}).get("timeout")
                if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0:
                    problems.append("%s: approval node %r has timeout %r; it must be a positive number of seconds" % (where, identifier, timeout))
            if kinds[identifier] in ("deploy", "approval", "record", "rollback", "fail", "job") and node.get("job_slice_count", 1) != 1:
                problems.append("%s: node %r slices its job (job_slice_count %r)" % (where, identifier, node.get("job_slice_count")))
        cycle = find_cycle(nodes)
        if cycle:
            problems.append("%s: the graph has a cycle %s" % (where, " -> ".join(cycle)))
            continue
        for identifier, node in sorted(nodes.items()):
            if kinds[identifier] != "deploy":
                continue
            gate = node_gate(node, templates, "deploy")
            rollbacks = [c for c in node.get("failure_nodes") or [] if kinds.get(c) == "rollback"]
            if not rollbacks:
                problems.append("%s: deploy node %r has no failure edge to a rollback node" % (where, identifier))
            for rollback in rollbacks:
                rolled = node_gate(nodes[rollback], templates, "rollback")
                if rolled != gate:
                    problems.append("%s: deploy node %r (%s) fails over to rollback node %r of gate %r" % (where, identifier, gate, rollback, rolled))
                after = nodes[rollback]
                always = [c for c in after.get("always_nodes") or [] if kinds.get(c) == "fail"]
                both = set(c for c in after.get("success_nodes") or [] if kinds.get(c) == "fail") & \
                    set(c for c in after.get("failure_nodes") or [] if kinds.get(c) == "fail")
                if not always and not both:
                    problems.append("%s: rollback node %r does not lead to a fail node whatever it does (an always edge, "
                                    "or success and failure edges): the workflow would end green" % (where, rollback))
        parents = set(c for n in nodes.values() for edge in EDGES for c in n.get(edge) or [])
        roots = sorted(set(nodes) - parents)
        if len(roots) != 1:
            problems.append("%s: the workflow must start at one node, it starts at %s" % (where, roots))
            continue
        chain, current = [], roots[0]
        while current is not None and current in nodes and len(chain) <= len(nodes):
            kind = kinds[current]
            chain.append((kind, node_gate(nodes[current], templates, kind)))
            following = [c for c in nodes[current].get("success_nodes") or [] if c in nodes]
            current = following[0] if len(following) == 1 else None
        for gate in GATES:
            for kind in ("deploy", "approval", "record"):
                if not chain:
                    problems.append("%s: the success path ends before %s of %s" % (where, kind, gate))
                    break
                found_kind, found_gate = chain.pop(0)
                if found_kind != kind or kind != "approval" and found_gate != gate:
                    problems.append("%s: on the success path, %s of %s comes where %s of %s belongs (SOP Stage 9 order)"
                                    % (where, found_kind, found_gate, kind, gate))
    return problems


def check_templates(defs, apply_doc=None):
    """Templates that take the deploy lock or run serial batches: job_slice_count 1, no slicing on launch; the lock-takers
    also allow_simultaneous false and no extra variables on launch. Slicing only for a playbook without either, or a controller play."""
    problems = []
    for template in defs.get("job_templates") or []:
        where = "job template %r" % template.get("name")
        book = playbook(template.get("playbook", ""))
        slices = template.get("job_slice_count")
        if book.takes_lock or book.serial or book.controller_plays:
            why = ", ".join(w for w, yes in (("takes the deploy lock", book.takes_lock), ("runs serial batches", book.serial),
                                             ("has plays on the controller", book.controller_plays)) if yes)
            if slices != 1:
                problems.append("%s: job_slice_count %r; %s %s, so it must be 1 (each slice would run them again)" % (where, slices, book.rel, why))
            if template.get("ask_job_slice_count_on_launch"):
                problems.append("%s: asks for job slices on launch; %s %s" % (where, book.rel, why))
        if book.takes_lock:
            if template.get("allow_simultaneous") is not False:
                problems.append("%s: allow_simultaneous %r; %s takes the deploy lock, so it must be false"
                                % (where, template.get("allow_simultaneous"), book.rel))
            if template.get("ask_variables_on_launch"):
                problems.append("%s: asks for variables on launch; %s takes the deploy lock (a launcher could switch signatures off)"
                                % (where, book.rel))
    return problems


def connection_variables():
    """The variables of the connection plugins inventory/production selects (ansible_connection)."""
    found = set()
    for path in glob.glob(os.path.join(ROOT, "inventory", "production", "**", "*.yml"), recursive=True):
        for connection in re.findall(r"^\s*ansible_connection:\s*['\"]?([\w.]+)", text_of(path), re.M):
            doc = ansible_doc(connection, "connection") or {}
            for spec in (doc.get("options") or {}).values():
                found |= set(v["name"] for v in spec.get("vars") or [] if "name" in v)
    return found


def inventory_settings():
    """``{variable: [file]}`` of what inventory/production sets (group_vars, host variables of hosts.yml)."""
    found = {}
    production = os.path.join(ROOT, "inventory", "production")
    for path in sorted(glob.glob(os.path.join(production, "group_vars", "**", "*.yml"), recursive=True)):
        data = load(path)
        for key in data if isinstance(data, dict) else {}:
            found.setdefault(key, []).append(os.path.relpath(path, ROOT))
    stack = [load(os.path.join(production, "hosts.yml")) or {}]
    while stack:
        group = stack.pop()
        for name, host in sorted(((group.get("hosts") or {}) if isinstance(group, dict) else {}).items()):
            for key in host or {}:
                found.setdefault(key, []).append("inventory/production/hosts.yml (%s)" % name)
        for key in (group.get("vars") or {}) if isinstance(group, dict) else {}:
            found.setdefault(key, []).append("inventory/production/hosts.yml")
        stack += [child for child in ((group.get("children") or {}) if isinstance(group, dict) else {}).values() if child]
        stack += [child for key, child in group.items() if key == "all"] if isinstance(group, dict) else []
    return found


_READ_TEXT = []


def collection_text():
    if not _READ_TEXT:
        parts = []
        for top in READ_BY_COLLECTION:
            for folder, dummy, names in os.walk(os.path.join(ROOT, top)):
                parts += [text_of(os.path.join(folder, name)) for name in sorted(names) if not name.endswith((".pyc", ".zip"))]
        _READ_TEXT.append("\n".join(parts))
    return _READ_TEXT[0]


def check_injectors(defs, apply_doc=None):
    """Custom credential types inject only what the collection reads (grep of roles/, playbooks/, inventory/production,
    or a variable of the connection plugin the production inventory selects), from inputs they define."""
    problems = []
    text, connection = collection_text(), None
    for kind in defs.get("credential_types") or []:
        if kind.get("builtin"):
            continue
        where = "credential type %r" % kind.get("name")
        fields = [f.get("id") for f in (kind.get("inputs") or {}).get("fields") or []]
        for required in (kind.get("inputs") or {}).get("required") or []:
            if required not in fields:
                problems.append("%s: required input %r is not a field" % (where, required))
        injectors = kind.get("injectors") or {}
        for unknown in sorted(set(injectors) - INJECTOR_KINDS):
            problems.append("%s: unknown injector kind %r" % (where, unknown))
        templates = list((injectors.get("extra_vars") or {}).values()) + list((injectors.get("env") or {}).values())
        files = injectors.get("file") or {}
        used = set()
        for template in templates + list(files.values()):
            for name in re.findall(r"\{\{\s*([\w.]+)", str(template)):
                head = name.split(".")[0]
                used.add(head)
                if head != "tower" and head not in fields:
                    problems.append("%s: an injector uses {{ %s }}, which is not one of its inputs %s" % (where, name, fields))
        refers_file = any("tower.filename" in str(t) for t in templates)
        if files and not refers_file:
            problems.append("%s: writes a file but injects no tower.filename: nothing finds the file" % where)
        if refers_file and not files:
            problems.append("%s: injects tower.filename without a file injector" % where)
        for field in fields:
            if field not in used:
                problems.append("%s: input %r is injected nowhere" % (where, field))
        settings = inventory_settings() if injectors.get("extra_vars") else {}
        for variable in sorted(injectors.get("extra_vars") or {}):
            if variable in settings:
                problems.append("%s: injects extra variable %s, which would override what %s sets for its hosts"
                                % (where, variable, ", ".join(settings[variable])))
            if not mentions(text, variable):
                if connection is None:
                    connection = connection_variables()
                if variable not in connection:
                    problems.append("%s: injects extra variable %s, which the collection does not read (roles/, playbooks/, "
                                    "inventory/production, connection plugin options)" % (where, variable))
        for variable in sorted(injectors.get("env") or {}):
            if not mentions(text, variable):
                problems.append("%s: injects environment variable %s, which the collection does not read" % (where, variable))
    return problems


def check_credentials(defs, apply_doc):
    """A credential gives only its type's inputs, never a secret one in definitions.yml: a secret input names a key of
    apply.yml's routing_ml_awx_secrets, whose value comes from a prompt."""
    problems = []
    secrets, prompts = {}, set()
    for play in apply_doc or []:
        secrets.update((play.get("vars") or {}).get("routing_ml_awx_secrets") or {})
        prompts |= set(p.get("name") for p in play.get("vars_prompt") or [])
    for key, value in sorted(secrets.items()):
        if not any(mentions(str(value), prompt) for prompt in prompts):
            problems.append("awx/apply.yml: secret %r comes from no prompt (%r)" % (key, value))
    types = by_name(defs, "credential_types")
    for credential in defs.get("credentials") or []:
        where = "credential %r" % credential.get("name")
        kind = types.get(credential.get("credential_type"))
        if kind is None:
            continue
        if kind.get("builtin"):
            fields, secret = kind.get("fields") or [], kind.get("secret_fields") or []
            required = []
        else:
            listed = (kind.get("inputs") or {}).get("fields") or []
            fields = [f.get("id") for f in listed]
            secret = [f.get("id") for f in listed if f.get("secret")]
            required = (kind.get("inputs") or {}).get("required") or []
        inputs, secret_inputs = credential.get("inputs") or {}, credential.get("secret_inputs") or {}
        for key in sorted(set(inputs) | set(secret_inputs)):
            if key not in fields:
                problems.append("%s: input %r is not one of %r's %s" % (where, key, credential.get("credential_type"), fields))
        for key in sorted(inputs):
            if key in secret:
                problems.append("%s: the secret input %r is written in definitions.yml; name it in secret_inputs" % (where, key))
        for key, name in sorted(secret_inputs.items()):
            if key not in secret:
                problems.append("%s: secret_inputs %r is not a secret input of %r" % (where, key, credential.get("credential_type")))
            if name not in secrets:
                problems.append("%s: secret_inputs %r names %r, which apply.yml's routing_ml_awx_secrets lacks" % (where, key, name))
        for key in required:
            if key not in inputs and key not in secret_inputs:
                problems.append("%s: the required input %r is not given" % (where, key))
    return problems


# The environment's trust settings come from the inventory and are pinned in the Stage 9 record
# (plugins/module_utils/_trust.py): a launch that could set one would be refused at best.
TRUST_VARIABLES = ("routing_ml_approval_signatures", "routing_ml_allowed_signers", "routing_ml_environment")


def check_trust_settings(defs, apply_doc=None):
    """No survey, node, template or credential injector sets a trust setting, and no template
    takes free variables at launch."""
    problems = []
    found = []
    for template in defs.get("job_templates") or []:
        where = "job template %r" % template.get("name")
        found += [(where + " survey", q.get("variable")) for q in (template.get("survey_spec") or {}).get("spec") or []]
        found += [(where + " extra_vars", v) for v in template.get("extra_vars") or {}]
        if template.get("ask_variables_on_launch"):
            problems.append("%s: ask_variables_on_launch lets a launch set the trust settings (%s)" % (
                where, ", ".join(TRUST_VARIABLES)))
    for workflow in defs.get("workflow_job_templates") or []:
        where = "workflow %r" % workflow.get("name")
        found += [(where + " survey", q.get("variable")) for q in (workflow.get("survey_spec") or {}).get("spec") or []]
        found += [(where + " extra_vars", v) for v in workflow.get("extra_vars") or {}]
        for node in workflow.get("nodes") or []:
            found += [("%s node %r extra_data" % (where, node.get("identifier")), v) for v in node.get("extra_data") or {}]
    for kind in defs.get("credential_types") or []:
        for section in ("extra_vars", "env"):
            found += [("credential type %r injector" % kind.get("name"), v)
                      for v in ((kind.get("injectors") or {}).get(section) or {})]
    problems += ["%s sets the trust setting %s: it comes from the inventory, and a change is a signed record "
                 "(playbooks/trust_change.yml)" % (where, variable) for where, variable in found if variable in TRUST_VARIABLES]
    return problems


CHECKS = [check_playbooks, check_references, check_apply, check_surveys, check_workflows, check_templates, check_injectors,
          check_credentials, check_trust_settings]


def all_problems(defs, apply_doc):
    problems = []
    for check in CHECKS:
        problems += check(defs, apply_doc)
    return problems


# ------------------------------------------------------------------ the tests

@pytest.fixture(scope="module")
def defs():
    return load(DEFINITIONS)


@pytest.fixture(scope="module")
def apply_doc():
    return load(APPLY)


def fresh(data):
    """A deep copy that shares nothing (YAML aliases become copies)."""
    return json.loads(json.dumps(data))


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_the_definitions_pass(check, defs, apply_doc):
    assert check(defs, apply_doc) == []


def test_apply_passes_the_syntax_check():
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    completed = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "--syntax-check", APPLY], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert completed.returncode == 0, completed.stdout


def test_the_release_is_defined(defs):
    templates = by_name(defs, "job_templates")
    playbooks = sorted(t["playbook"] for t in templates.values())
    assert playbooks == sorted(["playbooks/deploy_alpha.yml", "playbooks/deploy_beta.yml", "playbooks/deploy_ga.yml",
                                "playbooks/record_gate.yml", ROLLBACK, "playbooks/status.yml", "playbooks/verify.yml",
                                "playbooks/verify_ledger.yml", FAIL])
    (workflow,) = defs["workflow_job_templates"]
    kinds = sorted(node_kind(n, templates) for n in workflow["nodes"])
    assert kinds == sorted(["deploy", "approval", "record", "rollback", "fail"] * 3)
    record = templates["Routing ML record gate"]["survey_spec"]["spec"]
    assert [q["type"] for q in record if q["variable"] == "routing_ml_gate_signature"] == ["textarea"]
    kinds = by_name(defs, "credential_types")
    assert kinds["Routing ML ledger signing key"]["injectors"]["env"] == {"ROUTING_ML_LEDGER_SIGNING_KEY": "{{ tower.filename }}"}
    assert set(kinds["Routing ML share account"]["injectors"]["extra_vars"]) == {"routing_ml_share_user", "routing_ml_share_password"}
    assert by_name(defs, "projects")["Routing ML deploy"]["scm_url"].endswith("release-engineering/routing_ml.deploy.git")


def test_the_lab_inventory_is_the_lab_script_only(defs):
    sources = dict((s["inventory"], s["source_path"]) for s in defs["inventory_sources"])
    assert sources == {"Routing ML production": "inventory/production/hosts.yml", "Routing ML lab": "inventory/lab/hosts.py"}
    assert by_name(defs, "inventories")["Routing ML lab"].get("lab_only") is True


def test_secrets_are_never_in_the_definitions(defs):
    """No secret-looking value: the secret inputs are only named, and the file holds no key material."""
    with open(DEFINITIONS) as handle:
        text = handle.read()
    assert "PRIVATE KEY" not in text and "$ANSIBLE_VAULT" not in text
    for credential in defs["credentials"]:
        assert credential.get("secret_inputs"), credential["name"]


def reach_text(rel):
    """A playbook's text with the tasks and defaults of the roles it runs."""
    book = playbook(rel)
    paths = []
    for role in sorted(book.roles):
        paths += sorted(glob.glob(os.path.join(ROOT, "roles", role, "tasks", "*.yml"))
                        + glob.glob(os.path.join(ROOT, "roles", role, "defaults", "*.yml")))
    return "\n".join([book.text] + [text_of(p) for p in paths])


def test_the_rollback_reads_what_the_deployment_publishes():
    """The rollback nodes rely on it: the deployment's set_stats artifact, passed on by AWX,
    with the gate and version that published it (checked by the rollback)."""
    published = reach_text("playbooks/deploy_alpha.yml")
    for name in ("routing_ml_rollback_hosts", "routing_ml_rollback_hosts_from"):
        assert mentions(published, name) and mentions(reach_text(ROLLBACK), name), name
    assert "set_stats" in published


def _node(data, identifier):
    return [n for n in data["workflow_job_templates"][0]["nodes"] if n["identifier"] == identifier][0]


def _template(data, name):
    return by_name(data, "job_templates")[name]


def _question(data, name, variable):
    return [q for q in _template(data, name)["survey_spec"]["spec"] if q["variable"] == variable][0]


def _add_question(data, name, question):
    _template(data, name)["survey_spec"]["spec"].append(question)


def _set(getter, key, value):
    def mutate(data):
        getter(data)[key] = value
    return mutate


MUTATIONS = [
    ("no rollback edge", _set(lambda d: _node(d, "deploy-beta"), "failure_nodes", []), ["deploy-beta", "no failure edge"]),
    ("rollback of another gate", _set(lambda d: _node(d, "rollback-beta"), "extra_data",
                                      {"routing_ml_gate": "Alpha", "routing_ml_rollback_reason": "x"}), ["rollback-beta", "Alpha"]),
    ("rollback that ends green", _set(lambda d: _node(d, "rollback-ga"), "always_nodes", []), ["rollback-ga", "end green"]),
    ("a cycle", _set(lambda d: _node(d, "record-beta"), "success_nodes", ["deploy-ga", "deploy-alpha"]), ["cycle", "deploy-alpha"]),
    ("an edge to nowhere", _set(lambda d: _node(d, "record-ga"), "success_nodes", ["deploy-canary"]), ["deploy-canary"]),
    ("no approval timeout", _set(lambda d: _node(d, "approve-beta")["approval_node"], "timeout", 0), ["approve-beta", "timeout"]),
    ("GA before Beta", lambda d: [_node(d, i).update(success_nodes=s) for i, s in (("record-alpha", ["deploy-ga"]), ("record-ga", ["deploy-beta"]),
                                                                                   ("record-beta", []))], ["deploy of GA comes where deploy of Beta"]),
    ("a survey variable nothing takes", lambda d: _add_question(d, "Routing ML deploy GA", {
        "question_name": "Colour", "variable": "routing_ml_colour", "type": "text", "required": False}), ["routing_ml_colour"]),
    ("an integer asked as text", _set(lambda d: _question(d, "Routing ML verify", "routing_ml_verify_health_deadline"), "type", "text"),
     ["routing_ml_verify_health_deadline", "type int"]),
    ("other choices", _set(lambda d: _question(d, "Routing ML deploy Beta", "routing_ml_on_failure"), "choices", ["rollback", "halt", "ignore"]),
     ["routing_ml_on_failure", "ignore"]),
    ("free text for a choice", lambda d: _question(d, "Routing ML rollback", "routing_ml_gate").update(type="text", choices=None),
     ["routing_ml_gate", "free text"]),
    ("a workflow variable overriding the playbook's gate", lambda d: d["workflow_job_templates"][0]["survey_spec"]["spec"].append(
        {"question_name": "Gate", "variable": "routing_ml_gate", "type": "text", "required": False}), ["routing_ml_gate", "override"]),
    ("extra_data the node's survey lacks", _set(lambda d: _node(d, "deploy-alpha"), "extra_data", {"routing_ml_approval_signatures": "off"}),
     ["deploy-alpha", "routing_ml_approval_signatures"]),
    ("a missing playbook", _set(lambda d: _template(d, "Routing ML verify"), "playbook", "playbooks/verify_all.yml"),
     ["playbooks/verify_all.yml"]),
    ("an undefined credential", _set(lambda d: _template(d, "Routing ML rollback"), "credentials", ["Routing ML WinRM (staging)"]),
     ["Routing ML WinRM (staging)"]),
    ("an undefined execution environment", _set(lambda d: d["projects"][0], "default_environment", "Default EE"), ["Default EE"]),
    ("a template on the lab inventory", _set(lambda d: _template(d, "Routing ML verify"), "inventory", "Routing ML lab"), ["lab-only"]),
    ("a sliced deployment", _set(lambda d: _template(d, "Routing ML deploy GA"), "job_slice_count", 3), ["Routing ML deploy GA", "job_slice_count"]),
    ("simultaneous rollbacks", _set(lambda d: _template(d, "Routing ML rollback"), "allow_simultaneous", True),
     ["Routing ML rollback", "allow_simultaneous"]),
    ("a sliced controller play", _set(lambda d: _template(d, "Routing ML verify ledger"), "job_slice_count", 2), ["Routing ML verify ledger"]),
    ("an injected variable nothing reads", lambda d: by_name(d, "credential_types")["Routing ML share account"]["injectors"]["extra_vars"].update(
        routing_ml_share_domain="{{ username }}"), ["routing_ml_share_domain"]),
    ("an injected environment variable nothing reads", lambda d: by_name(d, "credential_types")["Routing ML ledger signing key"]["injectors"][
        "env"].update(ROUTING_ML_SIGNING_KEY="{{ tower.filename }}"), ["ROUTING_ML_SIGNING_KEY"]),
    ("a variable no connection plugin has", lambda d: by_name(d, "credential_types")["Routing ML WinRM"]["injectors"]["extra_vars"].update(
        ansible_winrm_username="{{ username }}"), ["ansible_winrm_username"]),
    ("an extra variable that overrides the inventory", lambda d: by_name(d, "credential_types")["Routing ML WinRM"]["injectors"]["extra_vars"]
     .update(ansible_user="{{ username }}"), ["ansible_user", "override", "dmz_nginx.yml"]),
    ("an injector from no input", _set(lambda d: by_name(d, "credential_types")["Routing ML WinRM"]["injectors"]["extra_vars"],
                                       "ansible_winrm_password", "{{ secret }}"), ["secret"]),
    ("a secret in the repository", _set(lambda d: by_name(d, "credentials")["Routing ML WinRM (production)"]["inputs"], "password", "hunter2"),
     ["'password'", "written in definitions.yml"]),
    ("a secret from nowhere", _set(lambda d: by_name(d, "credentials")["Routing ML vault"]["secret_inputs"], "vault_password", "vault_pass"),
     ["vault_pass"]),
    ("a value outside the option's choices", _set(lambda d: d["projects"][0], "scm_type", "mercurial"), ["mercurial", "scm_type"]),
    ("a misspelt key", _set(lambda d: _template(d, "Routing ML deploy Alpha"), "allow_simultanous", False), ["allow_simultanous"]),
    ("a suboption the module lacks", _set(lambda d: _node(d, "approve-ga")["approval_node"], "timeout_seconds", 60), ["timeout_seconds"]),
    ("a type the option does not take", _set(lambda d: _template(d, "Routing ML deploy Beta"), "job_slice_count", "one"), ["job_slice_count", "int"]),
    ("a survey that sets the signature mode", lambda d: _add_question(d, "Routing ML deploy GA", {
        "question_name": "Signatures", "variable": "routing_ml_approval_signatures", "type": "multiplechoice",
        "choices": ["required", "off"], "required": False}), ["Routing ML deploy GA", "routing_ml_approval_signatures", "trust setting"]),
    ("an auditor's survey that names the allowed_signers", lambda d: _add_question(d, "Routing ML verify ledger", {
        "question_name": "allowed_signers", "variable": "routing_ml_allowed_signers", "type": "text", "required": False}),
     ["Routing ML verify ledger", "routing_ml_allowed_signers", "trust setting"]),
    ("a node that names another environment", _set(lambda d: _node(d, "deploy-alpha"), "extra_data", {"routing_ml_environment": "other"}),
     ["deploy-alpha", "routing_ml_environment", "trust setting"]),
    ("variables at launch", _set(lambda d: _template(d, "Routing ML record gate"), "ask_variables_on_launch", True),
     ["Routing ML record gate", "ask_variables_on_launch"]),
]


@pytest.mark.parametrize("mutate,expected", [(m, e) for dummy, m, e in MUTATIONS], ids=[name for name, dummy, dummy2 in MUTATIONS])
def test_each_check_can_fail(mutate, expected, defs, apply_doc):
    data = fresh(defs)
    mutate(data)
    problems = all_problems(data, apply_doc)
    assert [p for p in problems if all(e in p for e in expected)], problems


def _apply_task(data, module):
    return [t for t in data[0]["tasks"] if module in t][0][module]


APPLY_MUTATIONS = [
    ("an option the module lacks", lambda d: _apply_task(d, "awx.awx.job_template").update(allow_simultanous=False),
     ["allow_simultanous", "has no option"]),
    ("a literal outside the choices", lambda d: _apply_task(d, "awx.awx.project").update(state="synced"), ["synced", "state"]),
    ("a required option left out", lambda d: _apply_task(d, "awx.awx.inventory").pop("organization"), ["requires option", "organization"]),
    ("a module that does not exist", lambda d: d[0]["tasks"].append({"name": "Teams", "awx.awx.teams": {"name": "x"}}), ["awx.awx.teams"]),
    ("a short module name", lambda d: d[0]["tasks"].append({"name": "Debug", "debug": {"msg": "x"}}), ["'debug'", "fully qualified"]),
    ("a task without a name", lambda d: d[0]["tasks"].append({"ansible.builtin.debug": {"msg": "x"}}), ["no name"]),
    ("a key no longer passed", lambda d: _apply_task(d, "awx.awx.job_template").pop("allow_simultaneous"),
     ["allow_simultaneous", "passed to no awx.awx module"]),
    ("a secret without a prompt", lambda d: d[0]["vars"]["routing_ml_awx_secrets"].update(winrm_password="{{ lookup('env', 'PW') }}"),
     ["winrm_password", "no prompt"]),
]


@pytest.mark.parametrize("mutate,expected", [(m, e) for dummy, m, e in APPLY_MUTATIONS], ids=[name for name, dummy, dummy2 in APPLY_MUTATIONS])
def test_each_check_of_apply_can_fail(mutate, expected, defs, apply_doc):
    data = fresh(apply_doc)
    mutate(data)
    problems = all_problems(defs, data)
    assert [p for p in problems if all(e in p for e in expected)], problems


def main():
    problems = all_problems(load(DEFINITIONS), load(APPLY))
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

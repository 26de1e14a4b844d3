# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.routing_ml.deploy.plugins.module_utils import _preflight as pf

GOOD_BUILD = "> tsc -b && vite build\n✓ 1843 modules transformed.\n✓ built in 14.82s\n"
BAD_BUILD = "src/a.tsx(1,2): error TS2322: Type 'x' is not assignable.\nFound 1 error.\nnpm ERR! code 2\n"
GOOD_PYTEST = ("collected 12 items\n\ntests/test_rsl_routing_groups.py ............ [100%]\n\n"
               "============================= 12 passed in 3.41s ==============================\n")


def test_build_log():
    assert pf.build_log_problems(GOOD_BUILD, "b.log") == []
    problems = pf.build_log_problems(BAD_BUILD, "b.log")
    assert len(problems) == 2 and "error TS2322" in problems[0] and "no successful" in problems[1]


@pytest.mark.parametrize("text,expected", [
    (GOOD_PYTEST, []),
    (GOOD_PYTEST.replace("12 passed", "11 passed, 1 failed"), ["p.log: 11 passed, 1 failed"]),
    (GOOD_PYTEST.replace("tests/test_rsl_routing_groups.py", "tests/test_other.py"),
     ["p.log does not mention tests/test_rsl_routing_groups.py"]),
    ("nothing\n", ["p.log does not mention tests/test_rsl_routing_groups.py", "p.log has no pytest summary line"]),
])
def test_pytest_log(text, expected):
    assert pf.pytest_log_problems(text, "p.log", "tests/test_rsl_routing_groups.py") == expected


@pytest.mark.parametrize("url,path", [
    ("access:///C:/RoutingML/data/rsl.accdb", "C:/RoutingML/data/rsl.accdb"),
    ("access:///srv/data/rsl.accdb", "/srv/data/rsl.accdb"),
    ("file:///srv/data/rsl.accdb", "/srv/data/rsl.accdb"),
    ("Driver={Microsoft Access Driver (*.mdb, *.accdb)};DBQ=\\\\nas\\db\\rsl.accdb;", "\\\\nas\\db\\rsl.accdb"),
    ("C:\\data\\rsl.accdb", "C:\\data\\rsl.accdb"),
    ("/srv/rsl.accdb", "/srv/rsl.accdb"),
    ("mssql+pyodbc://user@server/db", None),
    ("", None),
    (None, None),
])
def test_database_path(url, path):
    assert pf.database_path(url) == path


def test_environment_value():
    text = "# comment\nOTHER=1\nexport ROUTING_ML_RSL_DATABASE_URL=\"access:///x\"\n#ROUTING_ML_RSL_DATABASE_URL=old\n"
    assert pf.environment_value(text, "ROUTING_ML_RSL_DATABASE_URL") == "access:///x"
    assert pf.environment_value(text, "MISSING") is None
    assert pf.environment_value("ROUTING_ML_RSL_DATABASE_URL=\n", "ROUTING_ML_RSL_DATABASE_URL") is None


def test_host_problems_and_report():
    hosts = {"b1": {"present": True, "path": "/x", "exists": True}, "b2": {"present": False},
             "b3": {"present": True, "path": "/y", "exists": False}, "b4": {"error": "the host did not report"}}
    problems = pf.host_problems(hosts, "ROUTING_ML_RSL_DATABASE_URL")
    assert problems == {"b2": ["ROUTING_ML_RSL_DATABASE_URL is not set"],
                        "b3": ["the database file /y named by ROUTING_ML_RSL_DATABASE_URL is not reachable"],
                        "b4": ["ROUTING_ML_RSL_DATABASE_URL is not set", "the host did not report"]}
    report = pf.format_report(["build failed"], problems)
    assert report.splitlines()[1:3] == ["- build failed", "- b2: ROUTING_ML_RSL_DATABASE_URL is not set"]

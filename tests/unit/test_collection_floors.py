# -*- coding: utf-8 -*-
"""The lowest collection versions the collection declares are the ones the suite runs."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def installed_version(name):
    import ansible_collections
    namespace, collection = name.split(".")
    for base in ansible_collections.__path__:
        manifest = os.path.join(base, namespace, collection, "MANIFEST.json")
        if os.path.isfile(manifest):
            with open(manifest) as handle:
                return json.load(handle)["collection_info"]["version"]
    raise AssertionError("collection %s is not installed" % name)


def floor(spec):
    bounds = [part.strip() for part in spec.split(",")]
    lows = [b[2:] for b in bounds if b.startswith(">=")]
    assert len(lows) == 1, "%r needs exactly one >= floor" % spec
    return lows[0]


def test_floors_are_the_tested_versions():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        galaxy = yaml.safe_load(handle)["dependencies"]
    with open(os.path.join(ROOT, "collections", "requirements.yml")) as handle:
        requirements = dict((c["name"], c["version"]) for c in yaml.safe_load(handle)["collections"])
    assert set(galaxy) == set(requirements)
    for name, spec in galaxy.items():
        assert floor(spec) == floor(requirements[name]), name
        assert floor(spec) == installed_version(name), (
            "%s: galaxy.yml declares %s but the suite runs %s: raise the floor or test the floor"
            % (name, spec, installed_version(name)))

# -*- coding: utf-8 -*-
"""The lab for end-to-end tests: real sshd, nginx, Samba and the stand-in backend on 127.0.N.x."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys

import pytest

from labtools import Lab, control, free_octet


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("lab"))
    state = control.up(directory, free_octet(), farm=4, dmz=2, backend=1, python=sys.executable)
    try:
        yield Lab(directory, state)
    finally:
        control.down(directory)

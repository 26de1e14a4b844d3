# -*- coding: utf-8 -*-
"""The lab for end-to-end tests: real sshd, nginx, Samba and the stand-in backend on 127.0.N.x."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from labtools import running_lab


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    with running_lab(str(tmp_path_factory.mktemp("lab"))) as started:
        yield started

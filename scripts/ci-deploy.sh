#!/usr/bin/env bash
# CI's deployment checks (run by .ci/run after the test suite, inside its venv). No Docker:
# every artefact is checked by the tool that reads it, and the image's install steps run
# for real in fresh virtual environments.
#
#   1. hadolint on the Dockerfile;
#   2. the Kubernetes manifests against the schemas of 1.27 and 1.37 (kubernetes-validate,
#      offline, strict); compose.yaml is validated by tests/deploy/test_compose.py;
#   3. promtool: `check rules` and the alert unit tests (when promtool can be had here;
#      otherwise tests/deploy parsed the rules with a PromQL parser, and this says so);
#   4. scripts/install.sh (what the Dockerfile runs) into a fresh venv on Python 3.11, then
#      the installed wheel is used: --version, its packaged migrations, a console command;
#   5. the same on Python 3.12 where it is installed, plus the whole test suite on 3.12.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

step() { echo "deploy: $*"; }

step "hadolint Dockerfile"
hadolint Dockerfile

step "kubernetes-validate deploy/kubernetes (1.27, 1.37, strict)"
for version in 1.27.0 1.37.0; do
    kubernetes-validate --strict --quiet -k "$version" \
        deploy/kubernetes/*.yaml deploy/kubernetes/examples/*.yaml
done

step "promtool check rules / test rules"
if promtool="$(scripts/fetch-promtool.sh "$tmp/bin")"; then
    (cd deploy/prometheus && "$promtool" check rules alerts.yml && "$promtool" test rules alerts.test.yml)
    export PROMTOOL="$promtool"   # the 3.12 test run below runs tests/deploy's promtool tests too
else
    echo "deploy: PROMTOOL UNAVAILABLE: alerts.yml was checked by tests/deploy (YAML + PromQL parser) only"
fi

find_python() {  # find_python 3.12 -> a working python3.12 (PATH, then pyenv's), else nothing
    local version="$1" root found="" candidate
    root="$(pyenv root 2> /dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
    for candidate in "$(command -v "python$version" || true)" \
        "$root"/versions/"$version".*/bin/"python$version"; do
        # a pyenv shim exists on PATH even where that version is not selected: run it
        if [ -n "$candidate" ] && "$candidate" -c "import sys" > /dev/null 2>&1; then
            found="$candidate"
            break
        fi
    done
    echo "$found"
}

smoke_install() {  # smoke_install PYTHON NAME
    local python="$1" venv="$tmp/$2"
    step "scripts/install.sh with $("$python" --version) into a fresh venv"
    PYTHON="$python" scripts/install.sh "$venv"
    "$venv/bin/python" - <<'PY'
from importlib.resources import files
migrations = files("bot.store.migrations")
assert migrations.joinpath("script.py.mako").is_file(), "script.py.mako not in the wheel"
assert migrations.joinpath("versions", "0001_initial_schema.py").is_file(), "migrations missing"
PY
    (cd "$tmp" && env -u DATABASE_URL CHATOPS_DATA_DIR="$tmp/$2-data" \
        "$venv/bin/chatops-bot" console -c "/ticket show 4503" > "$tmp/$2-console.txt")
    grep -q "4503" "$tmp/$2-console.txt"
    echo "deploy: installed wheel works on $("$python" --version)"
}

py311="$(find_python 3.11)"
smoke_install "${py311:-$(command -v python3)}" py311

py312="$(find_python 3.12)"
if [ -n "$py312" ]; then
    smoke_install "$py312" py312
    step "the test suite on $("$py312" --version)"
    "$py312" -m venv "$tmp/dev312"
    "$tmp/dev312/bin/python" -m pip install --quiet --upgrade pip
    "$tmp/dev312/bin/python" -m pip install --quiet -e '.[dev]'
    "$tmp/dev312/bin/python" -m pytest -q -p no:cacheprovider
else
    echo "deploy: PYTHON 3.12 NOT INSTALLED on this machine: 3.12 not tested here"
fi
echo "deploy: all checks passed"

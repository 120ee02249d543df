#!/usr/bin/env bash
# Regenerate the pinned, hashed lock files that scripts/install.sh (and so the Dockerfile)
# installs from. Run after changing [project] dependencies in pyproject.toml, then commit
# deploy/lock/*.txt. Needs the package index; resolves for the Python it runs on (3.11,
# the image's Python), with every published file's hash so other platforms verify too.
#
#   scripts/lock.sh            # regenerate both files
#   PYTHON=python3.11 scripts/lock.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
PIP_TOOLS_VERSION="7.7.0"
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT

"$PYTHON" -m venv "$tools/venv"
"$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "pip-tools==$PIP_TOOLS_VERSION"
compile=("$tools/venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe
         --strip-extras --no-emit-index-url --no-emit-find-links --newline LF)

# The runtime dependencies of the wheel ([project] dependencies only, no extras).
CUSTOM_COMPILE_COMMAND="scripts/lock.sh" "${compile[@]}" \
    --output-file deploy/lock/runtime.txt pyproject.toml

# What building the wheel needs ([build-system] requires).
printf 'setuptools>=69\nwheel\n' > "$tools/build.in"
CUSTOM_COMPILE_COMMAND="scripts/lock.sh" "${compile[@]}" \
    --output-file deploy/lock/build.txt "$tools/build.in"
sed -i "s#$tools/build.in#build requirements of pyproject.toml#" deploy/lock/build.txt

echo "lock: wrote deploy/lock/runtime.txt and deploy/lock/build.txt"

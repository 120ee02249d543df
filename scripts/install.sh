#!/usr/bin/env bash
# Install chatops-bot into a fresh virtual environment, exactly as the container image does
# (the Dockerfile runs this script; CI runs it too, so the steps are exercised without Docker).
#
#   scripts/install.sh PREFIX        # e.g. /opt/chatops (the image) or a temp dir (CI)
#
# 1. builds the project's wheel in a throwaway build venv whose tools (setuptools, wheel)
#    come from deploy/lock/build.txt, pinned and hash-checked;
# 2. creates PREFIX as a venv and installs the runtime dependencies from
#    deploy/lock/runtime.txt: pinned, every file hash-checked (--require-hashes), wheels only;
# 3. installs the wheel itself (no dependency resolution: the lock is the whole set), then
#    `pip check` and `chatops-bot --version` prove the result is complete and runs.
#
# Environment: PYTHON (default python3; 3.11 or 3.12), SRC (default: this checkout).
# No secrets are read or written; nothing outside PREFIX and a temp dir is touched
# (setuptools leaves build/ and *.egg-info in SRC, both git-ignored).
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: scripts/install.sh PREFIX" >&2
    exit 2
fi
PREFIX="$1"
PYTHON="${PYTHON:-python3}"
SRC="${SRC:-$(cd "$(dirname "$0")/.." && pwd)}"
LOCK="$SRC/deploy/lock"

"$PYTHON" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"install.sh: chatops-bot needs Python 3.11 or newer, not {sys.version.split()[0]}.")
PY

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pip_flags=(--disable-pip-version-check --no-input --quiet)

echo "install: building the wheel from $SRC"
"$PYTHON" -m venv "$work/build"
"$work/build/bin/python" -m pip install "${pip_flags[@]}" \
    --require-hashes --no-deps --only-binary=:all: -r "$LOCK/build.txt"
"$work/build/bin/python" -m pip wheel "${pip_flags[@]}" \
    --no-deps --no-build-isolation --wheel-dir "$work/wheels" "$SRC"

echo "install: creating $PREFIX with the locked runtime dependencies"
"$PYTHON" -m venv "$PREFIX"
"$PREFIX/bin/python" -m pip install "${pip_flags[@]}" \
    --require-hashes --no-deps --only-binary=:all: -r "$LOCK/runtime.txt"
"$PREFIX/bin/python" -m pip install "${pip_flags[@]}" \
    --no-deps --no-index "$work"/wheels/chatops_bot-*.whl
"$PREFIX/bin/python" -m pip check
"$PREFIX/bin/chatops-bot" --version
echo "install: done ($PREFIX/bin/chatops-bot)"

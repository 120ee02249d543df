"""Release hygiene: the version the CLI prints is the project's, the changelog has an entry
for it, the LICENSE matches pyproject's license, and the supported Python versions are
declared (CI installs and tests each: scripts/ci-deploy.sh)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import bot
from tests.deploy.files import REPO

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def test_the_cli_prints_the_project_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == f"chatops-bot {PROJECT['version']}"
    assert bot.__version__ == PROJECT["version"]


def test_the_changelog_has_an_entry_for_this_version() -> None:
    text = (REPO / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[{re.escape(PROJECT['version'])}\]", text, re.MULTILINE)


def test_the_license_file_matches_pyproject() -> None:
    license_text = (REPO / "LICENSE").read_text()
    declared = PROJECT["license"]["text"]
    assert declared == "Proprietary"
    assert license_text.splitlines()[0] == "Proprietary License"
    assert "All rights reserved." in license_text
    assert "Private :: Do Not Upload" in PROJECT["classifiers"]


def test_supported_pythons_are_declared() -> None:
    assert PROJECT["requires-python"] == ">=3.11"
    declared = {
        c.rsplit(" :: ", 1)[1]
        for c in PROJECT["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    assert declared == {"3.11", "3.12"}
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in declared
    ci = (REPO / "scripts/ci-deploy.sh").read_text()
    assert "find_python 3.12" in ci

"""The project refers to nothing outside itself, and says what an operator needs to know
(issue 20, parts 4, 7 and 8): the APIs in docs/, every metric and label in the README,
the PostgreSQL tests' database and skip reasons."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from aiohttp import web

from bot.metrics import Metrics
from bot.sandbox import BricSandbox, BruinSandbox

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = ("../" + "shared", "shared/" + "reference", "bruin" + "-api.md", "bric" + "-api.md")


def _project_files() -> list[Path]:
    found = [ROOT / "README.md", ROOT / "pyproject.toml"]
    for folder in ("bot", "handlers", "tests", "docs", "bench", "scripts"):
        if (ROOT / folder).is_dir():
            found += [p for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".md", ".toml"}]
    return found


def test_nothing_points_outside_the_project() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {needle}"
        for path in _project_files()
        for needle in OUTSIDE
        if needle in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert offenders == []


def _api_paths(app: web.Application) -> set[str]:
    paths = set()
    for resource in app.router.resources():
        path = resource.canonical
        if "/_sandbox" in path:
            continue
        paths.add(re.sub(r"\{[a-z_]+\}", "{id}", path))
    return paths


def test_the_api_docs_name_every_path_the_sandboxes_serve() -> None:
    bruin_doc = (ROOT / "docs" / "BRUIN_API.md").read_text()
    bruin_doc = re.sub(r"\{[a-zA-Z_]+\}", "{id}", bruin_doc)
    for path in _api_paths(BruinSandbox().make_app()):
        assert path.rstrip("/") in bruin_doc, path
    app = web.Application()
    BricSandbox().add_routes(app, prefix="")
    bric_doc = re.sub(r"\{[a-zA-Z_]+\}", "{id}", (ROOT / "docs" / "BRIC_API.md").read_text())
    for path in _api_paths(app):
        assert path in bric_doc, path
    readme = (ROOT / "README.md").read_text()
    assert "docs/BRUIN_API.md" in readme
    assert "docs/BRIC_API.md" in readme


def test_the_readme_names_every_metric_and_label() -> None:
    readme = (ROOT / "README.md").read_text()
    for family in Metrics().registry.collect():
        name = family.name + ("_total" if family.type == "counter" else "")
        rows = [line for line in readme.splitlines() if f"`{name}`" in line]
        assert rows, name
        labels = {k for s in family.samples for k in s.labels}
        for label in labels:
            assert f"`{label}`" in rows[0], (name, label)


def test_the_readme_says_how_the_postgresql_tests_get_a_database_and_skip() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "postgresql://postgres@127.0.0.1:5432/test" in readme
    assert "CHATOPS_TEST_PG" in readme
    assert "skip" in readme
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "-rs" in options["addopts"].split()

"""deploy/prometheus/alerts.yml and deploy/grafana/chatops-bot.json: well formed, every
PromQL expression parses, and every metric they use is one the bot exports (so a renamed
metric cannot silently blind an alert). promtool, where installed, checks the rules and
runs their unit tests (alerts.test.yml); CI installs it (scripts/ci-deploy.sh)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from bot.metrics import Metrics
from tests.deploy.files import REPO

ALERTS = REPO / "deploy/prometheus/alerts.yml"
DASHBOARD = REPO / "deploy/grafana/chatops-bot.json"
FROM_ELSEWHERE = {"up"}  # Prometheus' own series
NOT_CHARTED = {"process_virtual_memory_bytes", "process_max_fds", "process_start_time_seconds"}
_SERIES_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "gauge": ("",),
    "summary": ("", "_sum", "_count"),
}


def exported() -> set[str]:
    """Every series name the bot's /metrics can carry."""
    names = set()
    for family in Metrics().registry.collect():
        for suffix in _SERIES_SUFFIXES[family.type]:
            names.add(family.name + suffix)
    return names


def parse_promql(expr: str) -> Any:
    """The expression's syntax tree (raises on a syntax error)."""
    parser = pytest.importorskip(
        "promql_parser", reason="pip install -e '.[dev]' brings promql-parser"
    )
    return parser.parse(expr)


def metrics_in(expr: str) -> set[str]:
    """Metric names an expression selects, from its syntax tree."""
    import promql_parser

    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)

    promql_parser.walk(parse_promql(expr), visit)
    return names


def rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(ALERTS.read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def test_every_alert_is_complete_and_its_expression_parses() -> None:
    names = set()
    for rule in rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
        assert rule["alert"] not in names
        names.add(rule["alert"])
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        parse_promql(rule["expr"])
    assert len(names) >= 10


def test_alerts_use_only_metrics_the_bot_exports() -> None:
    known = exported() | FROM_ELSEWHERE
    for rule in rules():
        used = metrics_in(rule["expr"])
        assert used, rule["alert"]
        used = {m for m in used if not m.startswith("kube_")}  # kube-state-metrics
        assert used <= known, f"{rule['alert']}: {used - known} not exported"


def test_the_metric_name_finder_finds_names() -> None:
    expr = 'sum by (le, kind) (rate(chatops_ack_seconds_bucket{job="x",le="1"}[5m])) > on() up'
    assert metrics_in(expr) == {"chatops_ack_seconds_bucket", "up"}


def promtool() -> str:
    found = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if not found:
        pytest.skip("PROMTOOL NOT INSTALLED: scripts/fetch-promtool.sh (CI runs it)")
    return found


@pytest.mark.parametrize(
    "command", [["check", "rules", "alerts.yml"], ["test", "rules", "alerts.test.yml"]]
)
def test_promtool(command: list[str]) -> None:
    result = subprocess.run(  # noqa: S603 - promtool from PATH or $PROMTOOL, fixed arguments
        [promtool(), *command],
        cwd=ALERTS.parent,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- the dashboard --------------------------------------------------------------------------


def dashboard() -> dict[str, Any]:
    data = json.loads(DASHBOARD.read_text())
    assert isinstance(data, dict)
    return data


def panels() -> list[dict[str, Any]]:
    return [p for p in dashboard()["panels"] if p["type"] != "row"]


def concrete(expr: str) -> str:
    """An expression as Grafana sends it, variables filled in."""
    return (
        expr.replace("$__rate_interval", "5m")
        .replace("$job", "chatops-bot")
        .replace("$instance", ".*")
    )


def test_the_dashboard_is_importable() -> None:
    data = dashboard()
    assert data["uid"] == "chatops-bot"
    assert data["title"] == "chatops-bot"
    variables = {v["name"] for v in data["templating"]["list"]}
    assert {"datasource", "job", "instance"} <= variables
    ids = [p["id"] for p in data["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels():
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]


def test_dashboard_panels_do_not_overlap() -> None:
    taken: set[tuple[int, int]] = set()
    for panel in dashboard()["panels"]:
        g = panel["gridPos"]
        assert g["x"] + g["w"] <= 24, panel["title"]
        cells = {
            (x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])
        }
        assert not cells & taken, panel["title"]
        taken |= cells


def test_dashboard_queries_parse_and_use_only_exported_metrics() -> None:
    known = exported() | FROM_ELSEWHERE
    shown = set()
    for panel in panels():
        for target in panel["targets"]:
            expr = concrete(target["expr"])
            parse_promql(expr)
            used = metrics_in(expr)
            assert used <= known, f"{panel['title']}: {used - known} not exported"
            shown |= used
    # every family the bot exports is on the dashboard
    families = {f.name for f in Metrics().registry.collect()}
    missing = {
        family
        for family in families
        if not any(name.startswith(family) for name in shown)
        and family
        not in ("process_virtual_memory_bytes", "process_max_fds", "process_start_time_seconds")
    }
    assert not missing, f"not on the dashboard: {missing}"

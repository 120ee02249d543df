"""deploy/kubernetes/: valid against the Kubernetes schemas (offline, strict, the oldest and
newest versions we support), and consistent with the bot: probes on the paths the bot
serves, a grace period above the bot's shutdown bound, the init step, selectors that
select, and an example Secret with no real value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import Settings
from bot.runner import SHUTDOWN_SECONDS
from tests.deploy.files import REPO

KUBE = REPO / "deploy/kubernetes"
VERSIONS = ("1.27.0", "1.37.0")
FILES = sorted(KUBE.glob("*.yaml")) + sorted(KUBE.glob("examples/*.yaml"))


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((KUBE / name).read_text())
    assert isinstance(data, dict)
    return data


def pod() -> dict[str, Any]:
    return dict(load("deployment.yaml")["spec"]["template"]["spec"])


def container(name: str = "bot") -> dict[str, Any]:
    (found,) = [c for c in pod()["containers"] if c["name"] == name]
    return dict(found)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(KUBE).as_posix())
def test_valid_against_the_kubernetes_schema(path: Path, version: str) -> None:
    validate = pytest.importorskip(
        "kubernetes_validate.utils", reason="pip install -e '.[dev]' brings kubernetes-validate"
    ).validate
    for document in yaml.safe_load_all(path.read_text()):
        validate(document, version, strict=True)  # raises on any error


def test_the_apply_directory_holds_no_secret() -> None:
    """`kubectl apply -f deploy/kubernetes/` must never create a Secret from an example."""
    for path in KUBE.glob("*.yaml"):
        for document in yaml.safe_load_all(path.read_text()):
            assert document["kind"] != "Secret", path


def test_two_replicas_probed_on_the_bots_paths() -> None:
    deployment = load("deployment.yaml")
    assert deployment["spec"]["replicas"] == 2
    bot = container()
    port = {p["name"]: p["containerPort"] for p in bot["ports"]}
    assert port == {"http": int(load("configmap.yaml")["data"]["PORT"])}
    assert bot["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert bot["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert bot["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert bot["args"] == ["run"]


def test_the_grace_period_covers_the_pre_stop_pause_and_the_shutdown_bound() -> None:
    pre_stop = container()["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    grace = pod()["terminationGracePeriodSeconds"]
    assert grace >= int(pre_stop[1]) + SHUTDOWN_SECONDS + 1
    assert grace <= int(pre_stop[1]) + SHUTDOWN_SECONDS + 15  # and is not needlessly long


def test_resources_and_an_unprivileged_read_only_container() -> None:
    spec = pod()
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] >= 1000
    assert spec["automountServiceAccountToken"] is False
    for c in (*spec["initContainers"], *spec["containers"]):
        assert {"cpu", "memory"} <= set(c["resources"]["requests"]), c["name"]
        assert "memory" in c["resources"]["limits"], c["name"]
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert c["securityContext"]["allowPrivilegeEscalation"] is False
        mounts = {m["mountPath"] for m in c["volumeMounts"]}
        assert {"/data", "/tmp"} <= mounts, c["name"]  # writable where the bot writes


def test_check_runs_first_with_the_same_settings_and_image() -> None:
    spec = pod()
    (check,) = spec["initContainers"]
    assert check["args"] == ["check"]
    bot = container()
    assert check["image"] == bot["image"]
    assert check["envFrom"] == bot["envFrom"]
    names = {ref.get("configMapRef", ref.get("secretRef", {}))["name"] for ref in bot["envFrom"]}
    assert names == {load("configmap.yaml")["metadata"]["name"], "chatops-bot"}
    assert load("examples/secret.yaml")["metadata"]["name"] == "chatops-bot"


def test_selectors_select_the_pods() -> None:
    labels = load("deployment.yaml")["spec"]["template"]["metadata"]["labels"]
    selected = load("deployment.yaml")["spec"]["selector"]["matchLabels"]
    for selector in (
        selected,
        load("service.yaml")["spec"]["selector"],
        load("pdb.yaml")["spec"]["selector"]["matchLabels"],
    ):
        assert selector.items() <= labels.items()
    assert load("pdb.yaml")["spec"]["minAvailable"] < load("deployment.yaml")["spec"]["replicas"]
    assert load("service.yaml")["spec"]["ports"][0]["targetPort"] == "http"


def test_the_ingress_example_exposes_only_slack_and_bruin_paths() -> None:
    ingress = load("examples/ingress.yaml")
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert sorted(p["path"] for p in paths) == ["/bruin/webhook", "/slack/events"]
    for p in paths:
        assert p["pathType"] == "Exact"
        assert p["backend"]["service"] == {"name": "chatops-bot", "port": {"name": "http"}}


def test_the_example_secret_names_real_settings_and_holds_no_real_value() -> None:
    known = {name.upper() for name in Settings.model_fields}
    secret = load("examples/secret.yaml")
    for name, value in secret["stringData"].items():
        assert name in known, name
        assert "REPLACE-ME" in value, f"{name} looks like a real value"
    config = load("configmap.yaml")["data"]
    assert set(config) <= known
    assert not set(config) & set(secret["stringData"])

"""The operations files: systemd unit, Prometheus alerts, Grafana dashboard, README.

Each refers to metric names only as daemon/metrics.py exports them; where the real
tool is installed (promtool, systemd-analyze) it checks the file too.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from daemon.metrics import Metrics
from tests.deploy.units import directives

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNIT = DEPLOY / "systemd" / "callrouter.service"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
ALERT_TESTS = DEPLOY / "prometheus" / "alerts_test.yml"
DASHBOARD = DEPLOY / "grafana" / "callrouter.json"
README = DEPLOY / "README.md"
METRIC = re.compile(r"\bcallrouter_[a-z_]+\b")


def exported_metrics() -> set[str]:
    """Every series name a daemon's or a `callrouter web`'s /metrics can carry."""
    from daemon.web.metrics import WebMetrics
    names = set()
    for family in [*Metrics().registry.collect(), *WebMetrics().registry.collect()]:
        suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}.get(family.type, ("",))
        names |= {family.name + suffix for suffix in suffixes}
    return names


def dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def alert_rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


# --------------------------------------------------------------------------- systemd

def test_unit_runs_the_daemon_as_its_own_user_and_restarts_it():
    service = directives(UNIT)["Service"]
    assert service["Type"] == ["notify"]
    assert service["User"] == ["callrouter"] and service["Group"] == ["callrouter"]
    assert service["ExecStart"][0].split()[1:3] == ["run", "-c"]
    assert service["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert service["Restart"] == ["on-failure"]
    assert service["StateDirectory"] == ["callrouter"]
    assert directives(UNIT)["Install"]["WantedBy"] == ["multi-user.target"]


def test_unit_is_hardened():
    service = directives(UNIT)["Service"]
    expected = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
                "PrivateDevices": "yes", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
                "CapabilityBoundingSet": "", "RestrictSUIDSGID": "yes", "SystemCallArchitectures": "native"}
    assert {key: service[key][-1] for key in expected} == expected


def test_unit_gives_draining_calls_time_to_finish():
    stop = directives(UNIT)["Service"]["TimeoutStopSec"][0]
    assert int(stop.rstrip("s")) > 30          # daemon.drain_timeout's default


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_every_directive(tmp_path):
    # verify also wants ExecStart to exist: point it at a binary that does
    text = re.sub(r"^ExecStart=\S+", "ExecStart=/bin/true", UNIT.read_text(), flags=re.M)
    (tmp_path / "callrouter.service").write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / "callrouter.service")],
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


# --------------------------------------------------------------------------- Prometheus

def test_alerts_name_only_exported_metrics():
    used = {name for rule in alert_rules() for name in METRIC.findall(rule["expr"])}
    assert used and used <= exported_metrics()


def test_alerts_cover_what_ops_must_hear_about():
    expressions = {rule["alert"]: rule["expr"] for rule in alert_rules()}
    assert "callrouter_esl_connected == 0" in expressions["CallrouterESLDisconnected"]
    assert 'result="error"' in expressions["CallrouterConfigReloadFailed"]
    assert "callrouter_call_failures_total" in expressions["CallrouterCallFailuresRising"]
    assert "callrouter_record_queue_depth" in expressions["CallrouterRecordBacklog"]
    assert "callrouter_esl_connected" in expressions["CallrouterNoCallsRouted"]
    for rule in alert_rules():
        assert rule["labels"]["severity"] in ("critical", "warning")
        assert rule["annotations"]["summary"]


promtool = pytest.mark.skipif(shutil.which("promtool") is None,
                              reason="promtool is not installed (Debian: apt-get install prometheus)")


@promtool
def test_promtool_accepts_the_rules():
    result = subprocess.run(["promtool", "check", "rules", str(ALERTS)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@promtool
def test_the_alerts_fire_when_they_should():
    result = subprocess.run(["promtool", "test", "rules", ALERT_TESTS.name], cwd=ALERT_TESTS.parent,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------- Grafana

def test_dashboard_is_portable_and_shows_the_essentials():
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
    expressions = " ".join(dashboard_expressions())
    assert "sum by (outcome) (rate(callrouter_calls_total" in expressions
    assert "histogram_quantile(0.99, sum by (le) (rate(callrouter_call_setup_seconds_bucket" in expressions
    assert "sum by (reason) (rate(callrouter_forwards_total" in expressions
    assert "callrouter_active_calls" in expressions
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_dashboard_names_only_exported_metrics():
    used = {name for expr in dashboard_expressions() for name in METRIC.findall(expr)}
    assert used <= exported_metrics()


@promtool
def test_dashboard_queries_are_valid_promql(tmp_path):
    """Each query, with Grafana's variables filled in, as a recording rule promtool parses."""
    grafana = {"$__rate_interval": "1m", "$__range": "1h", "$instance": ".*"}
    rules = []
    for number, expr in enumerate(dashboard_expressions()):
        for variable, value in grafana.items():
            expr = expr.replace(variable, value)
        rules.append({"record": f"dashboard:query_{number}", "expr": expr})
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


# --------------------------------------------------------------------------- README

def test_readme_names_only_exported_metrics():
    from daemon.web.metrics import WebMetrics
    histograms = {family.name for family in [*Metrics().registry.collect(), *WebMetrics().registry.collect()]
                  if family.type == "histogram"}
    used = set(METRIC.findall(README.read_text()))
    assert used and used <= exported_metrics() | histograms

"""deploy/ for call recordings: the daily prune timer and service, and the recording-failures alert."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.deploy.test_operations import DEPLOY, alert_rules, exported_metrics
from tests.deploy.units import directives

SERVICE = DEPLOY / "systemd" / "callrouter-recordings-prune.service"
TIMER = DEPLOY / "systemd" / "callrouter-recordings-prune.timer"


def test_the_timer_runs_prune_daily_as_the_daemons_user():
    service, timer = directives(SERVICE), directives(TIMER)
    assert service["Service"]["Type"] == ["oneshot"] and service["Service"]["User"] == ["callrouter"]
    assert service["Service"]["ExecStart"][0].split()[1:4] == ["recordings", "prune", "-c"]
    assert timer["Timer"]["OnCalendar"][0].startswith("*-*-*") and timer["Timer"]["Persistent"] == ["true"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_timer_and_its_service(tmp_path):
    (tmp_path / SERVICE.name).write_text(re.sub(r"^ExecStart=\S+", "ExecStart=/bin/true", SERVICE.read_text(),
                                                flags=re.M))
    (tmp_path / TIMER.name).write_text(TIMER.read_text())
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / TIMER.name),
                             str(tmp_path / SERVICE.name)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_an_alert_watches_recording_failures():
    rules = {rule["alert"]: rule for rule in alert_rules()}
    assert "callrouter_recording_failures_total" in rules["CallrouterRecordingFailures"]["expr"]
    assert "callrouter_recording_failures_total" in exported_metrics()

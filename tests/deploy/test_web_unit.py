"""deploy/systemd/callrouter-web.service: `callrouter web` beside the daemon, as hardened as it."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.units import directives

SYSTEMD = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
WEB_UNIT = SYSTEMD / "callrouter-web.service"


def test_the_web_unit_runs_callrouter_web_as_the_daemons_user():
    service = directives(WEB_UNIT)["Service"]
    assert service["ExecStart"][0].split()[1:3] == ["web", "-c"]
    assert service["Type"] == ["notify"]
    assert service["User"] == ["callrouter"] and service["Group"] == ["callrouter"]
    assert service["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert directives(WEB_UNIT)["Install"]["WantedBy"] == ["multi-user.target"]


def test_the_web_unit_is_as_hardened_as_the_daemons():
    daemon = directives(SYSTEMD / "callrouter.service")["Service"]
    web = directives(WEB_UNIT)["Service"]
    hardening = [key for key in daemon if key.startswith(("Protect", "Restrict", "Private", "NoNew", "Capability",
                                                            "SystemCall", "LockPersonality"))]
    assert hardening and {key: web[key] for key in hardening} == {key: daemon[key] for key in hardening}


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_every_directive_of_the_web_unit(tmp_path):
    text = re.sub(r"^ExecStart=\S+", "ExecStart=/bin/true", WEB_UNIT.read_text(), flags=re.M)
    (tmp_path / "callrouter-web.service").write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / "callrouter-web.service")],
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")

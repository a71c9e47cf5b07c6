"""`callrouter run` as a real process: the example config, free ports, signals, systemd notify."""
from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.httpclient import get

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "example.yaml"


class Daemon:
    """`python -m daemon run …` with its stderr read line by line."""

    def __init__(self, *args: str, env: dict | None = None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "daemon", "run", *args], cwd=REPO, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})})
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for(self, pattern: str, timeout: float = 10.0) -> re.Match:
        deadline = time.monotonic() + timeout
        while True:
            for line in self.seen:
                if match := re.search(pattern, line):
                    self.seen.remove(line)
                    return match
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no log line matching {pattern!r}; saw:\n" + "".join(self.seen))
            try:
                self.seen.append(self.lines.get(timeout=left))
            except queue.Empty:
                pass

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def notify_socket():
    """A unix datagram socket in the abstract namespace, as systemd gives one."""
    name = f"@callrouter-test-{os.getpid()}-{time.monotonic_ns()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name[1:])
    sock.settimeout(10)
    yield name, sock
    sock.close()


def test_run_serves_metrics_reloads_on_sighup_and_stops_on_sigterm(tmp_path, notify_socket):
    name, notifications = notify_socket
    config = tmp_path / "company.yaml"
    shutil.copy(EXAMPLE, config)
    daemon = Daemon("-c", str(config), "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
                    env={"NOTIFY_SOCKET": name})
    try:
        port = int(daemon.wait_for(r"HTTP on 127\.0\.0\.1:(\d+)").group(1))
        assert notifications.recv(4096) == b"READY=1"
        daemon.wait_for(r"FreeSWITCH ESL at 127\.0\.0\.1:8021 unreachable \(connection refused\); "
                        r"retrying in \d+\.\d s")

        http = ("127.0.0.1", port)
        metrics = get(http, "/metrics")
        assert metrics.status == 200 and b"callrouter_esl_connected 0.0" in metrics.body
        assert get(http, "/healthz")[::2] == (200, b"ok\n")
        assert get(http, "/readyz")[::2] == (503, b"inbound ESL to FreeSWITCH not connected\n")

        daemon.process.send_signal(signal.SIGHUP)
        assert notifications.recv(4096).startswith(b"RELOADING=1\nMONOTONIC_USEC=")
        daemon.wait_for(r"config reloaded from")
        assert notifications.recv(4096) == b"READY=1"
        assert 'callrouter_config_reloads_total{result="ok"} 1.0' in get(http, "/metrics").text

        started = time.monotonic()
        daemon.process.send_signal(signal.SIGTERM)
        assert daemon.process.wait(timeout=5) == 0
        assert time.monotonic() - started < 2.5
        assert notifications.recv(4096) == b"STOPPING=1"
        daemon.wait_for(r"stopped: no call was cut")
    finally:
        daemon.kill()


def test_a_broken_config_prints_its_problems_and_exits_1(tmp_path):
    config = tmp_path / "broken.yaml"
    config.write_text("company:\n  name: Example\nemployees:\n  - name: Anna\n    extension: 1\n")
    result = subprocess.run([sys.executable, "-m", "daemon", "run", "-c", str(config)], cwd=REPO,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert f"{config}:1: company.domain: is required" in result.stderr
    assert f"{config}:5: employees[0].extension:" in result.stderr


def test_a_missing_config_exits_1(tmp_path):
    result = subprocess.run([sys.executable, "-m", "daemon", "run", "-c", str(tmp_path / "nope.yaml")],
                            cwd=REPO, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "no such file" in result.stderr


def test_run_takes_the_config_from_CALLROUTER_CONFIG_like_every_other_command(tmp_path):
    config = tmp_path / "broken.yaml"
    config.write_text("company:\n  name: Example\nemployees:\n  - name: Anna\n    extension: 1\n")
    result = subprocess.run([sys.executable, "-m", "daemon", "run"], cwd=REPO, capture_output=True, text=True,
                            timeout=30, env={**os.environ, "CALLROUTER_CONFIG": str(config)})
    assert result.returncode == 1
    assert f"{config}:1: company.domain: is required" in result.stderr


def test_run_help_explains_every_option():
    result = subprocess.run([sys.executable, "-m", "daemon", "run", "--help"], cwd=REPO, capture_output=True,
                            text=True, timeout=30, env={**os.environ, "COLUMNS": "200"})
    [log_level] = [line for line in result.stdout.splitlines() if line.strip().startswith("--log-level")]
    assert "debug" in log_level and "[info]" in log_level and "CALLROUTER_CONFIG" in result.stdout


def test_a_refused_reload_logs_its_problems_without_a_traceback(tmp_path):
    config = tmp_path / "company.yaml"
    shutil.copy(EXAMPLE, config)
    daemon = Daemon("-c", str(config), "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0")
    try:
        daemon.wait_for(r"FreeSWITCH ESL at .* unreachable")     # serving: its signal handlers are in place
        config.write_text(config.read_text(encoding="utf-8") + "employees: [\n", encoding="utf-8")
        daemon.process.send_signal(signal.SIGHUP)
        daemon.wait_for(r"config reload refused: .* the previous config keeps serving")
        daemon.wait_for(r"config problem: .*not valid YAML")
        daemon.process.send_signal(signal.SIGTERM)
        assert daemon.process.wait(timeout=5) == 0
        daemon.wait_for(r"stopped")
        assert not [line for line in daemon.seen if "Traceback" in line or "failed with ConfigError" in line]
    finally:
        daemon.kill()

"""SIGTERM on a real `callrouter run` process with a call up: the call finishes, new
calls go to the dialplan's fallback at once, the process exits 0 once the call ends.

tests/daemon_runtime covers the signal without calls (test_run_process) and the drain
in-process with a bare socket (test_app); this is the two together, with a simulated
FreeSWITCH on both ESL links and the call's record in the store afterwards.
"""
from __future__ import annotations

import re
import signal
import sys
from pathlib import Path

import gevent
import gevent.subprocess
import pytest

from store.database import Store
from tests.e2e.conftest import COMPANY, MONDAY_NOON
from tests.e2e.harness import DOMAIN, PASSWORD, SCALE, Harness, wait_until
from tests.fakeswitch import FakeSwitch

REPO = Path(__file__).resolve().parents[2]
#: Real seconds for the process to start (imports) or to stop.
PROCESS_WAIT = 20.0


class DaemonProcess:
    """`python -m daemon run -c FILE`, its log lines collected by a greenlet."""

    def __init__(self, config: Path):
        self.process = gevent.subprocess.Popen(
            [sys.executable, "-m", "daemon", "run", "-c", str(config)], cwd=REPO,
            stdin=gevent.subprocess.DEVNULL, stdout=gevent.subprocess.DEVNULL, stderr=gevent.subprocess.PIPE,
            text=True)
        self.lines: list[str] = []
        self._reader = gevent.spawn(self._read)

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    def wait_for(self, pattern: str, timeout: float = PROCESS_WAIT) -> re.Match:
        """The first log line matching `pattern` (waiting cooperatively for it)."""
        regex = re.compile(pattern)

        def match() -> re.Match | None:
            return next(filter(None, map(regex.search, self.lines)), None)
        try:
            wait_until(match, timeout, f"a log line matching {pattern!r}")
        except AssertionError:
            said = "".join(self.lines)
            raise AssertionError(f"no log line matching {pattern!r}; the daemon said:\n{said}") from None
        return match()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=1)


@pytest.fixture
def sim():
    switch = FakeSwitch(domain=DOMAIN, password=PASSWORD, scale=SCALE).start()
    yield switch
    switch.stop()


@pytest.fixture
def store_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


@pytest.fixture
def config(sim, tmp_path, store_url) -> Path:
    """The test company's file, pointing at `sim`, for a daemon process rather than an App."""
    files = Harness(COMPANY, tmp_path, now=MONDAY_NOON, sim=sim, store_url=store_url, drain_timeout=10)
    files.write_config(COMPANY)
    return files.config_path


def test_sigterm_lets_the_call_in_progress_finish_and_sends_new_calls_to_the_fallback(sim, config, store_url):
    sim.employee("s.kuznetsov", answer_after=1)               # no schedule: working at any wall-clock time
    daemon = DaemonProcess(config)
    try:
        port = int(daemon.wait_for(r"outbound ESL on 127\.0\.0\.1:(\d+)").group(1))
        daemon.wait_for(r"FreeSWITCH ESL connected")
        address = ("127.0.0.1", port)
        talking = sim.place_call(address, "203", talk_time=None)
        wait_until(lambda: talking.answered, what="the call to be answered")

        daemon.process.send_signal(signal.SIGTERM)
        daemon.wait_for(r"waiting up to 10 s for 1 call\(s\) in progress")
        refused = sim.place_call(address, "203")
        assert refused.wait(1) and refused.fell_back and not refused.connected
        assert refused.ended_at - refused.started_at < 1                  # sim seconds: at once
        assert daemon.process.poll() is None and not talking.done         # still draining

        talking.hangup()
        assert daemon.process.wait(timeout=PROCESS_WAIT) == 0
        daemon.wait_for(r"stopped: no call was cut")
    finally:
        daemon.kill()

    assert talking.answered_by == "s.kuznetsov" and not talking.fell_back
    store = Store.open(store_url)
    try:
        (record,) = store.history()
    finally:
        store.close()
    assert (record.uuid, record.outcome, record.answered_by) == (talking.uuid, "answered", "s.kuznetsov")

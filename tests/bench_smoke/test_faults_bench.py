"""The fault run still runs end to end with one of each fault, and finds nothing stranded or lost.

bench/ measures and tests don't time: this only checks that every fault is injected and that
the run's own verdict (exit code 0: no call stranded, no record lost or duplicated) holds.
It needs PostgreSQL (the database faults go through a proxy in front of it).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.store.conftest import postgres_base

REPO = Path(__file__).resolve().parents[2]
FAULTS = ("esl_cut", "malformed_frame", "db_down", "db_blackhole", "broken_reload", "sigterm", "inbound_drop")


def test_a_quick_run_injects_each_fault_once_and_strands_nothing():
    base, why = postgres_base()
    if base is None:
        pytest.skip(why)
    # Faults 0.4 s apart and outages of 0.3 s (--quick: 0.7 and 0.5): at 5 calls/s each still
    # finds calls in progress to hit; the sigterm's restart is most of the run.
    result = subprocess.run([sys.executable, "bench/faults_bench.py", "--quick", "--seconds", "2", "--rate", "5",
                             "--every", "0.4", "--outage", "0.3"],
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    for fault in FAULTS:
        assert re.search(rf"^{fault}\s+1\s+\d+\s+\d+ \(\d+\)\s+0\s+0\s+0\s+\d+$", out, re.M), out
    for fault in ("esl_cut", "malformed_frame"):                  # each found calls in progress to hit
        assert re.search(rf"^{fault}\s+1\s+[1-9]", out, re.M), out
    assert re.search(r"^all\s+7\s+\d+\s+\d+ \(\d+\)\s+0\s+0\s+0\s+1$", out, re.M), out
    assert "unasked daemon restarts: 0" in out, out

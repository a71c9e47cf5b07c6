"""The call-setup benchmark still runs end to end (its figures are never asserted: bench/ measures, tests don't time)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_a_short_run_routes_every_call_through_both_servers():
    """20 calls in half a second, talking half a sim second: the bench's every part, not its length."""
    result = subprocess.run(
        [sys.executable, "bench/call_setup_bench.py", "--quick", "--seconds", "0.5", "--rate", "40", "--talk", "0.5"],
        cwd=REPO, capture_output=True, text=True, timeout=60)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert re.search(r"^calls placed \(achieved rate\)\s+20 \([\d.]+/s\)\s+20 \([\d.]+/s\)$", out, re.M), out
    assert re.search(r"^lost \(.*\)\s+0\s+0$", out, re.M), out
    assert re.search(r"^routed without a bridge\s+0\s+0$", out, re.M), out
    assert re.search(r"^setup, daemon's own  p50 / p99 / max\s+[\d.]+ ms / [\d.]+ ms / [\d.]+ ms\s+—$", out, re.M), out
    assert re.search(r"^CPU per call\s+[\d.]+ ms\s+[\d.]+ ms$", out, re.M), out

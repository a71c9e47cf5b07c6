"""Overrides and rotation survive a PostgreSQL that stops answering (packets dropped, not refused).

The refresher re-reads the database every second and writes this node's changes: a read
swallowed by a silent link must be given up within a bound, as the record writer's is
(tests/store/test_postgres_silence.py), or the refresher waits on it for good — changes
made on other nodes never apply here again, and the ones made here (DND by feature code,
round robin, longest idle) are never written. Found by bench/faults_bench.py.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_after_a_blackhole_the_shared_state_flows_again_both_ways(request):
    url = request.getfixturevalue("migrated_postgres")
    run = subprocess.run([sys.executable, "-m", "tests.store.blackhole_state", url],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])

    assert result["seen_after"] is not None and result["seen_after"] < 5, result       # the other node's DND
    assert result["written_after"] is not None and result["written_after"] < 5, result  # this node's DND

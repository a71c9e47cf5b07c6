"""The history benchmark still runs end to end on a few calls (figures are never asserted)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_a_small_company_loads_and_every_query_is_timed(tmp_path):
    result = subprocess.run(
        [sys.executable, "bench/web_history_bench.py", "--calls", "400", "--employees", "60", "--departments", "6",
         "--runs", "1", "--reps", "2", "--backend", "sqlite", "--fresh", "--dir", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert re.search(r"^sqlite: loaded 400 calls in [\d.]+ s$", out, re.M), out
    for query in ("first page", "number search", "month's statistics"):
        for viewer in ("admin", "department head", "restricted user"):
            assert re.search(rf"^sqlite\s+{query}\s+{viewer}\s+[\d.]+/\s*[\d.]+/\s*[\d.]+\s+p95 min/med/max", out,
                             re.M), (query, viewer, out)

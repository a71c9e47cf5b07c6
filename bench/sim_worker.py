"""One more simulator process placing a share of the bench's calls.

The simulator costs ~5 ms of CPU per call (more than the servers it drives): at 200 calls/s
one process would need a whole core, and its own queueing would be what the bench
measures.  bench/harness.py's `run_traffic` starts one of these per extra process:

    stdin   line 1: the job (JSON: the traffic, this worker's offset and stride, the company's
            logins and mobiles); line 2: the monotonic time the traffic starts at
    stdout  `ready` once its simulator is populated; at the end one JSON line:
            {"marks": [[lost, socket_connected_at, connect_replied_at, first_bridge_at], …],
             "worst_lag": s, "last_placed": monotonic, "cpu": its CPU seconds for the calls}

Its calls' events reach no inbound ESL client: the daemon's one inbound link is to the
simulator of the bench's own process, which places the other share.
"""
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import dataclasses  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import harness  # noqa: E402


def main() -> int:
    job = json.loads(sys.stdin.readline())
    sim = harness.start_simulator(job["scale"], job["domain"])
    try:
        harness.populate(sim, job["logins"], job["mobiles"])
        traffic = harness.Traffic(tuple(job["address"]), job["destinations"], job["rate"], job["count"],
                                  job["talk_time"], job["first_caller"])
        print("ready", flush=True)
        start = float(sys.stdin.readline())
        cpu = harness.own_cpu_seconds()
        calls, worst = traffic.place_share(sim, start, job["offset"], job["stride"])
        placed = time.monotonic()
        harness.wait_all(calls, traffic.ending_within(job["scale"]))
        marks = [dataclasses.astuple(harness.Marks.of(call)) for call in calls]
        print(json.dumps({"marks": marks, "worst_lag": worst, "last_placed": placed,
                          "cpu": harness.own_cpu_seconds() - cpu}), flush=True)
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What FreeSWITCH writes on the outbound socket for one call, by socket mode and subscription.

    .venv/bin/python bench/socket_bytes_bench.py [--calls 5]

FreeSWITCH pays CPU for every event it writes (issue 14: 45 % CPU for the socket route
against 31 % for the dialplan at 10 calls/s).  The simulator counts what it writes per
call (tests/fakeswitch: SimCall.socket_bytes / socket_events), so the cost of each way
of driving a call can be compared without a FreeSWITCH:

- scripted clients doing what the daemon did before issue 14 (connect, subscribe,
  `linger 10`, multiset + bridge, read until the call is over, close), with each
  subscription: `myevents` (the old daemon), `myevents` + `nixevent` of the types it does
  not read (07f2), `filter Unique-ID` + `event plain` of the types the daemon reads (07f1);
- the daemon itself (the App, as in the end-to-end tests) in each socket mode.

The call is outbound_07a's: the callee answers after 2 s, the conversation lasts 3 s.
The first row (async + myevents) is "today's" cost; the target is a fifth of it or less.
"""
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from daemon.esl.commands import subscribe  # noqa: E402
from tests.e2e.conftest import COMPANY, MONDAY_NOON  # noqa: E402
from tests.e2e.harness import Harness, wait_until  # noqa: E402
from tests.fakeswitch import FakeSwitch  # noqa: E402
from tests.sim.rawpeer import DaemonStub  # noqa: E402

ANSWER_AFTER = 2.0
TALK = 3.0
SCALE = 0.01
# The types myevents turns on besides those the daemon reads (outbound_07f2's nixevent,
# less CHANNEL_BRIDGE, which the daemon reads in async mode).
NIXED = ("CHANNEL_ANSWER CHANNEL_APPLICATION CHANNEL_CREATE CHANNEL_DATA CHANNEL_DESTROY CHANNEL_EXECUTE "
         "CHANNEL_HANGUP CHANNEL_ORIGINATE CHANNEL_UUID CHANNEL_OUTGOING CHANNEL_PARK CHANNEL_PROGRESS "
         "CHANNEL_PROGRESS_MEDIA CHANNEL_STATE CHANNEL_UNBRIDGE CHANNEL_UNPARK DETECTED_SPEECH DTMF NOTALK TALK")


def subscription(kind: str, uuid: str, sync: bool) -> list[str]:
    if kind == "myevents":
        return ["myevents"]
    if kind == "myevents + nixevent":
        return ["myevents", f"nixevent {NIXED}" + (" CHANNEL_BRIDGE" if sync else "")]   # async reads BRIDGE
    return list(subscribe(uuid, sync))


def scripted_call(mode: str, kind: str) -> tuple[int, int]:
    """One call driven by the pre-issue-14 script with `kind` of subscription: (events, bytes)."""
    sim = FakeSwitch(domain="example.com", scale=SCALE, socket_mode=mode).start()
    sim.employee("callee", answer_after=ANSWER_AFTER)
    stub = DaemonStub()
    sync = mode == "sync"
    try:
        call = sim.place_call(stub.address, "2000", caller="1001", talk_time=TALK)
        peer = stub.accept()
        peer.command("connect")
        peer.read()
        for command in subscription(kind, call.uuid, sync) + ["linger 10"]:
            peer.command(command)
        peer.command("sendmsg\ncall-command: execute\nexecute-app-name: multiset\n"
                     "execute-app-arg: continue_on_fail=true hangup_after_bridge=true\nevent-lock: true")
        peer.command("sendmsg\ncall-command: execute\nexecute-app-name: bridge\n"
                     "execute-app-arg: [leg_timeout=20]user/callee@example.com\nevent-lock: true")
        last = "text/disconnect-notice" if sync else "CHANNEL_HANGUP_COMPLETE"
        peer.read_until(lambda m: m.content_type == last or m.event_name == last, timeout=10)
        if not sync:
            peer.drain(0.05)
        peer.close()
        wait_until(lambda: call.socket_bytes, what="the session to close")
        return call.socket_events, call.socket_bytes
    finally:
        stub.stop()
        sim.stop()


def daemon_call(mode: str, workdir: Path) -> tuple[int, int]:
    """One call through the daemon itself: (events, bytes)."""
    harness = Harness(COMPANY, workdir, now=MONDAY_NOON, socket_mode=mode)
    harness.tmp_path.mkdir(exist_ok=True)
    harness.sim.employee("a.volkov", answer_after=ANSWER_AFTER)
    harness.start()
    try:
        call = harness.call("211", talk_time=TALK)
        wait_until(lambda: call.socket_bytes, what="the session to close")
        assert call.answered_by == "a.volkov"
        return call.socket_events, call.socket_bytes
    finally:
        harness.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5, help="calls per row; the median is shown (default 5)")
    args = parser.parse_args(argv)
    rows = []
    for mode in ("async", "sync"):
        for kind in ("myevents", "myevents + nixevent", "event plain + filter"):
            results = [scripted_call(mode, kind) for _ in range(args.calls)]
            rows.append((mode, f"script, {kind}", results))
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("async", "sync"):
            results = [daemon_call(mode, Path(tmp) / f"{mode}{n}") for n in range(args.calls)]
            rows.append((mode, "callrouter (event plain + filter)", results))
    baseline = statistics.median(b for _, b in rows[0][2])
    print(f"one answered call (answer after {ANSWER_AFTER:g} s, {TALK:g} s of talk); median of {args.calls}\n")
    print("| mode | client, subscription | events | bytes (min-max) | share of async + myevents |")
    print("|---|---|---|---|---|")
    for mode, label, results in rows:
        events = statistics.median(e for e, _ in results)
        sizes = [b for _, b in results]
        median = statistics.median(sizes)
        print(f"| {mode} | {label} | {events:g} | {median:,.0f} ({min(sizes):,}-{max(sizes):,}) "
              f"| {median / baseline:.0%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

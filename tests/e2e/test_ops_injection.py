"""A caller who writes ESL header lines into their caller ID is routed like anyone else.

FreeSWITCH URL-encodes event headers but copies a caller's own `%0A` as is, so the daemon
decodes it into a real line break; and it writes the channel name of the linger notice
unencoded, so a name with line breaks adds header lines to that notice, or, with an
empty line, ends it early and leaves a block without a Content-Type behind.  None of it
may route the call by the forged destination (203 is another employee), crash the
call's reader, or keep its socket open.
"""
from __future__ import annotations

import os
from urllib.parse import unquote

import pytest

from tests.e2e.harness import rung, wait_until
from tests.fakeswitch import Quirks

INJECTED = "x%0ACaller-Destination-Number:%20203%0AEvent-Name:%20CHANNEL_HANGUP_COMPLETE"
TRUNK = "198.51.100.7"
FAILURE_STAGES = ("connect", "plan", "execute", "protocol", "timeout")


def open_fds() -> dict[str, str]:
    """This process's open descriptors and what they are (socket:[inode], a file...)."""
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            found[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:                   # closed meanwhile (listdir's own descriptor)
            pass
    return found


def extra_fds(baseline: dict[str, str]) -> dict[str, str]:
    """Sockets open now that were not at the baseline.  (Files are left out: the
    store's pool opens the database file whenever one of its threads first needs it.)"""
    return {fd: what for fd, what in open_fds().items() if baseline.get(fd) != what and what.startswith("socket:")}


@pytest.mark.parametrize("raw_name, junk", [
    (unquote(INJECTED), 0),                                   # extra header lines inside the notice
    (unquote(INJECTED.replace("%0A", "%0A%0A", 1)), 1),       # the notice ends early: one junk block
], ids=["line-breaks", "blank-line"])
def test_a_caller_id_with_forged_header_lines_is_routed_like_anyone_else(h, raw_name, junk):
    h.employee("ivan.petrov", answer_after=2)
    h.employee("s.kuznetsov", answer_after=1)                 # would answer, were 203 believed
    h.employee("anna.smirnova", answer_after=1)
    h.call("202")                                             # warm up: store and pools opened
    h.history()
    wait_until(lambda: not h.sim.sessions, what="the warm-up call's socket to close")
    fds = open_fds()

    call = h.call("201", caller=INJECTED, caller_name=INJECTED, quirks=Quirks(),
                  channel_overrides={"Channel-Name": f"sofia/external/{raw_name}@{TRUNK}"})

    assert rung(call) == [["ivan.petrov"]] and call.answered_by == "ivan.petrov"
    record = h.record_of(call)
    assert (record.called, record.target, record.outcome) == ("201", "employee:ivan.petrov", "answered")
    assert record.caller_name == record.caller == unquote(INJECTED)
    assert h.metric("callrouter_esl_junk_frames_total") == junk
    assert not any(h.metric("callrouter_call_failures_total", stage=stage) for stage in FAILURE_STAGES)
    wait_until(lambda: not h.sim.sessions, what="the lingering socket to close")
    assert h.app.outbound.active == 0
    try:
        wait_until(lambda: not extra_fds(fds), what="open descriptors back to the baseline")
    except AssertionError:
        raise AssertionError(f"descriptors left open: {extra_fds(fds)}") from None

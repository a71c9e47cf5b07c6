"""A call the daemon cannot drive goes back to the dialplan; the next call is not affected."""
from __future__ import annotations

import random

import pytest

from config.models import Company, ConfigFile, Employee
from config.snapshot import Snapshot
from routing.types import Step
from tests.daemon_outbound import conftest
from tests.daemon_outbound.conftest import DIALLED, office, plan, ring
from tests.daemon_outbound.switch import CONNECT, UUID, Call
from tests.esl.peer import SwitchEnd, reply


def a_normal_call_still_works(daemon) -> None:
    daemon.route(plan(Step("hangup", cause="USER_BUSY")))
    call = Call.place(daemon.address)
    call.app("hangup")
    call.hang_up("USER_BUSY")
    assert daemon.records.next().outcome == "busy"
    assert call.closed_by_daemon()


def handed_back(daemon, peer: SwitchEnd, stage: str) -> None:
    assert peer.closed_by_daemon()
    daemon.settled()
    assert daemon.value("callrouter_call_failures_total", stage=stage) == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_bytes_instead_of_the_channel_data(daemon, seed):
    peer = SwitchEnd.dial(daemon.address)
    assert peer.command() == "connect"
    peer.send(random.Random(seed).randbytes(8192))
    handed_back(daemon, peer, "connect")
    assert daemon.value("callrouter_calls_total", kind="unknown", outcome="failed") == 1
    a_normal_call_still_works(daemon)


def test_a_truncated_frame_then_eof(daemon):
    peer = SwitchEnd.dial(daemon.address)
    peer.command()
    peer.send(CONNECT[:3000])
    peer.sock.shutdown(2)
    daemon.settled()
    assert daemon.value("callrouter_call_failures_total", stage="connect") == 1
    a_normal_call_still_works(daemon)


def test_a_huge_content_length_in_the_middle_of_a_call(daemon):
    daemon.route(plan(ring(office("ivan"))))
    call = Call.place(daemon.address)
    call.app("multiset")
    call.app("bridge")
    call.send(b"Content-Length: 99999999\nContent-Type: text/event-plain\n\n")
    handed_back(daemon, call, "protocol")
    record = daemon.records.next()
    assert record.outcome == "failed"
    assert daemon.value("callrouter_calls_total", kind="employee", outcome="failed") == 1
    a_normal_call_still_works(daemon)


def test_freeswitch_silent_after_connect_gets_resume_then_close(daemon):
    daemon.route(plan(ring(office("ivan"))))
    peer = SwitchEnd.dial(daemon.address)
    peer.command()
    peer.send(CONNECT)                      # and never a reply to anything else
    handed_back(daemon, peer, "timeout")
    sent = peer.received + peer.unread()
    assert sent[:4] == ["connect", f"filter Unique-ID {UUID}",
                        "event plain CHANNEL_EXECUTE_COMPLETE CHANNEL_BRIDGE CHANNEL_HANGUP_COMPLETE", "linger 1"]
    assert sent[-1] == "resume"
    assert daemon.records.next().outcome == "failed"
    a_normal_call_still_works(daemon)


def test_a_bridge_with_no_outcome_within_its_bound_is_hung_up_not_handed_back_ringing(daemon):
    """Issue 13 item 8: with no inbound link to end its legs, an async socket still takes a
    hangup while the bridge rings; the fallback must never ring people beside it."""
    daemon.route(plan(ring(office("ivan", timeout=0), timeout=0)))      # bound: the 0.5 s margin
    call = Call.place(daemon.address)
    call.app("multiset")
    call.app("bridge")
    handed_back(daemon, call, "timeout")
    hangup, resume = call.unread()
    assert "execute-app-name: hangup\nexecute-app-arg: RECOVERY_ON_TIMER_EXPIRE" in hangup
    assert resume == "resume"
    assert daemon.records.next().outcome == "failed"


def test_an_error_in_routing_is_handed_back(daemon, monkeypatch):
    company = ConfigFile(company=Company(name="Acme", domain="example.com", extensions=(200, 2999)),
                         employees=[Employee(name="Ivan", login="ivan", extension=DIALLED)])
    monkeypatch.setattr(conftest, "SNAPSHOT", Snapshot.build(company))
    daemon.route(RuntimeError("routing bug"))
    peer = SwitchEnd.dial(daemon.address)
    peer.command()
    peer.send(CONNECT)
    peer.command(), peer.command(), peer.command()
    peer.send(reply() + reply() + reply())
    handed_back(daemon, peer, "plan")
    assert peer.unread() == ["resume"]
    assert daemon.records.next().outcome == "failed"
    assert daemon.value("callrouter_calls_total", kind="employee", outcome="failed") == 1   # it dialled an employee


def test_an_error_while_executing_is_handed_back(daemon):
    daemon.route(plan(Step("voicemail", mailbox=None)))
    call = Call.place(daemon.address)
    handed_back(daemon, call, "execute")
    assert call.unread() == ["resume"]


def test_an_err_reply_to_the_bridge_is_handed_back(daemon):
    daemon.route(plan(ring(office("ivan"))))
    call = Call.place(daemon.address)
    call.app("multiset")
    call.command()
    call.send(reply("-ERR no such channel"))
    handed_back(daemon, call, "execute")


def test_freeswitch_vanishing_mid_call_is_a_failure_not_an_abandoned_call(daemon):
    daemon.route(plan(ring(office("ivan"))))
    call = Call.place(daemon.address)
    call.app("multiset")
    call.app("bridge")
    call.close()
    daemon.settled()
    assert daemon.value("callrouter_call_failures_total", stage="protocol") == 1
    assert daemon.records.next().outcome == "failed"

"""The accept server: port 0, calls side by side, shutdown without losing calls."""
from __future__ import annotations

import gevent
import pytest
from gevent import socket

from routing.types import Step
from tests.daemon_outbound.conftest import Daemon, office, plan, ring
from tests.daemon_outbound.switch import Call, connect_with


def test_port_zero_binds_a_free_port(daemon):
    host, port = daemon.address
    assert host == "127.0.0.1" and port > 0


def test_a_call_ringing_for_long_does_not_hold_up_another(daemon):
    daemon.route(plan(ring(office("ivan"), timeout=60)))
    daemon.route(plan(Step("hangup", cause="USER_BUSY")), dialled="2001")
    ringing = Call.place(daemon.address)
    ringing.app("multiset")
    bridge = ringing.app("bridge")
    assert daemon.server.active == 1

    other = Call.place(daemon.address, connect_with(Caller_Destination_Number="2001",
                                                    Unique_ID="11111111-2222-3333-4444-555555555555"))
    other.app("hangup")
    other.hang_up("USER_BUSY")
    assert daemon.records.next().uuid == "11111111-2222-3333-4444-555555555555"
    assert daemon.server.active == 1

    ringing.complete(bridge, "NO_ANSWER")
    ringing.app("hangup")
    ringing.hang_up("NORMAL_CLEARING")
    assert daemon.records.next().outcome == "busy"


def test_stop_accepting_refuses_new_calls_and_drain_waits_for_the_rest(daemon):
    daemon.route(plan(ring(office("ivan"))))
    call = Call.place(daemon.address)
    call.app("multiset")
    bridge = call.app("bridge")
    daemon.server.stop_accepting()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(daemon.address, timeout=1)
    assert daemon.server.drain(0.05) == 1

    drainer = gevent.spawn(daemon.server.drain, 5)
    call.bridged("ivan")
    call.hang_up("NORMAL_CLEARING", bridge, "SUCCESS")
    assert drainer.get(timeout=5) == 0
    assert daemon.records.next().outcome == "answered"
    assert daemon.value("callrouter_active_calls") == 0


def test_close_hands_the_calls_in_progress_back_to_the_dialplan():
    daemon = Daemon()
    daemon.server.start()
    daemon.route(plan(ring(office("ivan"))))
    call = Call.place(daemon.address)
    call.app("multiset")
    call.app("bridge")                  # written: FreeSWITCH may ring it, whether or not its +OK was read
    daemon.server.close()
    assert call.closed_by_daemon()
    hangup, resume = call.unread()      # the bridge ended first: no two plans on one call
    assert "execute-app-name: hangup" in hangup and resume == "resume"
    assert daemon.server.active == 0
    assert daemon.records.next().outcome == "failed"

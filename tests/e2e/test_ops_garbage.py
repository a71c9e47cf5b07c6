"""The outbound peer sends garbage: that one call goes back to the dialplan, the next works.

A relay on loopback sits between the simulator's socket application and the daemon and,
for the first call only, answers the daemon's event subscription with a frame whose
Content-Length is not a number, then passes nothing more on.  The daemon cannot trust
the stream after that: it drops the connection, the dialplan goes on with its fallback
(here: a bridge to the operator; async mode needs `socket_resume=true` for that, sync
mode must not have it), and the failure is counted.
"""
from __future__ import annotations

import gevent
from gevent import socket
from gevent.server import StreamServer

from tests.e2e.harness import DOMAIN
from tests.relay import copy

GARBAGE = b"Content-Type: text/event-plain\nContent-Length: banana\n\n"


class GarblingRelay:
    """TCP relay sim -> daemon that corrupts the first `garble` connections it carries."""

    def __init__(self, daemon: tuple[str, int], garble: int = 1):
        self.daemon = daemon
        self.garble = garble
        self.server = StreamServer(("127.0.0.1", 0), self._relay)
        self.server.start()

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address[:2]

    def close(self) -> None:
        self.server.stop(timeout=1)

    def _relay(self, switch: socket.socket, _address) -> None:
        garble, self.garble = self.garble > 0, self.garble - 1
        daemon = socket.create_connection(self.daemon)
        upstream = gevent.spawn(self._pump, switch, daemon)
        try:
            self._downstream(daemon, switch, garble)
        finally:
            upstream.join(timeout=1)
            for sock in (switch, daemon):
                sock.close()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        """FreeSWITCH's bytes to the daemon, until either side closes."""
        copy(src, dst)
        _shut(dst)

    @staticmethod
    def _downstream(daemon: socket.socket, switch: socket.socket, garble: bool) -> None:
        """The daemon's commands to FreeSWITCH; a garbled link answers `event plain` with junk
        and goes deaf from there on."""
        corrupted = False
        try:
            while data := daemon.recv(65536):
                if corrupted:
                    continue
                if garble and b"event plain" in data:
                    # the daemon pipelines its commands: pass on those up to `event plain`
                    data = data[:data.index(b"\n\n", data.index(b"event plain")) + 2]
                    corrupted = True
                switch.sendall(data)
                if corrupted:
                    daemon.sendall(GARBAGE)
        except OSError:
            pass
        _shut(switch)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def test_garbage_from_freeswitch_hands_that_call_back_and_the_next_call_works(make_harness):
    h = make_harness(sim_options={"fallback_dial": f"user/s.kuznetsov@{DOMAIN}"})
    h.employee("s.kuznetsov", answer_after=1)                 # the operator the dialplan falls back to
    h.employee("ivan.petrov", answer_after=1)
    relay = GarblingRelay(h.address)
    try:
        garbled = h.sim.place_call(relay.address, "201")
        assert garbled.wait(5)
        h.settle()
        working = h.sim.place_call(relay.address, "201")
        assert working.wait(5)
    finally:
        relay.close()

    assert garbled.connected and garbled.fell_back
    assert [b.dial_string for b in garbled.bridges] == [f"user/s.kuznetsov@{DOMAIN}"]   # only the fallback's
    assert garbled.answered_by == "s.kuznetsov"
    assert h.metric("callrouter_call_failures_total", stage="protocol") == 1

    assert not working.fell_back and working.answered_by == "ivan.petrov"
    failed, answered = h.history()
    assert (failed.uuid, failed.outcome) == (garbled.uuid, "failed")
    assert (answered.uuid, answered.outcome, answered.answered_by) == (working.uuid, "answered", "ivan.petrov")
    assert h.metric("callrouter_calls_total", kind="employee", outcome="failed") == 1
    assert h.app.outbound.active == 0

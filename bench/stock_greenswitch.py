"""greenswitch's stock OutboundESLServer with the smallest useful application: the baseline.

    python bench/stock_greenswitch.py --dial user/LOGIN@DOMAIN

A first outbound application on greenswitch 0.0.19, written as its README shows: for each
call `connect` (done by the server), `myevents`, `linger`, `multiset
continue_on_fail=true hangup_after_bridge=true` (as callrouter sets them; without the
second the caller's channel would go back to the dialplan when the callee hangs up),
then `bridge DIAL` blocking until the bridge completes; the session then ends.  No
routing, no records, no metrics: what it costs is the library's own.

Two settings differ from greenswitch's defaults, both so that it can take the bench's
traffic at all: `max_connections` (100 by default: calls beyond are refused) is
raised to 100,000, and the stock `logging.info` lines per call stay off (the root
logger's default level).  Its accept loop is untouched: a non-blocking accept()
that sleeps 100 ms whenever no connection is waiting.

Prints `ready outbound=HOST:PORT` on stdout once listening; runs until killed.
"""
from __future__ import annotations

import argparse
import socket as std_socket
import sys

MAX_CONNECTIONS = 100_000


def free_port(host: str) -> int:
    """A port nothing listens on now (OutboundESLServer takes a port, not 0)."""
    with std_socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def bridge_application(dial: str):
    from greenswitch.esl import NotConnectedError, OutboundSessionHasGoneAway

    class BridgeApplication:
        """greenswitch calls `Application(session).run()` in a greenlet per call."""

        def __init__(self, session):
            self.session = session

        def run(self) -> None:
            session = self.session
            try:
                session.myevents()
                session.linger()
                session.call_command("multiset", "continue_on_fail=true hangup_after_bridge=true")
                session.bridge(dial, block=True)
            except (OutboundSessionHasGoneAway, NotConnectedError):
                pass              # the caller hung up first

    return BridgeApplication


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dial", required=True, help="the bridge argument for every call")
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)

    from gevent import monkey
    monkey.patch_all()
    import gevent
    from greenswitch.esl import OutboundESLServer

    port = free_port(args.host)
    server = OutboundESLServer(bind_address=args.host, bind_port=port,
                               application=bridge_application(args.dial), max_connections=MAX_CONNECTIONS)
    listener = gevent.spawn(server.listen)
    while not server._running and not listener.dead:     # set once listen() has bound and listens
        gevent.sleep(0.01)
    if listener.dead:
        listener.get()                                     # re-raises why it could not listen
    print(f"ready outbound={args.host}:{port}", flush=True)
    listener.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())

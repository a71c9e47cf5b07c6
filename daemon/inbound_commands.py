"""`api` commands to FreeSWITCH over the inbound event socket, one short connection each time.

The call path needs the inbound side only when a bound runs out on a call whose
outbound socket cannot help: a bridge still ringing past its timeout (over a
synchronous socket FreeSWITCH reads nothing while the bridge runs), or a daemon
that stops while calls ring.  Then the daemon ends the legs it started
(`uuid_kill <leg uuid>`, outbound_07e2: the bridge ends at once, NORMAL_CLEARING,
and the caller stays up), and, if the bridge still does not end, the caller's
channel.  This is rare, so each batch of commands opens its own connection:
it does not depend on the presence link being up at that moment, and a slow
command never holds up the presence events.
"""
from __future__ import annotations

from typing import Callable, Iterable, Optional

import gevent
from gevent import socket

from config.models import FreeswitchSettings
from daemon.esl.frames import ProtocolError
from daemon.inbound import Link, LinkError

TIMEOUT = 3.0                 # real seconds for one batch: connect, auth, commands


class InboundUnavailable(Exception):
    """The inbound event socket could not run the commands."""


class InboundCommands:
    """Runs `api` commands on a fresh inbound connection; see the module docstring."""

    def __init__(self, settings: Callable[[], FreeswitchSettings], *, timeout: float = TIMEOUT):
        self._settings = settings
        self._timeout = timeout

    def api(self, commands: Iterable[str]) -> list[str]:
        """The body of each `api` reply, in order; InboundUnavailable when the link fails."""
        commands = list(commands)
        if not commands:
            return []
        settings = self._settings()
        try:
            with gevent.Timeout(self._timeout, InboundUnavailable(f"no answer within {self._timeout:g} s")):
                return _run(settings, commands)
        except (OSError, ProtocolError, LinkError) as exc:
            raise InboundUnavailable(str(exc) or type(exc).__name__) from None

    def kill(self, uuids: Iterable[str], cause: str = "NORMAL_CLEARING") -> int:
        """`uuid_kill` each channel; how many existed (and were ended)."""
        replies = self.api(f"uuid_kill {uuid} {cause}" for uuid in uuids)
        return sum(1 for reply in replies if reply.startswith("+OK"))

    def getvar(self, uuid: str, name: str) -> Optional[str]:
        """A channel variable; None when the channel does not exist, "" when unset."""
        (reply,) = self.api([f"uuid_getvar {uuid} {name}"])
        if reply.startswith("-ERR"):
            return None
        return "" if reply.strip() == "_undef_" else reply.strip()


def _run(settings: FreeswitchSettings, commands: list[str]) -> list[str]:
    sock = socket.create_connection((settings.host, settings.port))
    try:
        link = Link(sock)
        link.authenticate(settings.password)
        bodies = [link.api(command, []) for command in commands]     # nothing subscribed: no events
        sock.sendall(b"exit\n\n")
        return bodies
    finally:
        sock.close()

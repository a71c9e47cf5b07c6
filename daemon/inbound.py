"""The supervised inbound ESL connection that keeps the presence view current.

One TCP connection to FreeSWITCH's event socket (8021): authenticate, subscribe
to channel and registration events (`inbound_events.SUBSCRIPTION`), load the
registrations that exist now, then read events for as long as the link lives.
The same events tell `hangups` (daemon.hangups) of the ends of calls whose outbound
socket was lost.  When it dies, the presence view falls back to "everyone available" and the
supervisor reconnects with exponential backoff and jitter; a refused password or
ACL is retried at the longest delay, since retrying sooner cannot fix it.

Nothing on this connection may block: FreeSWITCH drops an event listener whose
queue it cannot push into, so the reader reads continuously and each event costs
a few dict updates (never the database, never routing).
"""
from __future__ import annotations

import json
import logging
from collections import deque
import random as _random
import socket as _stdsocket
from typing import Callable, Iterable, Iterator, Optional, TypeVar, Union

import gevent
import gevent.event
from gevent import socket

from config.models import FreeswitchSettings
from store.backoff import Backoff
from store.loop import Loop
from daemon.esl.event import JSON as EVENT_JSON, PLAIN as EVENT_PLAIN, Event
from daemon.esl.frames import Frame, FrameParser, ProtocolError
from daemon.hangups import Hangups
from daemon.inbound_events import SUBSCRIPTION, apply_event, profile_names, registrations
from daemon.metrics import Metrics
from daemon.presence import PresenceView, Registration

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 10.0
# `sofia xmlstatus ... reg` of a 10,000-phone company is ~15 MB; events stay under 20 KB.
MAX_FRAME = 64 << 20
YIELD_EVERY = 500           # registrations loaded between two yields to the call path
EVENT_TYPES = frozenset({EVENT_PLAIN, EVENT_JSON})
T = TypeVar("T")


class LinkError(Exception):
    """This connection failed; `reason` is what an operator reads in the log."""
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Refused(LinkError):
    """FreeSWITCH refused us (password, ACL): retrying soon cannot help."""


class InboundSupervisor(Loop):
    """Connects, keeps the presence view fed, reconnects; `start()`/`stop()`."""

    def __init__(self, settings: Callable[[], FreeswitchSettings], domain: Callable[[], str],
                 presence: PresenceView, metrics: Metrics, *,
                 sleep: Callable[[float], None] = gevent.sleep,
                 random: Callable[[], float] = _random.random,
                 handshake_timeout: float = HANDSHAKE_TIMEOUT, hangups: Optional[Hangups] = None):
        self._settings = settings
        self._domain = domain
        self._presence = presence
        self._hangups = hangups if hangups is not None else Hangups()
        self._metrics = metrics
        self._sleep = sleep
        self._backoff = Backoff(random=random)
        self._handshake_timeout = handshake_timeout
        self._sock: Optional[socket.socket] = None
        self._restart = False
        self._wake = gevent.event.Event()
        metrics.esl_connected.set(0)

    @property
    def connected(self) -> bool:
        return self._presence.connected

    def reconnect(self) -> None:
        """Drop the link, or cut a backoff wait short, and connect again with fresh settings.

        For a config reload: a corrected password must not wait out a 30 s backoff.
        """
        self._restart = True
        self._wake.set()
        if self._sock is not None:
            self._sock.close()

    # ------------------------------------------------------------------ supervision

    def _run(self) -> None:
        attempts = 0
        try:
            while True:
                if attempts:
                    self._metrics.esl_reconnects_total.inc()
                attempts += 1
                self._restart = False
                self._wake.clear()
                delay = self._attempt(self._settings())
                if delay is not None:
                    self._pause(delay)
        finally:
            self._lost()

    def _attempt(self, settings: FreeswitchSettings) -> Optional[float]:
        """Connect and serve until the link ends; the delay before the next attempt."""
        where = f"{settings.host}:{settings.port}"
        try:
            self._connect_and_serve(settings)
        except Refused as exc:
            self._lost()
            delay = self._backoff.at_cap()
            log.error("FreeSWITCH ESL at %s refused us (%s); retrying in %.1f s", where, exc.reason, delay)
            return delay
        except LinkError as exc:
            if self._restart:
                self._lost()
                log.info("FreeSWITCH ESL: reconnecting to apply new settings")
                return None
            return self._after_failure(where, exc.reason)
        return None

    def _pause(self, delay: float) -> None:
        """Sleep `delay` (the injected sleep), unless `reconnect()` wakes us first."""
        sleeper = gevent.spawn(self._sleep, delay)
        try:
            gevent.wait([sleeper, self._wake], count=1)
        finally:
            sleeper.kill(block=False)

    def _after_failure(self, where: str, reason: str) -> float:
        """Log a failure (a lost link or a failed attempt); the delay before the next try."""
        was_connected = self._presence.connected
        self._lost()
        delay = self._backoff.next()
        if was_connected:
            log.warning("FreeSWITCH ESL link to %s lost (%s); everyone counts as available "
                        "until it is back; reconnecting in %.1f s", where, reason, delay)
        else:
            log.warning("FreeSWITCH ESL at %s unreachable (%s); retrying in %.1f s", where, reason, delay)
        return delay

    def _lost(self) -> None:
        self._presence.disconnected()
        self._hangups.link_down()
        self._metrics.esl_connected.set(0)

    def _connect_and_serve(self, settings: FreeswitchSettings) -> None:
        """One connection's life; it ends only by raising LinkError."""
        try:
            sock = socket.create_connection((settings.host, settings.port), timeout=self._handshake_timeout)
        except OSError as exc:
            raise LinkError(_describe(exc)) from None
        self._sock = sock
        try:
            link = Link(sock)
            pending = link.handshake(settings.password)
            self._load(link, pending)
            log.info("FreeSWITCH ESL connected to %s:%d; %d logins registered",
                     settings.host, settings.port, self._presence.registered_logins)
            self._backoff.reset()
            sock.settimeout(None)                # events may be silent for hours; keepalive watches
            link.read_events(self._on_event)
        except OSError as exc:
            raise LinkError(_describe(exc)) from None
        except ProtocolError as exc:
            raise LinkError(f"ESL framing broken: {exc}") from None
        finally:
            self._sock = None
            sock.close()

    def _load(self, link: "Link", pending: list[Event]) -> None:
        """Take the current registrations, then replay what arrived meanwhile.

        Registration updates are idempotent set operations, so replaying events
        that the listing already reflects changes nothing.
        """
        domain = self._domain()
        found: list[Registration] = []
        for profile in profile_names(link.api("sofia status", pending)):
            body = link.api_bytes(f"sofia xmlstatus profile {profile} reg", pending)
            found.extend(_cooperatively(registrations(body, domain)))
        self._presence.reset(found)
        self._hangups.link_up()
        self._metrics.esl_connected.set(1)
        for event in pending:
            self._on_event(event)

    def _on_event(self, event: Event) -> None:
        apply_event(self._presence, event, self._domain())
        self._hangups.heard(event)


class Link:
    """The byte-level conversation over one socket (no policy, no presence); also
    daemon.inbound_commands' short connections."""

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._parser = FrameParser(max_frame=MAX_FRAME)
        self._frames: deque[Frame] = deque()
        _keepalive(sock)

    def handshake(self, password: str) -> list[Event]:
        """Authenticate and subscribe; returns events that came before the last reply."""
        self.authenticate(password)
        pending: list[Event] = []
        reply = self._reply(SUBSCRIPTION, pending)
        if not reply.startswith("+OK"):
            raise LinkError(f"event subscription refused: {reply.strip()}")
        return pending

    def authenticate(self, password: str) -> None:
        """Read the greeting and log in (Refused, LinkError); nothing is subscribed yet."""
        greeting = self._next_frame()
        if greeting.content_type == "text/rude-rejection":
            raise Refused("access denied by its ACL (event_socket apply-inbound-acl)")
        if greeting.content_type != "auth/request":
            raise LinkError(f"not an event socket (it sent {greeting.content_type or 'no Content-Type'})")
        reply = self._reply(f"auth {password}", [])
        if not reply.startswith("+OK"):
            raise Refused(f"wrong password: {reply.strip()}; check freeswitch.password "
                          "against event_socket.conf.xml")

    def api(self, command: str, pending: list[Event]) -> str:
        return self.api_bytes(command, pending).decode("utf-8", "replace")

    def api_bytes(self, command: str, pending: list[Event]) -> bytes:
        """Run `api COMMAND`; events read while waiting are appended to `pending`."""
        self._send(f"api {command}")
        return self._wait_for("api/response", pending).body

    def read_events(self, handle: Callable[[Event], None]) -> None:
        """Hand every event to `handle` until the peer closes (raises LinkError)."""
        while True:
            frame = self._next_frame()
            if frame.content_type in EVENT_TYPES:
                self._dispatch(frame, handle)
            elif frame.content_type == "text/disconnect-notice":
                log.info("FreeSWITCH says goodbye on the ESL link (shutting down?)")

    def _dispatch(self, frame: Frame, handle: Callable[[Event], None]) -> None:
        event = _decode(frame)
        if event is not None:
            handle(event)

    def _reply(self, command: str, pending: list[Event]) -> str:
        self._send(command)
        frame = self._wait_for("command/reply", pending)
        return Event.from_frame(frame).get("Reply-Text") or ""

    def _wait_for(self, content_type: str, pending: list[Event]) -> Frame:
        """The next frame of `content_type`: events may come between a command and its reply."""
        while True:
            frame = self._next_frame()
            if frame.content_type == content_type:
                return frame
            if frame.content_type in EVENT_TYPES:
                self._dispatch(frame, pending.append)
            elif frame.content_type == "text/disconnect-notice":
                raise LinkError("FreeSWITCH closed the connection")

    def _send(self, command: str) -> None:
        self._sock.sendall(command.encode("utf-8") + b"\n\n")

    def _next_frame(self) -> Frame:
        while not self._frames:
            data = self._sock.recv(65536)
            if not data:
                raise LinkError("connection closed by FreeSWITCH")
            self._frames.extend(self._parser.feed(data))
        return self._frames.popleft()


def _decode(frame: Frame) -> Optional[Union[Event, dict]]:
    """The event in `frame` (a dict for `event json`, the subscription; a lazy Event for
    plain), or None for a JSON body that is not one object (logged).

    This reader sees every channel event of the switch: a plain event is only
    searched for the few headers `apply_event` reads, never decoded whole.
    """
    try:
        if frame.content_type == EVENT_JSON:
            event = json.loads(frame.body)           # a plain dict: cheaper than an Event of its pairs
            return event if isinstance(event, dict) else None
        return Event.from_frame(frame)
    except ValueError as exc:
        log.warning("skipping an undecodable ESL event (%s)", exc)
        return None


def _keepalive(sock: socket.socket) -> None:
    """Notice a FreeSWITCH host that vanished without closing (about 60 s)."""
    sock.setsockopt(_stdsocket.SOL_SOCKET, _stdsocket.SO_KEEPALIVE, 1)
    for name, value in (("TCP_KEEPIDLE", 30), ("TCP_KEEPINTVL", 10), ("TCP_KEEPCNT", 3)):
        if hasattr(_stdsocket, name):
            sock.setsockopt(_stdsocket.IPPROTO_TCP, getattr(_stdsocket, name), value)


def _cooperatively(items: Iterable[T]) -> Iterator[T]:
    """Yield to other greenlets now and then while a big listing is consumed."""
    for count, item in enumerate(items, 1):
        yield item
        if count % YIELD_EVERY == 0:
            gevent.sleep(0)


def _describe(exc: OSError) -> str:
    """'connection refused', 'timed out', … for the log line."""
    if isinstance(exc, _stdsocket.timeout):
        return "timed out"
    if isinstance(exc, _stdsocket.gaierror):
        return f"cannot resolve host: {exc.strerror or exc}"
    return (exc.strerror or str(exc) or type(exc).__name__).lower()

"""greenswitch's OutboundSession, hardened for a daemon that drives every call.

greenswitch 0.0.19 (`greenswitch/esl.py`) is small and readable; `CallSession`
keeps its interface (connect, myevents, linger, send, call_command, hangup,
register_handle, while_connected, raise_if_disconnected ...) and replaces the parts
that fail under real traffic.  Its weak points, and what this subclass does
(each has a test in tests/esl/test_session.py, same numbering):

1. `ESLEvent` URL-decodes a whole message before splitting it into lines, so a
   caller's `%0A` forges headers such as Event-Name.  Here `daemon.esl.frames`
   splits first and `daemon.esl.event` decodes each value on its own.
2. `send()` writes with `sock.send`, which may write part of a command, and
   without a lock, so two greenlets can interleave commands.  Here: `sendall`
   under a lock, and the reply slot is queued under the same lock, so replies
   pair with commands in wire order.
3. `send()` waits forever for its reply.  Here every wait (the lock, the write,
   the reply) is bounded by `command_timeout`: `CommandTimeout`.
4. A body is glued onto the event's last header (BACKGROUND_JOB's result ends up
   in its inner `Content-Length`).  Here it is `Event.body`.
5. `call_command(block=True)` takes the next CHANNEL_EXECUTE_COMPLETE whose
   `variable_current_application` has the same name, so a second `bridge` can be
   completed by the first one's event.  Here each sendmsg carries a fresh
   `Event-UUID`, and only the CHANNEL_EXECUTE_COMPLETE with that
   `Application-UUID` completes it.
6. At EOF the reader stops the processor greenlet, and events still queued are
   dropped (typically the last CHANNEL_HANGUP_COMPLETE, with the hangup cause).
   Here the reader dispatches every frame it has parsed before it reports the
   end of the connection.
7. One processor greenlet per session polls a queue (waking every second) and
   runs every handler: a handler that blocks (say, a blocking playback on DTMF)
   stalls the session's other events, including the completion it waits for.
   Here there is no processor: the reader hands each event to the session's own
   bookkeeping (completions, hangup, bridge), which only sets results, then to
   registered handlers; a handler that tries to wait for FreeSWITCH gets a
   RuntimeError at once instead of a deadlock.  The call's own greenlet does the
   work and waits.
8. Malformed input kills greenswitch's reader (KeyError without Content-Type,
   ValueError on a bad Content-Length, UnicodeDecodeError on non-UTF-8) and the
   socket is never closed.  Here a framing error ends the session cleanly (socket
   closed, waiters woken with the error) and a block without a known Content-Type
   is logged, counted and skipped.

Replies pair with the next `command/reply` or `api/response`, never with the
next message: events arrive between a command and its reply.  greenswitch's
helpers built on `register_expected_event` (say, play_and_get_digits) would wait
for that name-based match and raise NotImplementedError here; `playback` is
rebuilt on `call_command`.
"""
from __future__ import annotations

import logging
import socket
from collections import deque
from time import perf_counter
from typing import Callable, NamedTuple, Optional

import gevent
from gevent.event import AsyncResult
from gevent.event import Event as Signal
from gevent.lock import Semaphore
from greenswitch.esl import ESLProtocol, OutboundSession

from daemon.esl import commands
from daemon.esl.channel import ChannelState
from daemon.esl.errors import CommandFailed, CommandTimeout, ESLError, ProtocolError, SessionClosed
from daemon.esl.event import Event
from daemon.esl.frames import MAX_FRAME, Frame, FrameParser, header_value

log = logging.getLogger(__name__)

RECV_SIZE = 65536
REPLY_TYPES = frozenset({"command/reply", "api/response"})
EVENT_TYPES = frozenset({"text/event-plain", "text/event-json"})
NOTICE_TYPE = "text/disconnect-notice"
FOREIGN_TYPES = frozenset({"auth/request", "log/data", "text/rude-rejection"})   # inbound-only, never ours
PLAIN_EVENT = "text/event-plain"
# The connect reply's Socket-Mode: `static` for `socket ADDR full`, `async` for `... async full`.
SOCKET_MODES = {"static": True, "async": False}
EXECUTE_COMPLETE = "CHANNEL_EXECUTE_COMPLETE"
# What the session itself reads (the daemon subscribes to no more; a client that asks for
# `myevents` gets the others dropped before they are decoded).
CALL_EVENTS = frozenset(name.encode("ascii") for name in ChannelState.EVENT_NAMES | {EXECUTE_COMPLETE})


class Execution(NamedTuple):
    """One application sent with `execute()`: its reply and its completion."""
    app: str
    uuid: str              # our Event-UUID, FreeSWITCH's Application-UUID
    reply: AsyncResult     # the command/reply (+OK even for a dead channel)
    done: AsyncResult      # the CHANNEL_EXECUTE_COMPLETE event


class CallSession(OutboundSession):
    """One outbound connection (one call), read by its own reader greenlet."""

    def __init__(self, sock, address=None, *, command_timeout: float = 5.0,
                 on_junk: Optional[Callable[[Frame], None]] = None, max_frame: int = MAX_FRAME,
                 sync: bool = False):
        # Not OutboundSession.__init__: it wraps the socket in a file object and
        # starts greenswitch's line reader and its polling processor greenlet.
        ESLProtocol.__init__(self)
        self.sock = sock
        self.address = address
        self.command_timeout = command_timeout
        self.connected = True
        self.session_data: Optional[Event] = None       # the channel data of `connect`
        self.expected_events = {}
        self._outbound_connected = False
        self.sync = sync                                # `socket ... full`: see hand_back and ChannelState
        self.channel = ChannelState(sync)
        self.failure: Optional[BaseException] = None    # why the connection ended, if not cleanly
        self.lost = False                               # it ended without our close(): EOF, error, garbage
        self.closed = Signal()
        self.connect_received_at = 0.0                  # perf_counter() when the channel data arrived
        self._parser = FrameParser(max_frame)
        self._on_junk = on_junk
        self._write_lock = Semaphore()
        self._replies: deque[tuple[AsyncResult, Optional[Execution]]] = deque()
        self._completions: dict[str, Execution] = {}
        self._reader: Optional[gevent.Greenlet] = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self.start_event_handlers()

    def start_event_handlers(self) -> None:
        self._reader = gevent.spawn(self.receive_events)

    def close(self) -> None:
        """Close the connection now; waiters get SessionClosed.  Idempotent."""
        if self.closed.is_set():
            return
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._finish(None, lost=False)

    def stop(self) -> None:
        """greenswitch's stop() sends `exit` and joins its greenlets; a call just closes."""
        self.close()

    def hand_back(self) -> None:
        """Give the call back to the dialplan, which goes on with its next action.

        Async mode: the dialplan sets `socket_resume=true` before `socket`, so closing
        alone resumes it; `resume` is sent first (without waiting for its reply) for a
        dialplan that forgot, while the channel is up and the link still takes bytes.
        Sync mode: closing is enough, the socket application returns and the dialplan
        goes on; `resume` would leave the caller in CS_RESET with no final response
        (outbound_07d), so it is never sent.
        """
        if not self.sync and not self.closed.is_set() and not self.channel.gone.is_set():
            try:
                self._write([commands.RESUME], [(AsyncResult(), None)])
            except ESLError:
                pass
        self.close()

    # ------------------------------------------------------------------ commands

    def submit(self, *texts: str) -> list[AsyncResult]:
        """Write commands in one segment (pipelining); their replies arrive in order."""
        slots = [AsyncResult() for _ in texts]
        self._write(texts, [(slot, None) for slot in slots])
        return slots

    def execute(self, *apps: tuple[str, str]) -> list[Execution]:
        """Run dialplan applications, in order, each after the previous one ends.

        All are written at once; wait on `Execution.done` for a completion.
        """
        runs = [Execution(app, commands.new_app_uuid(), AsyncResult(), AsyncResult()) for app, _ in apps]
        texts = [commands.execute(app, arg, run.uuid) for (app, arg), run in zip(apps, runs)]
        for run in runs:
            self._completions[run.uuid] = run
        self._write(texts, [(run.reply, run) for run in runs])
        return runs

    def wait_reply(self, slot: AsyncResult, timeout: Optional[float] = None) -> Event:
        """The reply in `slot`, within `timeout` (default command_timeout)."""
        return self._wait(slot, self.command_timeout if timeout is None else timeout, "reply")

    def confirm(self, slots: list[AsyncResult]) -> None:
        """Wait for replies and raise CommandFailed on the first `-ERR`."""
        for slot in slots:
            text = self.wait_reply(slot).data
            if text.startswith("-ERR"):
                raise CommandFailed(text)

    def wait_done(self, run: Execution, timeout: float) -> Event:
        """The CHANNEL_EXECUTE_COMPLETE of `run`, within `timeout` seconds."""
        return self._wait(run.done, timeout, f"completion of {run.app}")

    def _wait(self, result: AsyncResult, timeout: float, what: str) -> Event:
        if self._reader is not None and gevent.getcurrent() is self._reader:
            raise RuntimeError(f"an event handler waited for a {what}: handlers run in the reader, "
                               "which is the one greenlet that could deliver it; spawn the work instead")
        try:
            return result.get(timeout=timeout)
        except gevent.Timeout:
            raise CommandTimeout(f"no {what} within {timeout:g} s") from None

    def _write(self, texts, slots) -> None:
        if self.closed.is_set():
            raise self._closed_error()
        payload = "".join(text + "\n\n" for text in texts).encode("utf-8")
        if not self._write_lock.acquire(timeout=self.command_timeout):
            raise CommandTimeout(f"another command held the socket for {self.command_timeout:g} s")
        try:
            self._replies.extend(slots)
            with gevent.Timeout(self.command_timeout, CommandTimeout("FreeSWITCH took no bytes")):
                self.sock.sendall(payload)
        except CommandTimeout as exc:
            self._finish(exc)        # a command cut short leaves the stream unusable
            raise
        except OSError as exc:
            self._finish(exc)
            raise SessionClosed(f"write failed: {exc}") from exc
        finally:
            self._write_lock.release()

    def _closed_error(self) -> ESLError:
        failure = self.failure
        return failure if isinstance(failure, ESLError) else SessionClosed("the connection is closed")

    # ------------------------------------------------------------------ greenswitch interface

    @property
    def uuid(self) -> str:
        return self.channel.uuid

    def connect(self) -> Event:
        """`connect`: the reply is the channel data (one header block, no body)."""
        if self.session_data is None:
            event = self.wait_reply(self.submit(commands.CONNECT)[0])
            self.connect_received_at = perf_counter()
            self.session_data = event
            self.channel.uuid = event.get("Unique-ID") or ""
            mode = event.get("Socket-Mode") or ""
            if mode in SOCKET_MODES:            # what FreeSWITCH runs is what counts
                self.sync = self.channel.sync = SOCKET_MODES[mode]
            self._outbound_connected = True
        return self.session_data

    def send(self, data: str) -> Event:
        return self.wait_reply(self.submit(data)[0])

    def call_command(self, app_name, app_args=None, block=False, response_timeout=None):
        if self._lingering:
            raise SessionClosed("the channel has hung up")
        run = self.execute((app_name, app_args or ""))[0]
        if not block:
            return self.wait_reply(run.reply)
        return self.wait_done(run, response_timeout or self.command_timeout)

    def playback(self, path, block=True):
        return self.call_command("playback", path, block=block)

    def register_expected_event(self, *args, **kwargs):
        raise NotImplementedError("completions are matched by Application-UUID: use execute() and wait_done()")

    # ------------------------------------------------------------------ reader

    def receive_events(self) -> None:
        """The reader greenlet: segments in, frames dispatched, until EOF or error."""
        failure: Optional[BaseException] = None
        try:
            while not self.closed.is_set():
                if not self._receive_segment():
                    if self._parser.buffered:
                        failure = ProtocolError(f"connection closed inside a frame ({self._parser.buffered} bytes)")
                    break
        except ProtocolError as exc:
            failure = exc
        except OSError as exc:
            failure = None if self.closed.is_set() else exc
        except Exception as exc:             # a bug here must still close the socket
            log.exception("ESL reader failed", extra={"uuid": self.uuid})
            failure = exc
        finally:
            if failure is not None:
                log.warning("ESL connection dropped", extra={"uuid": self.uuid, "error": str(failure)})
            self._finish(failure)

    def _receive_segment(self) -> bool:
        """Read one segment and dispatch the frames it completes; False at EOF.

        A method of its own so that the segment and its frames are released before
        the next recv() waits: a call held for an hour would otherwise keep its last
        ~30 KB of events alive, 60 MB for 2,000 held calls.
        """
        data = self.sock.recv(RECV_SIZE)
        if not data:
            return False
        for frame in self._parser.feed(data):
            self._dispatch(frame)
        return True

    def _dispatch(self, frame: Frame) -> None:
        kind = frame.content_type
        if kind in REPLY_TYPES:
            self._on_reply(Event.from_frame(frame))
        elif kind == PLAIN_EVENT and not self.event_handlers and not _read_by_the_call(frame):
            return
        elif kind in EVENT_TYPES:
            try:
                event = Event.from_frame(frame)
            except ValueError:
                self._junk(frame, "undecodable event")
                return
            self._on_event(event)
        elif kind == NOTICE_TYPE:
            self._on_notice(Event.from_frame(frame))
        elif kind in FOREIGN_TYPES:
            log.debug("ignored a message of the inbound protocol", extra={"uuid": self.uuid, "type": kind})
        else:
            self._junk(frame, "block without a known Content-Type")

    def _on_reply(self, event: Event) -> None:
        if not self._replies:
            log.warning("reply with no command outstanding", extra={"uuid": self.uuid, "reply": event.data[:80]})
            return
        slot, run = self._replies.popleft()
        slot.set(event)
        if run is not None and event.data.startswith("-ERR"):
            self._completions.pop(run.uuid, None)
            run.done.set_exception(CommandFailed(f"{run.app}: {event.data}"))

    def _on_event(self, event: Event) -> None:
        if event.name == EXECUTE_COMPLETE:
            run = self._completions.pop(event.get("Application-UUID") or "", None)
            if run is not None:
                run.done.set(event)
        self.channel.observe(event)
        if self.channel.gone.is_set():
            self._outbound_connected = False
        if self.event_handlers:
            name = event.name
            key = event.get("Event-Subclass") if name == "CUSTOM" else name
            self._run_handlers(key, event)

    def _on_notice(self, event: Event) -> None:
        self._lingering = event.get("Content-Disposition") == "linger"
        self.channel.notice(event)
        self._outbound_connected = False
        if self.event_handlers:
            self._run_handlers("DISCONNECT", event)

    def _run_handlers(self, key: Optional[str], event: Event) -> None:
        """greenswitch's handler registry; handlers must not block (they run in the reader)."""
        for handler in self.event_handlers.get(key) or self.event_handlers.get("*", ()):
            try:
                handler(event)
            except Exception:
                log.exception("ESL event handler failed", extra={"uuid": self.uuid, "handler": repr(handler),
                                                             "event": event.name})

    def _junk(self, frame: Frame, why: str) -> None:
        log.warning("skipped ESL junk: %s", why, extra={"uuid": self.uuid, "head": repr(frame.head[:120])})
        if self._on_junk is not None:
            self._on_junk(frame)

    def _finish(self, failure: Optional[BaseException], lost: bool = True) -> None:
        """End the session once: close the socket, wake every waiter.  `lost`: not by close()."""
        if self.closed.is_set():
            return
        self.failure = failure
        self.lost = lost
        self.connected = False
        self._outbound_connected = False
        self.closed.set()
        self.sock.close()
        error = self._closed_error()
        for slot, _ in self._replies:
            slot.set_exception(error)
        self._replies.clear()
        for run in self._completions.values():
            run.done.set_exception(error)
        self._completions.clear()
        self.channel.link_closed()


def _read_by_the_call(frame: Frame) -> bool:
    """Whether a plain event is one the session acts on, judged from its raw Event-Name.

    The other events of the channel (CHANNEL_STATE, CHANNEL_EXECUTE, …) are dropped
    before they are decoded: with no handler registered, nothing would read them.
    Event names never need URL-encoding, so the raw value is the name.
    """
    return header_value(frame.body, b"Event-Name") in CALL_EVENTS

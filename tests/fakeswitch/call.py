"""One simulated call: the caller's channel, the socket application and its park loop.

The call connects to the daemon's outbound port like ``socket 127.0.0.1:8084 async full``.
Messages the daemon sends are executed one at a time by the park loop (FreeSWITCH's async
mode); a hangup — the caller's, the daemon's ``call-command: hangup``, ``uuid_kill`` — is
applied at once from whichever greenlet asks for it and interrupts the application that
is waiting (a ringing bridge, a playback…), which then reports its own completion before
the channel's teardown events:

    CHANNEL_HANGUP … CHANNEL_EXECUTE_COMPLETE (app) → CHANNEL_UNPARK →
    CHANNEL_EXECUTE_COMPLETE (socket) → CHANNEL_STATE ×2 → CHANNEL_HANGUP_COMPLETE

When the daemon closes the socket, ``resume`` (or ``socket_resume=true``, set by default as
the project's dialplan does) lets the dialplan go on — recorded as ``fell_back`` — and
otherwise the channel stays parked (``parked``) until someone hangs it up.  Nothing
listening on the port is a fallback at once (outbound_05).

Synchronous mode (``socket ADDR full``, ``CallOptions.sync``): there is no park loop; the
call's greenlet runs the session itself and each message's application inline (see
session.py).  The socket application returns when the daemon closes the socket (or the
linger time is over); then a channel that is down is torn down (its CHANNEL_HANGUP_COMPLETE
reaches inbound listeners only now, outbound_07a), and one that is up goes on with the
dialplan — unless ``resume``/``socket_resume=true`` put it in CS_RESET, where it stays with
no final response until someone kills it (``reset``, outbound_07d vs 07d2).
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING

import gevent
import gevent.event
import gevent.queue
from gevent import socket

from . import apps
from .channel import channel_data_reply
from .legs import CallerInfo, add_answer_media, add_media, apply_overrides, cdr_variables, make_a_leg, new_uuid
from .results import CallRecord
from .session import (BACKLOG, NOTICE_AFTER_COMPLETE, NOTICE_AFTER_HANGUP, NOTICE_AFTER_STATE, OutboundSession,
                      Quirks)

if TYPE_CHECKING:  # pragma: no cover
    from .switch import FakeSwitch

log = logging.getLogger(__name__)

#: Sim seconds from which a wait is long enough to drop a channel's rendering caches.
LONG_WAIT = 5.0


class SimCall(CallRecord):
    """A placed call: results to read, and :meth:`hangup` to act as the caller."""

    _flow: "CallFlow | None" = None

    def hangup(self) -> None:
        """The caller hangs up now (ORIGINATOR_CANCEL before an answer, NORMAL_CLEARING after)."""
        if self._flow is not None:
            self._flow.caller_hangs_up()


@dataclass(frozen=True)
class CallOptions:
    caller_hangs_up_after: float | None = None   # sim seconds from the call start
    talk_time: float | None = 1.0                # sim seconds from the answer; None: until hung up
    socket_resume: bool = True
    connect_timeout: float = 5.0                 # real seconds
    sync: bool = False                           # ``socket ADDR full`` rather than ``async full``


@dataclass
class AppRequest:
    """One application to run; ``loops=0`` marks a dialplan action (no sendmsg loop vars)."""

    name: str
    arg: str
    loops: int = 1
    event_uuid: str = ""


class CallFlow:
    """The caller's channel through one call: signalling state, the park loop, teardown.

    ``run`` is the call's greenlet (FreeSWITCH's session thread); the outbound session's
    reader runs beside it and hands messages over through a queue.
    """

    def __init__(self, sw: "FakeSwitch", call: SimCall, daemon_address: tuple[str, int], info: CallerInfo,
                 options: CallOptions, quirks: Quirks, rng: random.Random, overrides: dict | None) -> None:
        self.sw = sw
        self.call = call
        self.bus = sw.bus
        self.clock = sw.clock
        self.rng = rng
        self.address = daemon_address
        self.info = info
        self.options = options
        self.quirks = quirks
        self.uuid = call.uuid
        self.session: OutboundSession | None = None
        self._queue: gevent.queue.Queue = gevent.queue.Queue()
        self._interrupt = gevent.event.Event()
        self.hangup_at: float | None = None
        self._hangup_by_caller = False
        self._parked = False
        self._socket_gone = False
        self._progressed = False
        self._ack_pending = False
        self._answered_us = self._progress_us = self._media_us = self._bridged_us = 0
        self.deferred: list = []            # B-leg events delivered after the A leg's teardown
        self.socket_app_uuid = new_uuid(rng)
        self.socket_arg = f"{daemon_address[0]}:{daemon_address[1]} {'full' if options.sync else 'async full'}"
        call.socket_mode = "sync" if options.sync else "async"
        self.created_us = self.clock.epoch_us()
        self.channel = make_a_leg(sw.identity, info, uuid=self.uuid, session_id=sw.stats.next_session(),
                                  created_us=self.created_us, request_seq=self.bus.next_sequence(), rng=rng,
                                  socket_resume=options.socket_resume)
        apply_overrides(self.channel, overrides or {})
        self.channel_name = self.channel.name
        self._hangup_timer = None
        self._backlog: list = []            # pre-connect events, for the BACKLOG ordering
        self.recorders: list = []           # record_session media bugs (recorder.py)

    # -- helpers used by the applications ----------------------------------------------------

    def fire(self, name: str, first=(), tail=()) -> None:
        if self._ack_pending and not (name == "CHANNEL_EXECUTE_COMPLETE" and tail and tail[0][1] == "answer"):
            self._ack_received()
        self.bus.fire(self.channel, name, first, tail)

    def _ack_received(self) -> None:
        """The caller's ACK to our 200 OK refreshes the dialog variables (seen after an answer)."""
        self._ack_pending = False
        ch = self.channel
        to_tag = ch.get("sip_to_tag") or f"{self.rng.getrandbits(48):x}"
        via = (ch.get("sip_full_via") or "").rsplit(";branch=", 1)[0]
        full_to = f"<sip:{self.info.destination}@{self.info.domain}>;tag={to_tag}"
        for name, value in (("sip_to_tag", to_tag), ("sip_from_tag", ch.get("sip_from_tag")), ("sip_cseq", "2"),
                            ("sip_call_id", ch.get("sip_call_id")),
                            ("sip_full_via", f"{via};branch=z9hG4bK-{self.rng.getrandbits(32):x}"),
                            ("sip_full_from", ch.get("sip_full_from")), ("sip_full_to", full_to)):
            ch.set(name, value)

    def wait(self, sim_seconds: float | None, wake: gevent.event.Event | None = None) -> bool:
        """Sleep in sim time; True when a hangup (or ``wake``: a B leg killed) interrupted it.

        Before a long wait (a conversation, a call held by the bench) the channel drops its
        rendered text, which it rebuilds at the next event.
        """
        if self._interrupt.is_set() or (wake is not None and wake.is_set()):
            return True
        if sim_seconds is None or sim_seconds >= LONG_WAIT:
            self.channel.drop_caches()
        timeout = None if sim_seconds is None else self.clock.real(sim_seconds)
        if wake is None:
            return self._interrupt.wait(timeout)
        return bool(gevent.wait([self._interrupt, wake], timeout=timeout, count=1))

    @property
    def interrupted(self) -> bool:
        """Has the caller's channel been hung up (a wait's interruption)?"""
        return self._interrupt.is_set()

    def mark_ring(self) -> None:
        """180 Ringing towards the caller: CHANNEL_PROGRESS, once."""
        ch = self.channel
        if self._progressed or not ch.up or ch.answer_state != "ringing":
            return
        self._progressed = True
        self._progress_us = self.clock.epoch_us()
        ch.profile.stamp("Channel-Progress-Time", self._progress_us)
        self.fire("CHANNEL_PROGRESS")

    def mark_media(self) -> None:
        """183 with SDP: CHANNEL_PROGRESS_MEDIA, once, never after the answer."""
        ch = self.channel
        if ch.media or not ch.up:
            return
        add_media(ch, self.rng)
        ch.answer_state = "early"
        self._media_us = self.clock.epoch_us()
        ch.profile.stamp("Channel-Progress-Media-Time", self._media_us)
        self.fire("CHANNEL_PROGRESS_MEDIA")
        ch.call_state = "EARLY"

    def mark_answered(self) -> None:
        ch = self.channel
        if self.call.answered or not ch.up:
            return
        self.mark_media()
        ch.answer_state = "answered"
        add_answer_media(ch)
        self._answered_us = self.clock.epoch_us()
        ch.profile.stamp("Channel-Answered-Time", self._answered_us)
        self.fire("CHANNEL_ANSWER")
        ch.call_state = "ACTIVE"
        ch.set("endpoint_disposition", "ANSWER")
        self.call.answered = True
        self._ack_pending = True
        for recorder in self.recorders:
            recorder.on_answered()

    def mark_bridged(self) -> None:
        self._bridged_us = self.clock.epoch_us()
        self.channel.profile.stamp("Channel-Bridged-Time", self._bridged_us)

    def after_application(self) -> None:
        """B-leg events held back for the teardown go out now if the caller is still there."""
        if self.channel.up:
            for created in self.deferred:
                self.bus.deliver(created)
            self.deferred.clear()

    def scheduled_cancel(self) -> float | None:
        """When (sim time) the caller is going to hang up, if that is already known."""
        if self.hangup_at is not None:
            return self.hangup_at
        if self.options.caller_hangs_up_after is None:
            return None
        return self.call.started_at + self.options.caller_hangs_up_after

    # -- hangups ---------------------------------------------------------------------------

    def caller_hangs_up(self) -> None:
        ch = self.channel
        if not ch.up:
            return
        if self.call.answered:
            self._hang_up("NORMAL_CLEARING", by_caller=True)
        else:
            for name, value in (("sip_hangup_disposition", "recv_cancel"), ("sip_invite_failure_status", "487"),
                                ("sip_invite_failure_phrase", "CANCEL"), ("sip_term_status", "487"),
                                ("proto_specific_hangup_cause", "sip:487"), ("sip_term_cause", "487")):
                ch.set(name, value)
            self._hang_up("ORIGINATOR_CANCEL", by_caller=True)

    def caller_left_first(self) -> bool:
        """Was the hangup the caller's (BYE/CANCEL) rather than the switch's?"""
        return self._hangup_by_caller

    def switch_hangs_up(self, cause: str) -> None:
        """Hangup asked by the daemon, an application or the API."""
        if self.channel.up:
            self._hang_up(cause or "NORMAL_CLEARING", by_caller=False)

    def _hang_up(self, cause: str, by_caller: bool) -> None:
        ch = self.channel
        if by_caller and self.call.answered:
            for name, value in (("sip_term_status", "200"), ("proto_specific_hangup_cause", "sip:200"),
                                ("sip_term_cause", "16")):
                ch.set(name, value)
            if ch.other is not None:
                ch.set("last_bridge_role", "originator")
        self.hangup_at = self.clock.now()
        self._hangup_by_caller = by_caller
        ch.mark_hangup(cause, self.clock.epoch_us())
        self.fire("CHANNEL_HANGUP")
        if self.session is not None:
            self.session.hangup_notice(NOTICE_AFTER_HANGUP)
        if by_caller and self.call.answered and ch.other is None:
            ch.set("sip_hangup_disposition", "recv_bye")
        self._interrupt.set()
        self._queue.put(("hangup",))

    # -- the daemon's side ---------------------------------------------------------------------

    def channel_data_reply(self, socket_mode: str = "async") -> bytes:
        self.call.connected = True
        return channel_data_reply(self.bus.heads, self.channel, self.bus.next_sequence(), self.clock.epoch_us(),
                                  socket_mode)

    def ensure_parked(self) -> None:
        """The socket application parks the channel (CHANNEL_PARK) before its first message."""
        if self._parked or not self.channel.up or self.options.sync:
            return
        self._parked = True
        self.fire("CHANNEL_PARK")

    def on_sendmsg(self, command) -> None:
        call_command = command.header("call-command").lower()
        if call_command == "execute":
            arg = command.header("execute-app-arg") or command.body
            loops = command.header("loops")
            self._queue.put(("app", AppRequest(command.header("execute-app-name"), arg,
                                               int(loops) if loops.isdigit() else 1,
                                               command.header("Event-UUID"))))
        elif call_command == "hangup":
            self.switch_hangs_up(command.header("hangup-cause") or "NORMAL_CLEARING")

    def on_socket_closed(self) -> None:
        self._queue.put(("closed",))

    def run_message(self, command) -> None:
        """Sync mode: a message runs in the channel's own thread, now (session.py)."""
        call_command = command.header("call-command").lower()
        if call_command == "execute":
            if self.channel.up:
                loops = command.header("loops")
                apps.execute(self, AppRequest(command.header("execute-app-name"),
                                              command.header("execute-app-arg") or command.body,
                                              int(loops) if loops.isdigit() else 1, command.header("Event-UUID")))
        elif call_command == "hangup":
            self.switch_hangs_up(command.header("hangup-cause") or "NORMAL_CLEARING")

    def _sync_socket(self) -> None:
        """Sync mode: the socket application runs the session until the socket closes."""
        self.session.run()
        ch = self.channel
        if not ch.up:
            self._teardown()
            return
        if self.session.resume or ch.get("socket_resume") == "true":
            log.info("call %s: socket_resume on a sync socket: the channel stays in CS_RESET", self.uuid)
            self._fire_socket_complete()
            ch.state = ch.running = "CS_RESET"
            self.fire("CHANNEL_STATE")
            self.call.reset = True
            self._interrupt.wait()
            self._teardown(socket_done=True)
            return
        self._fall_back()

    # -- life cycle ----------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._start()
            sock = self._connect()
            if sock is None:
                log.info("call %s: nothing listens on %s:%d, dialplan fallback", self.uuid, *self.address)
                self._fall_back()
                return
            self.session = OutboundSession(self, sock, self.quirks, sync=self.options.sync)
            if self.options.sync:
                self._sync_socket()
                return
            self.session.backlog = self._backlog
            self.bus.attach(self.session)
            gevent.spawn(self.session.run)
            self._park_loop()
        except Exception:
            log.exception("call %s: simulator error", self.uuid)
            if self.channel.up:
                self.switch_hangs_up("NORMAL_TEMPORARY_FAILURE")
                self._teardown()
        finally:
            if self._hangup_timer is not None:
                self._hangup_timer.kill(block=False)
            self.call.ended_at = self.clock.now()
            self.call._done.set()
            self.call._flow = None
            self.sw.call_finished(self)

    def _start(self) -> None:
        ch = self.channel
        self.sw.channel_created(ch)
        self.bus.fire(ch, "CHANNEL_CREATE")
        ch.state = ch.running = "CS_EXECUTE"
        ch.call_state = "RINGING"
        hold = self.quirks.first_reply == BACKLOG and not self.options.sync
        self._backlog_event("CHANNEL_STATE", (), hold)
        ch.set("current_application", "socket")
        ch.set("current_application_data", self.socket_arg)
        self._backlog_event("CHANNEL_EXECUTE", (("Application", "socket"), ("Application-Data", self.socket_arg),
                                                ("Application-UUID", self.socket_app_uuid)), hold)
        ch.set("current_application", "socket")
        ch.set("socket_host", self.address[0])
        if self.options.caller_hangs_up_after is not None:
            self._hangup_timer = gevent.spawn_later(self.clock.real(self.options.caller_hangs_up_after),
                                                    self.caller_hangs_up)

    def _backlog_event(self, name: str, tail, hold: bool) -> None:
        created = self.bus.create(self.channel, name, tail=tail, keep=hold)
        if hold and created is not None:
            self._backlog.append(created[0])
        self.bus.deliver(created)

    def _connect(self):
        """Connect to the daemon's numeric address (no resolver: it costs a thread hop)."""
        sock = socket.socket(socket.AF_INET6 if ":" in self.address[0] else socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(self.options.connect_timeout)
        try:
            sock.connect(self.address)
        except OSError as exc:
            log.debug("call %s: connect failed: %s", self.uuid, exc)
            sock.close()
            return None
        self.call.socket_connected_at = perf_counter()
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _park_loop(self) -> None:
        while True:
            item = self._queue.get()
            if item[0] == "app" and self.channel.up:
                apps.execute(self, item[1])
            elif item[0] == "closed":
                self._socket_gone = True
            if not self.channel.up:
                self._teardown()
                return
            if self._socket_gone and self._queue.empty():
                if self.session.resume or self.channel.get("socket_resume") == "true":
                    self._fall_back()
                    return
                if not self.call.parked:
                    log.info("call %s: daemon closed the socket without resume; channel stays parked", self.uuid)
                    self.call.parked = True
                    self.ensure_parked()

    def _fall_back(self) -> None:
        """The socket application returned: the dialplan's next action runs, then the call ends.

        The next action is ``bridge <sw.fallback_dial>`` when the switch has one; the end of
        the dialplan hangs the caller up.
        """
        self.call.fell_back = True
        self._fire_socket_complete()
        if self.sw.fallback_dial and self.channel.up:
            apps.execute(self, AppRequest("bridge", self.sw.fallback_dial, loops=0))
        self.switch_hangs_up("NORMAL_CLEARING")
        self._teardown(socket_done=True)

    def _fire_socket_complete(self) -> None:
        ch = self.channel
        response = ch.get("current_application_response") or "_none_"
        self.fire("CHANNEL_EXECUTE_COMPLETE", tail=(
            ("Application", "socket"), ("Application-Data", self.socket_arg),
            ("Application-Response", response), ("Application-UUID", self.socket_app_uuid)))

    def _teardown(self, socket_done: bool = False) -> None:
        """From CHANNEL_UNPARK to CHANNEL_HANGUP_COMPLETE, then the session's notices."""
        ch = self.channel
        ch.set("current_loop", None)
        ch.set("total_loops", None)
        if self._parked:
            self.fire("CHANNEL_UNPARK")
        if not socket_done:
            self._fire_socket_complete()
        ch.state = "CS_HANGUP"
        self.fire("CHANNEL_STATE")
        for recorder in self.recorders:         # the hangup state closes the media bugs
            recorder.stop()
        if self.session is not None:
            self.session.hangup_notice(NOTICE_AFTER_STATE)
        ch.state = ch.running = "CS_REPORTING"
        ch.call_state = "HANGUP"
        self.fire("CHANNEL_STATE")
        if self.bus.wants("CHANNEL_HANGUP_COMPLETE", ch.uuid):
            disposition = "" if self._hangup_by_caller else ("send_bye" if self.call.answered else "send_refuse")
            cdr_variables(ch, created_us=self.created_us, end_us=self.clock.epoch_us(), answered_us=self._answered_us,
                          bridged_us=self._bridged_us, progress_us=self._progress_us, media_us=self._media_us,
                          last_app=ch.get("current_application") or "",
                          last_arg=ch.get("current_application_data") or "", disposition=disposition)
        self.fire("CHANNEL_HANGUP_COMPLETE", first=(("Hangup-Cause", ch.hangup_cause),))
        for created in self.deferred:
            self.bus.deliver(created)
        self.deferred.clear()
        self.call.hangup_cause = ch.hangup_cause
        self.sw.channel_destroyed(ch)
        if self.session is not None:
            self.session.hangup_notice(NOTICE_AFTER_COMPLETE)
            self._schedule_goodbye()

    def _schedule_goodbye(self) -> None:
        session = self.session
        if session.outbox.closed:
            return
        if session.linger is None:
            session.goodbye()
        elif session.linger > 0:
            gevent.spawn_later(self.clock.real(session.linger + self.quirks.linger_extra), session.goodbye)

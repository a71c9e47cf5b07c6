"""The outbound ESL server: FreeSWITCH's `socket 127.0.0.1:8084 full` lands here.

One TCP connection per call, accepted by a gevent StreamServer (greenswitch's
OutboundESLServer polls a non-blocking accept() every 100 ms, which every call's
setup would pay) and driven in the connection's own greenlet:

    connect (channel data) -> Call -> routing plan -> filter + event, linger N ->
    PlanExecutor (set vars + bridge ...) -> wait for the last events -> record

Socket modes (`daemon.socket_mode`, and what the connect reply's Socket-Mode says):
sync (`socket ADDR full`, the default) and async (`socket ADDR async full`).  Either
way the call subscribes to the few event types it reads, for its own channel only
(daemon.esl.commands.subscribe): FreeSWITCH pays for every byte it writes.  On a
sync socket the channel's thread stays inside the socket application until the
daemon closes the socket, so `linger` would hold the caller's BYE for the linger
time: the daemon closes as soon as the linger notice says the channel is down.

A call to a feature code (`*78` ...) is recognised before routing
(daemon.features): the override is handed to the injected `overrides_writer`
and the plan is a confirmation (answer, tone, hang up) or a refusal.

Events are plain, not JSON: measured on the transcripts, finding the three or
four headers a call reads in a plain event takes a few microseconds, while
`json.loads` of the same event in JSON takes ~100 µs.

When anything goes wrong on a call (FreeSWITCH silent past a bound, a malformed
frame, an exception in routing or in the executor) the call is handed back:
closing the socket makes the dialplan go on with its fallback (async: the dialplan
sets `socket_resume=true`; sync: it must not, see CallSession.hand_back).  A bridge
still ringing is ended first (PlanExecutor.end_bridge), so the fallback never rings
anyone beside it.  It is logged and counted in call_failures_total{stage}; other
calls never notice.

A socket lost (cut, or closed for a malformed frame) while a bridge runs is another
matter: FreeSWITCH runs the bridge on, and the dialplan goes on only when it ends
(daemon.hangups).  The call's record waits, within `CallBounds.lost`, for the inbound
link to hear the caller's channel hang up, and says what that tells (daemon.lost_bridge):
answered (by whom, the talk time, the cause), abandoned, or failed when the dialplan
took over.  When the link cannot tell (down, or the call outlives the bound), the record
is written all the same with what the daemon knew, and a warning says so.
"""
from __future__ import annotations

import datetime as dt
import logging
import socket
from dataclasses import dataclass
from time import perf_counter
from typing import Callable, Optional

import gevent
from gevent.server import StreamServer

from config.models import DaemonSettings
from config.snapshot import Snapshot
from daemon import callstate as cs
from daemon import lost_bridge, recording
from daemon.callstate import CallState
from daemon.esl import commands
from daemon.esl.errors import CommandTimeout, ProtocolError, SessionClosed
from daemon.esl.event import Event
from daemon.esl.frames import Frame
from daemon.esl.session import CallSession
from daemon.executor import AnsweredHook, CallBounds, PlanExecutor, SentBridge
from daemon.features import KIND as FEATURE_KIND
from daemon.features import LOG_ONLY, FeatureRequest, OverridesWriter, feature_plan, recognise
from daemon.hangups import Hangups, Unheard
from daemon.inbound_commands import InboundCommands
from daemon.metrics import Metrics
from daemon.recording_disk import RecordingDisk
from routing import kind_of
from routing.fast.live import LiveMasks
from routing.types import (ASSUME_AVAILABLE, NO_OVERRIDES, NO_ROTATION, Call, Overrides, Plan, Presence,
                           Rotation)
from store.records import DiscardRecords, RecordSink

log = logging.getLogger(__name__)

Planner = Callable[..., Plan]
Resumer = Callable[..., Plan]              # routing.resume: a plan's `then` routed when the call gets there
# Called once a call is planned (the App advances round-robin pointers); must not block.
RoutedHook = Callable[[Plan, Snapshot], None]
BACKLOG = 1024          # bursts of new calls wait in the kernel, not in FreeSWITCH's socket app


def call_from_channel(data: Event) -> Call:
    """The routing input from the `connect` reply's channel data."""
    return Call(destination=data.get("Caller-Destination-Number") or "",
                caller=data.get("Caller-Caller-ID-Number") or "",
                caller_name=data.get("Caller-Caller-ID-Name") or "",
                uuid=data.get("Unique-ID") or "")


def failure_stage(stage: str, exc: BaseException) -> str:
    """call_failures_total's stage for an exception raised while at `stage`."""
    if stage == "connect":
        return "connect"
    if isinstance(exc, CommandTimeout):
        return "timeout"
    if isinstance(exc, (ProtocolError, SessionClosed)):
        return "protocol"
    return stage


@dataclass(frozen=True)
class CallContext:
    """Everything a call needs from the daemon, injected once."""
    snapshot: Callable[[], Snapshot]
    now: Callable[[], dt.datetime]
    metrics: Metrics
    records: RecordSink
    presence: Presence
    rotation: Rotation
    overrides: Overrides
    overrides_writer: OverridesWriter
    settings: DaemonSettings
    planner: Planner
    resumer: Resumer
    live: Optional[LiveMasks]                # departments' masks, told of the views' changes (routing.fast.live)
    bounds: CallBounds
    on_answered: Optional[AnsweredHook]
    on_routed: Optional[RoutedHook]
    recording_disk: RecordingDisk                # recordings' file-system calls, off the event loop
    inbound: Optional[InboundCommands] = None   # ends the legs of a bridge that must stop
    hangups: Optional[Hangups] = None           # the inbound link's word on calls' ends (lost sockets)

    def count_junk(self, frame: Frame) -> None:
        self.metrics.esl_junk_frames_total.inc()


def notify_routed(ctx: CallContext, plan: Plan, snapshot: Snapshot, uuid: str) -> None:
    if ctx.on_routed is not None:
        try:
            ctx.on_routed(plan, snapshot)
        except Exception:
            log.exception("on_routed hook failed", extra={"uuid": uuid})


def resumer(ctx: CallContext, snapshot: Snapshot, uuid: str) -> Callable[[object], Plan]:
    """How a call's executor routes a forward its plan left for when the call got
    there: now, with what is live now, on the call's snapshot.  (A closure over the
    context, not the handler: the executor holds it, and a cycle through the handler
    would keep the call's snapshot alive until a full collection.)"""
    def resume(then: object) -> Plan:
        started = perf_counter()
        plan = ctx.resumer(then, snapshot, ctx.now(), presence=ctx.presence, rotation=ctx.rotation,
                           overrides=ctx.overrides, live=ctx.live)
        ctx.metrics.routing_decision_seconds.observe(perf_counter() - started)
        log.info("call forwarded", extra={"uuid": uuid, "target": plan.target, "reason": plan.reason})
        notify_routed(ctx, plan, snapshot, uuid)
        return plan
    return resume


_mode_mismatch_logged = False


def _check_mode(sync: bool, configured: str, uuid: str) -> None:
    """Say once when FreeSWITCH runs the other socket mode than `daemon.socket_mode`: the
    call follows what FreeSWITCH runs, but the dialplan's `socket_resume` may be wrong for it
    (sync with it strands a caller handed back, async without it parks them)."""
    global _mode_mismatch_logged
    running = "sync" if sync else "async"
    if running != configured and not _mode_mismatch_logged:
        _mode_mismatch_logged = True
        log.warning("FreeSWITCH runs the %s socket mode but daemon.socket_mode is %s: regenerate the dialplan "
                    "with `callrouter deploy freeswitch` (or fix the setting)", running, configured,
                    extra={"uuid": uuid or "-"})


class CallHandler:
    """One call, from the accepted socket to its record; runs in the connection's greenlet."""

    def __init__(self, session: CallSession, ctx: CallContext):
        self.session = session
        self.ctx = ctx
        self.state: Optional[CallState] = None
        self.executor: Optional[PlanExecutor] = None
        self.kind = "unknown"
        self.call: Optional[Call] = None
        self.recording: Optional[recording.CallRecording] = None

    def run(self) -> None:
        try:
            self._drive()
        finally:
            if self.call is not None and self.ctx.hangups is not None:
                self.ctx.hangups.forget(self.call.uuid)

    def _drive(self) -> None:
        stage = "connect"
        try:
            call = self.call = call_from_channel(self.session.connect())
            if self.ctx.hangups is not None:
                self.ctx.hangups.watch(call.uuid)
            _check_mode(self.session.sync, self.ctx.settings.socket_mode, call.uuid)
            self.state = CallState.begin(call, self.ctx.now())
            pending = self.session.submit(*commands.subscribe(call.uuid, self.session.sync),
                                          commands.linger(self.ctx.settings.linger))
            stage = "plan"
            snapshot = self.ctx.snapshot()          # one snapshot for the whole call, even across a reload
            plan = self._route(call, snapshot)
            self.recording = recording.prepare(snapshot, plan, call.uuid, self.state.record.started,
                                               self.ctx.metrics, self.ctx.recording_disk)
            if self.recording is not None:      # its RECORD_START / RECORD_STOP too
                pending += self.session.submit(commands.subscribe_more(recording.EVENTS))
            stage = "execute"
            self.executor = PlanExecutor(
                self.session, self.state, metrics=self.ctx.metrics, now=self.ctx.now,
                domain=snapshot.company.domain, resume=resumer(self.ctx, snapshot, call.uuid or "-"),
                bounds=self.ctx.bounds, on_answered=self.ctx.on_answered, inbound=self.ctx.inbound,
                recording=self.recording)
            outcome = self.executor.run(plan, pending)
        except gevent.GreenletExit:
            log.warning("call handed back: the daemon is shutting down", extra={"uuid": self.session.uuid or "-"})
            self._end_ringing(wait=1.0)
            self.session.hand_back()
            self._end(cs.FAILED)
            raise
        except Exception as exc:
            outcome = self._after_error(stage, exc)
        self._end(outcome)

    def _route(self, call: Call, snapshot: Snapshot) -> Plan:
        """The plan for a feature code call, else routing's."""
        request = recognise(call, snapshot)
        plan = self._plan(call, snapshot) if request is None else self._feature(request, snapshot)
        self.kind = plan.kind
        self.state.routed(plan)
        notify_routed(self.ctx, plan, snapshot, call.uuid or "-")
        return plan

    def _plan(self, call: Call, snapshot: Snapshot) -> Plan:
        ctx = self.ctx
        started = perf_counter()
        plan = ctx.planner(call, snapshot, ctx.now(), presence=ctx.presence, rotation=ctx.rotation,
                           overrides=ctx.overrides, live=ctx.live)
        ctx.metrics.routing_decision_seconds.observe(perf_counter() - started)
        return plan

    def _feature(self, request: FeatureRequest, snapshot: Snapshot) -> Plan:
        """Store an accepted override now, before the confirmation plays: the caller
        has dialled it, and hanging up during the tone does not take it back."""
        uuid = self.session.uuid or "-"
        if request.accepted:
            self.ctx.overrides_writer.set_override(request.login, request.kind, request.on)
            log.info("feature code applied", extra={"uuid": uuid, "login": request.login, "code": request.code,
                                                    "feature": request.feature.name})
        else:
            log.warning("feature code refused", extra={"uuid": uuid, "caller": self.state.record.caller,
                                                       "code": request.code, "why": request.refusal})
        return feature_plan(request, snapshot.file.features)

    def _after_error(self, stage: str, exc: Exception) -> str:
        """The outcome of a call interrupted by `exc`: a failure handed back, unless it had ended anyway."""
        if self.kind == "unknown" and self.call is not None:
            self.kind = self._kind_unrouted(self.call)
        if self.state is not None and self.state.answered:
            return cs.ANSWERED
        if self.session.channel.hung_up and isinstance(exc, SessionClosed):
            return cs.ABANDONED
        label = failure_stage(stage, exc)
        self.ctx.metrics.call_failures_total.labels(label).inc()
        if isinstance(exc, (CommandTimeout, ProtocolError, SessionClosed)):
            log.warning("call handed back", extra={"uuid": self.session.uuid or "-", "stage": label,
                                                   "error": str(exc)})
        else:
            log.exception("call handed back", extra={"uuid": self.session.uuid or "-", "stage": label})
        self._end_ringing()
        self.session.hand_back()
        return cs.FAILED

    def _end_ringing(self, wait: Optional[float] = None) -> None:
        """Before a call goes back to the dialplan, end the bridge it may still be ringing:
        the dialplan's next action must not ring people beside it (never two plans)."""
        executor = self.executor
        if executor is not None and executor.ringing_bridge() is not None:
            try:
                executor.end_bridge(wait)
            except Exception:
                log.exception("ending the bridge failed", extra={"uuid": self.session.uuid or "-"})

    def _kind_unrouted(self, call: Call) -> str:
        """calls_total's kind for a call that ended before its plan was made (a caller who
        hung up at once): what it dialled, so that it does not count as an unknown number."""
        try:
            snapshot = self.ctx.snapshot()
            return FEATURE_KIND if recognise(call, snapshot) is not None else kind_of(call.destination, snapshot)
        except Exception:
            log.exception("cannot tell what the call dialled", extra={"uuid": call.uuid or "-"})
            return "unknown"

    def _end(self, outcome: str) -> None:
        """Wait (bounded) for the last events, then count, record and close."""
        session, ctx = self.session, self.ctx
        ended, cause, stopping = None, session.channel.hangup_cause, None
        lost = self._lost_bridge()
        if lost is not None:
            try:
                outcome, ended, cause = self._hear_end(lost)
            except gevent.GreenletExit as exc:       # the daemon stops: record what is known, then go
                stopping = exc
                outcome = self._unheard("the daemon is stopping")
        elif outcome != cs.FAILED:
            session.channel.finished.wait(ctx.settings.linger + ctx.bounds.linger_margin)
        session.close()
        ctx.metrics.calls_total.labels(self.kind, outcome).inc()
        if self.state is None:
            return
        if self.executor is not None:
            self.executor.note_late_disposition()
        self._record(outcome, ended or ctx.now(), cause)
        if stopping is not None:
            raise stopping

    def _record(self, outcome: str, ended: dt.datetime, cause: str) -> None:
        session, ctx = self.session, self.ctx
        record = self.state.finish(outcome, ended, cause)
        if self.recording is not None:
            try:
                recording.finish(self.recording, record, session.channel.record_started,
                                 session.channel.record_stopped, ctx.metrics, ctx.recording_disk)
            except Exception:
                log.exception("checking the call's recording failed", extra={"uuid": record.uuid})
        log.info("call ended", extra={"uuid": record.uuid, "outcome": record.outcome,
                                      "answered_by": record.answered_by or "-", "cause": record.hangup_cause or "-"})
        try:
            ctx.records.submit(record)
        except Exception:
            log.exception("the record sink refused the call record", extra={"uuid": record.uuid})

    # ------------------------------------------------------------------ a socket lost mid-bridge

    def _lost_bridge(self) -> Optional[SentBridge]:
        """The bridge FreeSWITCH may still be running although the outbound socket is gone:
        lost (not closed by us) before the channel was heard to hang up."""
        if self.executor is None or not self.session.lost or self.session.channel.hung_up:
            return None
        return self.executor.unfinished_bridge()

    def _hear_end(self, sent: SentBridge) -> tuple[str, Optional[dt.datetime], str]:
        """(outcome, end, hangup cause) of the call as the inbound link hears its end, within
        `CallBounds.lost`; what the daemon knew (end: now) when the link cannot tell."""
        ctx, state = self.ctx, self.state
        uuid = state.record.uuid
        if ctx.hangups is None:
            return self._unheard("no inbound link"), None, ""
        log.warning("outbound ESL connection lost while the bridge ran: FreeSWITCH runs it on; waiting up to "
                    "%g s for the inbound link to report the call's end", ctx.bounds.lost, extra={"uuid": uuid})
        try:
            event = ctx.hangups.wait(uuid, ctx.bounds.lost)
        except Unheard as exc:
            return self._unheard(str(exc)), None, ""
        end = lost_bridge.ending(event, sent)
        now = ctx.now()
        if end.answered_ago is not None and not state.answered:
            state.answered_by(end.answered_by, now - dt.timedelta(seconds=end.answered_ago))
        ended = now - dt.timedelta(seconds=end.ended_ago)
        state.step_ended(ended, end.disposition)
        outcome = cs.ANSWERED if state.answered else end.outcome
        ctx.metrics.lost_bridges_total.labels(outcome).inc()
        log.info("the inbound link heard the end of the call whose socket was lost", extra={
            "uuid": uuid, "outcome": outcome, "answered_by": state.record.answered_by or "-", "cause": end.cause})
        return outcome, ended, end.cause

    def _unheard(self, why: str) -> str:
        """The outcome recorded when nobody can tell how the call went on: answered if the daemon
        saw the answer, else failed (handed back)."""
        outcome = cs.ANSWERED if self.state.answered else cs.FAILED
        self.ctx.metrics.lost_bridges_total.labels("unknown").inc()
        log.warning("outbound ESL connection lost while the bridge ran, and the call's end is unknown (%s): "
                    "recorded as %s, ended now", why, outcome, extra={"uuid": self.state.record.uuid})
        return outcome


class OutboundServer:
    """Accepts FreeSWITCH's outbound connections and drives one call per connection."""

    def __init__(self, listen: tuple[str, int], *, snapshot: Callable[[], Snapshot],
                 now: Callable[[], dt.datetime], metrics: Metrics, records: RecordSink = DiscardRecords(),
                 presence: Presence = ASSUME_AVAILABLE, rotation: Rotation = NO_ROTATION,
                 overrides: Overrides = NO_OVERRIDES, overrides_writer: OverridesWriter = LOG_ONLY,
                 settings: DaemonSettings = DaemonSettings(),
                 on_answered: Optional[AnsweredHook] = None, on_routed: Optional[RoutedHook] = None,
                 planner: Optional[Planner] = None, resumer: Optional[Resumer] = None,
                 live: Optional[LiveMasks] = None, bounds: CallBounds = CallBounds(),
                 inbound: Optional[InboundCommands] = None, hangups: Optional[Hangups] = None,
                 recording_disk: Optional[RecordingDisk] = None):
        self._listen = listen
        self._planner = planner
        self._resumer = resumer
        self._recording_disk = recording_disk
        self._ctx_args = dict(snapshot=snapshot, now=now, metrics=metrics, records=records, presence=presence,
                              rotation=rotation, overrides=overrides, overrides_writer=overrides_writer,
                              settings=settings, bounds=bounds, live=live, inbound=inbound, hangups=hangups,
                              on_answered=on_answered, on_routed=on_routed)
        self._ctx: Optional[CallContext] = None
        self._server: Optional[StreamServer] = None
        self._address: Optional[tuple[str, int]] = None
        self._calls: set[gevent.Greenlet] = set()

    def start(self) -> None:
        """Bind (port 0 picks a free port, see `address`) and start accepting."""
        planner, resumer = self._planner, self._resumer
        if planner is None:
            from routing import plan as planner      # the routing engine; injected in tests
        if resumer is None:
            from routing import resume as resumer
        disk = self._recording_disk or RecordingDisk()
        self._ctx = CallContext(planner=planner, resumer=resumer, recording_disk=disk, **self._ctx_args)
        self._server = StreamServer(self._listen, self._handle, backlog=BACKLOG)
        self._server.start()
        self._address = self._server.socket.getsockname()[:2]

    @property
    def address(self) -> tuple[str, int]:
        if self._address is None:
            raise RuntimeError("the outbound server is not started")
        return self._address

    @property
    def active(self) -> int:
        """Calls being driven now."""
        return len(self._calls)

    def stop_accepting(self) -> None:
        """Close the listening socket: FreeSWITCH's socket app then fails at once
        and the dialplan's fallback takes new calls.  Calls in progress go on."""
        if self._server is not None and not self._server.closed:
            self._server.close()

    def drain(self, timeout: float) -> int:
        """Wait up to `timeout` s for the calls in progress; how many are still active."""
        gevent.joinall(list(self._calls), timeout=timeout)
        return len(self._calls)

    def close(self) -> None:
        """Stop accepting, hand every call still in progress back to the dialplan, let the recordings' threads go."""
        self.stop_accepting()
        gevent.killall(list(self._calls), block=True, timeout=5)
        if self._ctx is not None:
            self._ctx.recording_disk.close()

    def _handle(self, sock: socket.socket, address) -> None:
        ctx = self._ctx
        greenlet = gevent.getcurrent()
        self._calls.add(greenlet)
        ctx.metrics.active_calls.inc()
        session = CallSession(sock, address, command_timeout=ctx.settings.command_timeout,
                              on_junk=ctx.count_junk, sync=ctx.settings.socket_mode == "sync")
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            session.start()
            CallHandler(session, ctx).run()
        finally:
            session.close()
            self._calls.discard(greenlet)
            ctx.metrics.active_calls.dec()

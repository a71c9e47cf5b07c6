"""Runs a Plan's steps on one call, over its CallSession, in the call's greenlet.

Per step:
* ring: `bridge <dial>` (the dial string from routing already carries the
  caller ID and ignore_early_media variables); before the first one the channel
  gets `continue_on_fail=true` (without it USER_BUSY or USER_NOT_REGISTERED hangs
  up the caller and no fallback can run) and `hangup_after_bridge=true`, in the
  same write as the bridge.  The outcome is read from that bridge's own
  CHANNEL_EXECUTE_COMPLETE; a CHANNEL_BRIDGE means someone answered (the bridge
  only completes when the conversation is over).
* announce: `playback FILE` (as early media: playback pre-answers), then on.
* voicemail: `answer` (the voicemail application only pre-answers, 183), then
  `voicemail default DOMAIN MAILBOX`; the call ends there.
* message: `answer`, `playback FILE`, `hangup`.
* confirm (a feature code, daemon.features): the same three; the outcome is
  `feature` rather than `message`.
* hangup: `hangup CAUSE` (USER_BUSY: the caller hears busy; UNALLOCATED_NUMBER).
When the caller hangs up, nothing more is sent.  When the steps run out and the
plan forwards the call on (`Plan.then`, a forward routing decides when the call
gets there), `resume` routes it now and its steps follow; when nothing is left the
call is hung up NORMAL_CLEARING.

Every wait has a bound (`CallBounds`, and the session's command timeout); a
missed bound raises CommandTimeout and the caller of `run()` hands the call back.

Socket modes.  Over a synchronous socket (`socket ADDR full`) FreeSWITCH runs each
application in the channel's own thread: an application's reply, and every event it
fired meanwhile, come only when it has finished (for a bridge: when the ringing or
the conversation is over, outbound_07a/b/c).  So replies are awaited with the
command timeout only up to the first long application of a write (bridge, playback,
voicemail); that one's bound is the step's own (a ring step's timeout plus a margin).

A bridge that outlives its bound is never handed back while it still rings: each
leg is named (`origination_uuid`, daemon.bridge_legs), and the legs are ended from
the inbound connection (`uuid_kill`, outbound_07e2) before the call goes back to the
dialplan; when that cannot end the bridge, the caller's channel is hung up.  Either
way no two plans ever act on one call.  A bridge that was answered is left to talk.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from time import perf_counter
from typing import Callable, NamedTuple, Optional

import gevent
from gevent.event import AsyncResult

from daemon import callstate as cs
from daemon.callstate import CallState
from daemon.esl.errors import CommandFailed, CommandTimeout
from daemon.bridge_legs import name_legs
from daemon.confirm_prompt import prompt_failures
from daemon.esl.session import CallSession, Execution
from daemon.features import CONFIRM
from daemon.inbound_commands import InboundCommands, InboundUnavailable
from daemon.metrics import Metrics
from daemon.recording import CallRecording
from routing.types import Plan, Step
from store.records import StepRecord

log = logging.getLogger(__name__)

# continue_on_fail: without it USER_BUSY/USER_NOT_REGISTERED hang up the caller.
# ringback: with ignore_early_media (mobile legs) the caller hears only generated
# ringback; 425 Hz, 0.8 s on / 3.2 s off is the Russian ringing tone.
CHANNEL_VARS = "continue_on_fail=true hangup_after_bridge=true ringback=%(800,3200,425)"
NORMAL_CLEARING = "NORMAL_CLEARING"
UNALLOCATED_NUMBER = "UNALLOCATED_NUMBER"
TIMER_EXPIRED = "RECOVERY_ON_TIMER_EXPIRE"     # Q.850 102: the caller's hangup when a bound ran out
# Applications whose reply, over a synchronous socket, comes only when they end.
LONG_APPS = frozenset({"bridge", "playback", "voicemail"})

AnsweredHook = Callable[[str, str], None]
Resume = Callable[[object], Plan]           # a plan's `then` -> the plan of that forward, routed now


class SentBridge(NamedTuple):
    """The last bridge sent: its plan step, the step's record, its execution, its legs' UUIDs."""
    step: Step
    record: StepRecord
    run: Execution
    legs: tuple[str, ...]           # origination_uuid of each leg, in dial order (daemon.bridge_legs)


@dataclass(frozen=True)
class CallBounds:
    """How long a call's greenlet waits on FreeSWITCH, in seconds, beyond command replies."""
    ring_margin: float = 5.0        # over a step's timeout: ring timers tick in whole seconds
                                    # (a 20 s timeout ends at 20.2-20.9 s), and originate takes setup time
    talk: float = 12 * 3600.0       # an answered call; after this we let go (FreeSWITCH keeps the call)
    playback: float = 600.0         # an announcement or a message
    voicemail: float = 900.0        # greeting and recording (mod_voicemail records 300 s by default)
    linger_margin: float = 2.0      # after the hangup: the last events within linger + this
    end_wait: float = 2.0           # after ending a bridge's legs: its completion within this
    lost: float = 12 * 3600.0       # after the outbound socket is lost mid-bridge: the inbound link's
                                    # word on the call's end within this (as long as a call may talk)

    def ring(self, step: Step) -> float:
        legs_end = max((leg.delay + leg.timeout for leg in step.legs), default=0)
        # A mobile confirming its answer may take `step.confirm` s past the ring time.
        return max(step.timeout + step.confirm, legs_end) + self.ring_margin


class PlanExecutor:
    """Drives one call through its plan; `run()` returns the call's outcome."""

    def __init__(self, session: CallSession, state: CallState, *, metrics: Metrics,
                 now: Callable[[], dt.datetime], domain: str, resume: Resume,
                 bounds: CallBounds = CallBounds(), on_answered: Optional[AnsweredHook] = None,
                 inbound: Optional[InboundCommands] = None, recording: Optional[CallRecording] = None):
        self.session = session
        self.recording = recording      # daemon.recording: announced, then started with the first bridge
        self._recording_sent = False
        self.sync = session.sync
        self.inbound = inbound          # ends the legs of a bridge that outlived its bound
        self.channel = session.channel
        self.state = state
        self.metrics = metrics
        self.now = now
        self.domain = domain
        self.resume = resume
        self.bounds = bounds
        self.on_answered = on_answered
        self.plan: Optional[Plan] = None
        self._pending: list[AsyncResult] = []       # replies not yet checked (filter, event, linger)
        self._armed = False                         # continue_on_fail / hangup_after_bridge set
        self._bridge: Optional[SentBridge] = None   # the last bridge sent
        self._bridge_ended = False                  # end_bridge() ran: never twice
        self._sent_any = False

    # ------------------------------------------------------------------ the plan

    def run(self, plan: Plan, pending: Optional[list[AsyncResult]] = None) -> str:
        self.plan = plan
        self._pending = list(pending or ())
        if plan.reason in cs.PLAN_FORWARD_REASONS:
            self.metrics.forwards_total.labels(plan.reason).inc()
        if self.channel.gone.is_set():
            return cs.ABANDONED              # hung up while we were routing
        announce = self.recording.announce_step(plan) if self.recording is not None else None
        if announce is not None:             # once per call, before anyone is rung
            outcome, _ = self._step(announce)
            if outcome or self.channel.gone.is_set():
                return outcome or cs.ABANDONED
        while True:
            steps = plan.steps
            for index, step in enumerate(steps):
                outcome, failed = self._step(step)
                if outcome:
                    return outcome
                if self.channel.gone.is_set():
                    return cs.ABANDONED
                if failed and (index + 1 < len(steps) or plan.then is not None):
                    self.metrics.forwards_total.labels(cs.forward_reason(failed)).inc()
            if plan.then is None:
                break
            plan = self.resume(plan.then)
        self._send(("hangup", NORMAL_CLEARING))
        return cs.BUSY

    def _step(self, step: Step) -> tuple[str, str]:
        """(outcome that ends the call or "", disposition of a failed bridge or "")."""
        self.state.step_started(step, self.now())
        if step.action == "ring":
            return self._ring(step)
        if step.action == "announce":
            return self._announce(step), ""
        if step.action == "voicemail":
            return self._voicemail(step), ""
        if step.action in ("message", CONFIRM):
            return self._message(step), ""
        if step.action == "hangup":
            return self._hangup(step), ""
        raise ValueError(f"unknown step action {step.action!r}")

    # ------------------------------------------------------------------ steps

    def _ring(self, step: Step) -> tuple[str, str]:
        named = name_legs(step.dial)
        apps = [("bridge", named.dial)]
        if not self._armed:
            apps.insert(0, ("multiset", CHANNEL_VARS))
            self._armed = True
        if self.recording is not None and not self._recording_sent:
            apps[-1:-1] = self.recording.start_apps()      # waits for the answer (RECORD_BRIDGE_REQ)
            self._recording_sent = True
        runs = self._write(*apps)
        bridge = runs[-1]
        self._bridge = SentBridge(step, self.state.current, bridge, named.legs)
        self._confirm(apps, runs)
        bound = self.bounds.ring(step)
        ready = gevent.wait([bridge.done, self.channel.bridged, self.channel.gone], timeout=bound, count=1)
        if not ready and self._answered_meanwhile():
            log.info("bridge answered, talking past its ring bound", extra={"uuid": self.channel.uuid})
            ready = gevent.wait([bridge.done, self.channel.gone], timeout=self.bounds.talk, count=1)
        if not ready:
            self._outlived(bound)
        if self.channel.bridged.ready():
            return self._talk(step), ""
        if bridge.done.ready():
            result = self.disposition(bridge)
            self._prompt_failures(step, bridge)
            self.state.step_ended(self.now(), result)
            if result == cs.SUCCESS:
                return self._talk(step), ""
            log.info("bridge not answered", extra={"uuid": self.channel.uuid, "disposition": result,
                                                   "target": step.target})
            if result == cs.ORIGINATOR_CANCEL:
                return cs.ABANDONED, ""
            return "", result
        self.state.step_ended(self.now())
        return cs.ABANDONED, ""

    def _prompt_failures(self, step: Step, bridge: Execution) -> None:
        """Report each confirming mobile FreeSWITCH dropped right after it answered, for
        want of the prompt (daemon.confirm_prompt): otherwise every such call silently
        goes on to the next step."""
        if not bridge.done.successful() or not any(leg.confirm for leg in step.legs):
            return
        for login, file in prompt_failures(bridge.done.get(), step.legs, self._bridge.legs):
            self.metrics.confirm_prompt_failures_total.inc()
            log.error("mobile of %s answered but was dropped DESTINATION_OUT_OF_ORDER: FreeSWITCH could not "
                      "play the answer-confirmation prompt %r (install FreeSWITCH's sounds or set "
                      "company.mobile_confirm_file)", login, file,
                      extra={"uuid": self.channel.uuid, "login": login, "file": file})

    def _outlived(self, bound: float) -> None:
        """The bridge gave no outcome within its bound: end it, then raise CommandTimeout
        (the call is handed back, or was hung up)."""
        log.warning("bridge still ringing after %g s: ending its legs", bound, extra={"uuid": self.channel.uuid})
        self.end_bridge()
        raise CommandTimeout(f"bridge gave no outcome within {bound:g} s")

    def _answered_meanwhile(self) -> bool:
        """Over a sync socket an answer is heard of only at the end: ask the inbound side."""
        if not self.sync or self.inbound is None:
            return False
        try:
            return bool(self.inbound.getvar(self.channel.uuid, "bridge_to"))
        except InboundUnavailable as exc:
            log.warning("cannot tell whether the bridge was answered: %s", exc, extra={"uuid": self.channel.uuid})
            return False

    def ringing_bridge(self) -> Optional[Execution]:
        """The bridge sent and not over, unless someone answered it (then it is a conversation)."""
        if self._bridge is None or self._bridge_ended:
            return None
        bridge = self._bridge.run
        if bridge.done.ready() or self.channel.bridged.ready() or self.channel.gone.is_set():
            return None
        return None if self._answered_meanwhile() else bridge

    def unfinished_bridge(self) -> Optional[SentBridge]:
        """The last bridge sent, unless its completion came (or FreeSWITCH refused it): after
        the outbound socket is lost, FreeSWITCH may still be running it."""
        sent = self._bridge
        if sent is None:
            return None
        done = sent.run.done
        if done.successful() or isinstance(done.exception, CommandFailed):
            return None
        return sent

    def end_bridge(self, wait: Optional[float] = None) -> None:
        """End the ringing bridge before the call goes back to the dialplan: its legs, and if
        that does not end it within `wait`, the caller's channel."""
        wait = self.bounds.end_wait if wait is None else wait
        bridge = self._bridge.run
        uuid = self.channel.uuid
        self._bridge_ended = True
        if self.inbound is not None:
            try:
                killed = self.inbound.kill(self._bridge.legs)
                if bridge.done.wait(wait) is not None or self.channel.gone.is_set():
                    log.info("ended a bridge's legs", extra={"uuid": uuid, "legs": killed})
                    return
                self.inbound.kill([uuid], TIMER_EXPIRED)
                log.warning("the bridge did not end with its legs: hung up the caller", extra={"uuid": uuid})
                return
            except InboundUnavailable as exc:
                log.warning("cannot end the bridge over the inbound ESL: %s", exc, extra={"uuid": uuid})
        if not self.sync and not self.session.closed.is_set():
            try:                                        # async: FreeSWITCH reads this while bridging
                self.session.execute(("hangup", TIMER_EXPIRED))
                return
            except Exception:
                pass
        log.error("a ringing bridge could not be ended: it rings on until its own timers, then the "
                  "dialplan goes on", extra={"uuid": uuid})

    def _talk(self, step: Step) -> str:
        """Someone answered: note who, then wait for the hangup (hangup_after_bridge)."""
        bridge = self.channel.bridged.get() if self.channel.bridged.ready() else None
        login = cs.answering_login(step.legs, bridge.destination, bridge.channel_name) if bridge else ""
        answered = self.now()
        if bridge is not None and bridge.ago:
            answered -= dt.timedelta(seconds=bridge.ago)     # sync: heard of when the talk was over
        self.state.answered_by(login, answered)
        log.info("call answered", extra={"uuid": self.channel.uuid, "by": login or "-", "target": step.target})
        self._notify_answered(step, login)
        if not self.channel.gone.wait(self.bounds.talk):
            log.warning("still talking after %g s; letting go of the call", self.bounds.talk,
                        extra={"uuid": self.channel.uuid})
        return cs.ANSWERED

    def _announce(self, step: Step) -> str:
        run = self._send(("playback", step.file or ""))[0]
        self._finish_app(run, self.bounds.playback)
        return cs.ABANDONED if self.channel.gone.is_set() else ""

    def _voicemail(self, step: Step) -> str:
        if not step.mailbox:
            raise ValueError("a voicemail step needs a mailbox")
        apps = [("answer", ""), ("voicemail", f"default {self.domain} {step.mailbox}")]
        if self._recording_sent:             # a message left is not a conversation
            apps.insert(0, self.recording.stop_app())
        run = self._send(*apps)[-1]
        self._finish_app(run, self.bounds.voicemail)
        if not self.channel.gone.is_set():
            self._send(("hangup", NORMAL_CLEARING))
        return cs.VOICEMAIL

    def _message(self, step: Step) -> str:
        """An autoresponder's message, or a feature code's confirmation."""
        runs = self._send(("answer", ""), ("playback", step.file or ""), ("hangup", NORMAL_CLEARING))
        self._finish_app(runs[1], self.bounds.playback)
        return cs.FEATURE if step.action == CONFIRM else cs.MESSAGE

    def _hangup(self, step: Step) -> str:
        cause = step.cause or NORMAL_CLEARING
        self._send(("hangup", cause))
        self.state.step_ended(self.now())
        unknown = cause == UNALLOCATED_NUMBER or (self.plan is not None and self.plan.reason == "unknown_number")
        return cs.UNKNOWN_NUMBER if unknown else cs.BUSY

    # ------------------------------------------------------------------ helpers

    def _send(self, *apps: tuple[str, str]) -> list[Execution]:
        """Execute apps (one write), then check their replies and any still pending."""
        runs = self._write(*apps)
        self._confirm(apps, runs)
        return runs

    def _write(self, *apps: tuple[str, str]) -> list[Execution]:
        """Execute apps (one write): from here on FreeSWITCH may be running them."""
        runs = self.session.execute(*apps)
        if not self._sent_any:
            self._sent_any = True
            self._first_write(apps)
        return runs

    def _confirm(self, apps: tuple[tuple[str, str], ...], runs: list[Execution]) -> None:
        """Check the replies of `runs` and of any command still pending.

        Sync mode: only the replies before the first long application are awaited here;
        the others come when it ends, and an `-ERR` among them fails its `done`.
        """
        replies = [run.reply for run in runs]
        if self.sync:
            long = next((i for i, (app, _) in enumerate(apps) if app in LONG_APPS), len(apps))
            replies = replies[:long]
        self.session.confirm(self._pending + replies)
        self._pending = []

    def _first_write(self, apps) -> None:
        """The call is in motion: now is the time to measure and log, not before."""
        if any(app == "bridge" for app, _ in apps) and self.session.connect_received_at:
            self.metrics.call_setup_seconds.observe(perf_counter() - self.session.connect_received_at)
        record = self.state.record
        log.info("call routed", extra={"uuid": record.uuid, "caller": record.caller, "to": record.called,
                                       "reason": record.reason, "target": record.target or "-",
                                       "steps": len(self.plan.steps) if self.plan else 0})

    def _finish_app(self, run: Execution, bound: float) -> None:
        """Wait until `run` completes or the caller hangs up, within `bound`."""
        ready = gevent.wait([run.done, self.channel.gone], timeout=bound, count=1)
        if not ready:
            raise CommandTimeout(f"{run.app} did not complete within {bound:g} s")
        if run.done.ready():
            run.done.get()          # raises what ended it (CommandFailed, SessionClosed)
        self.state.step_ended(self.now())

    def disposition(self, run: Execution) -> str:
        event = run.done.get()
        return cs.disposition(event.get("variable_originate_disposition"), event.get("variable_DIALSTATUS"))

    def note_late_disposition(self) -> None:
        """Record the last bridge's disposition when its completion came after we stopped
        waiting for it (the caller hung up first: ORIGINATOR_CANCEL follows CHANNEL_HANGUP)."""
        if self._bridge is None:
            return
        step, run = self._bridge.record, self._bridge.run
        if not step.disposition and run.done.ready() and run.done.successful():
            step.disposition = self.disposition(run)

    def _notify_answered(self, step: Step, login: str) -> None:
        if self.on_answered is None or not login:
            return
        try:
            self.on_answered(cs.department_of(step), login)
        except Exception:
            log.exception("on_answered hook failed", extra={"uuid": self.channel.uuid})

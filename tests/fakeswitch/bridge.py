"""The ``bridge`` application: originate the dial string's legs, then connect the caller.

The outcome comes from the pure model in :mod:`.originate`; this module plays it out on the
sim clock with FreeSWITCH's events and variables:

* B legs (one channel per registered contact of a ``user/`` leg) report CHANNEL_CREATE,
  CHANNEL_PROGRESS, CHANNEL_ANSWER, CHANNEL_HANGUP and CHANNEL_HANGUP_COMPLETE to inbound
  listeners; ``myevents`` never shows them;
* the caller's channel gets CHANNEL_PROGRESS on the first 180, PROGRESS_MEDIA and ANSWER
  when a leg answers (unless already answered), CHANNEL_BRIDGE, and CHANNEL_UNBRIDGE at
  the end of the conversation;
* the bridge's CHANNEL_EXECUTE_COMPLETE carries originate_disposition, DIALSTATUS,
  originate_failed_cause (sticky from bridge to bridge), originate_causes, and, only when
  connected, bridge_hangup_cause; a busy leg adds sip_invite_failure_status 486.

A hangup the model did not foresee (the daemon's, or ``call.hangup()``) re-runs the model
with that moment as the caller's cancel; what already happened cannot change, because the
model is deterministic up to the cancel.

``uuid_kill`` of a B leg (named with ``origination_uuid`` in its ``[...]``: the first channel
of that leg gets the UUID) hangs that leg up NORMAL_CLEARING.  Once no started leg is up,
the originate ends at once with originate_disposition and DIALSTATUS ``NORMAL_CLEARING``
and the caller stays up (outbound_07e2).  Simplification: legs whose delayed start had
not come yet do not start then (FreeSWITCH would start them at once).  Killing the leg a
caller talks to ends the conversation like the callee's own hangup.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import gevent.event

from .channel import Channel
from .dialstring import DialString, DialStringError, parse
from .endpoints import Registration
from .legs import PHONE_IP, Q850, BTarget, b_leg_answered, b_leg_directory, cdr_variables, make_b_leg, new_uuid
from .originate import ORIGINATOR_CANCEL, SUCCESS, LegOutcome, OriginateResult, dialstatus, originate
from .results import BridgeResult, LegResult
from .templates import CALLEE_SDP

if TYPE_CHECKING:  # pragma: no cover
    from .call import CallFlow

log = logging.getLogger(__name__)

_EPSILON = 1e-6


@dataclass
class _BLeg:
    channel: Channel
    values: dict[str, str]
    target: BTarget
    created_us: int
    ring_us: int = 0
    answered_us: int = 0
    bridged_us: int = 0
    up: bool = True


@dataclass
class _Replay:
    done: set = field(default_factory=set)
    legs: dict[int, list[_BLeg]] = field(default_factory=dict)
    rang: bool = False
    winner: _BLeg | None = None


class Bridge:
    """One run of the bridge application on the caller's channel."""

    def __init__(self, flow: "CallFlow", arg: str) -> None:
        self.flow = flow
        self.arg = arg
        self.ch = flow.channel
        self.record = BridgeResult(dial_string=arg, started_at=flow.clock.now())
        self.state = _Replay()
        #: B legs' variables matter only to inbound listeners; without any, keep them minimal.
        self.detailed = flow.bus.has_global_listeners
        self._kills: list[tuple[str, str]] = []        # (B-leg uuid, cause) from uuid_kill
        self._kick = gevent.event.Event()
        self._killed_all = False
        self._killed_index: set[int] = set()

    def run(self) -> None:
        flow, ch = self.flow, self.ch
        flow.call.bridges.append(self.record)
        try:
            ds = parse(self.arg)
        except DialStringError as exc:
            log.info("call %s: bridge %r: %s", flow.uuid, self.arg, exc)
            self._fail(OriginateResult("DESTINATION_OUT_OF_ORDER", 0.0, ()))
            return
        for _, leg in ds.legs():
            if leg.endpoint.kind == "user":
                ch.set("dialed_user", leg.endpoint.target)
                ch.set("dialed_domain", leg.endpoint.domain or flow.sw.domain)
        ch.set("originate_disposition", "failure")
        ch.set("DIALSTATUS", "INVALIDARGS")
        ch.set("sip_invite_failure_status", None)
        ch.set("sip_invite_failure_phrase", None)
        behaviours = [flow.sw.directory.behaviour(leg) for _, leg in ds.legs()]
        result = self._play(ds, behaviours)
        self._record(result)
        if result.disposition == SUCCESS:
            self._talk()
        else:
            self._fail(result)
        self.record.ended_at = flow.clock.now()

    # -- the originate, played out ---------------------------------------------------------

    def _play(self, ds: DialString, behaviours) -> OriginateResult:
        flow = self.flow
        start = self.record.started_at
        phase = flow.rng.uniform(0.1, 0.8)
        timeout = _atoi(self.ch.get("call_timeout") or "")
        while True:
            cancel = flow.scheduled_cancel()
            cancel_rel = None if cancel is None else max(cancel - start, 0.0)
            result = originate(ds, behaviours, phase=phase, cancel_at=cancel_rel, default_timeout=timeout,
                               missing_files=frozenset(flow.sw.missing_sounds))
            if self._replay(result, start, cancel_rel):
                if self._killed_all:
                    return OriginateResult("NORMAL_CLEARING", flow.clock.now() - start, result.legs)
                return result

    def _replay(self, result: OriginateResult, start: float, cancel_rel: float | None) -> bool:
        """Run the result's actions in time; False when an unforeseen hangup needs a re-run."""
        for at, _, kind, index in _actions(result):
            if (kind, index) in self.state.done:
                continue
            while True:
                interrupted = self.flow.wait(start + at - self.flow.clock.now(), wake=self._kick)
                if self.flow.interrupted or not self._kick.is_set():
                    break
                self._kick.clear()
                if self._take_kills():
                    return True
            if interrupted and self.flow.hangup_at is not None:
                hung = self.flow.hangup_at - start
                if cancel_rel is None or abs(hung - cancel_rel) > _EPSILON:
                    return False
            if index in self._killed_index:
                self.state.done.add((kind, index))      # a killed leg does no more
                continue
            self._apply(kind, index, result)
            self.state.done.add((kind, index))
        return True

    # -- uuid_kill of a B leg ----------------------------------------------------------------

    def kill_leg(self, uuid: str, cause: str) -> bool:
        """``uuid_kill <B leg>`` from an inbound connection (any greenlet): True if it was up."""
        if not any(b.up and b.channel.uuid == uuid for legs in self.state.legs.values() for b in legs):
            return False
        self._kills.append((uuid, cause or "NORMAL_CLEARING"))
        self._kick.set()
        return True

    def _take_kills(self) -> bool:
        """Hang up the killed legs; True when no started leg is left (the originate is over)."""
        kills, self._kills = self._kills, []
        for uuid, cause in kills:
            for index, legs in self.state.legs.items():
                for b in legs:
                    if b.channel.uuid == uuid:
                        self._b_hangup(b, cause)
                if legs and not any(b.up for b in legs):
                    self._killed_index.add(index)
        if any(b.up for legs in self.state.legs.values() for b in legs):
            return False
        self._killed_all = True
        return True

    def _apply(self, kind: str, index: int, result: OriginateResult) -> None:
        if kind == "finish":
            return
        outcome = result.legs[index]
        if kind == "start":
            self._start_leg(index, outcome)
        elif kind == "ring":
            self._ring_leg(index, outcome)
        elif kind == "pickup":
            self._pickup_leg(index, outcome)
        elif kind == "answer":
            self._answer_leg(index, outcome)
        elif kind == "end":
            for b in self.state.legs.get(index, []):
                self._b_hangup(b, outcome.outcome or "NORMAL_CLEARING")

    def _start_leg(self, index: int, outcome: LegOutcome) -> None:
        flow, ch = self.flow, self.ch
        legs = []
        named = outcome.leg.variables.get("origination_uuid")
        for target in self._targets(outcome):
            b_uuid, named = named or new_uuid(flow.rng), None     # the first channel gets the name
            flow.sw.b_legs[b_uuid] = self
            created_us = flow.clock.epoch_us()
            channel, values = make_b_leg(flow.sw.identity, ch, target, uuid=b_uuid,
                                         session_id=flow.sw.stats.next_session(), created_us=created_us,
                                         domain=flow.sw.domain, caller_id=self._caller_id(outcome), rng=flow.rng)
            channel.state = channel.running = "CS_INIT"
            flow.sw.channel_created(channel)
            flow.bus.fire(channel, "CHANNEL_CREATE")
            channel.state = channel.running = "CS_CONSUME_MEDIA"
            channel.call_state = "RINGING"
            ch.push("originated_legs", f"{b_uuid};Outbound Call;{target.target}")
            ch.set("originate_signal_bond", b_uuid)
            legs.append(_BLeg(channel, values, target, created_us))
        self.state.legs[index] = legs

    def _targets(self, outcome: LegOutcome) -> list[BTarget]:
        endpoint = outcome.leg.endpoint
        if endpoint.kind == "user":
            regs: list[Registration] = self.flow.sw.directory.contacts(endpoint.target)
            if not regs:  # a login nobody declared: one phone that rings on
                return [BTarget("office", endpoint.target, PHONE_IP, "5080")]
            return [BTarget.office(endpoint.target, reg) for reg in regs]
        if endpoint.kind == "gateway":
            return [BTarget("mobile", endpoint.target, "203.0.113.10", "5060", gateway=endpoint.gateway)]
        return [BTarget("sip", endpoint.target, "127.0.0.1", "5060")]

    def _caller_id(self, outcome: LegOutcome) -> tuple[str, str]:
        """What the callee sees: origination_caller_id_* or the caller's effective id."""
        ch, dial = self.ch, outcome.leg
        profile = ch.profile.fields
        name = (dial.variables.get("origination_caller_id_name") or ch.get("effective_caller_id_name")
                or profile["Caller-ID-Name"])
        number = (dial.variables.get("origination_caller_id_number") or ch.get("effective_caller_id_number")
                  or profile["Caller-ID-Number"])
        return name, number

    def _ring_leg(self, index: int, outcome: LegOutcome) -> None:
        for b in self.state.legs.get(index, []):
            if b.up:
                b.ring_us = self.flow.clock.epoch_us()
                b.channel.profile.stamp("Channel-Progress-Time", b.ring_us)
                self.flow.bus.fire(b.channel, "CHANNEL_PROGRESS")
        if not self.state.rang:
            self.state.rang = True
            legs = self.state.legs.get(index, [])
            if legs:
                self.ch.profile.set_callee("Outbound Call", legs[0].target.callee_number)
                if _answers_with_ring(outcome) and not self.ch.media:
                    self.ch.set("switch_m_sdp", CALLEE_SDP)
            if self.ch.up and not self.flow.call.answered:
                self.ch.set("sip_to_tag", f"{self.flow.rng.getrandbits(48):x}")
            self.flow.mark_ring()

    def _pickup_leg(self, index: int, outcome: LegOutcome) -> None:
        """A leg with answer confirmation answers: its callee hears the prompt, the caller
        still hears ringback (the B leg's CHANNEL_ANSWER only)."""
        b = self._winner(index)
        if b is not None:
            self._b_answered(b)

    def _winner(self, index: int) -> "_BLeg | None":
        """The leg at `index` that answers, once its rivals there lost the race; None if none rings."""
        legs = self.state.legs.get(index, [])
        if not legs:
            return None
        for loser in legs[1:]:
            self._b_hangup(loser, "LOSE_RACE")
        return legs[0]

    def _b_answered(self, b: _BLeg) -> None:
        flow = self.flow
        if self.detailed:
            b_leg_answered(b.channel, b.values, b.target.kind)
        b.answered_us = flow.clock.epoch_us()
        b.channel.profile.stamp("Channel-Answered-Time", b.answered_us)
        b.channel.answer_state = "answered"
        flow.bus.fire(b.channel, "CHANNEL_ANSWER")
        b.channel.call_state = "ACTIVE"

    def _answer_leg(self, index: int, outcome: LegOutcome) -> None:
        flow, ch = self.flow, self.ch
        b = self._winner(index)
        if b is None:
            return
        if not b.answered_us:                   # a confirming leg answered at its pickup
            self._b_answered(b)
        ch.profile.set_callee("Outbound Call", b.target.callee_number)
        if not ch.media:
            ch.set("switch_m_sdp", CALLEE_SDP)
        flow.mark_answered()
        self._push_causes(winner=b)
        ch.set("originate_disposition", SUCCESS)
        ch.set("DIALSTATUS", SUCCESS)
        ch.set("signal_bond", b.channel.uuid)
        ch.set("originate_signal_bond", None)
        ch.other = ("originatee", b.channel.profile)
        flow.mark_bridged()
        b.bridged_us = flow.clock.epoch_us()
        b.channel.profile.stamp("Channel-Bridged-Time", b.bridged_us)
        b.channel.state = b.channel.running = "CS_EXCHANGE_MEDIA"
        ids = (("Bridge-A-Unique-ID", ch.uuid), ("Bridge-B-Unique-ID", b.channel.uuid))
        flow.fire("CHANNEL_BRIDGE", first=ids)
        for recorder in flow.recorders:
            recorder.on_bridged()
        for name, value in (("bridge_to", b.channel.uuid), ("last_bridge_to", b.channel.uuid),
                            ("bridge_channel", b.channel.name), ("bridge_uuid", b.channel.uuid),
                            ("last_sent_callee_id_name", "Outbound Call"),
                            ("last_sent_callee_id_number", b.target.callee_number)):
            ch.set(name, value)
        if self.detailed:
            for name, value in (("last_bridge_to", ch.uuid), ("bridge_channel", ch.name),
                                ("bridge_uuid", ch.uuid), ("signal_bond", ch.uuid)):
                b.channel.set(name, value)
        self.state.winner = b
        flow.call.answered_by = outcome.leg.endpoint.target
        self.record.answered_by = outcome.leg.endpoint.target

    # -- after the originate -----------------------------------------------------------------

    def _talk(self) -> None:
        """Connected: the callee hangs up after talk_time unless the caller goes first."""
        flow, ch, b = self.flow, self.ch, self.state.winner
        if b is None:
            return
        ids = (("Bridge-A-Unique-ID", ch.uuid), ("Bridge-B-Unique-ID", b.channel.uuid))
        flow.wait(flow.options.talk_time, wake=self._kick)
        caller_left = flow.interrupted
        self.record.hangup_cause = "NORMAL_CLEARING"
        if caller_left:
            self._b_hangup(b, "NORMAL_CLEARING", defer=True)
            if flow.caller_left_first():
                ch.set("sip_hangup_disposition", "recv_bye")
            ch.set("bridge_to", None)
            ch.set("bridge_hangup_cause", "NORMAL_CLEARING")
            flow.fire("CHANNEL_UNBRIDGE", first=ids)
            return
        hang_up_caller = ch.get("hangup_after_bridge") == "true"
        self._b_hangup(b, "NORMAL_CLEARING", defer=hang_up_caller)
        ch.set("bridge_to", None)
        ch.set("last_bridge_hangup_cause", "NORMAL_CLEARING")
        ch.set("last_bridge_proto_specific_hangup_cause", "sip:200")
        ch.set("bridge_hangup_cause", "NORMAL_CLEARING")
        flow.fire("CHANNEL_UNBRIDGE", first=ids)
        if hang_up_caller:
            flow.switch_hangs_up("NORMAL_CLEARING")

    def _fail(self, result: OriginateResult) -> None:
        flow, ch = self.flow, self.ch
        cause = result.disposition
        b_legs = [b for legs in self.state.legs.values() for b in legs]
        if cause != ORIGINATOR_CANCEL and b_legs:
            busy = cause == "USER_BUSY"
            if busy:
                ch.set("sip_invite_failure_status", "486")
                ch.set("sip_invite_failure_phrase", "Busy Here")
                ch.set("sip_hangup_phrase", "Busy Here")
            ch.set("last_bridge_hangup_cause", cause)
            if busy:
                ch.set("last_bridge_proto_specific_hangup_cause", "sip:486")
        ch.set("originate_disposition", cause)
        ch.set("DIALSTATUS", dialstatus(cause))
        self._push_causes(winner=None, cause=cause)
        ch.set("originate_failed_cause", cause)
        if ch.up and not _continue_on_fail(ch.get("continue_on_fail") or "", cause):
            flow.switch_hangs_up(cause)

    def _push_causes(self, winner: _BLeg | None, cause: str = "NONE") -> None:
        """originate_causes gets ``<uuid>;<cause>`` per leg (NONE for the winner).

        A ``user/`` leg that answered is pushed twice: the user endpoint runs an originate of
        its own on the same caller channel (outbound_01b, outbound_03, 07f1); one that failed
        (NO_ANSWER, ORIGINATOR_CANCEL) only once (outbound_07b, 07c).
        """
        for index, legs in self.state.legs.items():
            if not legs:
                continue
            b = legs[0]
            value = "NONE" if b is winner else (b.channel.hangup_cause or cause)
            for _ in range(2 if b.target.kind == "office" and b is winner else 1):
                self.ch.push("originate_causes", f"{b.channel.uuid};{value}")

    def _record(self, result: OriginateResult) -> None:
        self.record.disposition = result.disposition
        self.record.dialstatus = result.dialstatus
        self.record.legs = [
            LegResult(target=lo.leg.endpoint.target, device=lo.device, dial=lo.leg.text, start=lo.start,
                      ring=lo.ring, end=lo.end, outcome=lo.outcome)
            for lo in result.legs
        ]

    def _b_hangup(self, b: _BLeg, cause: str, defer: bool = False) -> None:
        if not b.up:
            return
        flow = self.flow
        b.up = False
        flow.sw.b_legs.pop(b.channel.uuid, None)
        ch = b.channel
        ch.mark_hangup(cause, flow.clock.epoch_us())
        flow.bus.fire(ch, "CHANNEL_HANGUP")
        ch.state = ch.running = "CS_REPORTING"
        ch.call_state = "HANGUP"
        if flow.bus.wants("CHANNEL_HANGUP_COMPLETE", ch.uuid):
            if b.target.kind == "office" and b.answered_us:
                b_leg_directory(ch, b.target.target)
            ch.call_uuid = ch.uuid
            cdr_variables(ch, created_us=b.created_us, end_us=flow.clock.epoch_us(), answered_us=b.answered_us,
                          bridged_us=b.bridged_us, progress_us=b.ring_us, media_us=0, last_app="", last_arg="",
                          disposition="send_bye" if b.answered_us else "send_cancel")
        created = flow.bus.create(ch, "CHANNEL_HANGUP_COMPLETE", first=(("Hangup-Cause", cause),))
        if defer and flow.quirks.late_b_hangup_complete:
            flow.deferred.append(created)
        else:
            flow.bus.deliver(created)
        flow.sw.channel_destroyed(ch)


def _actions(result: OriginateResult) -> list[tuple[float, int, str, int]]:
    actions = []
    for i, lo in enumerate(result.legs):
        if not lo.created or lo.start is None:
            continue
        actions.append((lo.start, 0, "start", i))
        if lo.ring is not None:
            actions.append((lo.ring, 1, "ring", i))
        if lo.picked_up is not None:
            actions.append((lo.picked_up, 1, "pickup", i))
        if lo.end is not None:
            actions.append((lo.end, 3 if lo.outcome == SUCCESS else 2, "answer" if lo.outcome == SUCCESS else "end", i))
    actions.append((result.end, 4, "finish", -1))
    actions.sort()
    return actions


def _answers_with_ring(outcome: LegOutcome) -> bool:
    """An answer right on the heels of the 180: its SDP is already there at CHANNEL_PROGRESS."""
    return (outcome.outcome == SUCCESS and outcome.end is not None and outcome.ring is not None
            and outcome.end - outcome.ring < 0.05)


def _continue_on_fail(value: str, cause: str) -> bool:
    """continue_on_fail: ``true``, or a list of causes (names or Q.850 codes) that continue."""
    value = value.strip()
    if value.lower() == "true":
        return True
    if not value or value.lower() == "false":
        return False
    wanted = {item.strip().upper() for item in value.split(",")}
    return cause in wanted or Q850.get(cause, "") in wanted


def _atoi(value: str) -> int:
    digits = "".join(ch for ch in value.strip()[:6] if ch.isdigit())
    return int(digits) if digits else 0

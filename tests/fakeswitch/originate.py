"""The outcome of a bridge, as switch_ivr_originate.c decides it (pure, no I/O, no clock).

Given a parsed dial string, how each leg's device reacts, the phase of the wall clock at
the bridge start and when (if ever) the caller hangs up, :func:`originate` returns when
each leg started, rang and ended, and the bridge's disposition.

Rules reproduced from FreeSWITCH 1.11 (switch_ivr_originate.c, check_per_channel_timeouts):

* Timers tick in whole seconds of the epoch: ``elapsed = now_sec - start_sec``.  A leg's
  ``leg_delay_start=D`` starts it when ``elapsed > D`` and ``leg_timeout=T`` hangs it up
  when ``elapsed > T`` — i.e. at ``D + u`` / ``T + u`` seconds, where ``u = 1 - frac(start)``
  (a 5 s delay starts at 5.2–5.9 s); the group's ``originate_timeout`` fires when
  ``elapsed >= T``, at ``T - 1 + u``, and its expiry is NO_ANSWER.
* A delayed leg's leg_timeout counts from the bridge start plus its delay.
* When no started leg is alive but delayed legs are waiting, the earliest delayed legs
  start at once and every delayed leg's clock is shifted by the time saved — so
  leg_delay_start has no effect on a lone leg, and an unregistered desk phone makes the
  mobile ring at 0 s.
* A leg whose channel cannot be created (unregistered user/, error/…) never counts; if no
  leg of a group gets a channel the group fails at once with that reason.
* A failed group's cause is the cause of its first leg (in dial order) that had a channel;
  the next ``|`` group then starts, unless the failure was the originate_timeout (FreeSWITCH
  stops there unless originate_continue_on_timeout=true) or the caller's cancel.
* An answer wins; the other legs are hung up with LOSE_RACE.
* Leg timeouts read ALLOTTED_TIMEOUT, except for a lone ``user/`` leg: the user endpoint
  runs its own originate with that timeout and ends NO_ANSWER first (measured on 1.11).
* Answer confirmation (``group_confirm_key``, on the leg or call-wide): a leg that answers
  is not a winner yet; it hears ``group_confirm_file`` (prompt, then 5 s for the key, over
  and over) while the other legs ring on, and wins when its callee presses the key.  Its
  ``leg_timeout`` and the call-wide ``originate_timeout`` keep running, unless
  ``group_confirm_timeout=N`` (the leg's, else the call-wide one) resets its own limit to
  ``elapsed + N`` whole seconds at the answer; ``0`` given explicitly removes its limit.
  Past the limit the leg is hung up ALLOTTED_TIMEOUT; the originate_timeout ends the
  bridge NO_ANSWER.  A prompt file the switch lacks: ``Error Playing File!`` and the leg is
  hung up DESTINATION_OUT_OF_ORDER at once (measured on 1.11: about 20 ms after the answer).
  Source, v1.11.1 switch_ivr_originate.c: check_channel_status (the ``group_confirm_key``
  branch: CF_TAGGED, ``per_channel_timelimit_sec = elapsed + extend_timeout`` or 0, the
  collect thread), collect_thread_run (switch_ivr_read with confirm_read_timeout 5000 ms
  in a loop; CF_WINNER on the key; a failed prompt -> DESTINATION_OUT_OF_ORDER),
  check_per_channel_timeouts (``elapsed > per_channel_timelimit_sec``), switch_ivr_originate
  (``group_confirm_timeout`` from ``{}``/the A leg into ``oglobals.confirm_timeout``;
  ``elapsed >= timelimit_sec`` -> IDX_TIMEOUT -> NO_ANSWER).  Not simulated:
  ``group_confirm_cancel_timeout``, ``group_confirm_error_file``, a right key after a wrong one,
  and confirm variables set on the A leg's channel rather than in the dial string.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from .dialstring import DialString, Leg

DEFAULT_TIMEOUT = 60

SUCCESS = "SUCCESS"
NO_ANSWER = "NO_ANSWER"
ALLOTTED_TIMEOUT = "ALLOTTED_TIMEOUT"
LOSE_RACE = "LOSE_RACE"
ORIGINATOR_CANCEL = "ORIGINATOR_CANCEL"

#: DIALSTATUS for a disposition (switch_ivr_originate.c); any other cause is its own name.
DIALSTATUS = {
    ORIGINATOR_CANCEL: "CANCEL",
    "USER_BUSY": "BUSY",
    NO_ANSWER: "NOANSWER",
    "DESTINATION_OUT_OF_ORDER": "INVALIDARGS",
    "INVALID_PROFILE": "INVALIDARGS",
    "CALL_REJECTED": "DONTCALL",
}


def dialstatus(disposition: str) -> str:
    return DIALSTATUS.get(disposition, disposition)


@dataclass(frozen=True)
class Behaviour:
    """How the device behind one leg reacts to the INVITE.

    ``create_failure``: the leg gets no channel at all (USER_NOT_REGISTERED, error/ causes).
    ``answer_after`` / ``reject_after``: sim seconds after the leg starts.
    ``ring_after``: when it sends 180 Ringing (None: it never rings).
    """

    device: str = "unknown"
    create_failure: str | None = None
    answer_after: float | None = None
    reject: str | None = None
    reject_after: float = 0.0
    ring_after: float | None = 0.02
    press_after: float | None = None    # answer confirmation: key pressed this long after the answer
    key: str = "1"                      # the key pressed


#: From the answer of a confirming leg whose prompt is missing to its hangup (1.11: ~20 ms).
PROMPT_MISSING_AFTER = 0.02
PROMPT_MISSING = "DESTINATION_OUT_OF_ORDER"


@dataclass(frozen=True)
class LegOutcome:
    leg: Leg
    group: int
    device: str
    created: bool
    start: float | None = None   # sim seconds from the bridge start; None: never sent
    ring: float | None = None
    end: float | None = None
    outcome: str | None = None   # None: its group was never tried
    picked_up: float | None = None   # answered into answer confirmation (before winning, if it did)


@dataclass(frozen=True)
class OriginateResult:
    disposition: str
    end: float
    legs: tuple[LegOutcome, ...]
    answered: LegOutcome | None = None
    timed_out: bool = False

    @property
    def dialstatus(self) -> str:
        return dialstatus(self.disposition)

    @property
    def first_ring(self) -> float | None:
        rings = [leg.ring for leg in self.legs if leg.ring is not None]
        return min(rings) if rings else None


@dataclass
class _Peer:
    """One created leg while its group runs (times relative to the group start)."""

    index: int
    behaviour: Behaviour
    delay: int
    limit: int
    start: float | None = None
    ring: float | None = None
    end: float | None = None
    outcome: str | None = None
    picked_up: float | None = None   # answered, confirming
    win_at: float | None = None      # confirming: when the right key comes
    fail_at: float | None = None     # confirming: when the missing prompt drops it

    @property
    def alive(self) -> bool:
        return self.outcome is None

    def next_time(self, u: float) -> float:
        if self.start is None:
            return self.delay + u
        times = [self.limit + u] if self.limit else []
        b = self.behaviour
        if self.picked_up is not None:
            times += [t for t in (self.win_at, self.fail_at) if t is not None]
            return min(times) if times else math.inf
        if b.answer_after is not None:
            times.append(self.start + b.answer_after)
        if b.reject is not None:
            times.append(self.start + b.reject_after)
        return min(times) if times else math.inf


def _tick_offset(phase: float, at: float) -> float:
    """``u``: time from ``at`` to the next whole epoch second (in (0, 1])."""
    return 1.0 - math.modf(phase + at)[0] % 1.0


def _run_group(ds: DialString, legs: list[Leg], behaviours: list[Behaviour], u: float,
               cancel_at: float | None, timeout: int,
               missing: frozenset[str] = frozenset()) -> tuple[str, float, list[_Peer | None], bool, int | None]:
    """Simulate one ``,`` group; returns (cause, end, peers, timed_out, winner index)."""
    peers: list[_Peer | None] = []
    reason = None
    for i, (leg, b) in enumerate(zip(legs, behaviours)):
        if b.create_failure:
            peers.append(None)
            reason = b.create_failure
            continue
        delay = max(ds.int_var(leg, "leg_delay_start"), 0)
        limit = max(ds.int_var(leg, "leg_timeout"), 0)
        if delay and limit:
            limit += delay
        peer = _Peer(i, b, delay, limit)
        if not delay:
            peer.start = 0.0
        peers.append(peer)
    created = [p for p in peers if p is not None]
    if not created:
        return reason or "DESTINATION_OUT_OF_ORDER", 0.0, peers, False, None
    lone_user = len(created) == 1 and legs[created[0].index].endpoint.kind == "user"
    timeout_at = timeout - 1 + u
    now = 0.0
    while True:
        _start_delayed_early(created, now, u)
        alive = [p for p in created if p.alive]
        if not alive:
            first = created[0]
            return first.outcome, now, peers, False, None
        # On a tie a delayed leg starts before a started one times out: FreeSWITCH counts the
        # live legs before it acts on either, so the next slot of a hunt starts on its own
        # timer instead of pulling every later leg forward as if nothing were ringing.
        candidates = [(p.next_time(u), p.start is not None, p) for p in alive]
        t_leg, _, peer = min(candidates, key=lambda item: item[:2])
        t_stop = min(timeout_at, cancel_at if cancel_at is not None else math.inf)
        if t_stop < t_leg:
            cause = ORIGINATOR_CANCEL if cancel_at is not None and cancel_at <= timeout_at else NO_ANSWER
            _end_all(alive, cause, t_stop)
            return cause, t_stop, peers, cause == NO_ANSWER, None
        now = t_leg
        if peer.start is None:
            peer.start = now
            continue
        b = peer.behaviour
        if peer.picked_up is not None:
            if peer.fail_at is not None and now >= peer.fail_at:
                peer.outcome, peer.end = PROMPT_MISSING, now
                continue
            if peer.win_at is not None and now >= peer.win_at:
                peer.outcome, peer.end = SUCCESS, now
                _end_all([p for p in alive if p is not peer], LOSE_RACE, now)
                return SUCCESS, now, peers, False, peer.index
            peer.outcome, peer.end = ALLOTTED_TIMEOUT, now
            continue
        if b.answer_after is not None and now >= peer.start + b.answer_after and \
                _confirm(ds, legs[peer.index], peer, now, u, missing):
            continue
        if b.answer_after is not None and now >= peer.start + b.answer_after:
            peer.outcome, peer.end = SUCCESS, now
            _end_all([p for p in alive if p is not peer], LOSE_RACE, now)
            return SUCCESS, now, peers, False, peer.index
        if b.reject is not None and now >= peer.start + b.reject_after:
            peer.outcome, peer.end = b.reject, now
            continue
        peer.outcome, peer.end = (NO_ANSWER if lone_user else ALLOTTED_TIMEOUT), now


def _confirm(ds: DialString, leg: Leg, peer: _Peer, now: float, u: float, missing: frozenset[str]) -> bool:
    """A leg answering with group_confirm_key set starts confirming (True) instead of winning."""
    key = ds.var(leg, "group_confirm_key")
    if not key:
        return False
    peer.picked_up = now
    extend, cancel = 0, False
    own = leg.variables.get("group_confirm_timeout")
    wide = ds.variables.get("group_confirm_timeout")
    for value in (own, wide):
        if value is not None and value.strip().isdigit():
            extend = int(value)
            cancel = extend == 0
            break
    if extend > 0:
        elapsed = math.floor(now + 1 - u + 1e-9)     # whole seconds, as FreeSWITCH counts them
        peer.limit = elapsed + extend
    elif cancel:
        peer.limit = 0
    prompt = ds.var(leg, "group_confirm_file") or "silence"
    b = peer.behaviour
    if prompt in missing:
        peer.fail_at = now + PROMPT_MISSING_AFTER
    elif b.press_after is not None and b.key == key:
        peer.win_at = now + b.press_after
    return True


def _end_all(peers: list[_Peer], cause: str, at: float) -> None:
    for p in peers:
        p.outcome, p.end = cause, at


def _start_delayed_early(peers: list[_Peer], now: float, u: float) -> None:
    """check_per_channel_timeouts: with no live started leg, pull the delayed ones forward."""
    alive = [p for p in peers if p.alive]
    if any(p.start is not None for p in alive):
        return
    delayed = [p for p in alive if p.start is None]
    if not delayed:
        return
    elapsed = math.floor(now + 1 - u + 1e-9)
    delayed_min = min(p.delay for p in delayed)
    early = max(delayed_min - elapsed, 0)
    for p in delayed:
        if p.limit:
            p.limit = p.limit - early if p.limit > early else 1
        p.delay -= delayed_min
        if p.delay <= 0:
            p.delay = 0
            p.start = now


def originate(ds: DialString, behaviours: dict[int, Behaviour] | list[Behaviour], *, phase: float = 0.5,
              cancel_at: float | None = None, default_timeout: int = DEFAULT_TIMEOUT,
              missing_files: frozenset[str] = frozenset()) -> OriginateResult:
    """Decide a whole bridge.

    ``behaviours`` lists, in dial-string order, one :class:`Behaviour` per leg.  ``phase``
    is the fractional second of the wall clock when the bridge starts; ``cancel_at`` the
    time (from the bridge start) the caller hangs up; ``missing_files`` the sound files
    the switch lacks (an answer-confirmation prompt among them drops the leg).
    """
    flat = list(behaviours.values()) if isinstance(behaviours, dict) else list(behaviours)
    all_legs = ds.legs()
    if len(flat) != len(all_legs):
        raise ValueError("one behaviour per leg is needed")
    timeout = _timeout(ds, default_timeout)
    continue_on_timeout = ds.variables.get("originate_continue_on_timeout", "").lower() == "true"
    outcomes: list[LegOutcome] = [
        LegOutcome(leg=leg, group=g, device=b.device, created=False) for (g, leg), b in zip(all_legs, flat)
    ]
    offset = 0
    t0 = 0.0
    disposition, end, winner, timed_out = "DESTINATION_OUT_OF_ORDER", 0.0, None, False
    for g, group in enumerate(ds.groups):
        group_behaviours = flat[offset:offset + len(group)]
        group_cancel = None if cancel_at is None else cancel_at - t0
        if group_cancel is not None and group_cancel <= 0:
            disposition, end = ORIGINATOR_CANCEL, t0
            break
        u = _tick_offset(phase, t0)
        cause, rel_end, peers, timed_out, win = _run_group(ds, list(group), group_behaviours, u, group_cancel, timeout,
                                                        frozenset(missing_files))
        for i, peer in enumerate(peers):
            outcomes[offset + i] = _record(outcomes[offset + i], peer, t0, group_behaviours[i])
        disposition, end = cause, t0 + rel_end
        if win is not None:
            winner = outcomes[offset + win]
            break
        if cause == ORIGINATOR_CANCEL or (timed_out and not continue_on_timeout):
            break
        offset += len(group)
        t0 = end
    return OriginateResult(disposition, end, tuple(outcomes), winner, timed_out)


def _record(outcome: LegOutcome, peer: _Peer | None, t0: float, behaviour: Behaviour) -> LegOutcome:
    if peer is None:
        return replace(outcome, outcome=behaviour.create_failure, start=None, end=t0)
    start = None if peer.start is None else t0 + peer.start
    ring = None
    if start is not None and behaviour.ring_after is not None:
        ring_at = peer.start + behaviour.ring_after
        if peer.end is None or ring_at < peer.end:
            ring = t0 + ring_at
    return replace(outcome, created=True, start=start, ring=ring,
                   end=None if peer.end is None else t0 + peer.end, outcome=peer.outcome,
                   picked_up=None if peer.picked_up is None else t0 + peer.picked_up)


def _timeout(ds: DialString, default: int) -> int:
    value = ds.variables.get("originate_timeout")
    if value is not None:
        try:
            parsed = int(value.strip().split()[0])
        except (ValueError, IndexError):
            parsed = 0
        if parsed > 0:
            return parsed
    return default if default > 0 else DEFAULT_TIMEOUT

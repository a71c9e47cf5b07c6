"""`plan()`: from a new call, the config snapshot and the time, the steps to execute.

Pure: no I/O and no clock.  `now` must be aware; presence, department rotation and
runtime overrides are read through the protocols in `routing.types`, so the daemon
passes its live views and tests pass plain objects.

The plain rules (routing.walk) route every call, unless the caller hands in the
speed layer's `LiveMasks` (`live`, what the daemon keeps of the live views between
calls): then routing.fast does, with the same answers, within the daemon's budget.

A plan's steps stop at the first forward after something has rung: the rest of the
chain is routed by `resume(plan.then, …)` when the call gets there unanswered, with
the live state of that moment.  `expand()` gives the whole chain at once, as
`callrouter plan` shows it.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from config.snapshot import Snapshot
from routing import walk
from routing.fast import planner as fast
from routing.fast.index import INDEXES, index_for
from routing.fast.live import LiveMasks
from routing.fast.localtime import utc_seconds
from routing.types import (ASSUME_AVAILABLE, NO_OVERRIDES, NO_ROTATION, Call, Continuation, Overrides, Plan,
                           Presence, Rotation)


def plan(call: Call, snapshot: Snapshot, now: dt.datetime, presence: Presence = ASSUME_AVAILABLE,
         rotation: Rotation = NO_ROTATION, overrides: Overrides = NO_OVERRIDES,
         live: Optional[LiveMasks] = None) -> Plan:
    """`live`, when given, holds what `presence` and `overrides` say of departments'
    members, kept between calls (routing.fast.live); it must read these very views."""
    seconds = _utc_seconds(now)
    if live is None:
        return walk.plan(call, snapshot, now, presence, rotation, overrides)
    return fast.plan(call, snapshot, seconds, presence, rotation, overrides, live)


def resume(then: Continuation, snapshot: Snapshot, now: dt.datetime, presence: Presence = ASSUME_AVAILABLE,
           rotation: Rotation = NO_ROTATION, overrides: Overrides = NO_OVERRIDES,
           live: Optional[LiveMasks] = None) -> Plan:
    """The rest of a call whose plan's steps ran out unanswered: `then` is that plan's
    `then`, taken up at `now` with the live state of now, on the snapshot the plan
    was made with.  The Plan returned is the forward's: its reason is the state of
    whoever the call was forwarded to, and it may have a `then` of its own."""
    seconds = _utc_seconds(now)
    if live is None:
        return walk.resume(then, snapshot, now, presence, rotation, overrides)
    return fast.resume(then, snapshot, seconds, presence, rotation, overrides, live)


def expand(plan_: Plan, snapshot: Snapshot, now: dt.datetime, presence: Presence = ASSUME_AVAILABLE,
           rotation: Rotation = NO_ROTATION, overrides: Overrides = NO_OVERRIDES,
           live: Optional[LiveMasks] = None) -> Plan:
    """The whole plan if nobody answers: each forward taken up when the call would get
    there (`now` plus the ring steps before it), with the same live state.  What
    `callrouter plan` shows."""
    steps = list(plan_.steps)
    then = plan_.then
    while then is not None:
        waited = sum(step.timeout for step in steps if step.action == "ring")
        more = resume(then, snapshot, now + dt.timedelta(seconds=waited), presence, rotation, overrides, live)
        steps += more.steps
        then = more.then
    return Plan(plan_.reason, plan_.target, tuple(steps), plan_.kind, plan_.internal)


def _utc_seconds(now: dt.datetime) -> int:
    if now.tzinfo is not None:
        try:
            return utc_seconds(now)
        except TypeError:                    # a tzinfo without an offset: naive after all
            pass
    raise ValueError("plan() needs an aware datetime, got a naive one")


def kind_of(destination: str, snapshot: Snapshot) -> str:
    """What a dialled number reaches, as `Plan.kind` names it (employee, department,
    unknown): for a call that ends before it is routed.  With the speed layer's index
    of the snapshot when it has one (the daemon's), else by the plain rules."""
    index = INDEXES.get(snapshot)
    if index is None:
        entity, _ = walk.resolve(snapshot, destination)
        return "unknown" if entity is None else walk.plan_kind(entity)
    found = index.resolve(destination)
    if found is None:
        return "unknown"
    return "department" if found.entity.ref.startswith("department:") else "employee"


def prepare(snapshot: Snapshot) -> None:
    """Build the snapshot's speed-layer index now (right after a reload) rather than on its first call."""
    index_for(snapshot)

"""`plan()`: from a new call, the config snapshot and the time, the steps to execute.

Pure: no I/O and no clock.  `now` must be aware; presence, department rotation and
runtime overrides are read through the protocols in `routing.types`, so the daemon
passes its live views and tests pass plain objects.

A plan's steps stop at the first forward after something has rung: the rest of the
chain is routed by `resume(plan.then, …)` when the call gets there unanswered, with
the live state of that moment (routing.walk).  `expand()` gives the whole chain at
once, as `callrouter plan` shows it.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from config.snapshot import Snapshot
from routing.index import Group, index_for
from routing.live import LiveMasks
from routing.localtime import utc_seconds
from routing.types import ASSUME_AVAILABLE, NO_OVERRIDES, NO_ROTATION, Call, Overrides, Plan, Presence, Rotation, Step
from routing.values import new_plan
from routing.walk import Continuation, Walk

_UNKNOWN = (Step(action="hangup", cause="UNALLOCATED_NUMBER", reason="unknown_number"),)


def plan(call: Call, snapshot: Snapshot, now: dt.datetime, presence: Presence = ASSUME_AVAILABLE,
         rotation: Rotation = NO_ROTATION, overrides: Overrides = NO_OVERRIDES,
         live: Optional[LiveMasks] = None) -> Plan:
    """`live`, when given, holds what `presence` and `overrides` say of departments'
    members, kept between calls (routing.live); it must read these very views."""
    seconds = _utc_seconds(now)
    index = index_for(snapshot)
    internal = call.caller in index.employee_ids               # index.is_employee, inlined
    destination = index.resolve(call.destination)
    if destination is None:
        return new_plan("unknown_number", "", _UNKNOWN, "unknown", internal)
    entity = destination.entity
    walk = Walk(index, call.caller, internal, destination.did, seconds, presence, rotation, overrides, entity, live)
    if type(entity) is Group:
        reason = walk.department(entity, "department")
        kind = "department"
    else:
        reason = walk.person(entity, "direct")
        kind = "employee"
    return new_plan(reason, entity.ref, tuple(walk.steps), kind, internal, walk.then)


def resume(then: Continuation, snapshot: Snapshot, now: dt.datetime, presence: Presence = ASSUME_AVAILABLE,
           rotation: Rotation = NO_ROTATION, overrides: Overrides = NO_OVERRIDES,
           live: Optional[LiveMasks] = None) -> Plan:
    """The rest of a call whose plan's steps ran out unanswered: `then` is that plan's
    `then`, taken up at `now` with the live state of now, on the snapshot the plan
    was made with.  The Plan returned is the forward's: its reason is the state of
    whoever the call was forwarded to, and it may have a `then` of its own."""
    seconds = _utc_seconds(now)
    walk = Walk.resuming(index_for(snapshot), then, seconds, presence, rotation, overrides, live)
    entity = then.entity
    reason = walk.reach(entity, then.reason)
    return new_plan(reason, entity.ref, tuple(walk.steps), "department" if type(entity) is Group else "employee",
                    then.internal, walk.then)


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
    return new_plan(plan_.reason, plan_.target, tuple(steps), plan_.kind, plan_.internal)


def _utc_seconds(now: dt.datetime) -> int:
    if now.tzinfo is not None:
        try:
            return utc_seconds(now)
        except TypeError:                    # a tzinfo without an offset: naive after all
            pass
    raise ValueError("plan() needs an aware datetime, got a naive one")


def kind_of(destination: str, snapshot: Snapshot) -> str:
    """What a dialled number reaches, as `Plan.kind` names it (employee, department,
    unknown): for a call that ends before it is routed."""
    found = index_for(snapshot).resolve(destination)
    if found is None:
        return "unknown"
    return "department" if type(found.entity) is Group else "employee"


def prepare(snapshot: Snapshot) -> None:
    """Build the snapshot's routing index now (right after a reload) rather than on its first call."""
    index_for(snapshot)

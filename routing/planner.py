"""`plan()`: from a new call, the config snapshot and the time, the steps to execute.

Pure: no I/O and no clock.  `now` must be aware; presence, department rotation and
runtime overrides are read through the protocols in `routing.types`, so the daemon
passes its live views and tests pass plain objects.
"""
from __future__ import annotations

import datetime as dt

from config.snapshot import Snapshot
from routing.index import Group, index_for
from routing.types import ASSUME_AVAILABLE, NO_OVERRIDES, NO_ROTATION, Call, Overrides, Plan, Presence, Rotation, Step
from routing.values import new_plan
from routing.walk import Walk

_UNKNOWN = (Step(action="hangup", cause="UNALLOCATED_NUMBER", reason="unknown_number"),)


def plan(call: Call, snapshot: Snapshot, now: dt.datetime, presence: Presence = ASSUME_AVAILABLE,
         rotation: Rotation = NO_ROTATION, overrides: Overrides = NO_OVERRIDES) -> Plan:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("plan() needs an aware datetime, got a naive one")
    index = index_for(snapshot)
    internal = index.is_employee(call.caller)
    destination = index.resolve(call.destination)
    if destination is None:
        return new_plan(reason="unknown_number", target="", steps=_UNKNOWN, kind="unknown", internal=internal)
    entity = destination.entity
    walk = Walk(index, call, internal, destination.did, now, presence, rotation, overrides, entity)
    if isinstance(entity, Group):
        reason = walk.department(entity, "department")
        kind = "department"
    else:
        reason = walk.person(entity, "direct")
        kind = "employee"
    return new_plan(reason=reason, target=entity.ref, steps=tuple(walk.steps), kind=kind, internal=internal)


def prepare(snapshot: Snapshot) -> None:
    """Build the snapshot's routing index now (right after a reload) rather than on its first call."""
    index_for(snapshot)

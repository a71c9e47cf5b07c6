"""`plan()` and `resume()` through the speed layer (routing.planner chooses it when
the caller hands in its LiveMasks)."""
from __future__ import annotations

from config.snapshot import Snapshot
from routing.fast.entries import Group
from routing.fast.index import index_for
from routing.fast.live import LiveMasks
from routing.fast.walk import Walk, entity_of
from routing.types import Call, Continuation, Overrides, Plan, Presence, Rotation
from routing.walk import UNKNOWN_NUMBER


def plan(call: Call, snapshot: Snapshot, seconds: int, presence: Presence, rotation: Rotation,
         overrides: Overrides, live: LiveMasks) -> Plan:
    """routing.walk.plan's answer; `seconds`: now, whole seconds since the epoch (UTC)."""
    index = index_for(snapshot)
    internal = index.is_employee(call.caller)
    destination = index.resolve(call.destination)
    if destination is None:
        return Plan("unknown_number", "", UNKNOWN_NUMBER, "unknown", internal)
    entity = destination.entity
    walk = Walk(index, call.caller, internal, destination.did, seconds, presence, rotation, overrides, entity, live)
    if type(entity) is Group:
        return Plan(walk.department(entity, "department"), entity.ref, tuple(walk.steps), "department", internal,
                    walk.then)
    return Plan(walk.person(entity, "direct"), entity.ref, tuple(walk.steps), "employee", internal, walk.then)


def resume(then: Continuation, snapshot: Snapshot, seconds: int, presence: Presence, rotation: Rotation,
           overrides: Overrides, live: LiveMasks) -> Plan:
    """routing.walk.resume's answer."""
    index = index_for(snapshot)
    walk = Walk.resuming(index, then, seconds, presence, rotation, overrides, live)
    entity = entity_of(index, then.to)
    reason = walk.reach(entity, then.reason)
    return Plan(reason, entity.ref, tuple(walk.steps), "department" if type(entity) is Group else "employee",
                then.internal, walk.then)

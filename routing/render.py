"""Plans as plain data (JSON, the daemon's logs) and as a readable timeline (`callrouter plan`)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterator, NamedTuple, Optional

from config.models import Department
from config.snapshot import Snapshot
from routing.dialstring import endpoint_of
from routing.types import Leg, Plan, Step
from routing.walk import entity_of

# Step reasons that need no "why →" line: the call simply started there.
_STARTS = frozenset({"direct", "department"})

_WORDS = {
    "no_answer": "no answer",
    "off_hours": "off hours",
    "absent": "absent",
    "dnd": "do not disturb",
    "forward_to_mobile": "forwarded to mobile",
    "unregistered": "nothing registered",
    "loop": "loop",
    "max_forwards": "too many forwards",
    "no_one_available": "no one available",
    "unknown_number": "unknown number",
}


# --------------------------------------------------------------------------- data

def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "reason": plan.reason,
        "target": plan.target,
        "kind": plan.kind,
        "internal": plan.internal,
        "steps": [step_to_dict(step) for step in plan.steps],
    }


def step_to_dict(step: Step) -> dict[str, Any]:
    data: dict[str, Any] = {"action": step.action, "reason": step.reason, "target": step.target}
    if step.action == "ring":
        data["timeout"] = step.timeout
        data["dial"] = step.dial
        data["legs"] = [leg_to_dict(leg) for leg in step.legs]
    elif step.action == "voicemail":
        data["mailbox"] = step.mailbox
    elif step.action in ("announce", "message"):
        data["file"] = step.file
    elif step.action == "hangup":
        data["cause"] = step.cause
    return data


def leg_to_dict(leg: Leg) -> dict[str, Any]:
    return {"device": leg.device, "login": leg.login, "delay": leg.delay, "timeout": leg.timeout,
            "dial": leg.dial, "confirm": leg.confirm}


# --------------------------------------------------------------------------- text

class Moment(NamedTuple):
    """One line of a plan's timeline (`callrouter plan`, the web's explainer)."""
    second: int                     # of the caller's wait
    step: Step
    leg: Optional[Leg] = None       # a ring step's leg that starts ringing now; None: the step itself
    first: bool = False             # the leg is the first of its person in the step
    forward: bool = False           # the step is a forward: its reason says why it is taken


def moments(plan: Plan) -> Iterator[Moment]:
    """The plan as a timeline: a forward, or a step that rings nobody, at the second it
    begins; each leg of a ring step at the second it starts ringing."""
    clock = 0
    for step in plan.steps:
        forward = step.reason not in _STARTS
        if forward or step.action != "ring":
            yield Moment(clock, step, forward=forward)
        if step.action == "ring":
            rung: set[str] = set()
            for leg in sorted(step.legs, key=lambda leg: leg.delay):
                yield Moment(clock + leg.delay, step, leg, first=leg.login not in rung)
                rung.add(leg.login)
            clock += step.timeout


def shown_endpoint(leg: Leg) -> str:
    """Where a leg rings, as people read it: a SIP endpoint, or a mobile's number."""
    shown = endpoint_of(leg.dial)
    return shown.rsplit("/", 1)[-1] if leg.device == "mobile" else shown


def plan_to_text(plan: Plan, snapshot: Snapshot, now: dt.datetime, destination: str = "") -> str:
    """A timeline: seconds of the caller's wait on the left, what happens on the right."""
    lines = [_header(plan, snapshot, now, destination)]
    for moment in moments(plan):
        lines.append(_line(moment.second, _moment_text(moment, snapshot)))
    return "\n".join(lines)


def _moment_text(moment: Moment, snapshot: Snapshot) -> str:
    step, leg = moment.step, moment.leg
    if leg is None:
        what = _describe(step, snapshot)
        return f"{_WORDS.get(step.reason, step.reason)} → {what}" if moment.forward else what
    shown = shown_endpoint(leg) + (" (press 1 to take)" if leg.confirm else "")
    if not moment.first:
        return f"+ {leg.device} {shown}"
    person = snapshot.by_login.get(leg.login)
    return f"ring {person.name if person else leg.login}: {leg.device}  {shown}"


def _header(plan: Plan, snapshot: Snapshot, now: dt.datetime, destination: str) -> str:
    entity = entity_of(snapshot, plan.target)
    zone = snapshot.zone_of(None if entity is None or isinstance(entity, Department) else entity)
    local = now.astimezone(zone)
    when = f"{local:%a %Y-%m-%d %H:%M} {zone.key}"
    if entity is None:
        return f"{destination or plan.target or '?'} — {plan.reason.replace('_', ' ')}, {when}"
    state = f"{plan.reason}, {entity.strategy}" if isinstance(entity, Department) else plan.reason
    return f"{entity.name} ({entity.extension}) — {state}, {when}"


def _describe(step: Step, snapshot: Snapshot) -> str:
    if step.action == "ring":
        entity = entity_of(snapshot, step.target)
        return f"{entity.name} ({entity.extension})" if entity is not None else step.target
    if step.action == "voicemail":
        return f"voicemail {step.mailbox}"
    if step.action in ("announce", "message"):
        return f"{step.action} {step.file}"
    return "busy" if step.cause == "USER_BUSY" else f"hangup {step.cause}"


def _line(seconds: int, text: str) -> str:
    return f"{seconds:>3} s   {text}"

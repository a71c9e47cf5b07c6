"""Fast constructors for the result types of routing.types (Leg, Step, Plan).

A frozen dataclass's `__init__` assigns every field through `object.__setattr__`:
on the 2-core target machine that is ~1.7 µs for a Step.  These functions build the
very same objects (same fields and defaults, so equality, hash and repr are those of
the dataclass) by filling the instance dict directly.  A Leg is a NamedTuple (a
department's bridge has a dozen or more), built without its keyword-parsing `__new__`.
tests/routing/test_values.py checks them against the real constructors, so a change
to routing/types.py that they do not follow fails there.
"""
from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any, Optional

from routing.types import Leg, Plan, Step

_new = object.__new__
_new_tuple = tuple.__new__


def _defaults(cls: type) -> dict[str, Any]:
    out = {}
    for f in fields(cls):
        if f.default is not MISSING:
            out[f.name] = f.default
        elif f.default_factory is not MISSING:
            out[f.name] = f.default_factory()      # only immutable defaults (an empty tuple)
    return out


_STEP = _defaults(Step)


def new_leg(device: str, login: str, delay: int, timeout: int, dial: str, confirm: bool = False) -> Leg:
    return _new_tuple(Leg, (device, login, delay, timeout, dial, confirm))


def new_step(**values: Any) -> Step:
    step = _new(Step)
    attrs = step.__dict__
    attrs.update(_STEP)
    attrs.update(values)
    return step


def new_plan(reason: str, target: str, steps: tuple[Step, ...] = (), kind: str = "employee",
             internal: bool = False, then: Optional[object] = None) -> Plan:
    plan = _new(Plan)
    attrs = plan.__dict__
    attrs["reason"] = reason
    attrs["target"] = target
    attrs["steps"] = steps
    attrs["kind"] = kind
    attrs["internal"] = internal
    attrs["then"] = then
    return plan


def ring_step(legs: tuple[Leg, ...], timeout: int, dial: str, reason: str, target: str) -> Step:
    """A ring step (the one built for every call that rings), without keyword arguments."""
    step = _new(Step)
    attrs = step.__dict__
    attrs.update(_STEP)
    attrs["action"] = "ring"
    attrs["legs"] = legs
    attrs["timeout"] = timeout
    attrs["dial"] = dial
    attrs["reason"] = reason
    attrs["target"] = target
    return step

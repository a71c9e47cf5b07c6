"""«Приём звонков»: what a direct call to an employee does, in which order.

The provider's help page says:

    Absence comes first: while one covers today, calls go to its target (after its
    announcement).  Then the schedule: out of working hours, calls go to the
    «Вне рабочего времени» (off hours) target.  Then «Не беспокоить» (do not
    disturb, *78): calls go straight to the no-answer target.  Otherwise your
    devices ring (routing.devices) for `no_answer.after` seconds, then the
    no-answer target applies; with nothing to ring, it applies at once.

The state named here is the plan's reason (`Plan.reason`) for a direct call, and
the step reason of whatever follows; routing.targets says what each target does.
"""
from __future__ import annotations

from types import MappingProxyType

from routing.devices import Devices

ABSENT = "absent"
OFF_HOURS = "off_hours"
DND = "dnd"
UNREGISTERED = "unregistered"            # nothing to ring: no registration and no mobile
WORKING = "working"                      # the devices ring
FORWARD_TO_MOBILE = "forward_to_mobile"  # the devices ring, *21 sends them to the mobile

RINGS = (WORKING, FORWARD_TO_MOBILE)    # the states in which the person's devices ring

# Which of the person's targets each state leads to (at once, or after the ringing).
TARGET_OF = MappingProxyType({ABSENT: "absence", OFF_HOURS: "off_hours", DND: "no_answer",
                              UNREGISTERED: "no_answer", WORKING: "no_answer", FORWARD_TO_MOBILE: "no_answer"})


def direct_call(*, absent: bool, working: bool, dnd: bool, devices: Devices, forwarded_to_mobile: bool) -> str:
    """The state of a person called directly, by the precedence above."""
    if absent:
        return ABSENT
    if not working:
        return OFF_HOURS
    if dnd:
        return DND
    if not devices:
        return UNREGISTERED
    return FORWARD_TO_MOBILE if forwarded_to_mobile else WORKING


def target_reason(state: str) -> str:
    """The step reason of what the target does: the state itself, or `no_answer` after
    the devices rang."""
    return "no_answer" if state in RINGS else state

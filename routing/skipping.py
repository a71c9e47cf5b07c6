"""Who a department call skips: busy, unregistered, DND, absent, off hours.

The provider's help page says:

    A department call does not ring members who are absent, out of their working
    hours, in «Не беспокоить» (do not disturb, *78), on another call (when the
    department skips busy members), or who have nothing to ring (no phone
    registered and no mobile).  Everyone else is rung with their own device
    settings.  When nobody is left, the call goes straight to the department's
    no-answer target.

A member the call has already reached (forwarded through them, or rung by a
department earlier in the chain) is skipped too: a call never rings anyone twice.
The reasons are checked in the order below; the first that applies is given.
"""
from __future__ import annotations

from typing import Optional

from routing.devices import Devices

REACHED = "reached"
ABSENT = "absent"
OFF_HOURS = "off_hours"
DND = "dnd"
BUSY = "busy"
NOTHING_TO_RING = "unregistered"


def skip_reason(*, reached: bool, absent: bool, working: bool, dnd: bool, busy: bool, skip_busy: bool,
                devices: Devices) -> Optional[str]:
    """Why a department call skips a member, or None when it rings them (`devices`:
    what would ring, routing.devices)."""
    if reached:
        return REACHED
    if absent:
        return ABSENT
    if not working:
        return OFF_HOURS
    if dnd:
        return DND
    if busy and skip_busy:
        return BUSY
    if not devices:
        return NOTHING_TO_RING
    return None

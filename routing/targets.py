"""What happens on no answer, off hours and absence: the targets.

The provider's help page says:

    «Если не отвечает» (no answer): after `after` seconds (the caller's whole wait),
    one of: hang up (the caller hears busy), an employee, a department, voicemail
    (your own box unless you name another), a message (played, then the call ends).
    By default: after 120 seconds, busy.
    «Вне рабочего времени» (off hours) and an absence's target take the same kinds.
    A department's no-answer target, likewise, applies when nobody in it answered
    within its `timeout`, or at once when nobody could be rung.
    Forwards follow one another up to the company's `max_forwards` (3 by default)
    and never come back to someone already reached: the call then ends in the
    voicemail of whoever was called first.

Inside a department a member's own no-answer target is not followed: the
department's is.  A forward decided after something has rung is taken when the
call gets there unanswered (`Plan.then`, routing.resume).
"""
from __future__ import annotations

from typing import Optional

from routing.types import Step

# Target actions, as config.models.Target names them.
HANGUP, EMPLOYEE, DEPARTMENT, VOICEMAIL, MESSAGE = "hangup", "employee", "department", "voicemail", "message"
FORWARDS = (EMPLOYEE, DEPARTMENT)

# Why a forward is not taken (the step reason of the voicemail that ends the call instead).
LOOP = "loop"
MAX_FORWARDS = "max_forwards"


def final_step(action: str, value: Optional[str], owner_ref: str, owner_mailbox: str, reason: str) -> Step:
    """The step of a target that ends the call: `value` is the mailbox or file named,
    None for hangup and for one's own voicemail.  `owner_ref` ("employee:LOGIN",
    "department:NAME") is whose rule it is, `owner_mailbox` their own box."""
    if action == VOICEMAIL:
        return Step(action="voicemail", mailbox=value or owner_mailbox, reason=reason, target=owner_ref)
    if action == MESSAGE:
        return Step(action="message", file=value, reason=reason, target=owner_ref)
    return Step(action="hangup", cause="USER_BUSY", reason=reason, target=owner_ref)


def forward_refused(already_reached: bool, hops: int, max_forwards: int) -> Optional[str]:
    """Why a forward to someone is not taken (LOOP, MAX_FORWARDS), or None when it is;
    `hops` is the forwards taken so far."""
    if already_reached:
        return LOOP
    if hops >= max_forwards:
        return MAX_FORWARDS
    return None

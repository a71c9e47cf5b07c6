"""What routing takes and what it returns: plain frozen values, no behaviour."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple, Optional, Protocol


@dataclass(frozen=True)
class Call:
    """What the daemon knows of a new call when it asks for a plan."""
    destination: str                 # dialled number: extension, department number or DID
    caller: str = ""                 # caller ID number (extension, login or external number)
    caller_name: str = ""
    uuid: str = ""


class Presence(Protocol):
    """Live view of devices, fed by the inbound ESL connection."""
    def is_registered(self, login: str) -> bool: ...
    def is_busy(self, login: str) -> bool: ...


class Rotation(Protocol):
    """Department rotation state kept by the store (round robin, longest idle)."""
    def round_robin_start(self, department: str) -> int: ...           # index into the available members
    def last_answered(self, login: str) -> Optional[dt.datetime]: ...   # end of last answered call


class Overrides(Protocol):
    """Runtime overrides set by feature codes (*21 forward to mobile, *78 DND)."""
    def forward_to_mobile(self, login: str) -> bool: ...
    def dnd(self, login: str) -> bool: ...


class AssumeAvailable:
    """Presence while the inbound link is down: every device registered and idle."""
    def is_registered(self, login: str) -> bool:
        return True

    def is_busy(self, login: str) -> bool:
        return False


class NoRotation:
    def round_robin_start(self, department: str) -> int:
        return 0

    def last_answered(self, login: str) -> Optional[dt.datetime]:
        return None


class NoOverrides:
    def forward_to_mobile(self, login: str) -> bool:
        return False

    def dnd(self, login: str) -> bool:
        return False


ASSUME_AVAILABLE = AssumeAvailable()
NO_ROTATION = NoRotation()
NO_OVERRIDES = NoOverrides()


class Leg(NamedTuple):
    """One leg of a ring step (a tuple: a department's bridge builds dozens per call)."""
    device: str                      # "office" | "mobile"
    login: str
    delay: int                       # seconds from the start of the step
    timeout: int                     # seconds from the leg's own start (FreeSWITCH leg_timeout)
    dial: str                        # this leg's dial string, with its [...] variables
    confirm: bool = False            # mobile_confirm: "press 1" before the call is taken


@dataclass(frozen=True)
class Step:
    action: str                      # "ring" | "announce" | "voicemail" | "message" | "hangup"
    legs: tuple[Leg, ...] = ()       # ring
    timeout: int = 0                 # ring: the caller's wait in this step, seconds
    dial: str = ""                   # ring: the whole bridge argument
    confirm: int = 0                 # ring: seconds an answer being confirmed (a mobile's "press 1")
                                     # may outlast `timeout`; the bridge's originate_timeout allows them
    file: Optional[str] = None       # announce, message
    mailbox: Optional[str] = None    # voicemail
    cause: Optional[str] = None      # hangup (USER_BUSY, UNALLOCATED_NUMBER, ...)
    reason: str = ""                 # why this step runs: direct, no_answer, off_hours, absent, department, busy, ...
    target: str = ""                 # who: "employee:LOGIN" or "department:NAME"


@dataclass(frozen=True)
class Plan:
    reason: str                      # working, off_hours, absent, department, no_one_available, unknown_number, dnd, forward_to_mobile
    target: str                      # "employee:LOGIN", "department:NAME" or "" for unknown numbers
    steps: tuple[Step, ...] = field(default_factory=tuple)
    kind: str = "employee"           # what was dialled: employee | department | unknown (calls_total{kind})
    internal: bool = False           # the caller is one of the company's employees
    # Where the call goes on when the steps run out unanswered: a forward decided when
    # the call gets there (taken up by routing.resume).
    then: Optional["Continuation"] = field(default=None, repr=False)


@dataclass(frozen=True)
class Continuation:
    """A forward a plan stopped at, to be taken if the call gets there unanswered:
    what the walk knew then, as plain values (any engine can take it up)."""
    to: str                                  # "employee:LOGIN" or "department:NAME", forwarded to
    reason: str                              # why: no_answer, off_hours, ... (the reached one's step reason)
    origin: str                              # who was called ("employee:…"/"department:…"): loops and the
                                             # hop limit end in their voicemail
    people: frozenset[str]                   # logins reached so far
    departments: frozenset[str]              # department names reached so far
    hops: int                                # forwards taken, this one included
    caller: str
    internal: bool
    did: Optional[str]                       # the company number the call came in on

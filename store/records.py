"""A call record as the daemon produces it: plain data, no database types.

The daemon fills one per call and hands it to a `RecordSink`; the store's writer
turns it into rows. Keeping it plain lets the call path never touch the database.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Optional, Protocol

OUTCOMES = ("answered", "voicemail", "message", "busy", "abandoned", "failed", "unknown_number", "feature")


@dataclass
class LegRecord:
    device: str                       # office | mobile
    login: str
    dial: str
    delay: int                        # planned delay, seconds
    timeout: int


@dataclass
class StepRecord:
    action: str                       # ring | announce | voicemail | message | hangup
    target: str = ""                  # employee:LOGIN | department:NAME
    reason: str = ""                  # direct | no_answer | off_hours | absent | department ...
    started: Optional[dt.datetime] = None
    ended: Optional[dt.datetime] = None
    legs: list[LegRecord] = field(default_factory=list)
    disposition: str = ""             # originate_disposition (SUCCESS, NO_ANSWER, USER_BUSY, ...)
    answered_by: str = ""             # login whose leg answered, when known


@dataclass
class CallRecord:
    uuid: str
    started: dt.datetime                            # aware, UTC
    caller: str = ""
    caller_name: str = ""
    called: str = ""                                # the dialled number
    direction: str = "inbound"                      # internal | inbound | outbound
    target: str = ""                                # employee:LOGIN | department:NAME
    reason: str = ""                                # the plan's reason
    outcome: str = ""                               # one of OUTCOMES
    answered: Optional[dt.datetime] = None
    ended: Optional[dt.datetime] = None
    answered_by: str = ""                           # login
    hangup_cause: str = ""
    recording: Optional[str] = None                 # relative to recordings.dir: yyyy/mm/dd/UUID.wav
    node: str = ""                                  # which daemon handled it
    steps: list[StepRecord] = field(default_factory=list)
    # issue 11: "" (not recorded) | ok | failed | empty; its length; when prune may delete it
    recording_state: str = ""
    recording_ms: int = 0
    recording_expires: Optional[dt.datetime] = None

    def to_dict(self) -> dict:
        return asdict(self)


class RecordSink(Protocol):
    def submit(self, record: CallRecord) -> None:
        """Queue a finished call's record; never blocks and never raises."""


class DiscardRecords:
    """Sink used when no store is configured (tests of the call path, benchmarks)."""
    def submit(self, record: CallRecord) -> None:
        pass

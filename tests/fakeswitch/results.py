"""What tests read after a simulated call: the call record and its bridges."""
from __future__ import annotations

from dataclasses import dataclass, field

import gevent.event


@dataclass
class LegResult:
    """One leg of a bridge; times are sim seconds from the bridge start (None: never)."""

    target: str          # login, phone number or SIP URI
    device: str          # office | mobile | sip | error | unknown
    dial: str            # the endpoint as dialled (user/ivan@pbx, sofia/gateway/gsm/+7…)
    start: float | None
    ring: float | None
    end: float | None
    outcome: str | None  # SUCCESS, NO_ANSWER, ALLOTTED_TIMEOUT, USER_BUSY, LOSE_RACE, … None: not tried


@dataclass
class BridgeResult:
    dial_string: str
    started_at: float                 # sim time the bridge application started
    disposition: str = ""             # variable_originate_disposition
    dialstatus: str = ""
    legs: list[LegResult] = field(default_factory=list)
    answered_by: str | None = None
    hangup_cause: str | None = None   # variable_bridge_hangup_cause (connected bridges only)
    ended_at: float | None = None     # when the bridge application completed


@dataclass
class CallRecord:
    """Everything observable about one call the simulator placed."""

    uuid: str
    destination: str
    caller: str
    caller_name: str
    started_at: float
    bridges: list[BridgeResult] = field(default_factory=list)
    apps: list[tuple[str, str]] = field(default_factory=list)
    answered_by: str | None = None
    voicemail: str | None = None
    voicemail_after_answer: bool | None = None  # was the caller answered before voicemail ran?
    answered: bool = False
    hangup_cause: str | None = None
    fell_back: bool = False
    parked: bool = False
    connected: bool = False                    # the daemon accepted the TCP connection
    reset: bool = False                        # sync + socket_resume: left in CS_RESET (outbound_07d)
    socket_mode: str = "async"                 # "sync" (socket ADDR full) or "async"
    recordings: list[str] = field(default_factory=list)          # record_session paths asked for
    recorded: dict[str, float] = field(default_factory=dict)     # path -> seconds of audio written
    # What FreeSWITCH wrote on the call's outbound socket (its cost: issue 14's measure).
    socket_bytes: int = 0
    socket_events: int = 0
    ended_at: float | None = None
    # Real-clock marks (time.perf_counter(), not sim time) for the bench's setup latency:
    socket_connected_at: float | None = None   # the TCP connection to the daemon was established
    connect_replied_at: float | None = None    # the channel data (reply to `connect`) was queued
    first_bridge_at: float | None = None       # the segment holding the first `bridge` sendmsg arrived
    sent: bytearray = field(default_factory=bytearray)   # raw bytes the daemon sent (if kept)
    commands: list = field(default_factory=list)         # parsed commands (wire.Command, if kept)
    _done: gevent.event.Event = field(default_factory=gevent.event.Event, repr=False)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block (cooperatively) until the caller's channel is gone; False on timeout."""
        return self._done.wait(timeout)

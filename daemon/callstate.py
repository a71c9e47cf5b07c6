"""A call's life as the daemon sees it, and the record it leaves behind.

Pure: times come from the caller (the injected clock), nothing here waits on a
socket.  The executor calls the transition methods; the record is handed to the
store's sink when the call ends.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional, Sequence

from routing.types import Call, Leg, Plan, Step
from store.records import CallRecord, LegRecord, StepRecord

# calls_total outcomes (store.records.OUTCOMES)
ANSWERED = "answered"
VOICEMAIL = "voicemail"
MESSAGE = "message"
BUSY = "busy"                  # not answered, and the daemon hung up (a hangup step, or the plan ran out)
ABANDONED = "abandoned"        # the caller hung up before anyone answered
FAILED = "failed"              # handed back to the dialplan
UNKNOWN_NUMBER = "unknown_number"
FEATURE = "feature"            # a feature code applied and confirmed (daemon.features)

SUCCESS = "SUCCESS"
ORIGINATOR_CANCEL = "ORIGINATOR_CANCEL"

# DIALSTATUS spelling -> originate_disposition spelling, for a completion without the latter
_DIALSTATUS = {"BUSY": "USER_BUSY", "NOANSWER": "NO_ANSWER", "CANCEL": ORIGINATOR_CANCEL}

# Plan reasons that are themselves a forward (forwards_total{reason})
PLAN_FORWARD_REASONS = frozenset({"off_hours", "absent"})


def disposition(originate_disposition: Optional[str], dialstatus: Optional[str]) -> str:
    """A bridge's outcome from its own CHANNEL_EXECUTE_COMPLETE.

    Only these two variables are set afresh by every bridge; `originate_failed_cause`
    and `last_bridge_hangup_cause` keep values from earlier bridges.
    """
    if originate_disposition:
        return originate_disposition
    if dialstatus:
        return _DIALSTATUS.get(dialstatus, dialstatus)
    return ""


def forward_reason(failed_disposition: str) -> str:
    """forwards_total's reason for moving on after a bridge that was not answered."""
    if failed_disposition == "USER_BUSY":
        return "busy"
    if failed_disposition == "USER_NOT_REGISTERED":
        return "unregistered"
    return "no_answer"


def endpoint_user(dial: str) -> str:
    """The user or number a leg's dial string calls.

    `[leg_timeout=20]user/ivan.petrov@example.com` -> `ivan.petrov`;
    `[...]sofia/gateway/trunk/+79161234567` -> `+79161234567`.
    """
    target = dial.rsplit("]", 1)[-1].rsplit("}", 1)[-1]
    return target.rsplit("/", 1)[-1].split("@", 1)[0]


def answering_login(legs: Sequence[Leg], destination: str, channel_name: str) -> str:
    """Whose leg answered, from CHANNEL_BRIDGE's Other-Leg-* headers ("" if unknown).

    A `user/` leg's destination is the login; a gateway leg's is the number dialled.
    """
    logins = {leg.login for leg in legs}
    if len(logins) == 1:
        return next(iter(logins))
    for leg in legs:
        user = endpoint_user(leg.dial)
        if user and (user == destination or f"/{user}@" in channel_name or channel_name.endswith(f"/{user}")):
            return leg.login
    return ""


def department_of(step: Step) -> str:
    """The department a step rings for ("" for an employee's own step)."""
    kind, _, name = step.target.partition(":")
    return name if kind == "department" else ""


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc)


@dataclass
class CallState:
    """One call from `connect` to its end; `record` is what the store keeps."""
    record: CallRecord
    outcome: str = ""
    current: Optional[StepRecord] = field(default=None, repr=False)

    @classmethod
    def begin(cls, call: Call, started: dt.datetime) -> "CallState":
        return cls(CallRecord(uuid=call.uuid, started=_utc(started), caller=call.caller,
                              caller_name=call.caller_name, called=call.destination))

    @property
    def answered(self) -> bool:
        return self.record.answered is not None

    def routed(self, plan: Plan) -> None:
        self.record.target = plan.target
        self.record.reason = plan.reason
        self.record.direction = "internal" if plan.internal else "inbound"

    def step_started(self, step: Step, at: dt.datetime) -> StepRecord:
        legs = [LegRecord(leg.device, leg.login, leg.dial, leg.delay, leg.timeout) for leg in step.legs]
        self.current = StepRecord(step.action, step.target, step.reason, started=_utc(at), legs=legs)
        self.record.steps.append(self.current)
        return self.current

    def step_ended(self, at: dt.datetime, disposition_: str = "") -> None:
        step = self.current
        if step is None:
            return
        step.ended = step.ended or _utc(at)
        step.disposition = step.disposition or disposition_

    def answered_by(self, login: str, at: dt.datetime) -> None:
        self.record.answered = _utc(at)
        self.record.answered_by = login
        if self.current is not None:
            self.current.answered_by = login
            self.current.disposition = SUCCESS

    def finish(self, outcome: str, at: dt.datetime, hangup_cause: str = "") -> CallRecord:
        self.outcome = self.outcome or outcome
        self.record.outcome = self.outcome
        self.record.ended = _utc(at)
        self.record.hangup_cause = hangup_cause
        if self.current is not None and self.current.ended is None:
            self.current.ended = self.record.ended
        return self.record

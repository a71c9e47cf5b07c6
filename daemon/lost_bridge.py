"""What became of a call whose outbound socket was lost while its bridge ran.

FreeSWITCH runs the bridge on (daemon.hangups says why), so the call may well be
answered, talked and hung up with the daemon none the wiser; the caller's
CHANNEL_HANGUP_COMPLETE, heard on the inbound link, tells what happened:

* whether the bridge was the channel's last application: `variable_current_application`
  is `bridge` and its `_data` the dial string the daemon sent, in which every leg is
  named (`origination_uuid`, daemon.bridge_legs); or the leg the caller last talked
  to (`Other-Leg-Unique-ID`) is one of them.  An answered bridge ends the call there
  (`hangup_after_bridge=true`); otherwise the dialplan went on after the socket
  application (its fallback), and what happened then is not the plan's doing: the
  call was handed back, `failed`;
* when the bridge was the last: whether the caller was answered
  (`Caller-Channel-Answered-Time`) and by whom (`Other-Leg-*`, read as the
  CHANNEL_BRIDGE of a call with its socket is read), or else the bridge's own
  disposition (a caller's cancel is `abandoned`);
* when the channel hung up (`Caller-Channel-Hangup-Time`) and why (`Hangup-Cause`).
  Moments are FreeSWITCH's microsecond stamps taken relative to the event's own
  `Event-Date-Timestamp` (outbound_07a, inbound_04), so the clocks of the two hosts
  need not agree.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from daemon import callstate as cs
from daemon.esl.channel import Bridge, stamp_ago
from daemon.executor import SentBridge
from daemon.inbound_events import Event, text


@dataclass(frozen=True)
class Ending:
    """A lost bridge's call as its caller's CHANNEL_HANGUP_COMPLETE describes it."""
    outcome: str                            # answered | abandoned | failed
    answered_by: str = ""                   # the login whose leg answered ("" unknown)
    answered_ago: Optional[float] = None    # seconds before the event; None: not answered by the bridge
    ended_ago: float = 0.0                  # seconds before the event the channel hung up
    cause: str = ""                         # Hangup-Cause
    disposition: str = ""                   # the bridge's, when it was the channel's last application


def ending(event: Event, sent: SentBridge) -> Ending:
    """The outcome of the call whose last bridge sent was `sent`, from its hangup event."""
    cause = text(event, "Hangup-Cause")
    ended_ago = stamp_ago(event, "Caller-Channel-Hangup-Time") or 0.0
    other = Bridge.from_event(event)
    if not _ended_in(event, other, sent.legs):
        return Ending(cs.FAILED, ended_ago=ended_ago, cause=cause)
    answered_ago = stamp_ago(event, "Caller-Channel-Answered-Time")
    if answered_ago is not None:
        login = cs.answering_login(sent.step.legs, other.destination, other.channel_name)
        return Ending(cs.ANSWERED, login, answered_ago, ended_ago, cause, cs.SUCCESS)
    disposition = cs.disposition(text(event, "variable_originate_disposition"), text(event, "variable_DIALSTATUS"))
    outcome = cs.ABANDONED if disposition == cs.ORIGINATOR_CANCEL else cs.FAILED
    return Ending(outcome, ended_ago=ended_ago, cause=cause, disposition=disposition)


def _ended_in(event: Event, other: Bridge, legs: tuple[str, ...]) -> bool:
    """Whether the bridge naming `legs` was the channel's last application."""
    if other.other_uuid and other.other_uuid in legs:
        return True
    if text(event, "variable_current_application") != "bridge":
        return False
    data = text(event, "variable_current_application_data")
    return any(uuid in data for uuid in legs)

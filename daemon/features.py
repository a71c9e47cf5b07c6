"""Feature codes dialled from an office device: `*21`/`#21` forward to mobile, `*78`/`*79` DND.

Pure: `recognise()` tells from the call and the config snapshot whether a call
is a feature code and whether it may apply; `feature_plan()` turns the answer
into the steps the executor runs (confirm: answer, play a tone, hang up; or
refuse: hang up CALL_REJECTED).  Storing the override is the call path's job,
through an `OverridesWriter` (the store's `StoreState`).

Every call's setup goes through `recognise()` first, so a call to anything but a
code costs one dict lookup: the codes of a snapshot are indexed once and kept
while new calls keep reading that same `features:` section.

The codes reach the daemon only from the `callrouter` context (the employees'
`user_context`, see daemon/fsconfig.py); trunk calls are transferred there only
for company numbers.  The caller check below is the second line: a caller whose
caller ID is not one of the employees' is refused and nothing is stored.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Mapping, NamedTuple, Optional, Protocol

from config.models import Employee, FeatureCodes
from config.snapshot import Snapshot
from routing.walk import is_employee
from routing.types import Call, Plan, Step

log = logging.getLogger(__name__)

FORWARD_TO_MOBILE = "forward_to_mobile"
DND = "dnd"

NOT_AN_EMPLOYEE = "not_an_employee"     # refusals, also the call record's reason
NO_MOBILE = "no_mobile"

KIND = "feature"                        # Plan.kind: calls_total{kind="feature"}
CONFIRM = "confirm"                     # the executor's step: answer, play, hang up (outcome "feature")
REJECTED = "CALL_REJECTED"              # SIP 603 Decline: the phone shows the code was refused

# tone_stream://%(on ms, off ms, Hz): three short beeps, rising when a feature
# goes on and falling when it goes off, so the two are told apart by ear.
TONE_ON = "tone_stream://%(120,60,600);%(120,60,900);%(240,0,1200)"
TONE_OFF = "tone_stream://%(120,60,1200);%(120,60,900);%(240,0,600)"


class Feature(NamedTuple):
    """What one code does; `name` is its field in the file's `features:` section."""
    name: str                       # forward_to_mobile_on, forward_to_mobile_off, dnd_on, dnd_off
    kind: str                       # forward_to_mobile | dnd (StoreState.set_override's kind)
    on: bool


FEATURES = (Feature("forward_to_mobile_on", FORWARD_TO_MOBILE, True),
            Feature("forward_to_mobile_off", FORWARD_TO_MOBILE, False),
            Feature("dnd_on", DND, True),
            Feature("dnd_off", DND, False))


@dataclass(frozen=True)
class FeatureRequest:
    """A call to a feature code: who asked for what, and why not when it is refused."""
    code: str                       # as dialled
    feature: Feature
    login: str = ""                 # the caller's login; "" when the caller is not an employee
    refusal: str = ""               # "" when it applies; else not_an_employee | no_mobile

    @property
    def accepted(self) -> bool:
        return not self.refusal

    @property
    def kind(self) -> str:
        return self.feature.kind

    @property
    def on(self) -> bool:
        return self.feature.on


class OverridesWriter(Protocol):
    """Keeps a runtime override (StoreState): must not block the call."""
    def set_override(self, login: str, kind: str, on: bool) -> None: ...


class LogOnlyOverrides:
    """The writer when no store is configured: the caller hears the confirmation,
    but routing never sees the change, so it is logged as lost."""
    def set_override(self, login: str, kind: str, on: bool) -> None:
        log.warning("no store configured: override %s %s for %s is not kept", kind, "on" if on else "off", login)


LOG_ONLY = LogOnlyOverrides()


class _CodeIndex:
    """The code -> Feature table of the last `features:` section seen.

    Keyed by the section's identity: a snapshot's models never change, and a
    reload that brings other codes brings a new object.  Calls in progress never
    look again, so after a reload the table is rebuilt once, not per call.
    """
    def __init__(self) -> None:
        self._codes: Optional[FeatureCodes] = None
        self._table: Mapping[str, Feature] = {}

    def table(self, codes: FeatureCodes) -> Mapping[str, Feature]:
        if codes is not self._codes:
            self._table = {getattr(codes, feature.name): feature for feature in FEATURES}
            self._codes = codes
        return self._table


_index = _CodeIndex()


def recognise(call: Call, snapshot: Snapshot) -> Optional[FeatureRequest]:
    """The feature code `call` dials, or None for any other call.

    The caller must be an employee, by the rule routing uses for internal calls
    (caller ID equal to an extension or a login).  Forwarding to a mobile needs a
    mobile: `*21` without one is refused, `#21` always applies (it clears an
    override left from when there was one).
    """
    feature = _index.table(snapshot.file.features).get(call.destination)
    if feature is None:
        return None
    person = caller_employee(call.caller, snapshot)
    if person is None:
        return FeatureRequest(call.destination, feature, refusal=NOT_AN_EMPLOYEE)
    if feature.kind == FORWARD_TO_MOBILE and feature.on and not person.mobile:
        return FeatureRequest(call.destination, feature, person.login, refusal=NO_MOBILE)
    return FeatureRequest(call.destination, feature, person.login)


def caller_employee(caller: str, snapshot: Snapshot) -> Optional[Employee]:
    """The employee a caller ID belongs to (routing.walk.is_employee decides), or None."""
    if not is_employee(snapshot, caller):
        return None
    return snapshot.by_login.get(caller) or snapshot.by_extension[caller]


def feature_plan(request: FeatureRequest, codes: FeatureCodes = FeatureCodes()) -> Plan:
    """What the call path runs for a feature code: a confirmation (the file's
    `features.confirm_on`/`confirm_off`, else a tone), or a refusal."""
    target = f"employee:{request.login}" if request.login else ""
    if request.accepted:
        tone = (codes.confirm_on or TONE_ON) if request.on else (codes.confirm_off or TONE_OFF)
        step = Step(action=CONFIRM, file=tone, reason=request.feature.name, target=target)
        reason = request.feature.name
    else:
        step = Step(action="hangup", cause=REJECTED, reason=request.refusal, target=target)
        reason = request.refusal
    return Plan(reason=reason, target=target, steps=(step,), kind=KIND, internal=bool(request.login))

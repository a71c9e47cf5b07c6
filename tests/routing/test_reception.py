"""«Приём звонков»: a direct call, in the order the help page gives (routing.reception).

Absence first, then the schedule, then «Не беспокоить», then the devices; with
nothing to ring, the no-answer target at once.
(The same through whole calls: test_employee.py.)
"""
import pytest

from routing.devices import MOBILE, OFFICE
from routing.reception import (ABSENT, DND, FORWARD_TO_MOBILE, OFF_HOURS, TARGET_OF, UNREGISTERED, WORKING,
                               direct_call, target_reason)

DESK = ((OFFICE, 0),)
EVERYTHING = dict(absent=False, working=True, dnd=False, devices=DESK, forwarded_to_mobile=False)


@pytest.mark.parametrize("state, expected", [
    ({}, WORKING),
    ({"forwarded_to_mobile": True, "devices": ((MOBILE, 0),)}, FORWARD_TO_MOBILE),
    ({"devices": ()}, UNREGISTERED),
    ({"dnd": True}, DND),
    ({"working": False}, OFF_HOURS),
    ({"absent": True}, ABSENT),
    # precedence: absence over schedule over DND over devices
    ({"absent": True, "working": False, "dnd": True, "devices": ()}, ABSENT),
    ({"working": False, "dnd": True, "devices": ()}, OFF_HOURS),
    ({"dnd": True, "devices": ()}, DND),
])
def test_a_direct_call(state, expected):
    assert direct_call(**{**EVERYTHING, **state}) == expected


@pytest.mark.parametrize("state, target, reason", [
    (ABSENT, "absence", "absent"),                  # the absence's own target, at once
    (OFF_HOURS, "off_hours", "off_hours"),          # «Вне рабочего времени», at once
    (DND, "no_answer", "dnd"),                      # the no-answer target, at once
    (UNREGISTERED, "no_answer", "unregistered"),    # nothing to ring: the no-answer target, at once
    (WORKING, "no_answer", "no_answer"),            # after the devices rang
    (FORWARD_TO_MOBILE, "no_answer", "no_answer"),
])
def test_where_each_state_sends_the_call(state, target, reason):
    assert (TARGET_OF[state], target_reason(state)) == (target, reason)

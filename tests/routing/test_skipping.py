"""Who a department call skips, as the help page puts it (routing.skipping).

Absent, off hours, «Не беспокоить», on a call (when the department skips busy
members), nothing to ring; and anyone the call already reached.
(The same through whole department calls: test_department.py.)
"""
import pytest

from routing.devices import OFFICE
from routing.skipping import ABSENT, BUSY, DND, NOTHING_TO_RING, OFF_HOURS, REACHED, skip_reason

AVAILABLE = dict(reached=False, absent=False, working=True, dnd=False, busy=False, skip_busy=True,
                 devices=((OFFICE, 0),))


@pytest.mark.parametrize("state, expected", [
    ({}, None),
    ({"absent": True}, ABSENT),
    ({"working": False}, OFF_HOURS),
    ({"dnd": True}, DND),
    ({"busy": True}, BUSY),
    ({"busy": True, "skip_busy": False}, None),     # the department rings busy members too
    ({"devices": ()}, NOTHING_TO_RING),
    ({"reached": True}, REACHED),
    ({"absent": True, "working": False, "dnd": True, "busy": True, "devices": ()}, ABSENT),
])
def test_who_is_skipped(state, expected):
    assert skip_reason(**{**AVAILABLE, **state}) == expected

"""«Если не отвечает», «Вне рабочего времени» and an absence's target (routing.targets).

Hang up (busy), an employee, a department, voicemail (one's own box unless another is
named), a message; forwards up to `max_forwards`, never back to someone already reached.
(Chains through whole calls: test_chain.py.)
"""
import pytest

from routing.targets import LOOP, MAX_FORWARDS, final_step, forward_refused
from routing.types import Step

IVAN = "employee:ivan"


@pytest.mark.parametrize("action, value, expected", [
    ("hangup", None, Step(action="hangup", cause="USER_BUSY", reason="no_answer", target=IVAN)),
    ("voicemail", None, Step(action="voicemail", mailbox="201", reason="no_answer", target=IVAN)),
    ("voicemail", "300", Step(action="voicemail", mailbox="300", reason="no_answer", target=IVAN)),
    ("message", "closed.wav", Step(action="message", file="closed.wav", reason="no_answer", target=IVAN)),
])
def test_targets_that_end_the_call(action, value, expected):
    assert final_step(action, value, IVAN, "201", "no_answer") == expected


@pytest.mark.parametrize("reached, hops, max_forwards, expected", [
    (False, 0, 3, None),
    (False, 2, 3, None),
    (False, 3, 3, MAX_FORWARDS),          # the fourth forward is one too many
    (False, 0, 0, MAX_FORWARDS),          # max_forwards 0: no forward at all
    (True, 0, 3, LOOP),                   # never back to someone already reached
])
def test_when_a_forward_is_taken(reached, hops, max_forwards, expected):
    assert forward_refused(reached, hops, max_forwards) == expected

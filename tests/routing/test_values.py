"""The fast constructors build exactly what the dataclasses' own constructors build."""
from routing.types import Leg, Plan, Step
from routing.values import new_leg, new_plan, new_step


def test_leg():
    fast = new_leg("mobile", "ivan", 5, 15, "[leg_timeout=15]x", True)
    assert fast == Leg("mobile", "ivan", 5, 15, "[leg_timeout=15]x", True)
    assert hash(fast) == hash(Leg("mobile", "ivan", 5, 15, "[leg_timeout=15]x", True))
    assert type(fast) is Leg and fast.confirm is True and fast.dial == "[leg_timeout=15]x"


def test_step_defaults():
    assert new_step(action="voicemail", mailbox="201") == Step(action="voicemail", mailbox="201")
    assert vars(new_step(action="hangup")) == vars(Step(action="hangup"))
    assert repr(new_step(action="hangup", cause="USER_BUSY")) == repr(Step(action="hangup", cause="USER_BUSY"))


def test_plan_defaults():
    assert vars(new_plan(reason="r", target="t")) == vars(Plan(reason="r", target="t"))

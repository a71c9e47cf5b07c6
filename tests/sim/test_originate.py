"""The bridge outcome model (switch_ivr_originate.c semantics) as a pure function.

``phase=0.4`` puts the bridge start 0.4 s into a wall-clock second, so FreeSWITCH's
whole-second timers fire 0.6 s after the nominal value (``elapsed > N``) and the
originate_timeout 0.4 s before it (``elapsed >= N``).
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.fakeswitch.dialstring import parse
from tests.fakeswitch.originate import Behaviour, originate

RINGS = Behaviour("office")
UNREGISTERED = Behaviour("office", create_failure="USER_NOT_REGISTERED")
BUSY = Behaviour("office", reject="USER_BUSY", reject_after=0.04, ring_after=None)
MOBILE_RINGS = Behaviour("mobile")
UNREACHABLE = Behaviour("mobile", reject="NORMAL_TEMPORARY_FAILURE", ring_after=None)


def answers(after: float, device: str = "office") -> Behaviour:
    return Behaviour(device, answer_after=after)


@dataclass(frozen=True)
class Case:
    dial: str
    behaviours: tuple
    disposition: str
    end: float
    legs: tuple   # (start, end, outcome) per leg
    cancel_at: float | None = None


CASES = {
    "a lone leg's leg_timeout ends it (sofia endpoint: ALLOTTED_TIMEOUT)": Case(
        "[leg_timeout=6]sofia/internal/sip:1@127.0.0.1:5070", (Behaviour("sip"),),
        "ALLOTTED_TIMEOUT", 6.6, ((0.0, 6.6, "ALLOTTED_TIMEOUT"),)),
    "leg_delay_start has no effect on a lone leg": Case(
        "[leg_delay_start=2,leg_timeout=6]sofia/internal/sip:1@127.0.0.1:5070", (Behaviour("sip"),),
        "ALLOTTED_TIMEOUT", 6.6, ((0.0, 6.6, "ALLOTTED_TIMEOUT"),)),
    "a lone user/ leg that runs out of leg_timeout reads NO_ANSWER": Case(
        "[leg_timeout=20]user/ivan@pbx", (RINGS,), "NO_ANSWER", 20.6, ((0.0, 20.6, "NO_ANSWER"),)),
    "the same expiry with two legs reads ALLOTTED_TIMEOUT": Case(
        "[leg_timeout=20]user/ivan@pbx,[leg_timeout=20]sofia/gateway/gsm/+79161234567", (RINGS, MOBILE_RINGS),
        "ALLOTTED_TIMEOUT", 20.6, ((0.0, 20.6, "ALLOTTED_TIMEOUT"), (0.0, 20.6, "ALLOTTED_TIMEOUT"))),
    "originate_timeout fires on >= and reads NO_ANSWER": Case(
        "{originate_timeout=6}sofia/internal/sip:1@127.0.0.1:5070", (Behaviour("sip"),),
        "NO_ANSWER", 5.6, ((0.0, 5.6, "NO_ANSWER"),)),
    "a delayed mobile joins at 5.6 s and its answer wins": Case(
        "[leg_timeout=20]user/ivan@pbx,[leg_delay_start=5,leg_timeout=20]sofia/gateway/gsm/+7916",
        (RINGS, answers(3, "mobile")), "SUCCESS", 8.6, ((0.0, 8.6, "LOSE_RACE"), (5.6, 8.6, "SUCCESS"))),
    "the delayed leg rings for its own leg_timeout after it starts": Case(
        "[leg_timeout=10]user/ivan@pbx,[leg_delay_start=5,leg_timeout=10]sofia/gateway/gsm/+7916",
        (RINGS, MOBILE_RINGS), "ALLOTTED_TIMEOUT", 15.6,
        ((0.0, 10.6, "ALLOTTED_TIMEOUT"), (5.6, 15.6, "ALLOTTED_TIMEOUT"))),
    "an unregistered desk phone makes the mobile ring at once": Case(
        "user/ivan@pbx,[leg_delay_start=5,leg_timeout=20]sofia/gateway/gsm/+7916", (UNREGISTERED, answers(2)),
        "SUCCESS", 2.0, ((None, 0.0, "USER_NOT_REGISTERED"), (0.0, 2.0, "SUCCESS"))),
    # the pulled-forward leg keeps the timers of the originate start: 20 s + 0.6, not 0.04 + 20.6
    "a busy desk phone starts the delayed mobile when it refuses; the cause is the first leg's": Case(
        "user/ivan@pbx,[leg_delay_start=5,leg_timeout=20]sofia/gateway/gsm/+7916", (BUSY, MOBILE_RINGS),
        "USER_BUSY", 20.6, ((0.0, 0.04, "USER_BUSY"), (0.04, 20.6, "ALLOTTED_TIMEOUT"))),
    "delayed legs keep their spacing when pulled forward": Case(
        "user/ivan@pbx,[leg_delay_start=10]sofia/gateway/gsm/+1,[leg_delay_start=20]sofia/gateway/gsm/+2",
        (UNREGISTERED, MOBILE_RINGS, answers(1, "mobile")), "SUCCESS", 11.6,
        ((None, 0.0, "USER_NOT_REGISTERED"), (0.0, 11.6, "LOSE_RACE"), (10.6, 11.6, "SUCCESS"))),
    "a hunt's next leg starts as the previous times out; the one after keeps its own slot": Case(
        "{originate_timeout=30}[leg_timeout=10]user/a@pbx,[leg_timeout=10,leg_delay_start=10]user/b@pbx,"
        "[leg_timeout=10,leg_delay_start=20]user/c@pbx", (RINGS, RINGS, RINGS), "NO_ANSWER", 29.6,
        ((0.0, 10.6, "ALLOTTED_TIMEOUT"), (10.6, 20.6, "ALLOTTED_TIMEOUT"), (20.6, 29.6, "NO_ANSWER"))),
    "a busy lone leg": Case("user/ivan@pbx", (BUSY,), "USER_BUSY", 0.04, ((0.0, 0.04, "USER_BUSY"),)),
    "an unreachable mobile fails at once": Case(
        "sofia/gateway/gsm/+7916", (UNREACHABLE,), "NORMAL_TEMPORARY_FAILURE", 0.0,
        ((0.0, 0.0, "NORMAL_TEMPORARY_FAILURE"),)),
    "nobody registered: the group fails at once": Case(
        "user/a@pbx,user/b@pbx", (UNREGISTERED, UNREGISTERED), "USER_NOT_REGISTERED", 0.0,
        ((None, 0.0, "USER_NOT_REGISTERED"), (None, 0.0, "USER_NOT_REGISTERED"))),
    "a failed group hands over to the next one": Case(
        "user/a@pbx|user/b@pbx", (UNREGISTERED, answers(2)), "SUCCESS", 2.0,
        ((None, 0.0, "USER_NOT_REGISTERED"), (0.0, 2.0, "SUCCESS"))),
    "leg timeouts fail over too": Case(
        "[leg_timeout=10]user/a@pbx|user/b@pbx", (RINGS, answers(2)), "SUCCESS", 12.6,
        ((0.0, 10.6, "NO_ANSWER"), (10.6, 12.6, "SUCCESS"))),
    "originate_timeout stops the failover": Case(
        "{originate_timeout=10}user/a@pbx|user/b@pbx", (RINGS, answers(2)), "NO_ANSWER", 9.6,
        ((0.0, 9.6, "NO_ANSWER"), (None, None, None))),
    "unless originate_continue_on_timeout=true": Case(
        "{originate_timeout=10,originate_continue_on_timeout=true}user/a@pbx|user/b@pbx", (RINGS, answers(2)),
        "SUCCESS", 11.6, ((0.0, 9.6, "NO_ANSWER"), (9.6, 11.6, "SUCCESS"))),
    "the caller's cancel ends every ringing leg": Case(
        "user/a@pbx,[leg_delay_start=10]user/b@pbx", (RINGS, RINGS), "ORIGINATOR_CANCEL", 7.5,
        ((0.0, 7.5, "ORIGINATOR_CANCEL"), (None, 7.5, "ORIGINATOR_CANCEL")), cancel_at=7.5),
    "without any timeout the default 60 s applies": Case(
        "user/a@pbx", (RINGS,), "NO_ANSWER", 59.6, ((0.0, 59.6, "NO_ANSWER"),)),
    "an answer at the very moment of the leg timeout still wins": Case(
        "[leg_timeout=20]user/a@pbx,user/b@pbx", (answers(20.6), RINGS), "SUCCESS", 20.6,
        ((0.0, 20.6, "SUCCESS"), (0.0, 20.6, "LOSE_RACE"))),
}


@pytest.mark.parametrize("title", sorted(CASES))
def test_bridge_outcome(title):
    case = CASES[title]
    result = originate(parse(case.dial), list(case.behaviours), phase=0.4, cancel_at=case.cancel_at)
    assert result.disposition == case.disposition
    assert result.end == pytest.approx(case.end)
    got = [(leg.start, leg.end, leg.outcome) for leg in result.legs]
    for (start, end, outcome), expected in zip(got, case.legs):
        assert (start is None) == (expected[0] is None) and (end is None) == (expected[1] is None), title
        if expected[0] is not None:
            assert start == pytest.approx(expected[0])
        if expected[1] is not None:
            assert end == pytest.approx(expected[1])
        assert outcome == expected[2]


@pytest.mark.parametrize("phase", [0.1, 0.25, 0.5, 0.75, 0.8])
def test_whole_second_timers_land_in_the_measured_windows(phase):
    """DESIGN.md: a 5 s leg_delay_start starts at 5.2–5.9 s, a 20 s timeout ends at 20.2–20.9 s."""
    result = originate(parse("[leg_timeout=20]user/a@pbx,[leg_delay_start=5,leg_timeout=15]sofia/gateway/g/1"),
                       [RINGS, MOBILE_RINGS], phase=phase)
    office, mobile = result.legs
    assert 5.2 <= mobile.start <= 5.9
    assert 20.2 <= office.end <= 20.9


def test_disposition_maps_to_dialstatus():
    result = originate(parse("{originate_timeout=5}user/a@pbx"), [RINGS], phase=0.4)
    assert (result.disposition, result.dialstatus) == ("NO_ANSWER", "NOANSWER")
    busy = originate(parse("user/a@pbx"), [BUSY], phase=0.4)
    assert busy.dialstatus == "BUSY"
    cancelled = originate(parse("user/a@pbx"), [RINGS], phase=0.4, cancel_at=1)
    assert cancelled.dialstatus == "CANCEL"


def test_rings_are_reported_only_for_legs_that_rang_before_ending():
    result = originate(parse("user/a@pbx,sofia/gateway/g/1"), [BUSY, answers(0.01, "mobile")], phase=0.4)
    assert [leg.ring for leg in result.legs] == [None, None]
    result = originate(parse("user/a@pbx"), [answers(3)], phase=0.4)
    assert result.first_ring == pytest.approx(0.02)


# --------------------------------------------------------------------------- answer confirmation

OFFICE = "[leg_timeout=20]user/ivan@pbx"
CONFIRM = "group_confirm_key=1,group_confirm_file=ivr/press1.wav"


def confirming(answer: float, press: float | None) -> Behaviour:
    return Behaviour("mobile", answer_after=answer, press_after=press)


def mobile_leg(extra: str = "") -> str:
    return f"[leg_timeout=20,{CONFIRM}{extra}]sofia/gateway/gsm/+7916"


def outcome(dial: str, *behaviours: Behaviour, missing: frozenset = frozenset()):
    result = originate(parse(dial), list(behaviours), phase=0.4, missing_files=missing)
    return result, [(leg.picked_up, leg.end, leg.outcome) for leg in result.legs]


def test_a_confirming_leg_wins_only_when_the_key_comes():
    result, legs = outcome("{originate_timeout=21}" + OFFICE + "," + mobile_leg(), RINGS, confirming(3, 2))
    assert result.disposition == "SUCCESS" and result.end == pytest.approx(5.0)
    assert legs[1] == (pytest.approx(3.0), pytest.approx(5.0), "SUCCESS")
    assert legs[0][2] == "LOSE_RACE"                     # the office rang on while the mobile confirmed


def test_by_default_the_leg_timeout_cuts_a_late_answer_off_mid_prompt():
    """group_confirm_timeout unset: the leg's own limit keeps running (v1.11.1 switch_ivr_originate.c
    check_channel_status leaves per_channel_timelimit_sec; check_per_channel_timeouts ends it)."""
    result, legs = outcome("{originate_timeout=21}" + mobile_leg(), confirming(19, 3))
    assert legs[0] == (pytest.approx(19.0), pytest.approx(20.6), "ALLOTTED_TIMEOUT")


def test_group_confirm_timeout_gives_the_late_answer_its_time_from_the_answer():
    result, legs = outcome("{originate_timeout=33}" + mobile_leg(",group_confirm_timeout=12"), confirming(19, 3))
    assert result.disposition == "SUCCESS" and legs[0][1] == pytest.approx(22.0)


def test_the_originate_timeout_still_ends_a_confirming_leg():
    result, legs = outcome("{originate_timeout=21}" + mobile_leg(",group_confirm_timeout=12"), confirming(19, 3))
    assert result.disposition == "NO_ANSWER" and legs[0][1] == pytest.approx(20.6)   # 21 s, fired on >=


def test_never_pressing_ends_at_answer_plus_group_confirm_timeout():
    result, legs = outcome("{originate_timeout=33}" + mobile_leg(",group_confirm_timeout=12"), confirming(3, None))
    # answered at 3.0 s: 3 whole seconds elapsed, limit 15, fired at 15.6 s
    assert legs[0] == (pytest.approx(3.0), pytest.approx(15.6), "ALLOTTED_TIMEOUT")


def test_a_call_wide_group_confirm_timeout_applies_unless_the_leg_has_its_own():
    """v1.11.1 check_channel_status: the leg's own value, else oglobals.confirm_timeout (the {} one)."""
    _, legs = outcome("{originate_timeout=40,group_confirm_timeout=12}" + mobile_leg(), confirming(3, None))
    assert legs[0] == (pytest.approx(3.0), pytest.approx(15.6), "ALLOTTED_TIMEOUT")
    _, legs = outcome("{originate_timeout=40,group_confirm_timeout=12}" + mobile_leg(",group_confirm_timeout=5"),
                      confirming(3, None))
    assert legs[0] == (pytest.approx(3.0), pytest.approx(8.6), "ALLOTTED_TIMEOUT")


def test_group_confirm_timeout_0_removes_the_leg_limit():
    result, legs = outcome("{originate_timeout=40}" + mobile_leg(",group_confirm_timeout=0"), confirming(19, 10))
    assert result.disposition == "SUCCESS" and legs[0][1] == pytest.approx(29.0)


def test_a_missing_prompt_drops_the_leg_20_ms_after_its_answer():
    result, legs = outcome("{originate_timeout=21}" + OFFICE + "," + mobile_leg(), RINGS, confirming(3, 1),
                           missing=frozenset({"ivr/press1.wav"}))
    assert legs[1] == (pytest.approx(3.0), pytest.approx(3.02), "DESTINATION_OUT_OF_ORDER")
    assert legs[0][2] == "ALLOTTED_TIMEOUT"               # the office rings on to its own end

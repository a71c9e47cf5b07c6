"""The recovery call over a real inbound ESL connection to the simulator.

`place_call` (daemon/web/mobilecall.py) against FakeSwitch: the originate command it
sends, a mobile that answers and keys the code, keys a wrong one, does not answer,
hangs up during the prompt, is unreachable; and that events of other channels on the
same switch never reach the call's connection (its filters).
"""
from __future__ import annotations

import gevent
import pytest

from config.models import FreeswitchSettings
from daemon.web import mobilecall
from tests.fakeswitch import FakeSwitch

MOBILE = "+79161234567"


@pytest.fixture
def sim():
    switch = FakeSwitch(scale=0.01, password="ClueCon").start()
    yield switch
    switch.stop()


def settings(sim) -> FreeswitchSettings:
    host, port = sim.inbound_address
    return FreeswitchSettings(host=host, port=port, password="ClueCon")


def plan(**changes) -> mobilecall.CallPlan:
    values = dict(gateway="trunk", number=MOBILE, caller_id="+74951234567", caller_name="", prompt=None,
                  ring_timeout=30, uuid="5d3c0c55-7a0f-4a55-9d3c-1f0000000001")
    values.update(changes)
    return mobilecall.CallPlan(**values)


def test_the_originate_command_is_one_leg_to_the_mobile_with_the_company_number():
    assert plan(prompt="/usr/share/callrouter/recovery.wav").originate() == (
        "{origination_uuid=5d3c0c55-7a0f-4a55-9d3c-1f0000000001,ignore_early_media=true,originate_timeout=30,"
        "origination_caller_id_number=+74951234567,recovery_prompt=/usr/share/callrouter/recovery.wav}"
        "sofia/gateway/trunk/+79161234567 "
        "'&play_and_get_digits(6 6 3 10000 # ${recovery_prompt} silence_stream://250 recovery_code \\d+ 5000)'")


def test_the_default_tone_keeps_out_of_the_applications_parentheses():
    """originate cuts `&app(...)` at the first `)`: the tone's `%(...)` goes in a variable, commas escaped."""
    command = plan().originate()
    app = command.split(" '&", 1)[1]
    assert app.index(")") == len(app) - 2            # the only `)` closes the application
    assert "recovery_prompt=tone_stream://%(300\\,200\\,523);" in command


@pytest.mark.parametrize("bad", [dict(number="+7916,user/boss"), dict(number="123|456"), dict(gateway="a/b"),
                                 dict(prompt="x.wav' &bridge(user/boss)"), dict(caller_id="1,2")])
def test_nothing_but_one_mobile_can_be_dialled(bad):
    with pytest.raises(ValueError):
        plan(**bad)


def run(sim, **plan_changes):
    answered, keyed = [], []
    greenlet = gevent.spawn(mobilecall.place_call, settings(sim), plan(**plan_changes),
                            lambda: answered.append(True), lambda digits: keyed.append(digits) or True)
    return greenlet, answered, keyed


def test_the_mobile_answers_and_keys_the_code(sim):
    sim.mobile(MOBILE, answer_after=2)
    greenlet, answered, keyed = run(sim)
    call = sim.wait_originated()
    call.press("123456")
    result = greenlet.get(timeout=5)
    assert (result.outcome, result.digits, result.cause) == ("keyed", "123456", "NORMAL_CLEARING")
    assert answered == [True] and keyed == ["123456"]
    assert call.caller_id == "+74951234567" and call.gateway == "trunk" and call.number == MOBILE
    assert [r.line.split()[0] for r in sim.log][:5] == ["auth", "filter", "filter", "event", "bgapi"]


def test_a_mobile_that_never_answers(sim):
    sim.mobile(MOBILE, answer_after=None)
    greenlet, answered, keyed = run(sim, ring_timeout=20)
    result = greenlet.get(timeout=5)
    assert (result.outcome, result.cause) == ("no_answer", "NO_ANSWER")
    assert answered == [] and keyed == []


def test_a_busy_mobile_fails_the_call(sim):
    sim.mobile(MOBILE, busy=True)
    result = run(sim)[0].get(timeout=5)
    assert (result.outcome, result.cause) == ("failed", "USER_BUSY")


def test_hanging_up_during_the_prompt(sim):
    sim.mobile(MOBILE, answer_after=1)
    greenlet, answered, keyed = run(sim)
    call = sim.wait_originated()
    call.answered.wait(5)
    call.press("12")
    call.hang_up()
    result = greenlet.get(timeout=5)
    assert result.outcome == "hung_up" and keyed == [] and answered == [True]


def test_nothing_keyed_three_prompts_then_the_call_ends(sim):
    sim.mobile(MOBILE, answer_after=1)
    greenlet, answered, keyed = run(sim)
    result = greenlet.get(timeout=5)
    assert result.outcome == "hung_up" and keyed == []


def test_other_calls_events_do_not_reach_the_recovery_connection(sim):
    sim.mobile(MOBILE, answer_after=1)
    sim.mobile("+79160000000", answer_after=1)
    first, _, keyed_first = run(sim)
    second, _, keyed_second = run(sim, number="+79160000000", uuid="5d3c0c55-7a0f-4a55-9d3c-1f0000000002")
    a, b = sim.wait_originated(1), sim.wait_originated(2)
    by_number = {a.number: a, b.number: b}
    by_number[MOBILE].press("111111")
    by_number["+79160000000"].press("222222")
    assert first.get(timeout=5).digits == "111111" and second.get(timeout=5).digits == "222222"
    assert keyed_first == ["111111"] and keyed_second == ["222222"]


def test_freeswitch_away_is_a_call_error():
    with pytest.raises(mobilecall.CallError):
        mobilecall.place_call(FreeswitchSettings(host="127.0.0.1", port=1), plan(), lambda: None, lambda d: True)

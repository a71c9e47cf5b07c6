"""Answer confirmation on a mobile (`mobile_confirm`): the callee must press 1 before
the call is theirs, so the mobile's own voicemail never takes it.

FreeSWITCH plays the prompt to a mobile that answered while the other legs ring on;
its `leg_timeout` and the bridge's `originate_timeout` keep running, so without
`group_confirm_timeout` someone answering in the last seconds of the wait was cut off
while hearing the prompt.  Times are sim seconds: Иван's mobile joins at 5 s of his
20 s wait (it starts at 5.2–5.9 s) and rings until 20.2–20.9 s.
"""
from __future__ import annotations

import logging

import pytest

from tests.e2e.conftest import COMPANY
from tests.e2e.harness import rung

IVAN_MOBILE = "+79161234567"
PROMPT = "ivr/ivr-accept_reject_voicemail.wav"
pytestmark = pytest.mark.parametrize("socket_mode", ["sync", "async"], indirect=True)

CONFIRMING = COMPANY.replace("      mobile_delay: 5\n", "      mobile_delay: 5\n      mobile_confirm: true\n", 1)


def test_an_answer_in_the_last_second_can_still_press_1(make_harness):
    h = make_harness(CONFIRMING)
    h.sim.mobile(IVAN_MOBILE, answer_after=14.3, press_after=4)      # answers at ~19.8 s, presses at ~23.8 s
    call = h.call("201")
    (bridge,) = call.bridges
    office, mobile = bridge.legs
    assert office.outcome == "ALLOTTED_TIMEOUT" and 20 < office.end < 21      # the desk phone stops on time
    assert mobile.outcome == "SUCCESS" and 23 < mobile.end < 25
    assert call.answered_by == IVAN_MOBILE
    assert h.record_of(call).answered_by == "ivan.petrov"


def test_a_mobile_voicemail_that_never_presses_1_loses_the_call(make_harness):
    h = make_harness(CONFIRMING)
    h.sim.mobile(IVAN_MOBILE, answer_after=3)                       # its voicemail answers, never presses
    h.employee("anna.smirnova", answer_after=2)
    call = h.call("201")
    assert rung(call) == [["ivan.petrov", IVAN_MOBILE], ["anna.smirnova"]]
    mobile = call.bridges[0].legs[1]
    # 12 s (company.mobile_confirm_seconds) from its answer, then the office's wait is over too
    assert mobile.outcome == "ALLOTTED_TIMEOUT" and 20 < mobile.end < 22
    assert call.answered_by == "anna.smirnova"
    assert h.metric("callrouter_confirm_prompt_failures_total") == 0


def test_a_late_voicemail_holds_the_caller_only_the_confirmation_time(make_harness):
    h = make_harness(CONFIRMING)
    h.sim.mobile(IVAN_MOBILE, answer_after=14.3)
    h.employee("anna.smirnova", answer_after=2)
    call = h.call("201")
    assert rung(call) == [["ivan.petrov", IVAN_MOBILE], ["anna.smirnova"]]
    mobile = call.bridges[0].legs[1]
    assert mobile.outcome == "ALLOTTED_TIMEOUT" and 31 < mobile.end < 34      # answered at ~19.8 s, + 12 s
    assert call.answered_by == "anna.smirnova"


def test_a_missing_prompt_is_reported_not_silently_forwarded(make_harness, caplog):
    h = make_harness(CONFIRMING)
    h.sim.missing_sounds.add(PROMPT)                                 # FreeSWITCH without its sound package
    h.sim.mobile(IVAN_MOBILE, answer_after=3, press_after=1)
    h.employee("anna.smirnova", answer_after=2)
    with caplog.at_level(logging.ERROR, logger="daemon.executor"):
        call = h.call("201")
    mobile = call.bridges[0].legs[1]
    assert mobile.outcome == "DESTINATION_OUT_OF_ORDER" and mobile.end - (mobile.start + 3) < 0.1
    assert call.answered_by == "anna.smirnova"                       # the call still goes on
    assert h.metric("callrouter_confirm_prompt_failures_total") == 1
    (line,) = [r for r in caplog.records if "confirmation prompt" in r.getMessage()]
    assert line.uuid == call.uuid and PROMPT in line.getMessage() and "ivan.petrov" in line.getMessage()


def test_the_company_names_its_own_prompt(make_harness):
    company = CONFIRMING.replace("company:\n", "company:\n  mobile_confirm_file: sounds/press-one.wav\n", 1)
    h = make_harness(company)
    h.sim.missing_sounds.add(PROMPT)                                 # the stock prompt is not needed
    h.sim.mobile(IVAN_MOBILE, answer_after=3, press_after=2)
    call = h.call("201")
    assert "group_confirm_file=sounds/press-one.wav" in call.bridges[0].dial_string
    assert call.answered_by == IVAN_MOBILE


def test_a_missing_prompt_on_the_only_device_moves_on_and_says_why(make_harness):
    company = CONFIRMING.replace("      devices: all\n      mobile_delay: 5\n", "      devices: mobile\n", 1)
    h = make_harness(company)
    h.sim.missing_sounds.add(PROMPT)
    h.sim.mobile(IVAN_MOBILE, answer_after=2, press_after=1)
    h.employee("anna.smirnova", answer_after=2)
    call = h.call("201")
    assert rung(call) == [[IVAN_MOBILE], ["anna.smirnova"]]
    bridge = call.bridges[0]
    assert bridge.disposition == "DESTINATION_OUT_OF_ORDER" and bridge.ended_at - bridge.started_at < 3
    assert call.answered_by == "anna.smirnova"
    assert h.metric("callrouter_confirm_prompt_failures_total") == 1

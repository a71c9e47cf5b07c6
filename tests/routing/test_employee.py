"""A direct call to an employee: devices, no-answer targets, and the precedence
absence > schedule > DND > devices."""
import datetime as dt

import pytest

from routing.types import Plan
from tests.routing.builders import (DOMAIN, TUESDAY_10, Devices, Switches, at, call, company, department,
                                    employee, path, rung)

IVAN_MOBILE = "+79161234567"
OFFICE_HOURS = {"mon-fri": ["09:00-18:00"]}


def ivan(**reception) -> dict:
    return employee("ivan.petrov", "201", "Иван Петров", mobile=IVAN_MOBILE, **reception)


def only_ivan(**reception):
    return company([ivan(**reception), employee("anna.smirnova", "202", "Анна Смирнова"),
                    employee("oleg.sidorov", "203", "Олег Сидоров")],
                   [department("Продажи", "500", ["anna.smirnova", "oleg.sidorov"])])


# --------------------------------------------------------------------------- devices

def test_office_devices_ring_for_the_whole_wait_then_the_caller_hears_busy():
    plan = call(only_ivan(), "201")
    assert plan.reason == "working" and plan.target == "employee:ivan.petrov" and plan.kind == "employee"
    ring = plan.steps[0]
    assert ring.dial == f"{{originate_timeout=121}}[leg_timeout=120]user/ivan.petrov@{DOMAIN}"
    assert ring.timeout == 120 and ring.reason == "direct"
    assert path(plan)[1:] == [("hangup", "no_answer", "USER_BUSY")]


def test_all_devices_the_mobile_joins_after_its_delay_and_both_stop_together():
    plan = call(only_ivan(devices="all", mobile_delay=5, no_answer={"after": 20}), "201")
    assert rung(plan) == [("ivan.petrov", "office", 0, 20), ("ivan.petrov", "mobile", 5, 15)]
    assert plan.steps[0].dial == (
        "{originate_timeout=21,ignore_early_media=true,origination_caller_id_number=+79035550000}"
        f"[leg_timeout=20]user/ivan.petrov@{DOMAIN},"
        "[leg_timeout=15,leg_delay_start=5]sofia/gateway/trunk/+79161234567")


def test_mobile_only():
    plan = call(only_ivan(devices="mobile", mobile_delay=5, no_answer={"after": 30}), "201")
    assert rung(plan) == [("ivan.petrov", "mobile", 0, 30)]


def test_a_mobile_delay_beyond_the_wait_never_rings_the_mobile():
    plan = call(only_ivan(devices="all", mobile_delay=20, no_answer={"after": 20}), "201")
    assert rung(plan) == [("ivan.petrov", "office", 0, 20)]
    assert "ignore_early_media" not in plan.steps[0].dial


def test_answer_confirmation_on_the_mobile_leg_only():
    plan = call(only_ivan(devices="all", mobile_delay=5, mobile_confirm=True, no_answer={"after": 20}), "201")
    office, mobile = plan.steps[0].legs
    assert not office.confirm and "group_confirm" not in office.dial
    assert mobile.confirm and "group_confirm_key=1,group_confirm_file=ivr/ivr-accept_reject_voicemail.wav," \
        "group_confirm_timeout=12]" in mobile.dial
    assert plan.steps[0].dial.startswith("{originate_timeout=33,")     # 20 s + 1 + 12 s to press 1
    assert plan.steps[0].confirm == 12     # the daemon waits on the bridge that much longer


def test_the_company_names_its_confirmation_prompt_and_time():
    snapshot = company([ivan(devices="mobile", mobile_confirm=True, no_answer={"after": 20})],
                       mobile_confirm_file="sounds/press-one.wav", mobile_confirm_seconds=20)
    plan = call(snapshot, "201")
    assert "group_confirm_file=sounds/press-one.wav,group_confirm_timeout=20]" in plan.steps[0].dial
    assert plan.steps[0].dial.startswith("{originate_timeout=41,")
    assert plan.steps[0].timeout == 20                                  # the wait the admin set


def test_no_confirming_leg_no_longer_bridge():
    plan = call(only_ivan(devices="all", mobile_delay=5, no_answer={"after": 20}), "201")
    assert plan.steps[0].dial.startswith("{originate_timeout=21,")
    assert plan.steps[0].confirm == 0


# --------------------------------------------------------------------------- no-answer targets

@pytest.mark.parametrize("target, expected", [
    ({}, ("hangup", "no_answer", "USER_BUSY")),
    ({"hangup": True}, ("hangup", "no_answer", "USER_BUSY")),
    ({"voicemail": True}, ("voicemail", "no_answer", "201")),
    ({"voicemail": "300"}, ("voicemail", "no_answer", "300")),
    ({"message": "closed.wav"}, ("message", "no_answer", "closed.wav")),
    ({"employee": "anna.smirnova"}, ("ring", "no_answer", "employee:anna.smirnova")),
    ({"department": "Продажи"}, ("ring", "no_answer", "department:Продажи")),
])
def test_no_answer_target(target, expected):
    plan = call(only_ivan(no_answer={"after": 20, **target}), "201")
    assert plan.steps[0].timeout == 20
    assert path(plan)[1] == expected


def test_a_terminal_step_names_whose_rule_it_is():
    plan = call(only_ivan(no_answer={"after": 20, "voicemail": True}), "201")
    assert plan.steps[-1].target == "employee:ivan.petrov"


# --------------------------------------------------------------------------- schedule

@pytest.mark.parametrize("now, reason", [
    (at(2026, 12, 15, 8, 59, 59), "off_hours"),
    (at(2026, 12, 15, 9, 0), "working"),
    (at(2026, 12, 15, 17, 59, 59), "working"),
    (at(2026, 12, 15, 18, 0), "off_hours"),
    (at(2026, 12, 19, 12, 0), "off_hours"),                         # Saturday
])
def test_off_hours_calls_go_to_the_off_hours_target(now, reason):
    snapshot = only_ivan(schedule=OFFICE_HOURS, off_hours={"message": "closed.wav"})
    plan = call(snapshot, "201", now=now)
    assert plan.reason == reason
    if reason == "off_hours":
        assert path(plan) == [("message", "off_hours", "closed.wav")]


def test_the_schedule_is_in_the_employees_own_zone():
    snapshot = only_ivan(schedule=OFFICE_HOURS, timezone="Asia/Vladivostok")     # UTC+10, Moscow +3
    assert call(snapshot, "201", now=at(2026, 12, 15, 11, 0)).reason == "off_hours"       # 18:00 there
    assert call(snapshot, "201", now=at(2026, 12, 15, 2, 0)).reason == "working"          # 09:00 there
    assert call(snapshot, "201", now=at(2026, 12, 15, 1, 59)).reason == "off_hours"       # 08:59 there


def test_company_holidays_and_transferred_days():
    snapshot = company([ivan(schedule=OFFICE_HOURS)], holidays=["2026-12-15"], workdays=["2026-12-19"])
    assert call(snapshot, "201", now=at(2026, 12, 15, 10)).reason == "off_hours"
    assert call(snapshot, "201", now=at(2026, 12, 19, 10)).reason == "working"


def test_any_aware_time_gives_the_same_answer():
    snapshot = only_ivan(schedule=OFFICE_HOURS)
    utc = TUESDAY_10.astimezone(dt.timezone.utc)
    assert call(snapshot, "201", now=utc) == call(snapshot, "201", now=TUESDAY_10)


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        call(only_ivan(), "201", now=dt.datetime(2026, 12, 15, 10, 0))


def test_a_time_zone_without_an_offset_is_refused():
    class Unknown(dt.tzinfo):
        def utcoffset(self, when):
            return None
    with pytest.raises(ValueError):
        call(only_ivan(), "201", now=dt.datetime(2026, 12, 15, 10, 0, tzinfo=Unknown()))


# --------------------------------------------------------------------------- absences

VACATION = {"from": "2026-12-14", "to": "2026-12-18", "reason": "vacation",
            "forward": {"employee": "anna.smirnova"}, "announce": "vacation.wav"}


@pytest.mark.parametrize("now, absent", [
    (at(2026, 12, 13, 23, 59), False),
    (at(2026, 12, 14, 0, 0), True),        # first day
    (at(2026, 12, 18, 23, 59), True),      # last day, inclusive
    (at(2026, 12, 19, 0, 0), False),       # over by itself
])
def test_an_absence_covers_its_first_and_last_day(now, absent):
    plan = call(only_ivan(absences=[VACATION]), "201", now=now)
    assert (plan.reason == "absent") is absent


def test_the_announcement_plays_before_the_absence_target():
    plan = call(only_ivan(absences=[VACATION]), "201")
    assert path(plan)[:2] == [("announce", "absent", "vacation.wav"), ("ring", "absent", "employee:anna.smirnova")]
    assert plan.steps[0].target == "employee:ivan.petrov"


def test_an_open_ended_absence_lasts_until_removed():
    snapshot = only_ivan(absences=[{"from": "2026-01-01", "reason": "sick_leave"}])
    plan = call(snapshot, "201", now=at(2031, 6, 1))
    assert path(plan) == [("voicemail", "absent", "201")]


def test_an_absence_follows_the_employees_own_date():
    snapshot = only_ivan(timezone="Asia/Vladivostok", absences=[{"from": "2026-12-16", "to": "2026-12-16"}])
    assert call(snapshot, "201", now=at(2026, 12, 15, 16, 59)).reason == "working"       # 23:59 there
    assert call(snapshot, "201", now=at(2026, 12, 15, 17, 0)).reason == "absent"         # 16th there


# --------------------------------------------------------------------------- precedence

def test_absence_comes_before_the_schedule():
    snapshot = only_ivan(schedule=OFFICE_HOURS, absences=[VACATION])
    assert call(snapshot, "201", now=at(2026, 12, 15, 22)).reason == "absent"


def test_the_schedule_comes_before_dnd():
    snapshot = only_ivan(schedule=OFFICE_HOURS, off_hours={"voicemail": True})
    plan = call(snapshot, "201", now=at(2026, 12, 15, 22), overrides=Switches(dnd_on={"ivan.petrov"}))
    assert path(plan) == [("voicemail", "off_hours", "201")]


def test_dnd_sends_the_call_to_the_no_answer_target_at_once():
    snapshot = only_ivan(no_answer={"after": 20, "voicemail": True})
    plan = call(snapshot, "201", overrides=Switches(dnd_on={"ivan.petrov"}))
    assert plan.reason == "dnd"
    assert path(plan) == [("voicemail", "dnd", "201")]


# --------------------------------------------------------------------------- overrides and presence

def test_forward_to_mobile_rings_only_the_mobile():
    snapshot = only_ivan(devices="all", mobile_delay=5, no_answer={"after": 20})
    plan = call(snapshot, "201", overrides=Switches(to_mobile={"ivan.petrov"}))
    assert plan.reason == "forward_to_mobile"
    assert rung(plan) == [("ivan.petrov", "mobile", 0, 20)]
    assert plan.steps[0].reason == "forward_to_mobile"


def test_forward_to_mobile_without_a_mobile_changes_nothing():
    snapshot = company([employee("anna.smirnova", "202")])
    plan = call(snapshot, "202", overrides=Switches(to_mobile={"anna.smirnova"}))
    assert plan.reason == "working"
    assert rung(plan) == [("anna.smirnova", "office", 0, 120)]


def test_unregistered_desk_phone_the_mobile_rings_at_once():
    snapshot = only_ivan(devices="all", mobile_delay=5, no_answer={"after": 20})
    plan = call(snapshot, "201", presence=Devices(unregistered={"ivan.petrov"}))
    assert rung(plan) == [("ivan.petrov", "mobile", 0, 20)]


def test_nothing_to_ring_goes_straight_to_the_no_answer_target():
    snapshot = only_ivan(devices="office", no_answer={"after": 20, "voicemail": True})
    plan = call(snapshot, "201", presence=Devices(unregistered={"ivan.petrov"}))
    assert plan.reason == "unregistered"
    assert path(plan) == [("voicemail", "unregistered", "201")]


def test_a_busy_employee_is_still_rung_directly():
    plan = call(only_ivan(), "201", presence=Devices(busy={"ivan.petrov"}))
    assert rung(plan) == [("ivan.petrov", "office", 0, 120)]


# --------------------------------------------------------------------------- caller ID on mobile legs

def mobile_dial(plan: Plan) -> str:
    return next(leg.dial for step in plan.steps for leg in step.legs if leg.device == "mobile")


def ring_dial(plan: Plan) -> str:
    return next(step.dial for step in plan.steps if step.action == "ring")


@pytest.mark.parametrize("caller, shown", [("+79035550000", "+79035550000"), ("8 (495) 111-22-33", "84951112233")])
def test_the_mobile_shows_the_callers_own_number(caller, shown):
    """Set call-wide: the desk phones show the caller's number anyway."""
    snapshot = company([ivan(devices="all"), employee("anna.smirnova", "202")], caller_id="+74951234567")
    plan = call(snapshot, "201", caller=caller)
    assert ring_dial(plan).startswith(f"{{originate_timeout=121,ignore_early_media=true,"
                                      f"origination_caller_id_number={shown}}}")
    assert "origination_caller_id_number" not in mobile_dial(plan)


@pytest.mark.parametrize("settings, caller", [
    ({"caller_id": "+74951234567"}, "202"),                 # internal: an extension means nothing outside
    ({"caller_id": "+74951234567"}, "anna.smirnova"),
    ({"caller_id": "+74951234567", "mobile_caller_id": "company"}, "+79035550000"),
    ({"caller_id": "+74951234567"}, "anonymous"),
])
def test_the_mobile_shows_the_company_number(settings, caller):
    """Set on the mobile leg only: the desk phones keep showing who calls."""
    snapshot = company([ivan(devices="all"), employee("anna.smirnova", "202")], **settings)
    plan = call(snapshot, "201", caller=caller)
    assert mobile_dial(plan).startswith("[leg_timeout=120,origination_caller_id_number=+74951234567]")
    assert "origination_caller_id_number" not in ring_dial(plan).split("}")[0]
    assert "origination_caller_id_number" not in plan.steps[0].legs[0].dial


def test_no_company_number_and_an_internal_caller_leaves_the_caller_id_to_freeswitch():
    snapshot = company([ivan(devices="mobile"), employee("anna.smirnova", "202")])
    assert "origination_caller_id_number" not in ring_dial(call(snapshot, "201", caller="202"))


def test_an_office_only_bridge_carries_no_caller_id():
    snapshot = company([employee("anna.smirnova", "202")])
    assert ring_dial(call(snapshot, "202")) == "{originate_timeout=121}[leg_timeout=120]user/anna.smirnova@pbx.romashka.local"


def test_diversion_names_the_company_number_the_call_came_in_on():
    snapshot = company([ivan(devices="mobile")], diversion=True, caller_id="+74950000000",
                       numbers={"+74951234567": {"employee": "ivan.petrov"}})
    assert "sip_h_Diversion=<tel:+74951234567>]" in mobile_dial(call(snapshot, "84951234567"))
    assert "sip_h_Diversion=<tel:+74950000000>]" in mobile_dial(call(snapshot, "201"))


def test_internal_calls_are_flagged():
    snapshot = only_ivan()
    assert call(snapshot, "201", caller="202").internal
    assert call(snapshot, "201", caller="oleg.sidorov").internal
    assert not call(snapshot, "201", caller="+79035550000").internal
    assert not call(snapshot, "201", caller="500").internal              # a department number is not a person

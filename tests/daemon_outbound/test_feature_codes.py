"""Which calls are feature codes, who may dial them, and what the call path is told to do."""
from __future__ import annotations

import pytest

from config.models import ConfigFile
from config.snapshot import Snapshot
from daemon.features import (CONFIRM, LOG_ONLY, NO_MOBILE, NOT_AN_EMPLOYEE, TONE_OFF, TONE_ON, FeatureRequest,
                             feature_plan, recognise)
from routing.types import Call


def company(features: dict | None = None) -> Snapshot:
    file = ConfigFile.model_validate({
        "company": {"name": "Acme", "domain": "example.com"},
        "employees": [
            {"name": "Иван Петров", "login": "ivan.petrov", "extension": "201", "mobile": "+79161234567"},
            {"name": "Анна Смирнова", "login": "anna.smirnova", "extension": "202"},
        ],
        "departments": [{"name": "Продажи", "extension": "500", "members": ["ivan.petrov"]}],
        **({"features": features} if features is not None else {}),
    })
    return Snapshot.build(file)


COMPANY = company()


def asked(request: FeatureRequest | None):
    """(feature name, login, refusal) of a request; None for a call that is not a feature code."""
    return None if request is None else (request.feature.name, request.login, request.refusal)


@pytest.mark.parametrize("caller, dialled, expected", [
    ("201", "*78", ("dnd_on", "ivan.petrov", "")),
    ("201", "*79", ("dnd_off", "ivan.petrov", "")),
    ("ivan.petrov", "*78", ("dnd_on", "ivan.petrov", "")),              # a softphone showing the login
    ("201", "*21", ("forward_to_mobile_on", "ivan.petrov", "")),
    ("201", "#21", ("forward_to_mobile_off", "ivan.petrov", "")),
    ("202", "*78", ("dnd_on", "anna.smirnova", "")),
    ("202", "*21", ("forward_to_mobile_on", "anna.smirnova", NO_MOBILE)),
    ("202", "#21", ("forward_to_mobile_off", "anna.smirnova", "")),   # clears a forward left from an old mobile
    ("+74951234567", "*21", ("forward_to_mobile_on", "", NOT_AN_EMPLOYEE)),
    ("", "*78", ("dnd_on", "", NOT_AN_EMPLOYEE)),
    ("500", "*78", ("dnd_on", "", NOT_AN_EMPLOYEE)),                    # a department is nobody's phone
    ("201", "202", None),
    ("+74951234567", "201", None),
    ("201", "*99", None),
    ("201", "78", None),
])
def test_who_may_dial_which_code(caller, dialled, expected):
    assert asked(recognise(Call(destination=dialled, caller=caller, uuid="c-1"), COMPANY)) == expected


def test_the_codes_are_the_ones_the_file_configures_and_follow_a_reload():
    custom = company({"dnd_on": "555", "dnd_off": "556"})
    call = Call(destination="555", caller="201")
    assert asked(recognise(call, custom)) == ("dnd_on", "ivan.petrov", "")
    assert recognise(Call(destination="*78", caller="201"), custom) is None
    assert asked(recognise(Call(destination="*21", caller="201"), custom))[0] == "forward_to_mobile_on"
    # back and forth between two snapshots, as calls started before and after a reload do
    assert recognise(call, COMPANY) is None
    assert asked(recognise(call, custom))[0] == "dnd_on"


@pytest.mark.parametrize("dialled, tone", [("*78", TONE_ON), ("*79", TONE_OFF), ("*21", TONE_ON), ("#21", TONE_OFF)])
def test_an_accepted_code_is_confirmed_by_a_tone_that_tells_on_from_off(dialled, tone):
    request = recognise(Call(destination=dialled, caller="201"), COMPANY)
    plan = feature_plan(request)
    assert (plan.kind, plan.target, plan.reason, plan.internal) == (
        "feature", "employee:ivan.petrov", request.feature.name, True)
    assert [(s.action, s.file, s.target) for s in plan.steps] == [(CONFIRM, tone, "employee:ivan.petrov")]


def test_on_and_off_sound_different():
    assert TONE_ON != TONE_OFF
    assert all(tone.startswith("tone_stream://") for tone in (TONE_ON, TONE_OFF))


@pytest.mark.parametrize("caller, dialled, target, reason, internal", [
    ("+74951234567", "*78", "", NOT_AN_EMPLOYEE, False),
    ("202", "*21", "employee:anna.smirnova", NO_MOBILE, True),
])
def test_a_refused_code_is_rejected_without_answering(caller, dialled, target, reason, internal):
    plan = feature_plan(recognise(Call(destination=dialled, caller=caller), COMPANY))
    assert (plan.kind, plan.target, plan.reason, plan.internal) == ("feature", target, reason, internal)
    assert [(s.action, s.cause) for s in plan.steps] == [("hangup", "CALL_REJECTED")]


def test_without_a_store_a_code_is_confirmed_but_logged_as_not_kept(caplog):
    LOG_ONLY.set_override("ivan.petrov", "dnd", True)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "no store configured: override dnd on for ivan.petrov is not kept")]

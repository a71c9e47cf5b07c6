"""The pure reading of bridge outcomes and answering legs."""
from __future__ import annotations

import pytest

from daemon.callstate import answering_login, department_of, disposition, endpoint_user, forward_reason
from tests.daemon_outbound.conftest import mobile, office, ring


@pytest.mark.parametrize("originate, dialstatus, expected", [
    ("USER_BUSY", "BUSY", "USER_BUSY"),
    ("NO_ANSWER", "NOANSWER", "NO_ANSWER"),
    ("", "BUSY", "USER_BUSY"),
    (None, "NOANSWER", "NO_ANSWER"),
    (None, "CANCEL", "ORIGINATOR_CANCEL"),
    (None, "USER_NOT_REGISTERED", "USER_NOT_REGISTERED"),
    (None, None, ""),
])
def test_disposition_prefers_originate_disposition(originate, dialstatus, expected):
    assert disposition(originate, dialstatus) == expected


@pytest.mark.parametrize("failed, reason", [
    ("USER_BUSY", "busy"), ("USER_NOT_REGISTERED", "unregistered"), ("NO_ANSWER", "no_answer"),
    ("ALLOTTED_TIMEOUT", "no_answer"), ("NORMAL_TEMPORARY_FAILURE", "no_answer"), ("CALL_REJECTED", "no_answer"),
])
def test_forward_reasons(failed, reason):
    assert forward_reason(failed) == reason


@pytest.mark.parametrize("dial, user", [
    ("[leg_timeout=20]user/ivan.petrov@example.com", "ivan.petrov"),
    ("[leg_delay_start=5,leg_timeout=15]sofia/gateway/trunk/+79161234567", "+79161234567"),
    ("{ignore_early_media=true}user/1000@127.0.0.1", "1000"),
    ("sofia/internal/sip:1@127.0.0.1:5070", "sip:1"),
])
def test_endpoint_user(dial, user):
    assert endpoint_user(dial) == user


def test_the_answering_leg_is_found_by_destination_or_channel_name():
    legs = (office("anna"), office("ivan"), mobile("petr", "+79161234567"))
    assert answering_login(legs, "ivan", "sofia/internal/ivan@10.0.0.5:5060") == "ivan"
    assert answering_login(legs, "", "sofia/internal/anna@10.0.0.7:5060") == "anna"
    assert answering_login(legs, "+79161234567", "sofia/external/+79161234567") == "petr"
    assert answering_login(legs, "someone", "sofia/internal/someone@x") == ""


def test_one_person_on_several_devices_needs_no_matching():
    assert answering_login((office("ivan"), mobile("ivan", "+79161234567")), "", "") == "ivan"


def test_department_of_a_step():
    assert department_of(ring(office("anna"), target="department:sales")) == "sales"
    assert department_of(ring(office("anna"), target="employee:anna")) == ""

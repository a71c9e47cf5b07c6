"""What a dialled number reaches: extensions, logins, company numbers in any form, nothing."""
import phonenumbers
import pytest
from hypothesis import given, strategies as st

from routing.numbers import clean, company_number, dialled_forms
from tests.routing.builders import call, company, department, employee, path

SNAPSHOT = company(
    [employee("ivan.petrov", "201"), employee("anna.smirnova", "202")],
    [department("Продажи", "500", ["anna.smirnova"])],
    numbers={"+74951234567": {"department": "Продажи"}, "+78001000000": {"employee": "ivan.petrov"}})


@pytest.mark.parametrize("dialled, target", [
    ("201", "employee:ivan.petrov"),
    (" 201 ", "employee:ivan.petrov"),
    ("ivan.petrov", "employee:ivan.petrov"),
    ("500", "department:Продажи"),
    ("+74951234567", "department:Продажи"),
    ("74951234567", "department:Продажи"),
    ("84951234567", "department:Продажи"),
    ("4951234567", "department:Продажи"),
    ("+7 495 123-45-67", "department:Продажи"),
    ("8 (495) 123-45-67", "department:Продажи"),
    ("81074951234567", "department:Продажи"),
    ("8-800-100-00-00", "employee:ivan.petrov"),
])
def test_destinations(dialled, target):
    plan = call(SNAPSHOT, dialled)
    assert plan.target == target
    assert plan.kind == target.split(":")[0]


@pytest.mark.parametrize("dialled", ["999", "", "+74951234568", "74951234", "ivan", "Ivan.Petrov", "+1 495 123 45 67"])
def test_an_unknown_number_is_refused_as_unallocated(dialled):
    plan = call(SNAPSHOT, dialled)
    assert (plan.reason, plan.target, plan.kind) == ("unknown_number", "", "unknown")
    assert path(plan) == [("hangup", "unknown_number", "UNALLOCATED_NUMBER")]


def test_clean_drops_only_punctuation():
    assert clean("+7 (495) 123-45.67") == "+74951234567"


@given(st.integers(min_value=0, max_value=9_999_999), st.sampled_from(["495", "812", "916", "800"]))
def test_every_listed_form_is_what_phonenumbers_reads_as_the_number(subscriber, area):
    e164 = f"+7{area}{subscriber:07d}"
    if not phonenumbers.is_valid_number(phonenumbers.parse(e164)):
        return
    forms = dialled_forms(e164)
    assert {e164, e164[1:], "8" + e164[2:], e164[2:]} <= forms
    for form in forms:
        parsed = phonenumbers.parse(form, "RU")
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == e164


def test_a_foreign_number_is_recognised_in_international_form():
    assert dialled_forms("+4930123456") == {"+4930123456", "8104930123456"}


NUMBERS = ["+74951234567", "+78001000000", "+4930123456", "+79161234567"]


@given(st.sampled_from(NUMBERS), st.sampled_from(["", "+", "00", "810", "8", "7", "+7"]),
       st.lists(st.sampled_from(" -().0123456789"), max_size=3))
def test_a_number_is_read_once_as_every_listed_form_would_read(number, prefix, noise):
    """routing.numbers.company_number reads the dialled string once; the speed layer
    looks its cleaned form up among every number's forms: the same answer."""
    digits = number.lstrip("+")
    digits = digits[1:] if prefix in ("8", "7", "+7") and number.startswith("+7") else digits
    dialled = prefix + digits[:3] + "".join(noise) + digits[3:]
    listed = [e164 for e164 in NUMBERS if clean(dialled) in dialled_forms(e164)]
    assert company_number(dialled, NUMBERS) == (listed[-1] if listed else None)

"""«Номер на мобильном», as the help page puts it (routing.callerid).

A call sent to a mobile shows the caller's number, or the company's when the company
chooses so; a colleague's call shows the company's; with `diversion`, the company
number the call came in on goes in the Diversion header.
(The same through whole calls and their dial strings: test_employee.py.)
"""
import pytest

from routing.callerid import call_variables, mobile_leg_variables, own_number

COMPANY = "+74950000000"


@pytest.mark.parametrize("caller, internal, shown, expected", [
    ("+79035550000", False, "caller", "+79035550000"),
    ("8 (495) 111-22-33", False, "caller", "84951112233"),     # only digits reach a dial string
    ("+7 903 555", False, "caller", "+7903555"),
    ("anonymous", False, "caller", None),                     # nothing to show: the company's number
    ("201", True, "caller", None),                            # a colleague: the company's number
    ("+79035550000", False, "company", None),                 # the company chose its own number
])
def test_whose_number_the_mobile_shows(caller, internal, shown, expected):
    assert own_number(caller, internal, shown) == expected


def test_the_callers_own_number_goes_call_wide():
    assert call_variables("+79035550000") == "origination_caller_id_number=+79035550000"
    assert call_variables(None) == ""


@pytest.mark.parametrize("own, did, company_id, diversion, expected", [
    ("+79035550000", None, COMPANY, False, ""),
    (None, None, COMPANY, False, "origination_caller_id_number=+74950000000"),
    (None, None, None, False, ""),                            # no company number: FreeSWITCH decides
    (None, "+74951230000", COMPANY, True,
     "origination_caller_id_number=+74950000000,sip_h_Diversion=<tel:+74951230000>"),
    ("+79035550000", None, COMPANY, True, "sip_h_Diversion=<tel:+74950000000>"),
])
def test_what_every_mobile_leg_carries(own, did, company_id, diversion, expected):
    assert mobile_leg_variables(own, did, company_id, diversion) == expected

"""Golden strings for the dial-string functions."""
import pytest

from routing import dialstring


def test_office_rings_every_registration_of_the_user():
    assert dialstring.office_endpoint("ivan.petrov", "pbx.romashka.local") == "user/ivan.petrov@pbx.romashka.local"


def test_mobile_goes_out_through_the_trunk_gateway():
    assert dialstring.mobile_endpoint("trunk", "+79161234567") == "sofia/gateway/trunk/+79161234567"


@pytest.mark.parametrize("timeout, delay, extra, expected", [
    (20, 0, "", "[leg_timeout=20]user/a@d"),
    (15, 5, "", "[leg_timeout=15,leg_delay_start=5]user/a@d"),
    (15, 5, "group_confirm_key=1", "[leg_timeout=15,leg_delay_start=5,group_confirm_key=1]user/a@d"),
    (20, 0, "x=1", "[leg_timeout=20,x=1]user/a@d"),
])
def test_leg_variables(timeout, delay, extra, expected):
    assert dialstring.leg("user/a@d", timeout, delay, extra) == expected


def test_bridge_bounds_the_whole_step_and_joins_legs_to_ring_together():
    legs = ["[leg_timeout=20]user/a@d", "[leg_timeout=20]user/b@d"]
    assert dialstring.bridge(legs, 20, mobile=False) == \
        "{originate_timeout=21}[leg_timeout=20]user/a@d,[leg_timeout=20]user/b@d"


def test_bridge_with_a_mobile_leg_ignores_early_media():
    legs = ["[leg_timeout=20]user/a@d", "[leg_timeout=15,leg_delay_start=5]sofia/gateway/trunk/+79161234567"]
    assert dialstring.bridge(legs, 20, mobile=True) == (
        "{originate_timeout=21,ignore_early_media=true}"
        "[leg_timeout=20]user/a@d,[leg_timeout=15,leg_delay_start=5]sofia/gateway/trunk/+79161234567")


def test_call_wide_variables_come_with_a_mobile_leg_only():
    legs = ["[leg_timeout=20]sofia/gateway/trunk/+79161234567"]
    assert dialstring.bridge(legs, 20, True, "origination_caller_id_number=+79035550000") == (
        "{originate_timeout=21,ignore_early_media=true,origination_caller_id_number=+79035550000}" + legs[0])
    assert dialstring.bridge_prefix(20, False, "origination_caller_id_number=+79035550000") == "{originate_timeout=21}"


@pytest.mark.parametrize("value, expected", [
    ("+79161234567", "+79161234567"),
    ("a,b", "a\\,b"),
    ("/sounds/press one.wav", "'/sounds/press one.wav'"),
    ("x'y", "xy"),
    ("a]b[c{d}e|f\\g", "abcdefg"),
    (5, "5"),
])
def test_values_cannot_break_out_of_their_variable(value, expected):
    assert dialstring.escape_value(value) == expected


def test_a_hostile_caller_id_cannot_inject_a_variable():
    text = dialstring.mobile_variables("123],[x=1]user/evil", None)
    assert text == "origination_caller_id_number=123\\,x=1user/evil"
    assert "[" not in text and "]" not in text


@pytest.mark.parametrize("caller_id, diversion, expected", [
    ("+79035550000", None, "origination_caller_id_number=+79035550000"),
    ("+74951234567", "+74951234567", "origination_caller_id_number=+74951234567,sip_h_Diversion=<tel:+74951234567>"),
    (None, "+74951234567", "sip_h_Diversion=<tel:+74951234567>"),
    (None, None, ""),
])
def test_mobile_variables(caller_id, diversion, expected):
    assert dialstring.mobile_variables(caller_id, diversion) == expected


def test_confirmation_needs_key_one_and_plays_the_prompt():
    assert dialstring.confirm_variables("ivr/press1.wav", 12) == \
        "group_confirm_key=1,group_confirm_file=ivr/press1.wav,group_confirm_timeout=12"


def test_a_confirming_bridge_outlasts_its_step_by_the_confirmation_time():
    """A callee who answers in the step's last second still has the time to press 1:
    FreeSWITCH's originate_timeout would otherwise cut them off mid-prompt."""
    assert dialstring.bridge_prefix(20, True, confirm=12) == "{originate_timeout=33,ignore_early_media=true}"
    assert dialstring.bridge_prefix(20, True) == "{originate_timeout=21,ignore_early_media=true}"


@pytest.mark.parametrize("dial, endpoint", [
    ("[leg_timeout=20]user/a@d", "user/a@d"),
    ("user/a@d", "user/a@d"),
    ("[leg_timeout=15,leg_delay_start=5,sip_h_Diversion=<tel:+7495>]sofia/gateway/trunk/+7916", "sofia/gateway/trunk/+7916"),
])
def test_endpoint_of_a_leg(dial, endpoint):
    assert dialstring.endpoint_of(dial) == endpoint

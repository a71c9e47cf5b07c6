"""«Устройства», as the help page puts it (routing.devices).

«Офис»: the desk phone and the softphone ring together.  «Мобильный»: only the
mobile.  «Все»: the office devices first, the mobile joins `mobile_delay` seconds
later.  *21 sends calls to the mobile instead.
(Whole direct calls with their dial strings: test_employee.py.)
"""
import pytest

from routing.devices import MOBILE, OFFICE, Timing, devices_to_ring, timings

REGISTERED, NOT_REGISTERED = True, False


@pytest.mark.parametrize("setting, has_mobile, registered, expected", [
    # «Офис»: every registration of the login rings; none registered, nothing rings.
    ("office", True, REGISTERED, ((OFFICE, 0),)),
    ("office", True, NOT_REGISTERED, ()),
    # «Мобильный»: the mobile, registered or not; no mobile number, nothing.
    ("mobile", True, NOT_REGISTERED, ((MOBILE, 0),)),
    ("mobile", False, REGISTERED, ()),
    # «Все»: the mobile joins after its delay ...
    ("all", True, REGISTERED, ((OFFICE, 0), (MOBILE, 15))),
    # ... or at once when no office device is registered (FreeSWITCH starts it then anyway);
    ("all", True, NOT_REGISTERED, ((MOBILE, 0),)),
    # without a mobile number, «Все» is «Офис».
    ("all", False, REGISTERED, ((OFFICE, 0),)),
    ("all", False, NOT_REGISTERED, ()),
])
def test_which_devices_ring(setting, has_mobile, registered, expected):
    assert devices_to_ring(setting, 15, has_mobile, registered, forwarded_to_mobile=False) == expected


@pytest.mark.parametrize("setting", ["office", "mobile", "all"])
@pytest.mark.parametrize("registered", [REGISTERED, NOT_REGISTERED])
def test_forward_to_mobile_rings_only_the_mobile_at_once(setting, registered):
    assert devices_to_ring(setting, 15, True, registered, forwarded_to_mobile=True) == ((MOBILE, 0),)


def test_forward_to_mobile_without_a_mobile_changes_nothing():
    assert devices_to_ring("office", 15, False, REGISTERED, forwarded_to_mobile=True) == ((OFFICE, 0),)


def test_every_device_rings_until_the_turn_ends():
    """A direct call's turn is the whole no-answer wait: 0 to 20 s."""
    assert timings(((OFFICE, 0), (MOBILE, 5)), 0, 20) == [Timing(OFFICE, 0, 20), Timing(MOBILE, 5, 15)]


def test_a_mobile_delay_beyond_the_wait_never_rings_the_mobile():
    assert timings(((OFFICE, 0), (MOBILE, 20)), 0, 20) == [Timing(OFFICE, 0, 20)]


def test_in_a_department_the_delay_counts_from_the_members_turn():
    """A sequential department's second member rings from 10 to 20 s."""
    assert timings(((OFFICE, 0), (MOBILE, 5)), 10, 20) == [Timing(OFFICE, 10, 10), Timing(MOBILE, 15, 5)]

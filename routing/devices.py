"""Which of a person's devices ring, and when, relative to the start of their turn.

Rules, in order:
- `*21` (forward to mobile) makes the devices `mobile`, when the person has one;
- an office leg rings only when the login has a registration: FreeSWITCH would fail
  `user/LOGIN@DOMAIN` at once with USER_NOT_REGISTERED anyway;
- with `all`, the mobile joins `mobile_delay` seconds after the office devices;
  when the office leg is dropped the mobile rings at 0 s, which is also what
  FreeSWITCH does when every started leg has failed.

The answers are shared constant tuples (a person's own `both` for office + mobile),
so a department call allocates nothing per member here, and `FORWARDED` tells by
identity that the forward-to-mobile override applied.
"""
from __future__ import annotations

from routing.index import Person
from routing.types import Overrides, Presence

OFFICE = "office"
MOBILE = "mobile"

Devices = tuple[tuple[str, int], ...]        # (office|mobile, delay in seconds)

OFFICE_ONLY: Devices = ((OFFICE, 0),)
MOBILE_ONLY: Devices = ((MOBILE, 0),)
FORWARDED: Devices = ((MOBILE, 0),)           # equal to MOBILE_ONLY, told apart by identity
NOTHING: Devices = ()


def devices_for(person: Person, presence: Presence, overrides: Overrides) -> Devices:
    """The devices that ring now; NOTHING when none can."""
    mobile = person.mobile is not None
    if mobile and overrides.forward_to_mobile(person.login):
        return FORWARDED
    devices = person.devices
    office = devices != MOBILE and presence.is_registered(person.login)
    if devices == OFFICE or not mobile:
        return OFFICE_ONLY if office else NOTHING
    if office:
        return person.both
    return MOBILE_ONLY

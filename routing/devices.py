"""Which of a person's devices ring, and when, relative to the start of their turn.

Rules, in order:
- `*21` (forward to mobile) makes the devices `mobile`, when the person has one;
- an office leg rings only when the login has a registration: FreeSWITCH would fail
  `user/LOGIN@DOMAIN` at once with USER_NOT_REGISTERED anyway;
- with `all`, the mobile joins `mobile_delay` seconds after the office devices;
  when the office leg is dropped the mobile rings at 0 s, which is also what
  FreeSWITCH does when every started leg has failed.

What the file says is worked out with the snapshot: the devices when the login is
registered and when it is not (`rule_for`), and which live-view questions can
change anything (`kind_of`); a call then asks at most two per person, and notes
the answer as a variant, a small int (`turn_for`) that names the devices
(`turn_devices`): a department call allocates nothing per member, and a variant is
part of the key under which a person's legs are kept (routing.legs).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Optional

from routing.types import Overrides, Presence

if TYPE_CHECKING:
    from routing.index import Person

OFFICE = "office"
MOBILE = "mobile"

Devices = tuple[tuple[str, int], ...]        # (office|mobile, delay in seconds)

OFFICE_ONLY: Devices = ((OFFICE, 0),)
MOBILE_ONLY: Devices = ((MOBILE, 0),)
FORWARDED: Devices = ((MOBILE, 0),)           # equal to MOBILE_ONLY, told apart by identity
NOTHING: Devices = ()

# What a person's devices need from the live views, as a small int (see `kind_of`).
RING_MOBILE = 0          # only the mobile: registration is not asked (nor *21: it changes nothing)
RING_OFFICE = 1          # only the office devices, no mobile: nothing when not registered
RING_OFFICE_OR_MOBILE = 2    # only the office devices, and a mobile that *21 can forward to
RING_ALL = 3             # office devices and mobile; only the mobile when not registered
RING_NOTHING = 4         # a mobile device without a mobile number (config checks refuse it)

# A call notes which devices a person rings with as a variant (a small int).
REGISTERED_TURN, UNREGISTERED_TURN, FORWARDED_TURN = range(3)
VARIANTS = 3


class DeviceRule(NamedTuple):
    """A person's devices as the file sets them, for both answers of the registration check."""
    registered: Devices                       # when the login has a registration (or it does not matter)
    unregistered: Devices                     # when it has none
    checks_registration: bool                 # False: only a mobile rings, registration is not asked


def rule_for(devices: str, has_mobile: bool, mobile_delay: int) -> DeviceRule:
    """`devices` is office | mobile | all; a mobile device needs a mobile number."""
    if devices == MOBILE:
        only = MOBILE_ONLY if has_mobile else NOTHING
        return DeviceRule(only, only, False)
    if devices == OFFICE or not has_mobile:
        return DeviceRule(OFFICE_ONLY, NOTHING, True)
    return DeviceRule(((OFFICE, 0), (MOBILE, mobile_delay)), MOBILE_ONLY, True)


def kind_of(rule: DeviceRule, has_mobile: bool) -> int:
    """RING_MOBILE …: which questions to the live views can change what rings."""
    if not rule.checks_registration:
        return RING_MOBILE if rule.registered else RING_NOTHING
    if rule.unregistered:
        return RING_ALL
    return RING_OFFICE_OR_MOBILE if has_mobile else RING_OFFICE


def mobile_variants(rule: DeviceRule, has_mobile: bool) -> int:
    """Bit v set when variant v (REGISTERED_TURN …) rings a mobile: the variants whose
    legs depend on the mobile legs' variables."""
    mask = 1 << FORWARDED_TURN if has_mobile else 0
    for variant, devices in ((REGISTERED_TURN, rule.registered), (UNREGISTERED_TURN, rule.unregistered)):
        if any(device == MOBILE for device, _ in devices):
            mask |= 1 << variant
    return mask


def turn_for(person: Person, presence: Presence, overrides: Overrides) -> Optional[int]:
    """Which of the person's device variants rings now (REGISTERED_TURN …); None: nothing can.
    (Walk._available has the same rule inlined.)"""
    login = person.login
    if person.mobile is not None and overrides.forward_to_mobile(login):
        return FORWARDED_TURN
    kind = person.kind
    if kind == RING_NOTHING:
        return None
    if kind == RING_MOBILE or presence.is_registered(login):
        return REGISTERED_TURN
    return UNREGISTERED_TURN if kind == RING_ALL else None


def turn_devices(person: Person, variant: int) -> Devices:
    """The devices a variant (REGISTERED_TURN …) rings."""
    if variant == FORWARDED_TURN:
        return FORWARDED
    return person.rule.unregistered if variant == UNREGISTERED_TURN else person.rule.registered

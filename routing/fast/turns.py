"""routing.devices' rule, worked out per person with the snapshot, as small ints.

A call asks the live views at most two questions per person and notes the answer as
a turn variant (REGISTERED_TURN …), which names the devices (`turn_devices`); a
department call allocates nothing per member, and a variant is part of the key under
which a person's legs are kept (routing.fast.legs).  tests/routing/test_fast_layer.py
checks that this gives routing.devices' answers.
"""
from __future__ import annotations

from typing import Optional

from routing.devices import MOBILE, devices_to_ring
from routing.fast.entries import DeviceRule, Person
from routing.types import Overrides, Presence

# What a person's devices need from the live views (Person.setup).
MOBILE_ONLY = 0              # only the mobile: registration is not asked (nor *21: it changes nothing)
OFFICE_ONLY = 1              # only the office devices, no mobile: nothing when not registered
OFFICE_OR_FORWARD = 2        # only the office devices, and a mobile that *21 can forward to
OFFICE_THEN_MOBILE = 3       # office devices and mobile; only the mobile when not registered
NO_DEVICE = 4                # a mobile device without a mobile number (config checks refuse it)
SETUPS = (OFFICE_ONLY, MOBILE_ONLY, OFFICE_OR_FORWARD, OFFICE_THEN_MOBILE)   # the order of Group.setup_masks

REGISTERED_TURN, UNREGISTERED_TURN, FORWARDED_TURN = range(3)
VARIANTS = 3


def rule_for(devices: str, has_mobile: bool, mobile_delay: int) -> DeviceRule:
    """routing.devices' answers for every state of the live views."""
    def ring(registered: bool, forwarded: bool):
        return devices_to_ring(devices, mobile_delay, has_mobile, registered, forwarded)
    return DeviceRule(ring(True, False), ring(False, False), ring(True, True), devices != MOBILE)


def setup_of(rule: DeviceRule, has_mobile: bool) -> int:
    """Which questions to the live views can change what rings."""
    if not rule.checks_registration:
        return MOBILE_ONLY if rule.registered else NO_DEVICE
    if rule.unregistered:
        return OFFICE_THEN_MOBILE
    return OFFICE_OR_FORWARD if has_mobile else OFFICE_ONLY


def mobile_variants(rule: DeviceRule, has_mobile: bool) -> int:
    """Bit v set when variant v rings a mobile: the variants whose legs depend on the
    mobile legs' variables."""
    mask = 1 << FORWARDED_TURN if has_mobile else 0
    for variant, devices in ((REGISTERED_TURN, rule.registered), (UNREGISTERED_TURN, rule.unregistered)):
        if any(device == MOBILE for device, _ in devices):
            mask |= 1 << variant
    return mask


def turn_for(person: Person, presence: Presence, overrides: Overrides) -> Optional[int]:
    """Which of the person's variants rings now; None: nothing can."""
    login = person.login
    if person.mobile is not None and overrides.forward_to_mobile(login):
        return FORWARDED_TURN
    setup = person.setup
    if setup == NO_DEVICE:
        return None
    if setup == MOBILE_ONLY or presence.is_registered(login):
        return REGISTERED_TURN
    return UNREGISTERED_TURN if setup == OFFICE_THEN_MOBILE else None


def turn_devices(person: Person, variant: int):
    """The devices a variant rings."""
    if variant == FORWARDED_TURN:
        return person.rule.forwarded
    return person.rule.unregistered if variant == UNREGISTERED_TURN else person.rule.registered

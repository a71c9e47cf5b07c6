"""Simulated devices: employees' SIP phones (with registrations) and mobiles behind a gateway.

The directory answers one question for the bridge model — how does the device behind this
leg react — and keeps the registrations that ``sofia_contact``, ``show registrations`` and
``sofia status … reg`` report.  Targets nobody declared ring and never answer; with
``strict=True`` an unknown ``user/`` login fails at once with SUBSCRIBER_ABSENT, as a
FreeSWITCH directory miss does.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .dialstring import Leg
from .originate import Behaviour

#: How long a device takes to ring (180) and to refuse (486 / 503), in sim seconds.
RING_AFTER = 0.02
BUSY_AFTER = 0.04
GSM_BUSY_AFTER = 0.5


@dataclass
class Employee:
    """A user with a desk phone/softphone; ``answer_after=None`` never answers."""

    login: str
    registered: bool = True
    answer_after: float | None = None
    busy: bool = False
    contacts: int = 1


@dataclass
class Mobile:
    """A phone behind a gateway (or a plain SIP URI); unreachable fails at once (503)."""

    number: str
    answer_after: float | None = None
    busy: bool = False
    reachable: bool = True
    press_after: float | None = None     # answer confirmation: presses `key` this long after answering
    key: str = "1"


@dataclass
class Registration:
    login: str
    contact: str          # sip:ivan.petrov@127.0.0.1:5080
    call_id: str
    network_ip: str
    network_port: int
    expires_at: int       # epoch seconds
    user_agent: str = "fakeswitch-phone"

    def sofia_url(self, profile: str = "internal") -> str:
        return f"sofia/{profile}/{self.contact}"


@dataclass
class Directory:
    domain: str
    strict: bool = False
    employees: dict[str, Employee] = field(default_factory=dict)
    mobiles: dict[str, Mobile] = field(default_factory=dict)
    sip_devices: dict[str, Mobile] = field(default_factory=dict)
    registrations: dict[str, list[Registration]] = field(default_factory=dict)

    def contacts(self, login: str) -> list[Registration]:
        return self.registrations.get(login, [])

    def behaviour(self, leg: Leg) -> Behaviour:
        endpoint = leg.endpoint
        if endpoint.kind == "user":
            return self._user(endpoint.target)
        if endpoint.kind == "gateway":
            return self._mobile(endpoint.target)
        if endpoint.kind == "error":
            return Behaviour(device="error", create_failure=endpoint.target or "DESTINATION_OUT_OF_ORDER")
        if endpoint.kind == "sofia":
            return self._device(self.sip_devices.get(endpoint.target), "sip", BUSY_AFTER)
        return Behaviour(device="unknown", create_failure="DESTINATION_OUT_OF_ORDER")

    def _user(self, login: str) -> Behaviour:
        employee = self.employees.get(login)
        if employee is None:
            if self.strict:
                return Behaviour(device="office", create_failure="SUBSCRIBER_ABSENT")
            return Behaviour(device="unknown", ring_after=RING_AFTER)
        if not self.contacts(login):
            return Behaviour(device="office", create_failure="USER_NOT_REGISTERED")
        if employee.busy:
            return Behaviour(device="office", reject="USER_BUSY", reject_after=BUSY_AFTER, ring_after=None)
        return Behaviour(device="office", answer_after=employee.answer_after, ring_after=RING_AFTER)

    def _mobile(self, number: str) -> Behaviour:
        return self._device(self.mobiles.get(number), "mobile", GSM_BUSY_AFTER)

    @staticmethod
    def _device(device: Mobile | None, kind: str, busy_after: float) -> Behaviour:
        if device is None:
            return Behaviour(device=kind, ring_after=RING_AFTER)
        if not device.reachable:
            return Behaviour(device=kind, reject="NORMAL_TEMPORARY_FAILURE", reject_after=0.0, ring_after=None)
        if device.busy:
            return Behaviour(device=kind, reject="USER_BUSY", reject_after=busy_after, ring_after=None)
        return Behaviour(device=kind, answer_after=device.answer_after, ring_after=RING_AFTER,
                         press_after=device.press_after, key=device.key)

"""An employee with `devices: all` whose desk phone is not registered: the mobile rings
at once, not after `mobile_delay` — whether the daemon knows it from the inbound ESL
link (it leaves the desk phone out) or FreeSWITCH finds out at the bridge
(USER_NOT_REGISTERED fails the office leg, and the delayed mobile leg starts at once).
"""
from __future__ import annotations

from tests.e2e.harness import rung, wait_until

IVAN_MOBILE = "+79161234567"


def test_presence_from_the_inbound_link_rings_the_mobile_at_once(h):
    h.sim.mobile(IVAN_MOBILE, answer_after=2)
    h.unregister("ivan.petrov")
    call = h.call("201")
    (bridge,) = call.bridges
    assert "user/ivan.petrov" not in bridge.dial_string             # the desk phone is left out
    assert [(leg.target, leg.start) for leg in bridge.legs] == [(IVAN_MOBILE, 0.0)]
    assert call.answered_by == IVAN_MOBILE
    assert h.record_of(call).answered_by == "ivan.petrov"


def test_user_not_registered_at_the_bridge_starts_the_mobile_at_once(h):
    """The link is down (everyone counts as available) while the desk phone unregisters."""
    h.sim.set_inbound_available(False)
    h.sim.drop_inbound()
    wait_until(lambda: not h.app.presence.connected, what="the inbound link to drop")
    h.sim.unregister("ivan.petrov")
    h.sim.mobile(IVAN_MOBILE, answer_after=2)
    call = h.call("201")
    (bridge,) = call.bridges
    office, mobile = bridge.legs
    assert (office.target, office.outcome, office.start) == ("ivan.petrov", "USER_NOT_REGISTERED", None)
    assert mobile.target == IVAN_MOBILE and mobile.start == 0.0      # not at mobile_delay (5 s)
    assert call.answered_by == IVAN_MOBILE
    assert h.record_of(call).answered_by == "ivan.petrov"


def test_nothing_registered_and_no_answer_still_forwards(h):
    """The mobile rings out the caller's wait; then the colleague gets the call."""
    h.unregister("ivan.petrov")
    h.employee("anna.smirnova", answer_after=1)
    call = h.call("201")
    assert rung(call) == [[IVAN_MOBILE], ["anna.smirnova"]]
    assert call.answered_by == "anna.smirnova"

"""FreeSWITCH drops the inbound ESL link and comes back.

While the link is down the daemon knows nothing current about registrations, so it
counts everyone as available (a desk phone it knew to be unregistered is dialled again,
and FreeSWITCH's USER_NOT_REGISTERED brings the mobile in at once); /readyz says 503.
It reconnects by itself, reloads the registrations and is ready again.
"""
from __future__ import annotations

from tests.e2e.harness import wait_until

IVAN_MOBILE = "+79161234567"


def dialled(call) -> list[str]:
    """Targets of every leg the daemon put in the first bridge's dial string."""
    return [leg.target for leg in call.bridges[0].legs]


def test_link_lost_then_back_presence_falls_back_and_readiness_follows(h):
    h.employee("ivan.petrov", registered=False)
    h.sim.mobile(IVAN_MOBILE, answer_after=2)
    reconnects = h.metric("callrouter_esl_reconnects_total")

    before = h.call("201")
    assert dialled(before) == [IVAN_MOBILE]                   # the unregistered desk phone is left out

    h.sim.set_inbound_available(False)                        # FreeSWITCH restarting: nothing listens
    h.sim.drop_inbound()
    wait_until(lambda: not h.app.presence.connected, what="the daemon to notice the lost link")
    assert h.http_get("/readyz") == (503, b"inbound ESL to FreeSWITCH not connected\n")
    assert h.metric("callrouter_esl_connected") == 0

    during = h.call("201")
    office, mobile = during.bridges[0].legs
    assert (office.target, office.outcome) == ("ivan.petrov", "USER_NOT_REGISTERED")    # counted as available
    assert mobile.target == IVAN_MOBILE and mobile.start < 1                             # FreeSWITCH pulls it in
    assert during.answered_by == IVAN_MOBILE

    h.sim.set_inbound_available(True)
    h.wait_ready()
    assert h.http_get("/readyz") == (200, b"ready\n")
    assert h.metric("callrouter_esl_connected") == 1
    assert h.metric("callrouter_esl_reconnects_total") > reconnects
    assert h.app.presence.is_registered("anna.smirnova")      # registrations loaded again on connect

    after = h.call("201")
    assert dialled(after) == [IVAN_MOBILE]
    assert [r.answered_by for r in h.history()] == ["ivan.petrov"] * 3

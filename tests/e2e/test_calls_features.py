"""Feature codes dialled from a desk phone change how later calls are routed."""
from __future__ import annotations

from tests.e2e.harness import rung


def test_do_not_disturb_code_then_calls_skip_the_phone(h):
    code = h.call("*78", caller="b.zaitsev")
    assert [name for name, _ in code.apps] == ["answer", "playback", "hangup"]   # the confirmation tone
    assert code.bridges == []
    h.employee("a.volkov", answer_after=1)
    h.employee("b.zaitsev", answer_after=1)

    direct = h.call("212")
    assert direct.bridges == [] and direct.answered_by is None     # b.zaitsev's phone stays silent,
    assert direct.hangup_cause == "USER_BUSY"                      # the caller hears busy (his no_answer)
    department = h.call("300")
    assert rung(department) == [["a.volkov"]]                      # the department rings the others

    records = {record.uuid: record for record in h.history()}
    assert records[code.uuid].outcome == "feature"
    assert records[direct.uuid].reason == "dnd"
    assert h.metric("callrouter_calls_total", kind="feature", outcome="feature") == 1


def test_do_not_disturb_off_rings_the_phone_again(h):
    h.call("*78", caller="b.zaitsev")
    h.call("*79", caller="b.zaitsev")
    h.employee("b.zaitsev", answer_after=1)
    assert h.call("212").answered_by == "b.zaitsev"


def test_a_code_from_outside_the_company_changes_nothing(h):
    refused = h.call("*78", caller="+74957654321")
    assert refused.hangup_cause == "CALL_REJECTED"
    h.employee("b.zaitsev", answer_after=1)
    assert h.call("212").answered_by == "b.zaitsev"

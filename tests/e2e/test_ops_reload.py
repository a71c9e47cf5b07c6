"""Config reload while calls are up: calls in progress keep their plan, new calls get the
new file; a file that does not load is refused, counted, and the old config keeps serving."""
from __future__ import annotations

import weakref

from sqlalchemy import select

from store.tables import employees
from tests.e2e.conftest import COMPANY
from tests.e2e.harness import rung, wait_until

IVAN_MOBILE = "+79161234567"
TO_ANNA = "no_answer: {after: 20, employee: anna.smirnova}"
# Ivan's unanswered calls ring long enough (60 sim-s = 0.6 s) for a reload to land meanwhile.
OLD = COMPANY.replace(TO_ANNA, "no_answer: {after: 60, employee: anna.smirnova}")
NEW = COMPANY.replace(TO_ANNA, "no_answer: {after: 60, employee: s.kuznetsov}")
BROKEN = COMPANY.replace("extension: 204", "extension: 112")      # an emergency number


def test_a_call_in_progress_keeps_its_plan_and_the_next_call_follows_the_new_file(make_harness):
    h = make_harness(OLD)
    h.employee("anna.smirnova", answer_after=1)
    h.employee("s.kuznetsov", answer_after=1)

    ringing = h.place("201")
    wait_until(lambda: ringing.bridges, what="Ivan's phones to ring")
    assert h.reload(NEW) is True
    assert len(ringing.bridges) == 1                           # still ringing Ivan: the next step is to come
    after = h.call("201")
    assert ringing.wait(5)

    assert rung(ringing) == [["ivan.petrov", IVAN_MOBILE], ["anna.smirnova"]]
    assert rung(after) == [["ivan.petrov", IVAN_MOBILE], ["s.kuznetsov"]]
    assert h.record_of(ringing).answered_by == "anna.smirnova"
    assert h.record_of(after).answered_by == "s.kuznetsov"
    assert h.metric("callrouter_config_reloads_total", result="ok") == 1


def test_a_broken_file_is_refused_counted_and_the_old_config_keeps_serving(h):
    h.employee("boris.ivanov", answer_after=1)
    assert h.reload(BROKEN) is False
    assert h.metric("callrouter_config_reloads_total", result="error") == 1
    assert h.metric("callrouter_config_reloads_total", result="ok") == 0

    call = h.call("204")                                       # Boris keeps his extension
    assert rung(call) == [["boris.ivanov"]] and call.answered_by == "boris.ivanov"
    assert h.record_of(call).target == "employee:boris.ivanov"
    assert h.app.snapshot.by_login["boris.ivanov"].extension == "204"


def test_the_replaced_config_is_freed_once_the_last_call_on_it_ends(make_harness):
    h = make_harness(OLD)
    h.employee("anna.smirnova", answer_after=1)
    ringing = h.place("201")
    wait_until(lambda: ringing.bridges, what="Ivan's phones to ring")
    replaced = weakref.ref(h.app.snapshot)

    assert h.reload(NEW) is True
    assert replaced() is not None                              # the call in progress still routes with it
    assert ringing.wait(5) and h.record_of(ringing).answered_by == "anna.smirnova"
    wait_until(lambda: replaced() is None, what="the replaced config to be freed")


def test_the_employee_table_follows_each_reload(h):
    moved = COMPANY.replace("extension: 204", "extension: 209")
    assert h.reload(moved) is True
    wait_until(lambda: extensions(h)["boris.ivanov"] == "209", what="the new extension in the table")

    assert h.reload(COMPANY) is True                           # only what changed since is written
    wait_until(lambda: extensions(h)["boris.ivanov"] == "204", what="the old extension back in the table")
    assert extensions(h)["anna.smirnova"] == "202"


def extensions(h) -> dict[str, str]:
    with h.app.store.store.engine.connect() as conn:
        return {row.login: row.extension for row in conn.execute(select(employees))}

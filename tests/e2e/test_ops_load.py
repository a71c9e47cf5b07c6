"""200 calls up at once: each rings the employee it was dialled for, none is lost, and
the store holds every call's record exactly once."""
from __future__ import annotations

from collections import Counter

from tests.e2e.harness import wait_until

CALLS = 200
FIRST_EXTENSION = 600

EMPLOYEE = """\
  - name: Сотрудник {n:03d}
    login: u{n:03d}
    extension: {extension}
"""


def company(size: int) -> str:
    """One employee per call: a login, an extension, and the default reception (office)."""
    employees = "".join(EMPLOYEE.format(n=n, extension=FIRST_EXTENSION + n) for n in range(size))
    return ("company:\n  name: ООО «Нагрузка»\n  domain: pbx.romashka.local\n  timezone: Europe/Moscow\n"
            "  extensions: 200-899\n\nemployees:\n" + employees)


def test_200_concurrent_calls_each_reach_their_employee_and_are_recorded_once(make_harness):
    logins = [f"u{n:03d}" for n in range(CALLS)]
    h = make_harness(company(CALLS), logins=())
    for n, login in enumerate(logins):
        h.sim.employee(login, answer_after=1 + n % 3)
    wait_until(lambda: all(h.app.presence.is_registered(login) for login in logins), what="every phone registered")

    calls = {login: h.place(str(FIRST_EXTENSION + n), caller=f"+7495{n:07d}", talk_time=None)
             for n, login in enumerate(logins)}
    wait_until(lambda: all(call.answered for call in calls.values()), timeout=20, what="every call answered")
    assert h.metric("callrouter_active_calls") == CALLS            # all of them up at the same time
    h.sim.hangup_all()
    for call in calls.values():
        assert call.wait(10)

    assert {login: call.answered_by for login, call in calls.items()} == {login: login for login in logins}
    assert not any(call.fell_back for call in calls.values())
    records = h.history(timeout=20)
    assert Counter(record.uuid for record in records) == Counter(call.uuid for call in calls.values())
    by_uuid = {record.uuid: record for record in records}
    for login, call in calls.items():
        record = by_uuid[call.uuid]
        assert (record.target, record.outcome, record.answered_by) == (f"employee:{login}", "answered", login)
    assert h.metric("callrouter_calls_total", kind="employee", outcome="answered") == CALLS

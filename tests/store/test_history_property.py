"""Property: whatever calls the store holds, `list_calls` (every page) returns exactly
the calls the scope rule, evaluated in plain Python on the records, gives each viewer."""
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete

from config.access import scope_for
from store.history import CallFilter, count_calls, list_calls
from store.tables import call_legs, call_parties, call_steps, calls
from tests.history_company import DEPARTMENTS, EMPLOYEES, SEES, call, company, view_of

LOGINS = [e[0] for e in EMPLOYEES]
EXTENSIONS = [e[1] for e in EMPLOYEES]
SNAPSHOT = company()

targets = st.one_of(st.sampled_from([f"employee:{login}" for login in LOGINS]),
                    st.sampled_from([f"department:{name}" for name, _, _ in DEPARTMENTS]))
steps = st.lists(st.tuples(targets, st.lists(st.sampled_from(LOGINS), max_size=3, unique=True)),
                 max_size=3)


@st.composite
def calls_(draw):
    out = []
    for n in range(draw(st.integers(0, 12))):
        direction = draw(st.sampled_from(["inbound", "internal", "outbound"]))
        caller = draw(st.sampled_from(EXTENSIONS)) if direction != "inbound" else "+74951234567"
        path = draw(steps)
        answered_at = draw(st.integers(-1, len(path) - 1))
        built = [(target, tuple(rung), draw(st.sampled_from(rung or LOGINS)) if i == answered_at else "")
                 for i, (target, rung) in enumerate(path)]
        out.append(call(f"c{n}", draw(st.integers(0, 5)), caller=caller, direction=direction, steps=built))
    return out


def paged(store, scope):
    seen, cursor = [], None
    while True:
        rows, cursor = list_calls(store, scope, CallFilter(), limit=3, cursor=cursor)
        seen += [r.uuid for r in rows]
        if cursor is None:
            return seen


@pytest.mark.parametrize("login", sorted(SEES))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=calls_())
def test_list_calls_never_leaves_the_scope_rule(store, login, records):
    with store.engine.begin() as conn:
        for table in (call_parties, call_legs, call_steps, calls):
            conn.execute(delete(table))
    store.sync_directory(SNAPSHOT)
    store.write_records(records)
    scope = scope_for(login, SNAPSHOT)
    expected = {r.uuid for r in records if scope.covers(view_of(r, SNAPSHOT))}
    listed = paged(store, scope)
    assert len(listed) == len(set(listed))
    assert set(listed) == expected
    assert count_calls(store, scope) == len(expected)

"""The scope rule of «Личный кабинет» as a pure function: role × scope × rights (issue 10)."""
import pytest

from config.access import COMPANY, DEPARTMENTS, MINE, CallView, scope_for
from tests.history_company import CALLS, SEES, company, view_of

SNAPSHOT = company()


@pytest.mark.parametrize("login, kind, internal, departments, logins", [
    ("boss", COMPANY, True, set(), set()),
    ("ivan", DEPARTMENTS, True, {"Продажи"}, {"ivan", "petr"}),
    ("hc", COMPANY, True, set(), set()),
    ("petr", DEPARTMENTS, False, {"Продажи"}, {"ivan", "petr"}),
    ("pc", COMPANY, False, set(), set()),
    ("olga", DEPARTMENTS, False, {"Поддержка"}, {"olga", "maria", "nina", "hc", "pc"}),
    ("maria", MINE, False, set(), {"maria"}),
    ("loner", MINE, False, set(), {"loner"}),
])
def test_each_role_and_scope_gets_its_calls(login, kind, internal, departments, logins):
    scope = scope_for(login, SNAPSHOT)
    assert (scope.viewer, scope.kind, scope.internal) == (login, kind, internal)
    assert (set(scope.departments), set(scope.logins)) == (departments, logins)


@pytest.mark.parametrize("login", sorted(SEES))
def test_the_rule_matches_the_table_of_the_issue_call_by_call(login):
    scope = scope_for(login, SNAPSHOT)
    assert {c.uuid for c in CALLS if scope.covers(view_of(c, SNAPSHOT))} == SEES[login]


@pytest.mark.parametrize("login, export, listen", [
    ("boss", True, True), ("ivan", True, True), ("petr", True, True), ("maria", False, True),
    ("nina", True, False), ("pc", False, True),
])
def test_rights_follow_the_two_limits(login, export, listen):
    scope = scope_for(login, SNAPSHOT)
    assert (scope.can_export, scope.can_listen) == (export, listen)


def test_an_admin_keeps_every_right_whatever_the_limits_say():
    file = SNAPSHOT.file.model_copy(update={"employees": tuple(
        e.model_copy(update={"can_download_history": False, "can_listen_recordings": False})
        if e.login == "boss" else e for e in SNAPSHOT.file.employees)})
    from config.snapshot import Snapshot
    scope = scope_for("boss", Snapshot.build(file))
    assert (scope.can_export, scope.can_listen) == (True, True)


def test_filters_offered_follow_the_scope():
    admin, head, restricted = (scope_for(login, SNAPSHOT) for login in ("boss", "ivan", "maria"))
    assert admin.can_filter_employee and admin.allows_employee("olga") and admin.allows_department("Поддержка")
    assert head.allows_employee("petr") and not head.allows_employee("olga")
    assert head.allows_department("Продажи") and not head.allows_department("Поддержка")
    assert not restricted.can_filter_employee and not restricted.can_filter_department


def test_an_unknown_or_removed_employee_has_no_scope():
    assert scope_for("nobody", SNAPSHOT) is None


def test_a_scope_is_a_value():
    assert scope_for("ivan", SNAPSHOT) == scope_for("ivan", company())
    with pytest.raises(AttributeError):
        scope_for("ivan", SNAPSHOT).kind = COMPANY


def test_a_call_that_only_rang_a_member_for_another_department_is_not_the_departments():
    call = CallView(internal=False, departments=frozenset({"Поддержка"}), rung=frozenset({"petr"}))
    assert not scope_for("ivan", SNAPSHOT).covers(call)
    assert scope_for("olga", SNAPSHOT).covers(call)

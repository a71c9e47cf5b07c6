from sqlalchemy import select

from store.directory import SyncResult
from store.tables import departments, employees
from tests.store.builders import record, snapshot

IVAN = ("ivan.petrov", "Иван Петров", "201", {"department": "Продажи", "email": "ivan@example.com"})
ANNA = ("anna.smirnova", "Анна Смирнова", "202")
SALES = ("Продажи", "500", ["ivan.petrov"])


def rows(store, table, key):
    with store.engine.connect() as conn:
        return {row[key]: dict(row) for row in conn.execute(select(table)).mappings()}


def test_the_config_is_mirrored_on_first_load(store):
    result = store.sync_directory(snapshot([IVAN, ANNA], [SALES]))

    assert result == SyncResult(added=3)
    people = rows(store, employees, "login")
    assert people["ivan.petrov"]["name"] == "Иван Петров"
    assert people["ivan.petrov"]["department"] == "Продажи"
    assert people["anna.smirnova"]["active"]
    assert rows(store, departments, "name")["Продажи"]["extension"] == "500"


def test_a_reload_updates_only_what_changed(store):
    store.sync_directory(snapshot([IVAN, ANNA], [SALES]))
    moved = ("anna.smirnova", "Анна Смирнова", "209")

    assert store.sync_directory(snapshot([IVAN, moved], [SALES])) == SyncResult(updated=1)
    assert rows(store, employees, "login")["anna.smirnova"]["extension"] == "209"
    assert store.sync_directory(snapshot([IVAN, moved], [SALES])) == SyncResult()


def test_a_removed_employee_with_history_stays_inactive_and_comes_back_when_re_added(store):
    store.sync_directory(snapshot([IVAN, ANNA], [SALES]))
    store.write_records([record("call-1")])

    assert store.sync_directory(snapshot([ANNA])) == SyncResult(deactivated=2)
    people = rows(store, employees, "login")
    assert not people["ivan.petrov"]["active"] and people["ivan.petrov"]["name"] == "Иван Петров"
    assert not rows(store, departments, "name")["Продажи"]["active"]
    assert [r.answered_by for r in store.history()] == ["ivan.petrov"]

    store.sync_directory(snapshot([IVAN, ANNA], [SALES]))
    assert rows(store, employees, "login")["ivan.petrov"]["active"]

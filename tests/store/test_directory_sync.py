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


def test_after_a_reload_only_the_entries_that_changed_are_written(store):
    first = snapshot([IVAN, ANNA], [SALES])
    store.sync_directory(first)
    moved = ("anna.smirnova", "Анна Смирнова", "209")
    second = snapshot([IVAN, moved], [SALES])

    result = store.sync_directory(second, previous=first)

    assert result == SyncResult(updated=1)       # Ivan is rebuilt (a new object) but unchanged: nothing written
    assert rows(store, employees, "login")["anna.smirnova"]["extension"] == "209"
    assert store.sync_directory(second, previous=second) == SyncResult()


def test_after_a_reload_the_removed_are_deactivated_and_the_re_added_come_back(store):
    both = snapshot([IVAN, ANNA], [SALES])
    store.sync_directory(both)
    anna_alone = snapshot([ANNA])

    assert store.sync_directory(anna_alone, previous=both) == SyncResult(deactivated=2)
    assert not rows(store, employees, "login")["ivan.petrov"]["active"]

    assert store.sync_directory(both, previous=anna_alone) == SyncResult(updated=2)
    assert rows(store, employees, "login")["ivan.petrov"]["active"]
    assert rows(store, departments, "name")["Продажи"]["active"]


def test_a_large_change_is_synced_whole(store, monkeypatch):
    monkeypatch.setattr("store.directory.MAX_DELTA_KEYS", 1)
    ghost = ("ghost", "Призрак", "299")
    store.sync_directory(snapshot([IVAN, ghost], [SALES]))     # the tables hold more than `previous` says

    result = store.sync_directory(snapshot([IVAN, ANNA], [SALES]), previous=snapshot([IVAN], [SALES]))

    assert result == SyncResult(added=1, deactivated=1)        # the whole table was read: the ghost goes too
    assert not rows(store, employees, "login")["ghost"]["active"]

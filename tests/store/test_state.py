"""Overrides and rotation as the call path sees them, on one node and across two."""
import datetime as dt

import gevent
import pytest

from routing import plan
from routing.types import Call
from store.state import StoreState
from tests.store.builders import snapshot
from tests.store.conftest import T0, open_store
from tests.waiting import wait_until


@pytest.fixture
def nodes(store):
    """Two daemons' views of one database, refreshing every 20 ms."""
    other = open_store(store.engine.url)
    views = [StoreState(s, refresh_interval=0.02, retry_max=0.05).start() for s in (store, other)]
    yield views
    for view in views:
        view.stop()
    other.close()


def test_routing_follows_the_shared_state(nodes):
    a, b = nodes
    company = snapshot([("ivan.petrov", "Иван Петров", "201"), ("anna.smirnova", "Анна Смирнова", "202")],
                       [("Продажи", "500", ["ivan.petrov", "anna.smirnova"], {"strategy": "round_robin"})])

    def first_rung(view):
        ring = plan(Call(destination="500", uuid="c-1"), company, T0, rotation=view, overrides=view).steps[0]
        return ring.legs[0].login

    assert first_rung(b) == "ivan.petrov"
    a.advance_round_robin("Продажи")
    wait_until(lambda: first_rung(b) == "anna.smirnova", what="the next call to start one member further")

    a.set_override("ivan.petrov", "dnd", True)
    wait_until(lambda: plan(Call(destination="201"), company, T0, rotation=b, overrides=b).reason == "dnd",
               what="a direct call to follow do not disturb")


def test_a_feature_code_applies_at_once_here_and_within_a_refresh_on_the_other_node(nodes):
    a, b = nodes
    a.set_override("ivan.petrov", "dnd", True)
    assert a.dnd("ivan.petrov") and not a.forward_to_mobile("ivan.petrov")

    wait_until(lambda: b.dnd("ivan.petrov"), what="the other node to see *78")
    a.set_override("ivan.petrov", "dnd", False)
    wait_until(lambda: not b.dnd("ivan.petrov"), what="the other node to see *79")


def test_round_robin_advances_made_on_both_nodes_add_up(nodes):
    a, b = nodes
    a.advance_round_robin("Продажи")
    a.advance_round_robin("Продажи")
    b.advance_round_robin("Продажи")
    assert a.round_robin_start("Продажи") == 2 and b.round_robin_start("Продажи") == 1

    wait_until(lambda: a.round_robin_start("Продажи") == b.round_robin_start("Продажи") == 3,
               what="both nodes to agree on the pointer")
    assert a.round_robin_start("Поддержка") == 0


def test_last_answered_only_moves_forward_whatever_order_nodes_report_in(nodes):
    a, b = nodes
    later, earlier = T0 + dt.timedelta(minutes=5), T0
    a.answered("anna.smirnova", "Продажи", later)
    b.answered("anna.smirnova", "Продажи", earlier)
    assert b.last_answered("anna.smirnova") == earlier

    wait_until(lambda: a.last_answered("anna.smirnova") == b.last_answered("anna.smirnova") == later,
               what="the latest answer to win on both nodes")
    assert a.last_answered("ivan.petrov") is None


def test_overrides_survive_a_restart(store):
    first = StoreState(store).start()
    first.set_override("ivan.petrov", "forward_to_mobile", True)
    first.stop()

    second = StoreState(store).start()
    assert second.forward_to_mobile("ivan.petrov")
    assert store.overrides()["ivan.petrov"].describe() == "forward to mobile"
    second.stop()


def test_changes_made_while_the_database_is_down_apply_locally_and_are_written_when_it_is_back(flaky):
    store = open_store(flaky.url)
    store.upgrade()
    view = StoreState(store, refresh_interval=0.02, retry_max=0.05).start()
    flaky.down()

    view.set_override("ivan.petrov", "dnd", True)
    view.advance_round_robin("Продажи")
    assert view.dnd("ivan.petrov") and view.round_robin_start("Продажи") == 1

    flaky.up()
    wait_until(lambda: store.overrides().get("ivan.petrov") is not None, what="the override to reach the database")
    wait_until(lambda: store.round_robin() == {"Продажи": 1}, what="the pointer to reach the database")
    assert view.dnd("ivan.petrov") and view.round_robin_start("Продажи") == 1
    view.stop()
    store.close()


def test_a_change_made_by_the_cli_reaches_a_running_daemon(nodes, store):
    a, _ = nodes
    store.set_override("anna.smirnova", "forward_to_mobile", True)
    # Not the next refresh: one already reading when the CLI wrote may not see it yet.
    wait_until(lambda: a.forward_to_mobile("anna.smirnova"), what="the daemon to see the CLI's change")


def test_answers_of_a_burst_of_calls_reach_the_database_in_one_transaction(store):
    transactions = []
    apply_runtime = store.apply_runtime
    store.apply_runtime = lambda changes: transactions.append(len(changes.answered)) or apply_runtime(changes)
    view = StoreState(store, refresh_interval=60, gather=5).start()

    logins = [f"user{i}" for i in range(10)]
    for n, login in enumerate(logins):
        gevent.sleep(0.001)                         # a call ends every millisecond
        view.answered(login, None, T0 + dt.timedelta(seconds=n))
        assert view.last_answered(login) == T0 + dt.timedelta(seconds=n)     # routing sees it at once
    view.stop()                                     # cuts the gathering short

    assert transactions == [10]
    assert sorted(store.last_answered()) == logins


def test_listeners_are_told_of_overrides_changed_here_and_on_the_other_node(nodes):
    a, b = nodes
    told: list = []
    b.listeners.append(told.append)
    b.set_override("anna.smirnova", "forward_to_mobile", True)
    assert told == ["anna.smirnova"]
    a.set_override("ivan.petrov", "dnd", True)
    wait_until(lambda: "ivan.petrov" in told, what="the other node's *78 to be told")
    assert set(told) == {"anna.smirnova", "ivan.petrov"}

"""Department strategies, as the help page puts them (routing.strategies).

«Одновременно»: all at once.  «По очереди»: one after another, each for the member
timeout.  «Каскад»: the next joins every member timeout, the earlier ones keep
ringing.  «По кругу»: one after another, each call starting one member further.
«Дольше всех без звонка»: one after another, longest without an answered call first.
The caller waits at most the department's timeout in all.
(Whole department calls with their dial strings: test_department.py.)
"""
import datetime as dt

import pytest

from routing.fast.index import members_needed
from routing.strategies import idle_order, ring_order, round_robin, turns, windows
from tests.routing.builders import MSK

NINE = dt.datetime(2026, 12, 15, 9, 0, tzinfo=MSK)


def test_simultaneous_rings_everyone_for_the_whole_wait():
    assert turns("simultaneous", ["a", "b", "c"], 3, 10, 25) == [("a", (0, 25)), ("b", (0, 25)), ("c", (0, 25))]


def test_sequential_rings_one_after_another_and_the_previous_one_stops():
    assert turns("sequential", ["a", "b", "c"], 3, 10, 25) == [("a", (0, 10)), ("b", (10, 20)), ("c", (20, 25))]


def test_cascade_adds_the_next_member_every_slot_and_keeps_the_earlier_ones_ringing():
    assert turns("cascade", ["a", "b", "c"], 3, 10, 25) == [("a", (0, 25)), ("b", (10, 25)), ("c", (20, 25))]


def test_members_whose_turn_would_start_after_the_wait_are_not_rung():
    assert turns("sequential", ["a", "b", "c", "d"], 4, 10, 25) == [("a", (0, 10)), ("b", (10, 20)),
                                                                     ("c", (20, 25))]


def test_windows_depend_on_the_department_not_on_who_is_available():
    """Two of five available in a sequential department: they take the first two slots."""
    assert turns("sequential", ["b", "e"], 5, 10, 60) == [("b", (0, 10)), ("e", (10, 20))]


def test_round_robin_starts_one_member_further_each_call():
    assert [ring_order("round_robin", ["a", "b", "c"], start, []) for start in range(4)] == [
        ["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"], ["a", "b", "c"]]


def test_round_robin_counts_the_available_members_only():
    assert ring_order("round_robin", ["a", "c"], 3, []) == ["c", "a"]


def test_longest_idle_rings_the_never_answered_first_then_the_longest_without_a_call():
    last = [NINE, None, NINE - dt.timedelta(hours=1)]
    assert ring_order("longest_idle", ["a", "b", "c"], 0, last) == ["b", "c", "a"]


@pytest.mark.parametrize("strategy", ["simultaneous", "sequential", "cascade"])
def test_the_other_strategies_keep_the_department_order(strategy):
    assert ring_order(strategy, ["c", "a", "b"], 7, []) == ["c", "a", "b"]


@pytest.mark.parametrize("strategy, count, slot, total, expected", [
    ("simultaneous", 3, 10, 25, [(0, 25)] * 3),
    ("sequential", 3, 10, 25, [(0, 10), (10, 20), (20, 25)]),
    ("round_robin", 4, 10, 25, [(0, 10), (10, 20), (20, 25)]),
    ("longest_idle", 2, 15, 60, [(0, 15), (15, 30)]),
    ("cascade", 4, 10, 25, [(0, 25), (10, 25), (20, 25)]),
    ("sequential", 0, 10, 25, []),
])
def test_windows(strategy, count, slot, total, expected):
    assert windows(strategy, count, slot, total) == expected


@pytest.mark.parametrize("strategy, expected", [
    ("sequential", 3), ("cascade", 3), ("simultaneous", 20), ("round_robin", 20), ("longest_idle", 20)])
def test_members_needed(strategy, expected):
    assert members_needed(strategy, 20, 10, 25) == expected


def test_rotation_helpers():
    assert round_robin([], 3) == []
    assert round_robin(["a", "b", "c"], 5) == ["c", "a", "b"]
    naive = dt.datetime(2026, 12, 15, 6, 0)                       # the store may keep UTC without a zone
    aware = dt.datetime(2026, 12, 15, 10, 0, tzinfo=MSK)         # 07:00 UTC
    assert idle_order(["a", "b", "c"], [aware, naive, None]) == ["c", "b", "a"]


def test_longest_idle_ties_keep_the_department_order_whatever_the_zone():
    utc = dt.datetime(2026, 12, 15, 7, 0, tzinfo=dt.timezone.utc)
    same = {"a": utc, "b": utc.astimezone(MSK), "c": utc.replace(tzinfo=None), "d": utc - dt.timedelta(microseconds=1)}
    assert idle_order(["a", "b", "c", "d", "e"], [same.get(m) for m in "abcde"]) == ["e", "d", "a", "b", "c"]
    assert idle_order(["c", "b", "a"], [same.get(m) for m in "cba"]) == ["c", "b", "a"]



"""The speed layer's per-snapshot index: built once, replaced with the snapshot, memo bounded."""
import gc

from routing.fast.index import INDEXES, index_for
from routing.fast.memo import Memo
from tests.routing.builders import call, company, employee, rung


def test_one_index_per_snapshot_and_a_reload_gets_a_new_one():
    old = company([employee("ivan", "201")])
    new = company([employee("ivan", "201", devices="mobile", mobile="+79161234567")])
    assert index_for(old) is index_for(old)
    assert index_for(new) is not index_for(old)
    assert rung(call(old, "201")) == [("ivan", "office", 0, 120)]
    assert rung(call(new, "201")) == [("ivan", "mobile", 0, 120)]


def test_the_index_goes_away_with_its_snapshot():
    snapshot = company([employee("ivan", "201")])
    index_for(snapshot)
    key = id(snapshot)
    assert key in INDEXES._by_snapshot
    del snapshot
    gc.collect()
    assert key not in INDEXES._by_snapshot


def test_the_memo_is_bounded_and_forgets_the_oldest_first():
    memo = Memo(limit=16)
    for i in range(100):
        assert memo.put(i, str(i)) == str(i)
        assert len(memo) <= 16
    assert memo.get(99) == "99" and memo.get(85) == "85"
    assert memo.get(0) is None


def test_repeated_calls_give_equal_plans():
    snapshot = company([employee("ivan", "201", devices="all", mobile="+79161234567", mobile_delay=5)])
    assert call(snapshot, "201") == call(snapshot, "201")
    assert call(snapshot, "201", caller="+79990001122") != call(snapshot, "201")

"""The daemon's heap policy: old snapshots freed off the call path, collections kept short."""
from __future__ import annotations

import gc
import sys
import weakref

import gevent
import pytest

from config.loader import ConfigError, load
from daemon import heap
from daemon.config_reload import ConfigHolder
from daemon.metrics import Metrics
from tests.waiting import Counted, wait_until

GOOD = "company:\n  name: Example\n  domain: example.com\nemployees:\n  - name: Anna Smirnova\n    extension: 201\n"
GAP = 0.0123                                  # the pause between two slices, told apart from polls


class Node:
    """Something weak-referenceable to build object graphs from."""

    def __init__(self, *children):
        self.children = list(children)


def tree(width: int, depth: int) -> Node:
    if depth == 0:
        return Node()
    return Node(*(tree(width, depth - 1) for _ in range(width)))


def every_node(root: Node) -> list[weakref.ref]:
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        found.append(weakref.ref(node))
        stack.extend(child for child in node.children if isinstance(child, Node))
    return found


@pytest.fixture(autouse=True)
def unfrozen():
    """Leave the test process's heap as it was found."""
    yield
    gc.unfreeze()


@pytest.fixture
def retirement():
    slices = []
    polls = Counted(lambda: None)

    def sleep(seconds: float) -> None:
        if seconds == GAP:
            slices.append(seconds)
        else:
            polls()
        gevent.sleep(0)

    r = heap.Retirement(poll=0.001, budget=0.0, gap=GAP, sleep=sleep)
    r.slices, r.polls = slices, polls
    yield r
    r.stop()


def test_a_retired_graph_waits_for_its_last_user_then_is_freed_whole(retirement):
    old = tree(4, 4)
    nodes = every_node(old)
    call_in_progress = old                     # a call still routing with the old snapshot
    retirement.retire(old)
    del old
    retirement.polls.wait_for_more(5)          # it looked five times, and saw the call still holding it
    assert all(ref() is not None for ref in nodes) and retirement.pending == 1

    del call_in_progress
    wait_until(lambda: retirement.pending == 0)
    assert all(ref() is None for ref in nodes)
    assert len(retirement.slices) > 1          # taken apart over several idle moments, not in one go


def test_what_the_new_snapshot_shares_is_left_untouched(retirement):
    shared = {"anna": [1, 2, 3]}
    old, new = Node(shared, tree(2, 2)), Node(shared)
    retirement.retire(old)
    del old
    wait_until(lambda: retirement.pending == 0)
    assert new.children[0] is shared and shared == {"anna": [1, 2, 3]}


def test_the_parts_that_go_with_a_snapshot_go_after_it(retirement):
    old, index = Node(), tree(4, 4)
    index_nodes = every_node(index)
    registry = {id(old): index}                # routing keeps its index per snapshot, until the snapshot dies
    weakref.finalize(old, registry.pop, id(old))
    retirement.retire(old, index)
    del old, index
    wait_until(lambda: retirement.pending == 0)
    assert registry == {} and all(ref() is None for ref in index_nodes)
    assert len(retirement.slices) > 1          # the index too is taken apart, not freed with the snapshot


def test_a_compaction_frees_garbage_cycles_and_freezes_what_lives():
    cycle = Node()
    cycle.children.append(cycle)
    gone = weakref.ref(cycle)
    del cycle
    alive = Node()
    frozen_before = gc.get_freeze_count()

    heap.Compactor().compact()

    assert gone() is None                              # collected, not frozen forever
    assert gc.get_freeze_count() > frozen_before
    assert not any(o is alive for o in gc.get_objects())   # out of the collector's walks from now on


def test_no_compaction_while_a_store_call_runs():
    busy = [True]
    asked = Counted(lambda: busy[0])
    compactor = heap.Compactor(interval=0.001, busy=asked)
    compactor.start()
    try:
        asked.wait_for_more(5)                 # it came to compact five times, and found the store busy
        assert compactor.compactions == 0
        busy[0] = False
        wait_until(lambda: compactor.compactions > 0)
    finally:
        compactor.stop()


def test_a_reload_builds_with_full_collections_held_off_and_short_gil_turns_then_restores_both(tmp_path):
    path = tmp_path / "company.yaml"
    path.write_text(GOOD)
    seen = []

    def loader(file: str):
        seen.append((gc.get_threshold()[2], sys.getswitchinterval()))
        if len(seen) > 2:
            raise ConfigError([])
        return load(file)

    thresholds, interval = gc.get_threshold(), sys.getswitchinterval()
    holder = ConfigHolder(str(path), loader=loader, metrics=Metrics())
    assert holder.reload() is True and holder.reload() is False

    at_start, reloaded, refused = seen
    assert at_start[0] >= heap.HELD_OFF and reloaded[0] >= heap.HELD_OFF and refused[0] >= heap.HELD_OFF
    assert reloaded[1] <= heap.LOADING_SWITCH_INTERVAL                 # in the pool, the hub waits less
    assert gc.get_threshold() == thresholds and sys.getswitchinterval() == interval


def test_settling_a_reload_waits_for_the_store_to_be_done():
    busy = [True]
    asked = Counted(lambda: busy[0])
    compactor = heap.Compactor(busy=asked)
    settling = gevent.spawn(compactor.settle)
    asked.wait_for_more(3)                     # it asked three times, and waited on
    assert not settling.dead
    frozen_before = gc.get_freeze_count()
    busy[0] = False
    settling.join(1)
    assert settling.dead and gc.get_freeze_count() > frozen_before

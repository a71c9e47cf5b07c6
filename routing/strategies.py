"""Department strategies: who rings first, and each member's time window.

The provider's help page says:

    «Одновременно» (simultaneous): all members ring at once.
    «По очереди» (sequential): members ring one after another, each for
    `member_timeout` seconds; the previous one stops when the next starts.
    «Каскад» (cascade): every `member_timeout` seconds the next member joins; those
    already ringing keep ringing.
    «По кругу» (round_robin): one after another, each call starting one member
    further than the last.
    «Дольше всех без звонка» (longest_idle): one after another, the member whose last
    answered call ended longest ago first.
    The caller waits at most `timeout` seconds in all; then the department's
    no-answer target applies.

Who is left out before a strategy applies is routing.skipping's rule.

Every strategy is ONE ring step (one bridge): members that start later get
`leg_delay_start`.  Separate steps would give one bridge per member with a gap of
silence between them while the next bridge sets up; a single bridge keeps the
caller's ringback continuous, lets FreeSWITCH start the next member at once when
the previous one rejects, and lets one `originate_timeout` bound the caller's wait.

Windows, with `slot` = member_timeout and `total` = the department's timeout:
- simultaneous: everyone rings from 0 to `total`;
- sequential, round_robin, longest_idle: member i rings from i·slot to (i+1)·slot
  (the previous one stops as the next starts);
- cascade: member i joins at i·slot and keeps ringing until `total`.
No window outlives `total`; members whose turn would start at or after it are not rung.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional, Sequence, TypeVar

T = TypeVar("T")

_EPOCH_NAIVE = dt.datetime(1970, 1, 1)
_SECOND = dt.timedelta(seconds=1)


Window = tuple[int, int]


def ring_order(strategy: str, available: Sequence[T], rotation_start: int,
               last_answered: Sequence[Optional[dt.datetime]]) -> list[T]:
    """The available members in the order the strategy rings them: the department's
    order, but round robin starts `rotation_start` members further (modulo the
    available ones) and longest idle sorts by `last_answered` (one per member)."""
    if strategy == "round_robin":
        return round_robin(available, rotation_start)
    if strategy == "longest_idle":
        return idle_order(available, last_answered)
    return list(available)


def turns(strategy: str, ordered: Sequence[T], members: int, slot: int, total: int) -> list[tuple[T, Window]]:
    """Each member rung, in `ordered`, with their window; `members` is the size of
    the department (its windows do not depend on who is available): those beyond
    the windows that fit in `total` are not rung."""
    return list(zip(ordered, windows(strategy, members, slot, total)))


def windows(strategy: str, count: int, slot: int, total: int) -> list[Window]:
    """(start, end) in seconds from the start of the step, for the first members in order."""
    if strategy == "simultaneous":
        return [(0, total)] * count
    result = []
    for i in range(count):
        start = i * slot
        if start >= total:
            break
        end = total if strategy == "cascade" else min(start + slot, total)
        result.append((start, end))
    return result


def round_robin(members: Sequence[T], start: int) -> list[T]:
    """Members starting at `start` modulo their number (the store counts calls, not members)."""
    if not members:
        return []
    first = start % len(members)
    return [*members[first:], *members[:first]]


def idle_order(members: Sequence[T], last_answered: Sequence[Optional[dt.datetime]]) -> list[T]:
    """Members whose last answered call ended longest ago first, given each one's end
    of last answered call; never answered first of all.  Ties keep the department's
    order; a naive time is taken as UTC, as the store keeps it.

    The store keeps these times in UTC, and aware datetimes with the same tzinfo
    compare without asking it for offsets (other zones compare correctly, only
    slower).  Naive times, taken as UTC, cannot be compared with aware ones: then
    everything is sorted on POSIX timestamps."""
    never = [i for i, last in enumerate(last_answered) if last is None]
    ranked = [i for i, last in enumerate(last_answered) if last is not None]
    try:
        ranked.sort(key=last_answered.__getitem__)
    except TypeError:
        ranked.sort(key=lambda i: _timestamp(last_answered[i]))
    ranked[:0] = never
    return [members[i] for i in ranked]


def _timestamp(last: dt.datetime) -> float:
    return last.timestamp() if last.tzinfo is not None else (last - _EPOCH_NAIVE) / _SECOND

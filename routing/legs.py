"""Ring steps' legs: what they are made of is worked out with the snapshot, what a
call finds new is built from that, and ring steps are kept for later calls.

A person's legs in one turn of a ring step depend only on which of their devices
ring (a variant, routing.devices), the turn's window [start, end) in the step, and
the mobile legs' variables (the caller ID and Diversion the company shows, the
answer confirmation; never the caller's own number, see routing.callerid).

- A person rung on their own has one window (0 to their no-answer time): their legs
  are a `Fragment` (Leg objects and their dial strings joined), kept in a Memo.
- A department's members each have a window per position the strategy can give
  them, so their legs are kept as templates instead (`templates`: per member and
  variant, each leg's device, offset and the end of its dial string), laid out per
  department in a list by turn (`LegCache.table`) and built with the index for the
  mobile variables most calls have.  A department's bridge is its rung members'
  legs in their windows, from those templates; it is kept per department under
  what the call found (see Walk._ring_of), as departments are often called in the
  same state again.  A call then builds only its Step, and the dial string's head
  when it carries the caller's number.

Everything kept is bounded, so that the memory a long-running daemon keeps does not
grow with the patterns it has seen (a new pattern is also work for the garbage
collector: what is kept between calls is what it scans):
- fragments: `LegCache.limit` in all (a Memo: the oldest eighth goes first);
- bridges: `BRIDGES_PER_DEPARTMENT` per department, the oldest going first;
- templates: `TABLES_PER_DEPARTMENT` values of the mobile legs' variables per
  department (with `company.diversion`, one per company number it is called on).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, NamedTuple

from routing import dialstring
from routing.devices import FORWARDED_TURN, MOBILE, OFFICE, VARIANTS, turn_devices
from routing.memo import Memo
from routing.types import Leg
from routing.values import new_leg

if TYPE_CHECKING:
    from routing.index import Group, Person

FRAGMENTS = 50_000                           # a few per employee of a 10,000-employee company; ~25 MB
BRIDGES_PER_DEPARTMENT = 32                  # availability patterns seen lately
TABLES_PER_DEPARTMENT = 4                    # values of the mobile legs' variables


class Fragment(NamedTuple):
    """Legs of one ring step, or of one person's turn in it."""
    legs: tuple[Leg, ...]
    dial: str                                # the legs' dial strings joined by ","
    end: int                                 # when the last leg stops, from the start of the step
    mobile: bool                             # a mobile leg rings
    whole: str = ""                          # a department's bridge without a mobile leg: the whole
                                             # bridge argument (the same for every caller)


class Ring(NamedTuple):
    """A department's ring step: its bridge and the logins it rings."""
    bridge: Fragment
    logins: frozenset[str]                   # a set: a call adds it to those it reached by hash alone


class LegCache:
    __slots__ = ("_fragments",)

    def __init__(self, limit: int = FRAGMENTS):
        self._fragments = Memo(limit)

    def fragment(self, p: Person, variant: int, start: int, end: int, call_extra: str) -> Fragment:
        """`p`'s legs inside [start, end) of a step, with the devices of `variant`
        (routing.devices.REGISTERED_TURN …); `call_extra`: the mobile legs' escaped
        variables that depend on the call (see Walk._mobile_extra), kept apart only
        when a mobile rings."""
        if not (p.mobile_variants >> variant) & 1:
            call_extra = ""
        key = (p, variant, start, end, call_extra)
        found = self._fragments.get(key)
        if found is None:
            found = self._fragments.put(key, build_turn(p, variant, start, end, call_extra))
        return found

    def keep(self, g: Group, key: tuple, rung: list[int], call_extra: str) -> Ring:
        """The ring step of a department's rung members, given as turns (member index
        * VARIANTS + device variant) each in its window, kept in `g.bridges` under
        `key` (what the call found, see Walk._ring_of)."""
        bridges = g.bridges
        if len(bridges) >= BRIDGES_PER_DEPARTMENT:
            del bridges[next(iter(bridges))]      # the oldest: freeing them all at once would stall a call
        logins = g.logins
        found = bridges[key] = Ring(self._join(g, rung, call_extra),
                                    frozenset([logins[turn // VARIANTS] for turn in rung]))
        return found

    def table(self, g: Group, call_extra: str) -> list:
        """`g`'s members' legs for the mobile legs' variables `call_extra`, as
        templates by turn (member index * VARIANTS + variant, see `templates`)."""
        tables = g.tables
        found = tables.get(call_extra)
        if found is None:
            if len(tables) >= TABLES_PER_DEPARTMENT:
                tables.clear()
            other = next(iter(tables.values()), None)
            found = tables[call_extra] = [
                other[i * VARIANTS + variant] if other is not None and not (p.mobile_variants >> variant) & 1
                else templates(p, variant, call_extra)
                for i, p in enumerate(g.members) for variant in range(VARIANTS)]
        return found

    def _join(self, g: Group, rung: list[int], call_extra: str) -> Fragment:
        """The rung members' legs, each in its window, as one bridge (every call that
        finds its department in a new state builds one)."""
        table = g.tables.get(call_extra)
        if table is None:
            table = self.table(g, call_extra)
        return legs_in(zip(g.windows, map(table.__getitem__, rung)))


def legs_in(turns: Iterable[tuple[tuple[int, int], Template]]) -> Fragment:
    """The legs of turns, each a window (start, end) of the step and the templates of
    who rings in it; every leg that starts before its window's end runs until it.
    A person rung alone is one turn, a department's bridge one per rung member."""
    heads, make = _HEADS, _head
    legs: list[Leg] = []
    dials: list[str] = []
    end, mobile = 0, False
    for (start, stop), template in turns:
        for device, offset, login, tail, confirm in template:
            delay = start + offset
            if delay >= stop:
                continue
            timeout = stop - delay
            dial = (heads.get((timeout, delay)) or make(timeout, delay)) + tail
            legs.append(new_leg(device, login, delay, timeout, dial, confirm))
            dials.append(dial)
            if stop > end:
                end = stop
            if device == MOBILE:
                mobile = True
    dial = ",".join(dials)
    whole = "" if mobile else dialstring.bridge_prefix(end, False) + dial
    return Fragment(tuple(legs), dial, end, mobile, whole)


Template = tuple[tuple[str, int, str, str, bool], ...]
_HEADS: dict[tuple[int, int], str] = {}


def _head(timeout: int, delay: int) -> str:
    if len(_HEADS) >= 4096:
        _HEADS.clear()
    head = _HEADS[(timeout, delay)] = dialstring.leg("", timeout, delay)[:-1]
    return head


def templates(p: Person, variant: int, call_extra: str) -> Template:
    """`p`'s legs with the devices of `variant`, with what their dial strings end
    with: (device, offset from the start of the turn, login, tail, confirm); a leg's
    dial string is its head (`leg_timeout`, `leg_delay_start`) and then its tail."""
    if variant == FORWARDED_TURN and p.mobile is None:
        return ()                            # *21 forwards nothing without a mobile
    extra = _mobile_variables(p, variant, call_extra)
    out = []
    for device, offset in turn_devices(p, variant):
        if device == OFFICE:
            out.append((OFFICE, offset, p.login, "]" + p.office, False))
        else:
            out.append((MOBILE, offset, p.login, ("," + extra if extra else "") + "]" + p.mobile, bool(p.confirm)))
    return tuple(out)


def build_turn(p: Person, variant: int, start: int, end: int, call_extra: str) -> Fragment:
    """`p`'s legs inside [start, end) with the devices of `variant`; `call_extra` as for `LegCache.fragment`."""
    return legs_in((((start, end), templates(p, variant, call_extra)),))


def _mobile_variables(p: Person, variant: int, call_extra: str) -> str:
    """What `p`'s mobile legs carry in `variant`: the call's variables and the answer
    confirmation ("" when the variant rings no mobile)."""
    if not (p.mobile_variants >> variant) & 1:
        return ""
    return dialstring.join_variables(call_extra, p.confirm) if p.confirm else call_extra

"""Ring steps' legs: what they are made of is worked out with the snapshot, what a
call finds new is built from that, and ring steps are kept for later calls.

A person's legs in one turn of a ring step depend only on which of their devices
ring (a variant, routing.fast.turns), the turn's window [start, end) in the step, and
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

from typing import Iterable, NamedTuple, Optional

from routing import dialstring
from routing.devices import MOBILE, OFFICE
from routing.fast.entries import Group, Person
from routing.fast.memo import Memo
from routing.fast.turns import FORWARDED_TURN, VARIANTS, turn_devices
from routing.types import Leg

FRAGMENTS = 50_000                           # a few per employee of a 10,000-employee company; ~25 MB
BRIDGES_PER_DEPARTMENT = 32                  # availability patterns seen lately
TABLES_PER_DEPARTMENT = 4                    # values of the mobile legs' variables
HEADS = 4096                                 # (leg_timeout, leg_delay_start) pairs

Template = tuple[tuple[str, int, str, str, bool], ...]


class Fragment(NamedTuple):
    """Legs of one ring step, or of one person's turn in it."""
    legs: tuple[Leg, ...]
    dial: str                                # the legs' dial strings joined by ","
    end: int                                 # when the last leg stops, from the start of the step
    mobile: bool                             # a mobile leg rings
    whole: str = ""                          # a department's bridge without a mobile leg: the whole
                                             # bridge argument (the same for every caller)
    confirm: bool = False                    # a leg asks for answer confirmation (routing.devices.confirm_seconds)


class Ring(NamedTuple):
    """A department's ring step: its bridge and the logins it rings."""
    bridge: Fragment
    logins: frozenset[str]                   # a set: a call adds it to those it reached by hash alone


class LegCache:
    """What calls keep of legs and bridges, for one routing index and the reloads after it."""
    __slots__ = ("_fragments", "_bridges", "_tables", "_heads")

    def __init__(self, limit: int = FRAGMENTS):
        self._fragments = Memo(limit)
        self._bridges: dict[Group, dict[tuple, Ring]] = {}     # by department, then by what a call found
        self._tables: dict[Group, dict[str, list[Template]]] = {}   # by department, then mobile variables
        self._heads: dict[tuple[int, int], str] = {}

    def fragment(self, p: Person, variant: int, start: int, end: int, call_extra: str) -> Fragment:
        """`p`'s legs inside [start, end) of a step, with the devices of `variant`
        (routing.fast.turns); `call_extra`: the mobile legs' escaped variables that
        depend on the call (see Walk._mobile_extra), kept apart only when a mobile rings."""
        if not (p.mobile_variants >> variant) & 1:
            call_extra = ""
        key = (p, variant, start, end, call_extra)
        found = self._fragments.get(key)
        if found is None:
            found = self._fragments.put(key, self.legs_in((((start, end), templates(p, variant, call_extra)),)))
        return found

    def bridge(self, g: Group, key: tuple) -> Optional[Ring]:
        """The ring step kept for `g` under `key` (what a call found, see Walk._ring_of)."""
        kept = self._bridges.get(g)
        return kept.get(key) if kept is not None else None

    def keep(self, g: Group, key: tuple, rung: list[int], call_extra: str) -> Ring:
        """The ring step of a department's rung members, given as turns (member index
        * VARIANTS + device variant) each in its window, kept under `key`."""
        bridges = self._bridges.get(g)
        if bridges is None:
            bridges = self._bridges[g] = {}
        elif len(bridges) >= BRIDGES_PER_DEPARTMENT:
            del bridges[next(iter(bridges))]      # the oldest: freeing them all at once would stall a call
        logins = g.logins
        table = self.table(g, call_extra)
        found = bridges[key] = Ring(self.legs_in(zip(g.windows, map(table.__getitem__, rung))),
                                    frozenset([logins[turn // VARIANTS] for turn in rung]))
        return found

    def table(self, g: Group, call_extra: str) -> list[Template]:
        """`g`'s members' legs for the mobile legs' variables `call_extra`, as
        templates by turn (member index * VARIANTS + variant, see `templates`)."""
        tables = self._tables.get(g)
        if tables is None:
            tables = self._tables[g] = {}
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

    def forget(self, keep: Iterable[Group]) -> None:
        """Drop what was kept for departments not in `keep` (those a reload replaced)."""
        keep = set(keep)
        for kept in (self._bridges, self._tables):
            for g in [g for g in kept if g not in keep]:
                del kept[g]

    def legs_in(self, turns: Iterable[tuple[tuple[int, int], Template]]) -> Fragment:
        """The legs of turns, each a window (start, end) of the step and the templates
        of who rings in it; every leg that starts before its window's end runs until it
        (routing.devices.timings).  A person rung alone is one turn, a department's
        bridge one per rung member."""
        heads = self._heads
        legs: list[Leg] = []
        dials: list[str] = []
        end, mobile = 0, False
        for (start, stop), template in turns:
            for device, offset, login, tail, confirm in template:
                delay = start + offset
                if delay >= stop:
                    continue
                timeout = stop - delay
                head = heads.get((timeout, delay))
                if head is None:
                    if len(heads) >= HEADS:
                        heads.clear()
                    head = heads[(timeout, delay)] = dialstring.leg("", timeout, delay)[:-1]
                dial = head + tail
                legs.append(Leg(device, login, delay, timeout, dial, confirm))
                dials.append(dial)
                if stop > end:
                    end = stop
                if device == MOBILE:
                    mobile = True
        dial = ",".join(dials)
        whole = "" if mobile else dialstring.bridge_prefix(end, False) + dial
        return Fragment(tuple(legs), dial, end, mobile, whole, any(leg.confirm for leg in legs))


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


def _mobile_variables(p: Person, variant: int, call_extra: str) -> str:
    """What `p`'s mobile legs carry in `variant`: the call's variables and the answer
    confirmation ("" when the variant rings no mobile)."""
    if not (p.mobile_variants >> variant) & 1:
        return ""
    return dialstring.join_variables(call_extra, p.confirm) if p.confirm else call_extra

"""Ring steps' legs, built once and reused by later calls.

A person's legs in one turn of a ring step depend only on which of their devices
ring (a variant, routing.devices), the turn's window [start, end) in the step, and
the mobile legs' variables (the caller ID and Diversion the company shows, the
answer confirmation; never the caller's own number, see routing.callerid).  Those
combinations come from the file: a person has a turn of their own and one per
position their department's strategy can give them.  So each combination is built
once as a `Fragment` (Leg objects and their dial strings joined), and a department's
bridge is its rung members' fragments put together, itself kept per department by
who rings with which devices, as departments are mostly called with the same people
available.  A call then builds only its Step, and the dial string's head when it
carries the caller's number.

Both caches are bounded, so that the memory a long-running daemon keeps does not
grow with the patterns it has seen (a new pattern is also work for the garbage
collector: what is kept between calls is what it scans):
- fragments: `LegCache.limit` in all (a Memo: the oldest eighth goes first);
- bridges: `BRIDGES_PER_DEPARTMENT` per department, started over when full.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from routing import dialstring
from routing.devices import MOBILE, OFFICE, VARIANTS, Devices, turn_devices
from routing.memo import Memo
from routing.types import Leg
from routing.values import new_leg

if TYPE_CHECKING:
    from routing.index import Group, Person

FRAGMENTS = 50_000                           # a few per employee of a 10,000-employee company; ~25 MB
BRIDGES_PER_DEPARTMENT = 32                  # availability patterns seen lately


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
    logins: tuple[str, ...]


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
            extra = dialstring.join_variables(call_extra, p.confirm) if p.confirm else call_extra
            found = self._fragments.put(key, build(p, turn_devices(p, variant), start, end, extra))
        return found

    def department(self, g: Group, rung: list[int], call_extra: str) -> Ring:
        """The bridge of a department's rung members, given as turns (member index *
        VARIANTS + device variant, see Walk._available), each in its window."""
        key = (call_extra, *rung)
        found = g.bridges.get(key)
        if found is None:
            found = self._keep(g, key, rung, call_extra)
        return found

    def _keep(self, g: Group, key: tuple, rung: list[int], call_extra: str) -> Ring:
        bridges = g.bridges
        if len(bridges) >= BRIDGES_PER_DEPARTMENT:
            bridges.clear()
        logins = g.logins
        found = bridges[key] = Ring(self._join(g, rung, call_extra), tuple([logins[turn // VARIANTS] for turn in rung]))
        return found

    def _join(self, g: Group, rung: list[int], call_extra: str) -> Fragment:
        """The rung members' legs, each in its window, as one bridge (every call that
        finds its department in a new state builds one: the loop is `fragment`'s
        lookup, inlined)."""
        get, members = self._fragments.get, g.members
        legs: list[Leg] = []
        dials: list[str] = []
        end, mobile = 0, False
        for turn, (start, stop) in zip(rung, g.windows):
            p = members[turn // VARIANTS]
            variant = turn % VARIANTS
            part = get((p, variant, start, stop, call_extra if (p.mobile_variants >> variant) & 1 else ""))
            if part is None:
                part = self.fragment(p, variant, start, stop, call_extra)
            part_legs, dial, part_end, part_mobile, _ = part
            if dial:
                legs += part_legs
                dials.append(dial)
                if part_end > end:
                    end = part_end
                mobile = mobile or part_mobile
        dial = ",".join(dials)
        whole = "" if mobile else dialstring.bridge_prefix(end, False) + dial
        return Fragment(tuple(legs), dial, end, mobile, whole)


def build(p: Person, devices: Devices, start: int, end: int, extra: str) -> Fragment:
    """`p`'s legs for `devices` inside [start, end); `extra`: the mobile legs' variables.
    (Every leg that starts before `end` runs until it, so the legs end at `end`.)"""
    legs = []
    mobile = False
    for device, offset in devices:
        delay = start + offset
        if delay >= end:
            continue
        timeout = end - delay
        if device == OFFICE:
            legs.append(new_leg(OFFICE, p.login, delay, timeout, dialstring.leg(p.office, timeout, delay)))
        else:
            mobile = True
            legs.append(new_leg(MOBILE, p.login, delay, timeout, dialstring.leg(p.mobile, timeout, delay, extra),
                                bool(p.confirm)))
    if not legs:
        return Fragment((), "", start, False)
    return Fragment(tuple(legs), legs[0].dial if len(legs) == 1 else ",".join([leg.dial for leg in legs]), end, mobile)

"""What the live views say of a department's members, as the bits of four ints.

A department call needs, for each of its (typically twenty) members, four answers
from the live views: registered?, on a call?, DND?, forwarded to the mobile (`*21`)?
Asked member by member that is some eighty questions per department and, more to
the point of a 50 µs budget, a walk over twenty logins that no recent call touched.
As masks (bit i: the department's member i, `Group.logins[i]`) the same answers are
four ints, and the department's rule (routing.skipping, as routing.fast.walk
applies it) a few integer operations.

`LiveMasks` keeps those masks between calls.  It must be told of every change to
what the views answer (`notice` with the login whose state moved, or None when
anybody's may have: the link to FreeSWITCH dropped or came back), and only then asks
the views again, for that login alone.  A department's masks are worked out on its
first call, or all at once by `prepare` after a reload.

`plan()` takes the speed layer only with a `LiveMasks` (the daemon's); without one
(the command line, most tests) the plain rules route the call (routing.walk).
"""
from __future__ import annotations

from typing import Optional

from routing.fast.entries import Group
from routing.fast.index import RoutingIndex
from routing.types import Overrides, Presence

Masks = list[int]          # [unregistered, busy, dnd, forwarded], bit i: member i of the department


def member_bits(login: str, presence: Presence, overrides: Overrides) -> tuple[bool, bool, bool, bool]:
    """One member's four answers, in the order of Masks."""
    return (not presence.is_registered(login), presence.is_busy(login), overrides.dnd(login),
            overrides.forward_to_mobile(login))


def masks_of(g: Group, presence: Presence, overrides: Overrides) -> Masks:
    """`g`'s masks, asked of the views member by member."""
    masks = [0, 0, 0, 0]
    for i, login in enumerate(g.logins):
        bit = 1 << i
        for which, on in enumerate(member_bits(login, presence, overrides)):
            if on:
                masks[which] |= bit
    return masks


class LiveMasks:
    """Departments' masks, kept up to date by the views' change notices.

    Not thread-safe: the daemon's calls and its views' updates run on one hub."""

    def __init__(self, presence: Presence, overrides: Overrides):
        self.presence = presence
        self.overrides = overrides
        self._masks: dict[Group, Masks] = {}
        self._members: dict[str, list[tuple[Masks, int]]] = {}     # login -> (its department's masks, bit)

    def of(self, g: Group) -> Masks:
        """`g`'s masks now (worked out on the department's first call)."""
        masks = self._masks.get(g)
        if masks is None:
            masks = self._masks[g] = masks_of(g, self.presence, self.overrides)
            members = self._members
            for i, login in enumerate(g.logins):
                members.setdefault(login, []).append((masks, 1 << i))
        return masks

    def changed(self, login: str) -> None:
        """The views' answers for `login` may have changed."""
        places = self._members.get(login)
        if places:
            answers = member_bits(login, self.presence, self.overrides)
            for masks, bit in places:
                for which, on in enumerate(answers):
                    if on:
                        masks[which] |= bit
                    else:
                        masks[which] &= ~bit

    def notice(self, login: Optional[str]) -> None:
        """A view's change notice: `login`'s answers may have changed; None: anybody's."""
        if login is None:
            self.reset()
        else:
            self.changed(login)

    def reset(self) -> None:
        """Anybody's answers may have changed: ask again on each department's next call."""
        self._masks.clear()
        self._members.clear()

    def prepare(self, index: RoutingIndex) -> None:
        """Serve `index` (at start and after a reload, beside routing.prepare): forget
        the departments it no longer has and work out those new to it now, rather
        than on their first call.  A reload's index keeps the Group of every
        department an edit left unchanged, with its masks: after an edit, only the
        edited departments are worked out (a full set is ~20 ms for 500 departments,
        on the hub)."""
        current = set(index.groups.values())
        for g in [g for g in self._masks if g not in current]:
            self._forget(g)
        for g in current:
            self.of(g)

    def _forget(self, g: Group) -> None:
        masks = self._masks.pop(g)
        for login in g.logins:
            places = self._members.get(login)
            if places is not None:
                places[:] = [place for place in places if place[0] is not masks]
                if not places:
                    del self._members[login]

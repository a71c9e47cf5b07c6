"""Naming each leg of a bridge, so that the daemon can end the legs it started.

A ringing bridge cannot be stopped over a synchronous outbound socket (FreeSWITCH
reads nothing there while the bridge runs) and `uuid_break` of the caller does not
touch it (outbound_07e1); `uuid_kill <leg uuid>` from the inbound connection ends it
at once, and the caller stays up (07e2).  The leg UUIDs are runtime values, so they
are added here, when the bridge is sent, as `origination_uuid` in each leg's `[...]`.

A `user/` leg with several registrations rings one channel per contact; FreeSWITCH
gives the named UUID to the first of them only, so ending the legs by name is a
first step and the caller's own channel is the last resort (daemon.leg_ender).
"""
from __future__ import annotations

import uuid as uuidlib
from typing import Callable, NamedTuple

VARIABLE = "origination_uuid"


class NamedBridge(NamedTuple):
    dial: str                  # the dial string with every leg named
    legs: tuple[str, ...]      # the UUIDs, in dial order


def _new_uuid() -> str:
    return str(uuidlib.uuid4())


def name_legs(dial: str, new_uuid: Callable[[], str] = _new_uuid) -> NamedBridge:
    """`dial` with `origination_uuid=<uuid>` first in every leg's `[...]` (a `[...]` is
    added to a leg without one); the leading call-wide `{...}` is left alone.

    Legs are separated by `,` (together) or `|` (in turn) outside brackets; inside a
    value a comma is escaped (`\\,`) and routing.dialstring never lets a bracket into a
    value, so the scan needs no more than that.
    """
    out: list[str] = []
    uuids: list[str] = []
    i, size = 0, len(dial)
    if dial.startswith("{"):
        end = dial.find("}")
        if end < 0:
            return NamedBridge(dial, ())
        out.append(dial[:end + 1])
        i = end + 1
    leg_start = True
    depth = 0
    while i < size:
        char = dial[i]
        if leg_start and char not in " ":
            leg_uuid = new_uuid()
            uuids.append(leg_uuid)
            if char == "[":
                empty = dial.startswith("]", i + 1)
                out.append(f"[{VARIABLE}={leg_uuid}" + ("" if empty else ","))
                depth = 1
                i += 1
                leg_start = False
                continue
            out.append(f"[{VARIABLE}={leg_uuid}]")
            leg_start = False
        if char == "\\" and i + 1 < size:
            out.append(dial[i:i + 2])
            i += 2
            continue
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(depth - 1, 0)
        elif char in ",|" and depth == 0:
            leg_start = True
        out.append(char)
        i += 1
    return NamedBridge("".join(out), tuple(uuids))

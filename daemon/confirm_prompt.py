"""A mobile leg with answer confirmation that FreeSWITCH dropped because it could not
play the confirmation prompt.

FreeSWITCH 1.11 (switch_ivr_originate.c, collect_thread_run) plays `group_confirm_file`
to a leg that answered and waits for the key; when the file cannot be played it logs
`Error Playing File!` and hangs the leg up DESTINATION_OUT_OF_ORDER about 20 ms after
the answer (measured on a FreeSWITCH without its sound package, where the stock
`ivr/ivr-accept_reject_voicemail.wav` is missing).  Nothing reaches the caller: the
bridge goes on with the other legs, or fails and the plan moves on, so with
`mobile_confirm` no mobile could ever take a call and nobody would know.  The bridge's
CHANNEL_EXECUTE_COMPLETE names each leg's cause in `originate_causes`
(`ARRAY::<uuid>;<cause>|:…`), and the daemon named the legs (daemon.bridge_legs), so
the confirming legs that ended that way are found here.
"""
from __future__ import annotations

import re
from typing import Mapping, Optional, Sequence
from urllib.parse import unquote

from routing.types import Leg

PROMPT_FAILED = "DESTINATION_OUT_OF_ORDER"
_FILE = re.compile(r"group_confirm_file=([^,\]]*)")


def leg_causes(value: Optional[str]) -> dict[str, str]:
    """`originate_causes` as {leg UUID: cause}."""
    if not value:
        return {}
    text = unquote(value)
    items = text[7:].split("|:") if text.startswith("ARRAY::") else [text]
    causes = {}
    for item in items:
        uuid, _, cause = item.partition(";")
        if uuid and cause:
            causes[uuid] = cause
    return causes


def prompt_failures(event: Mapping[str, str], legs: Sequence[Leg], uuids: Sequence[str]) -> list[tuple[str, str]]:
    """(login, prompt file) of each confirming leg of a bridge that ended
    DESTINATION_OUT_OF_ORDER; `uuids` are the legs' names, in dial order."""
    causes = leg_causes(event.get("variable_originate_causes"))
    found = []
    for leg, uuid in zip(legs, uuids):
        if leg.confirm and causes.get(uuid) == PROMPT_FAILED:
            match = _FILE.search(leg.dial)
            found.append((leg.login, match.group(1) if match else ""))
    return found

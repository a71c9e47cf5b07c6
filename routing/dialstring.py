"""Dial strings for FreeSWITCH's `bridge` application: plain string functions.

The syntax read by `switch_ivr_originate`:

    {a=1,b=2}[leg_timeout=20]user/ivan@pbx,[leg_timeout=15,leg_delay_start=5]sofia/gateway/trunk/+7916…

- `{...}` at the very start holds variables for every leg (call-wide);
- `[...]` in front of one endpoint holds that leg's own variables;
- `,` rings the legs at the same time.  Sequential groups (`|`) are never used: each
  ring step is one bridge, so the caller hears one continuous ringback.

FreeSWITCH quirks these functions encode:

- `leg_timeout` counts from the leg's own start: FreeSWITCH adds `leg_delay_start`
  to it internally, so a mobile leg that starts at 5 s of a 20 s step gets
  `leg_timeout=15`.
- `leg_delay_start` does nothing when the bridge has a single leg, and when every
  started leg has failed the delayed ones start at once.
- without `originate_timeout` a bridge ends after 60 s whatever its legs say, so it
  is always given call-wide, one second longer than the step: FreeSWITCH checks it
  in whole seconds and fires it up to a second early (6 s fired at 5.97 s in the
  captured transcript), while `leg_timeout` fires just after its second (20 s at
  20.2–20.9 s).  Given as the step's length it would cut every step short and end
  the legs as NO_ANSWER; one second longer, the legs' own timers end the step, and
  the caller waits what the admin configured.
- `ignore_early_media=true` whenever a mobile leg rings: a mobile network's early
  media ("the subscriber is unavailable…") would otherwise be bridged to the caller
  and end the other legs.  (The caller then hears the ringback the A-leg's
  `ringback` variable generates.)
- in a value, a comma would end the variable: it is written `\\,`; a value with
  spaces is single-quoted.  Backslashes, quotes, brackets and `|` are consumed a
  different number of times depending on the command carrying the string, so they
  are dropped: the values placed here (numbers, SIP URIs, sound file paths) never
  need them, and a caller ID from the network can never inject a variable.
"""
from __future__ import annotations

from typing import Iterable, Optional, Sequence

_UNSAFE = str.maketrans("", "", "\\'|[]{}\r\n\t\0")


def escape_value(value: object) -> str:
    """One variable's value, safe inside `{...}` or `[...]`."""
    text = str(value).translate(_UNSAFE).replace(",", "\\,")
    return f"'{text}'" if " " in text else text


def variables(pairs: Iterable[tuple[str, object]]) -> str:
    """`name=value` pairs joined by commas, values escaped (no brackets)."""
    return ",".join(f"{name}={escape_value(value)}" for name, value in pairs)


def office_endpoint(login: str, domain: str) -> str:
    """Every registration of the user rings (desk phone and softphones together)."""
    return f"user/{login}@{domain}"


def mobile_endpoint(gateway: str, number: str) -> str:
    return f"sofia/gateway/{gateway}/{number}"


def leg(endpoint: str, timeout: int, delay: int = 0, extra: str = "") -> str:
    """One leg with its `[...]` block; `extra` is already-escaped `name=value,…` text.

    `timeout` counts from the leg's own start (see the module docstring)."""
    head = f"leg_timeout={timeout}"
    if delay > 0:
        head = f"{head},leg_delay_start={delay}"
    if extra:
        head = f"{head},{extra}"
    return f"[{head}]{endpoint}"


def bridge(legs: Sequence[str], timeout: int, mobile: bool, call_vars: str = "", confirm: int = 0) -> str:
    """The whole `bridge` argument for one ring step of `timeout` seconds.

    `call_vars` (already escaped) are added call-wide when a mobile leg rings; `confirm`:
    the seconds a leg confirming its answer may outlast the step (confirm_variables)."""
    return bridge_prefix(timeout, mobile, call_vars, confirm) + ",".join(legs)


def bridge_prefix(timeout: int, mobile: bool, call_vars: str = "", confirm: int = 0) -> str:
    """The call-wide `{...}` block of a bridge (see the module docstring for the +1)."""
    limit = timeout + 1 + confirm
    if not mobile:
        return f"{{originate_timeout={limit}}}"
    if call_vars:
        return f"{{originate_timeout={limit},ignore_early_media=true,{call_vars}}}"
    return f"{{originate_timeout={limit},ignore_early_media=true}}"


def mobile_variables(caller_id: Optional[str], diversion: Optional[str]) -> str:
    """Caller ID and Diversion variables for mobile legs.

    `caller_id` is what the mobile shows; `diversion` the company number the call
    came in on, sent as a `Diversion` header so the operator accepts a caller ID
    that is not ours."""
    pairs: list[tuple[str, object]] = []
    if caller_id:
        pairs.append(("origination_caller_id_number", caller_id))
    if diversion:
        pairs.append(("sip_h_Diversion", f"<tel:{diversion}>"))
    return variables(pairs)


def confirm_variables(file: str, seconds: int) -> str:
    """Answer confirmation on a mobile leg: the callee must press 1, so the mobile's
    own voicemail (which answers without pressing anything) never takes the call.

    `group_confirm_timeout`: from the answer the callee has `seconds` to press 1, even
    when they answered in the step's last second (unset, FreeSWITCH leaves the leg's
    `leg_timeout` running, which cuts them off mid-prompt; switch_ivr_originate.c
    check_channel_status, v1.11.1); the bridge's `originate_timeout` is lengthened to
    match (bridge_prefix's `confirm`)."""
    return variables((("group_confirm_key", 1), ("group_confirm_file", file), ("group_confirm_timeout", seconds)))


def join_variables(*parts: str) -> str:
    return ",".join(p for p in parts if p)


def endpoint_of(leg_dial: str) -> str:
    """The endpoint of one leg's dial string, without its `[...]` block."""
    if leg_dial.startswith("["):
        return leg_dial[leg_dial.index("]") + 1:]
    return leg_dial

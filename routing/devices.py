"""«Приём звонков → Устройства»: which of a person's devices ring, and when the mobile joins.

The provider's help page says:

    Devices: «Office» — the desk phone and the softphone ring together; «Mobile» —
    only the personal mobile; «All» — the office devices first, the mobile joins
    `mobile_delay` seconds after they start ringing.
    «Forward to mobile» (*21) sends calls to the mobile instead, while it is on.

What FreeSWITCH adds, and so what this rule says too:
- an office device rings only when the login has a registration: `user/LOGIN@DOMAIN`
  would fail at once with USER_NOT_REGISTERED anyway;
- with «All» and nothing registered, the mobile rings at once (0 s): FreeSWITCH
  starts the delayed legs at once when every started leg has failed;
- a device that would join at or after the end of its turn never rings (a mobile
  delay of 30 s in a 20 s wait rings the office devices only).

«Подтверждение ответа» (`mobile_confirm`): the mobile leg asks the callee to press 1
before the call is theirs, so that the mobile's own voicemail never takes it.
"""
from __future__ import annotations

from typing import NamedTuple

OFFICE = "office"
MOBILE = "mobile"

Devices = tuple[tuple[str, int], ...]        # (office|mobile, seconds after the turn starts)

# Played to a mobile that answers when its owner asked for answer confirmation: a
# stock FreeSWITCH prompt ("press 1 to accept, 2 to reject, 3 for voicemail"; only 1
# does anything here, other keys replay it).
CONFIRM_FILE = "ivr/ivr-accept_reject_voicemail.wav"


def confirm_file(company) -> str:
    """The prompt a confirming mobile hears: the company's own (`company.mobile_confirm_file`)
    or the stock one, which is in FreeSWITCH's sound package (deploy/README.md)."""
    return company.mobile_confirm_file or CONFIRM_FILE


def confirm_seconds(company, legs) -> int:
    """How long past its ring step a bridge may last for answer confirmation: the
    company's `mobile_confirm_seconds` when a leg of `legs` confirms, else 0.

    FreeSWITCH (switch_ivr_originate.c, 1.11) plays the prompt to a leg that answered
    but leaves it in the originate until the key comes; the leg's `leg_timeout` and the
    call-wide `originate_timeout` still run, so with `group_confirm_timeout` unset
    someone answering in the step's last seconds is cut off while hearing the prompt.
    `group_confirm_timeout=N` on the leg resets its own limit to N s from the answer
    (an explicit 0 would remove it); the call-wide `originate_timeout` is made N s
    longer so that it does not cut the leg off first (unanswered legs still end on
    their own `leg_timeout`).  Source, v1.11.1: check_channel_status (the tagged leg,
    `per_channel_timelimit_sec = elapsed + extend_timeout`), check_per_channel_timeouts
    (ALLOTTED_TIMEOUT past it), switch_ivr_originate (`elapsed >= timelimit_sec`: the
    originate_timeout, whatever the legs are doing)."""
    return company.mobile_confirm_seconds if any(leg.confirm for leg in legs) else 0


def devices_to_ring(setting: str, mobile_delay: int, has_mobile: bool, registered: bool,
                    forwarded_to_mobile: bool) -> Devices:
    """The devices that ring for a person, each with when it joins their turn.

    `setting` is the file's `devices` (office | mobile | all); `registered`: the
    login has a registration now; `forwarded_to_mobile`: *21 is on.  Empty when
    nothing can ring (the person is then skipped, or their no-answer rule applies)."""
    if forwarded_to_mobile and has_mobile:
        return ((MOBILE, 0),)
    if setting == MOBILE:
        return ((MOBILE, 0),) if has_mobile else ()
    office: Devices = ((OFFICE, 0),) if registered else ()
    if setting == OFFICE or not has_mobile:
        return office
    return office + ((MOBILE, mobile_delay if registered else 0),)


class Timing(NamedTuple):
    """When one device rings inside a ring step, in seconds from the step's start."""
    device: str
    delay: int                               # starts (FreeSWITCH `leg_delay_start`)
    timeout: int                             # rings for, from its own start (`leg_timeout`)


def timings(devices: Devices, start: int, end: int) -> list[Timing]:
    """The devices of a turn that runs from `start` to `end` of a ring step: each joins
    at the turn's start plus its own delay and rings until the turn ends; one that
    would join at or after the end never rings."""
    return [Timing(device, start + offset, end - start - offset)
            for device, offset in devices if start + offset < end]

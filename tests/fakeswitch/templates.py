"""Channel variable templates taken from the reference transcripts (``data/*.json``).

The JSON files were extracted once from ``/work/shared/esl-transcripts`` (FreeSWITCH 1.11.1,
vanilla config): the A leg's variables as the outbound ``connect`` reply showed them, the
media variables an answer adds, the RTP statistics of CHANNEL_HANGUP_COMPLETE and the B
leg of a ``user/`` bridge.  Values that differ per call are ``{placeholders}``; the others
are shared string objects, so creating a channel costs a few ``str.format`` calls.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

_DATA = Path(__file__).with_name("data")


@dataclass(frozen=True)
class VarTemplate:
    """Ordered ``(name, value)`` pairs; a value with ``{placeholders}`` is filled per call."""

    items: tuple[tuple[str, str, bool], ...]

    @classmethod
    def of(cls, pairs) -> "VarTemplate":
        return cls(tuple((name, value, "{" in value) for name, value in pairs))

    def names(self) -> list[str]:
        return [name for name, _, _ in self.items]

    def render(self, values: Mapping[str, str], skip: frozenset[str] = frozenset()) -> dict[str, str]:
        return {
            name: value.format_map(values) if dynamic else value
            for name, value, dynamic in self.items
            if name not in skip
        }


def _load(name: str) -> dict:
    return json.loads((_DATA / f"{name}.json").read_text(encoding="utf-8"))


_a_leg = _load("a_leg")
_media = _load("media")
_b_leg = _load("b_leg")

#: The A leg's variables at ``connect`` time, before the socket application's own ones.
A_LEG = VarTemplate.of((entry[0], entry[1]) for entry in _a_leg["variables"])
#: Variables that only an authenticated internal caller has (its directory entry).
A_LEG_DIRECTORY = frozenset(entry[0] for entry in _a_leg["variables"] if len(entry) > 2)
#: What the first media negotiation (183 or 200) sets on the A leg, in order.
MEDIA_PRE_ANSWER = VarTemplate.of(_media["pre_answer"])
#: What the answer itself adds.
MEDIA_ANSWER = VarTemplate.of(_media["answer"])
#: RTP counters appended to CHANNEL_HANGUP_COMPLETE of a channel that had media.
RTP_STATS = tuple((name, value) for name, value in _load("rtp_stats")["rtp_stats"])
#: A ``user/`` B leg at CHANNEL_CREATE and once it answered.
B_LEG_CREATE = VarTemplate.of(_b_leg["create"])
B_LEG_ANSWER = VarTemplate.of(_b_leg["answer"])
#: The SDP a callee answers with (the caller's switch_m_sdp once bridged).
CALLEE_SDP = dict(_b_leg["answer"])["switch_r_sdp"]

#: The directory variables of a user, as a register event or a bridged B leg shows them.
DIRECTORY_USER_VARS = (
    ("record_stereo", "true"),
    ("default_gateway", "example.com"),
    ("default_areacode", "918"),
    ("transfer_fallback_extension", "operator"),
    ("toll_allow", "domestic,international,local"),
    ("accountcode", "{login}"),
    ("user_context", "default"),
    ("effective_caller_id_name", "Extension {login}"),
    ("effective_caller_id_number", "{login}"),
    ("outbound_caller_id_name", "FreeSWITCH"),
    ("outbound_caller_id_number", "0000000000"),
    ("callgroup", "techsupport"),
)

"""Parser for FreeSWITCH bridge/originate dial strings (pure).

    {ignore_early_media=true,originate_timeout=30}[leg_timeout=20]user/ivan@pbx,[leg_delay_start=5]sofia/gateway/gsm/+79161234567|error/user_busy

* ``{...}`` (one or more sets) at the start: variables for every leg and for the originate
  itself (originate_timeout, ignore_early_media, …); ``<...>`` is accepted the same way;
* ``|`` separates groups tried one after another (failover); ``,`` separates legs of one
  group, which ring together;
* ``[...]`` before a leg: that leg's variables (leg_timeout, leg_delay_start, …);
* inside braces and brackets variables are separated by ``,`` unless escaped (``\\,``) or
  quoted (``'a,b'``); ``^^X`` at the start switches the separator to ``X``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping


class DialStringError(ValueError):
    """The dial string cannot be parsed (FreeSWITCH answers such a bridge with a parse error)."""


@dataclass(frozen=True)
class Endpoint:
    """What one leg dials."""

    kind: str          # user | gateway | sofia | error | loopback | other
    target: str        # login, phone number, SIP URI, cause …
    domain: str = ""   # user/ endpoints
    gateway: str = ""  # sofia/gateway/ endpoints
    text: str = ""     # the endpoint as written

    @classmethod
    def parse(cls, text: str) -> "Endpoint":
        tech, _, rest = text.partition("/")
        tech = tech.strip().lower()
        if tech == "user":
            login, _, domain = rest.partition("@")
            return cls("user", login, domain=domain, text=text)
        if tech == "error":
            return cls("error", rest.upper(), text=text)
        if tech == "loopback":
            return cls("loopback", rest, text=text)
        if tech == "sofia":
            profile, _, data = rest.partition("/")
            if profile == "gateway":
                gateway, _, number = data.partition("/")
                return cls("gateway", number, gateway=gateway, text=text)
            return cls("sofia", data, text=text)
        return cls("other", rest, text=text)


@dataclass(frozen=True)
class Leg:
    endpoint: Endpoint
    variables: Mapping[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.endpoint.text


@dataclass(frozen=True)
class DialString:
    variables: Mapping[str, str]
    groups: tuple[tuple[Leg, ...], ...]
    text: str = ""

    def var(self, leg: Leg, name: str, default: str | None = None) -> str | None:
        """A leg's variable: ``[...]`` wins over ``{...}``."""
        if name in leg.variables:
            return leg.variables[name]
        return self.variables.get(name, default)

    def int_var(self, leg: Leg, name: str) -> int:
        value = self.var(leg, name)
        return _atoi(value) if value is not None else 0

    def legs(self) -> list[tuple[int, Leg]]:
        return [(g, leg) for g, group in enumerate(self.groups) for leg in group]


def _atoi(value: str) -> int:
    """C atoi: leading digits, 0 when there are none ("20s" is 20, "x" is 0)."""
    digits = ""
    for ch in value.strip():
        if ch.isdigit() or (not digits and ch in "+-"):
            digits += ch
        else:
            break
    try:
        return int(digits)
    except ValueError:
        return 0


def _closing(text: str, start: int, opening: str, closing: str) -> int:
    depth = 0
    for i in range(start, len(text)):
        if text[i] == opening:
            depth += 1
        elif text[i] == closing:
            depth -= 1
            if depth == 0:
                return i
    raise DialStringError(f"unbalanced {opening} in {text!r}")


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside brackets/braces/quotes and not after a backslash."""
    parts, depth, quoted, current = [], 0, False, []
    for i, ch in enumerate(text):
        if ch == "'" and depth:
            quoted = not quoted
        elif ch in "[{<":
            depth += 1
        elif ch in "]}>":
            depth -= 1
        if ch == sep and depth == 0 and not quoted and not (i and text[i - 1] == "\\"):
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def parse_variables(body: str) -> dict[str, str]:
    """``a=1,b='x,y',c=p\\,q`` → {'a': '1', 'b': 'x,y', 'c': 'p,q'}."""
    sep = ","
    if body.startswith("^^") and len(body) > 2:
        sep, body = body[2], body[3:]
    out: dict[str, str] = {}
    item, quoted, i = [], False, 0
    items = []
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body) and body[i + 1] == sep:
            item.append(sep)
            i += 2
            continue
        if ch == "'":
            quoted = not quoted
        elif ch == sep and not quoted:
            items.append("".join(item))
            item = []
        else:
            item.append(ch)
        i += 1
    items.append("".join(item))
    for entry in items:
        name, eq, value = entry.partition("=")
        if eq and name.strip():
            out[name.strip()] = value
    return out


def _strip_sets(text: str, opening: str, closing: str, into: dict[str, str]) -> str:
    text = text.lstrip(" ")
    while text.startswith(opening):
        end = _closing(text, 0, opening, closing)
        into.update(parse_variables(text[1:end]))
        text = text[end + 1:].lstrip(" ")
    return text


def parse(text: str) -> DialString:
    if ":_:" in text:
        raise DialStringError("enterprise originate (:_:) is not simulated")
    global_vars: dict[str, str] = {}
    rest = _strip_sets(text, "<", ">", global_vars)
    rest = _strip_sets(rest, "{", "}", global_vars)
    if not rest.strip():
        raise DialStringError(f"no endpoint in {text!r}")
    groups = []
    for group_text in _split_top(rest, "|"):
        legs = []
        for leg_text in _split_top(group_text, ","):
            leg_vars: dict[str, str] = {}
            endpoint = _strip_sets(leg_text, "[", "]", leg_vars).strip()
            if not endpoint:
                raise DialStringError(f"empty leg in {text!r}")
            legs.append(Leg(Endpoint.parse(endpoint), MappingProxyType(leg_vars)))
        groups.append(tuple(legs))
    return DialString(MappingProxyType(global_vars), tuple(groups), text)

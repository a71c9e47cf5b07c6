"""pydantic's validation errors in the words of the admin who edits the file.

pydantic speaks of "Input should be a valid dictionary or instance of Target" and
"String should match pattern '^[a-z0-9]…'", and appends a documentation URL; an
admin needs "must be a target such as {voicemail: true}" and the value they wrote.
Messages of our own validators (ValueError in config.models) are already plain and
are passed through without pydantic's "Value error," prefix.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
import types
from typing import Annotated, Any, Optional, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from config.models import ConfigFile

_PATTERNS = {
    r"^[a-z0-9][a-z0-9._-]{0,63}$":
        "must be lower-case Latin letters, digits, '.', '_' or '-' (up to 64, starting with a letter or digit)",
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$": "must be an e-mail address such as ivan@romashka.ru",
    r"^[A-Za-z0-9.-]+$": "must be Latin letters, digits, dots and dashes",
}

_MAPPING_HINTS = {
    "Target": "must be a target: a mapping with one of hangup: true, employee: LOGIN, department: NAME, "
              "voicemail: true|\"MAILBOX\", message: FILE",
    "NoAnswer": "must be a mapping such as {after: 20, employee: anna.smirnova} or {after: 30, voicemail: true}",
    "NumberTarget": "must be {employee: LOGIN} or {department: NAME}",
    "Absence": "an absence is a mapping such as {from: 2026-12-01, to: 2026-12-14, reason: vacation}",
}

_FIXED = {
    "missing": "is required",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be text",
    "string_too_short": "must not be empty",
    "date_type": "must be a date such as 2026-12-31",
    "date_parsing": "must be a date such as 2026-12-31",
    "date_from_datetime_parsing": "must be a date such as 2026-12-31",
    "date_from_datetime_inexact": "must be a date without a time of day",
    "dict_type": "must be a mapping (key: value)",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
}

# Errors where repeating the value the admin wrote helps them find the typo.
_SHOW_INPUT = {"int_parsing", "int_from_float", "float_parsing", "bool_parsing", "literal_error",
               "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact",
               "string_pattern_mismatch", "greater_than_equal", "less_than_equal", "greater_than", "less_than"}


def describe(error: ErrorDetails) -> str:
    """One pydantic error as a plain-English message (without the field path)."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "extra_forbidden":
        return _unknown_key(error["loc"])
    if kind in ("model_type", "model_attributes_type"):
        return _MAPPING_HINTS.get(ctx.get("class_name", ""), "must be a mapping of settings (key: value)")
    message = _FIXED.get(kind) or _from_context(kind, ctx) or _cleaned(error["msg"])
    if kind in _SHOW_INPUT and _is_scalar(error.get("input")):
        message += f", not {_show(error['input'])}"
    return message


def _from_context(kind: str, ctx: dict[str, Any]) -> str | None:
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("True", "true").replace("False", "false")
        return f"must be one of {expected}" if " or " in expected else f"must be {expected}"
    if kind == "string_pattern_mismatch":
        return _PATTERNS.get(str(ctx.get("pattern")), "does not have the expected form")
    bounds = {"greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
              "greater_than": ("more than", "gt"), "less_than": ("less than", "lt")}
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {ctx.get(key)}"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    return None


def _cleaned(msg: str) -> str:
    msg = re.sub(r"^Value error, ", "", msg)
    msg = re.sub(r"^Input should be ", "must be ", msg)
    return msg[:1].lower() + msg[1:]


def _unknown_key(loc: tuple) -> str:
    key = str(loc[-1]) if loc else ""
    message = f"unknown setting {key!r}"
    model = model_at(loc[:-1])
    if model is None:
        return message
    known = [info.alias or name for name, info in model.model_fields.items()]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.7)
    if close:
        return f"{message} (did you mean {close[0]!r}?)"
    return f"{message}; the settings here are {', '.join(known)}"


def model_at(loc: tuple) -> Optional[type[BaseModel]]:
    """The model that validates the mapping at `loc` in the file, e.g. Reception for
    ("employees", 0, "reception"); None when `loc` leads to no model."""
    kind: Any = ConfigFile
    for item in loc:
        kind = _unwrap(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            fields = {info.alias or name: info for name, info in kind.model_fields.items()}
            if item not in fields:
                return None
            kind = fields[item].annotation
        elif get_origin(kind) in (tuple, list):
            kind = get_args(kind)[0]
        elif get_origin(kind) is dict:
            kind = get_args(kind)[1]
        else:
            return None
    kind = _unwrap(kind)
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


def _unwrap(kind: Any) -> Any:
    """Optional[X] and Annotated[X, ...] -> X."""
    while True:
        if get_origin(kind) is Annotated:
            kind = get_args(kind)[0]
        elif get_origin(kind) in (Union, types.UnionType):
            members = [arg for arg in get_args(kind) if arg is not type(None)]
            if len(members) != 1:
                return kind
            kind = members[0]
        else:
            return kind


def _is_scalar(value: object) -> bool:
    return isinstance(value, (str, int, float, bool, dt.date))


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)

"""Reading the history filters from a request (page form or API query), in the viewer's zone.

`period` is today / yesterday / week (the last 7 days) / month (the last 30 days);
`from` / `to` are dates (local, `to` inclusive) or ISO 8601 times with an offset.
What the scope does not offer (another department, someone outside it) is refused
by the store (`FilterError`), and answered 400 by the caller.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping, Optional
from zoneinfo import ZoneInfo

from config.snapshot import Snapshot
from config.access import members_of
from store.history import CallFilter, FilterError

PERIODS = {"today": "Сегодня", "yesterday": "Вчера", "week": "7 дней", "month": "30 дней"}
DIRECTIONS = {"inbound": "входящий", "outbound": "исходящий", "internal": "внутренний"}
OUTCOMES = {"answered": "отвечен", "missed": "пропущен", "voicemail": "голосовая почта", "busy": "занято",
            "abandoned": "сброшен", "failed": "ошибка", "unknown_number": "неизвестный номер",
            "feature": "сервисный код", "not_answered": "все неотвеченные"}
FILTER_OUTCOMES = ("answered", "not_answered", "missed", "voicemail", "busy", "abandoned")


@dataclass(frozen=True)
class Period:
    start: Optional[dt.datetime]
    end: Optional[dt.datetime]


def _moment(text: str, zone: ZoneInfo, end: bool) -> dt.datetime:
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            if end:
                day += dt.timedelta(days=1)
            return dt.datetime.combine(day, dt.time(), zone)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise FilterError(f"«{text}» — не дата (2026-12-07) и не время ISO 8601") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def period(args: Mapping[str, str], zone: ZoneInfo, now: dt.datetime, default: str = "") -> Period:
    name = args.get("period") or ("" if args.get("from") or args.get("to") else default)
    today = now.astimezone(zone).date()
    midnight = lambda day: dt.datetime.combine(day, dt.time(), zone)      # noqa: E731
    tomorrow = midnight(today + dt.timedelta(days=1))
    if name == "today":
        return Period(midnight(today), tomorrow)
    if name == "yesterday":
        return Period(midnight(today - dt.timedelta(days=1)), midnight(today))
    if name == "week":
        return Period(midnight(today - dt.timedelta(days=6)), tomorrow)
    if name == "month":
        return Period(midnight(today - dt.timedelta(days=29)), tomorrow)
    if name and name != "custom":
        raise FilterError(f"период — один из {', '.join(PERIODS)}, а не «{name}»")
    start = _moment(args["from"], zone, end=False) if args.get("from") else None
    end = _moment(args["to"], zone, end=True) if args.get("to") else None
    if start and end and end <= start:
        raise FilterError("период кончается раньше, чем начинается")
    return Period(start, end)


def stats_window(args: Mapping[str, str], zone: ZoneInfo, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The span «Статистика» counts: the period asked for (the last 7 days by default); an open
    start is 30 days back, an open end is now."""
    p = period(args, zone, now, default="week")
    return p.start or now - dt.timedelta(days=30), p.end or now


def call_filter(args: Mapping[str, str], snapshot: Snapshot, zone: ZoneInfo, now: dt.datetime) -> CallFilter:
    p = period(args, zone, now)
    department = args.get("department") or None
    return CallFilter(start=p.start, end=p.end, direction=args.get("direction") or None,
                      outcome=args.get("outcome") or None, number=args.get("number") or None,
                      employee=args.get("employee") or None, department=department,
                      department_members=members_of(snapshot, department) if department else frozenset())


def employee_choices(scope, snapshot: Snapshot) -> list[tuple[str, str]]:
    """(login, "Name (ext)") the employee filter offers, by name."""
    if not scope.can_filter_employee:
        return []
    logins = scope.employee_choices if scope.employee_choices is not None else snapshot.by_login.keys()
    people = [snapshot.by_login[login] for login in logins if login in snapshot.by_login]
    return [(e.login, f"{e.name} ({e.extension})") for e in sorted(people, key=lambda e: e.name)]


def department_choices(scope, snapshot: Snapshot) -> list[str]:
    if not scope.can_filter_department:
        return []
    names = scope.department_choices if scope.department_choices is not None else snapshot.departments.keys()
    return sorted(name for name in names if name in snapshot.departments)

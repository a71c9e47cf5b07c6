"""What «Профиль» shows: an employee's state now and reception settings, in words.

Pure functions of the employee, the snapshot and an aware `now`, with the same
precedence routing applies: absence, then schedule.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Optional

from config.models import Employee, Target
from config.snapshot import Snapshot
from routing.absence import current_absence
from routing.schedule import WorkCalendar

DAY_NAMES = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")
STRATEGIES = {"simultaneous": "все сразу", "sequential": "по очереди", "cascade": "каскадом",
              "round_robin": "по кругу", "longest_idle": "дольше всех свободный первым"}
DEVICES = {"office": "рабочий телефон и софтфон", "mobile": "мобильный", "all": "рабочий телефон, софтфон и мобильный"}
REASONS = {"vacation": "отпуск", "sick_leave": "больничный", "other": "отсутствие"}


@dataclass(frozen=True)
class State:
    kind: str                                  # working | off_hours | absent
    until: Optional[dt.date] = None            # last day of the absence; None: until removed
    reason: str = ""

    def words(self) -> str:
        if self.kind == "working":
            return "работаю"
        if self.kind == "off_hours":
            return "нерабочее время"
        what = REASONS.get(self.reason, "отсутствие")
        return f"отсутствую ({what}) до {self.until:%d.%m.%Y} включительно" if self.until else \
            f"отсутствую ({what}), без даты окончания"

    def to_dict(self) -> dict:
        """The API's fields: `state` is the plain word the issue names, the rest say until when and why."""
        return {"state": self.kind, "state_until": self.until.isoformat() if self.until else None,
                "state_reason": self.reason or None}


def state_now(employee: Employee, snapshot: Snapshot, now: dt.datetime) -> State:
    local = now.astimezone(snapshot.zone_of(employee))
    absence = current_absence(employee.reception.absences, local.date())
    if absence is not None:
        return State("absent", absence.to, absence.reason)
    week = employee.reception.week
    if week is None:
        return State("working")
    calendar = WorkCalendar.build(week, snapshot.company.holidays, snapshot.company.workdays)
    return State("working" if calendar.is_working(local.replace(tzinfo=None)) else "off_hours")


def describe_target(target: Target, snapshot: Snapshot) -> str:
    kind, value = target.kind, target.value
    if kind == "hangup":
        return "сигнал «занято»"
    if kind == "employee":
        other = snapshot.by_login.get(value or "")
        return f"сотруднику {other.name} ({other.extension})" if other else f"сотруднику {value}"
    if kind == "department":
        dep = snapshot.departments.get(value or "")
        return f"в отдел «{value}»" + (f" ({dep.extension})" if dep else "")
    if kind == "voicemail":
        return "на голосовую почту" + (f" {value}" if value else "")
    return f"сообщение {value} и отбой"


def schedule_lines(employee: Employee) -> list[str]:
    """`Пн–Пт: 09:00–18:00`, `Сб, Вс: выходной`: days alike are grouped."""
    week = employee.reception.week
    if week is None:
        return ["круглосуточно"]
    texts = [", ".join(f"{_hhmm(i.start)}–{_hhmm(i.end)}" for i in day) or "выходной" for day in week]
    lines, start = [], 0
    for day in range(1, 8):
        if day == 7 or texts[day] != texts[start]:
            days = DAY_NAMES[start] if day - start == 1 else \
                f"{DAY_NAMES[start]}, {DAY_NAMES[day - 1]}" if day - start == 2 else f"{DAY_NAMES[start]}–{DAY_NAMES[day - 1]}"
            lines.append(f"{days}: {texts[start]}")
            start = day
    return lines


def reception_rows(employee: Employee, snapshot: Snapshot) -> list[tuple[str, str]]:
    """(label, value) pairs for the page, in the order the rules apply."""
    r = employee.reception
    rows = [("Звонят", DEVICES[r.devices])]
    if r.devices == "all":
        rows.append(("Мобильный подключается через", f"{r.mobile_delay} с"))
    rows.append(("Если не ответили", f"через {r.no_answer.after} с — {describe_target(r.no_answer, snapshot)}"))
    rows.append(("График", "; ".join(schedule_lines(employee))))
    rows.append(("Часовой пояс", (r.timezone or snapshot.company.timezone)))
    rows.append(("В нерабочее время", describe_target(r.off_hours, snapshot)))
    for a in r.absences:
        end = f"{a.to:%d.%m.%Y}" if a.to else "без даты окончания"
        rows.append(("Отсутствие", f"{REASONS[a.reason]} {a.from_:%d.%m.%Y} — {end}; звонки "
                                    f"{describe_target(a.forward, snapshot)}"))
    return rows


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"

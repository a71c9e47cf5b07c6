"""Rules that need the whole file: uniqueness, references, ranges, reserved numbers.

config.models validates each field on its own; every rule here looks across the
file and yields a Finding at the field the admin has to change.

`voicemail: "MAILBOX"` naming neither an employee's nor a department's extension is
an error, not a warning: FreeSWITCH creates a box when the first message is left in
it, so a mistyped box number would collect messages that nobody can ever listen to.
"""
from __future__ import annotations

import difflib
import os
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Iterable, Iterator, NamedTuple, Optional, Union

from config.models import (EMERGENCY_NUMBERS, WEEKDAYS, Company, ConfigFile, Department, Employee, FeatureCodes,
                           NumberTarget, Target, expand_day_key, gateway_problem, sound_file_problem)
from config.problems import Finding, Loc

Owner = Union[Employee, Department, None]          # whose rule a target is; None for a company number


class Destination(NamedTuple):
    """One place a call can be sent, with the target's kind and value worked out once."""
    loc: Loc                                       # of the target
    kind: str
    value: Optional[str]
    owner: Owner                                   # whose rule it is


@dataclass(frozen=True)
class Unchecked:
    """Logins, department names and extensions of entries that failed field validation.

    Those entries are not in `Sections`, yet a reference to them is not "unknown":
    the entry's own error is what the admin has to fix.
    """
    logins: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    extensions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Sections:
    """The validated parts of a file, each entry with its index in the file.

    Built from a whole ConfigFile, or from the entries that passed validation when
    others did not, so that one run reports every problem.  Employees' logins must be
    filled in (see config.logins.assign_logins); an employee whose login could not be
    derived keeps None and is left out of login rules.
    """
    company: Optional[Company]
    departments: tuple[tuple[int, Department], ...] = ()
    employees: tuple[tuple[int, Employee], ...] = ()
    features: FeatureCodes = field(default_factory=FeatureCodes)
    unchecked: Unchecked = field(default_factory=Unchecked)

    @classmethod
    def of(cls, file: ConfigFile) -> "Sections":
        return cls(file.company, tuple(enumerate(file.departments)), tuple(enumerate(file.employees)),
                   file.features)

    @cached_property
    def logins(self) -> frozenset[str]:
        return frozenset(e.login for _, e in self.employees if e.login) | self.unchecked.logins

    @cached_property
    def department_names(self) -> frozenset[str]:
        return frozenset(d.name for _, d in self.departments) | self.unchecked.departments

    @cached_property
    def extensions(self) -> frozenset[str]:
        return frozenset(ext for _, ext, _ in self.numbered) | self.unchecked.extensions

    @cached_property
    def numbered(self) -> tuple[tuple[Loc, str, str], ...]:
        """(location, extension, who) for every department and employee."""
        return tuple(_numbered(self))

    @cached_property
    def destinations(self) -> tuple[Destination, ...]:
        """Every target in the file; several rules look at each of a large file's tens of thousands."""
        return tuple(Destination(loc, target.kind, target.value, owner) for loc, target, owner in _targets(self))


def check(sections: Sections) -> list[Finding]:
    """Every whole-file problem, rule by rule."""
    return [finding for rule in RULES for finding in rule(sections)]


# --------------------------------------------------------------------------- extensions

def _numbered(s: Sections) -> Iterator[tuple[Loc, str, str]]:
    """(location, extension, who) for every department and employee."""
    for i, d in s.departments:
        yield ("departments", i, "extension"), d.extension, f"department {d.name}"
    for i, e in s.employees:
        yield ("employees", i, "extension"), e.extension, f"employee {e.name}"


def unique_extensions(s: Sections) -> Iterator[Finding]:
    owners: dict[str, list[tuple[Loc, str]]] = defaultdict(list)
    for loc, extension, who in s.numbered:
        owners[extension].append((loc, who))
    for extension, same in owners.items():
        if len(same) < 2:
            continue
        for loc, _ in same:
            others = ", ".join(who for other, who in same if other != loc)
            yield Finding(loc, f"extension {extension} is also used by {others}")


def extensions_in_range(s: Sections) -> Iterator[Finding]:
    """Inside company.extensions and written as that number (a leading zero is a different number to dial)."""
    if s.company is None:
        return
    low, high = s.company.extensions
    for loc, extension, _ in s.numbered:
        if extension in EMERGENCY_NUMBERS:
            continue                                  # reported once, as an emergency number
        if extension != str(int(extension)):
            yield Finding(loc, f"extension {extension} starts with 0: the company's extensions are {low}-{high}")
        elif not low <= int(extension) <= high:
            yield Finding(loc, f"extension {extension} is outside the company's extensions {low}-{high}")


def extensions_not_reserved(s: Sections) -> Iterator[Finding]:
    codes = {code: name for name, code in s.features.codes().items()}
    for loc, extension, _ in s.numbered:
        if extension in EMERGENCY_NUMBERS:
            yield Finding(loc, f"extension {extension} is an emergency number: callers must reach the "
                               "emergency services with it")
        elif extension in codes:
            yield Finding(loc, f"extension {extension} is the feature code features.{codes[extension]}")


# --------------------------------------------------------------------------- departments

def unique_department_names(s: Sections) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for i, d in s.departments:
        earlier = first.setdefault(d.name, i)
        if earlier != i:
            yield Finding(("departments", i, "name"), f"departments[{earlier}] is already named {d.name!r}")


def members_are_employees(s: Sections) -> Iterator[Finding]:
    for i, d in s.departments:
        seen: set[str] = set()
        for j, login in enumerate(d.members):
            loc = ("departments", i, "members", j)
            if login in seen:
                yield Finding(loc, f"{login} is already a member of {d.name}")
            elif login not in s.logins:
                yield Finding(loc, _unknown("employee with the login", login, s.logins))
            seen.add(login)


def employee_departments_exist(s: Sections) -> Iterator[Finding]:
    for i, e in s.employees:
        if e.department is not None and e.department not in s.department_names:
            yield Finding(("employees", i, "department"), _unknown("department named", e.department,
                                                                   s.department_names))


# --------------------------------------------------------------------------- targets

def _targets(s: Sections) -> Iterator[tuple[Loc, Union[Target, NumberTarget], Owner]]:
    """Every place a call can be sent: (location of the target, target, whose rule it is)."""
    for i, e in s.employees:
        reception = ("employees", i, "reception")
        yield reception + ("no_answer",), e.reception.no_answer, e
        yield reception + ("off_hours",), e.reception.off_hours, e
        for j, absence in enumerate(e.reception.absences):
            yield reception + ("absences", j, "forward"), absence.forward, e
    for i, d in s.departments:
        yield ("departments", i, "no_answer"), d.no_answer, d
    if s.company is not None:
        for number, target in s.company.numbers.items():
            yield ("company", "numbers", number), target, None


def targets_exist(s: Sections) -> Iterator[Finding]:
    for loc, kind, value, _ in s.destinations:
        if kind == "employee" and value not in s.logins:
            yield Finding(loc + ("employee",), _unknown("employee with the login", value, s.logins))
        elif kind == "department" and value not in s.department_names:
            yield Finding(loc + ("department",), _unknown("department named", value, s.department_names))


def no_forward_to_self(s: Sections) -> Iterator[Finding]:
    """A rule that sends a call back where it came from would only ring the same phones again."""
    for loc, kind, value, owner in s.destinations:
        if kind == "employee" and isinstance(owner, Employee) and value == owner.login:
            yield Finding(loc + ("employee",), f"forwards {owner.name}'s calls back to {owner.name}")
        elif kind == "department" and isinstance(owner, Department) and value == owner.name:
            yield Finding(loc + ("department",), f"sends {owner.name}'s unanswered calls back to {owner.name}")


def mailboxes_exist(s: Sections) -> Iterator[Finding]:
    for loc, kind, value, _ in s.destinations:
        if kind == "voicemail" and value is not None and value not in s.extensions:
            yield Finding(loc + ("voicemail",), f"there is no mailbox {value}: it is neither an "
                                                "employee's nor a department's extension")


# --------------------------------------------------------------------------- employees

def mobile_when_needed(s: Sections) -> Iterator[Finding]:
    for i, e in s.employees:
        if e.mobile is not None:
            continue
        reception = ("employees", i, "reception")
        if e.reception.devices in ("mobile", "all"):
            yield Finding(reception + ("devices",),
                          f"devices: {e.reception.devices} rings the mobile, but {e.name} has no valid mobile: number")
        if e.reception.mobile_confirm:
            yield Finding(reception + ("mobile_confirm",), f"mobile_confirm needs a valid mobile: number for {e.name}")


# --------------------------------------------------------------------------- company

def holidays_are_not_workdays(s: Sections) -> Iterator[Finding]:
    if s.company is None:
        return
    holidays = set(s.company.holidays)
    for j, day in enumerate(s.company.workdays):
        if day in holidays:
            yield Finding(("company", "workdays", j), f"{day} is listed both as a holiday and as a workday")


def caller_id_for_mobile_legs(s: Sections) -> Iterator[Finding]:
    if s.company is not None and s.company.mobile_caller_id == "company" and s.company.caller_id is None:
        yield Finding(("company", "mobile_caller_id"), "mobile legs are to show the company number, but "
                                                  "company.caller_id is not set")


# --------------------------------------------------------------------------- names FreeSWITCH reads as written

def gateway_is_a_name(s: Sections) -> Iterator[Finding]:
    if s.company is not None and (problem := gateway_problem(s.company.gateway)):
        yield Finding(("company", "gateway"), problem)


def sound_files_are_plain(s: Sections) -> Iterator[Finding]:
    """Messages, absence announcements and feature-code confirmations go to `playback` as written."""
    for loc, kind, value, _ in s.destinations:
        if kind == "message" and value and (problem := sound_file_problem(value)):
            yield Finding(loc + ("message",), problem)
    for i, e in s.employees:
        for j, absence in enumerate(e.reception.absences):
            if absence.announce and (problem := sound_file_problem(absence.announce)):
                yield Finding(("employees", i, "reception", "absences", j, "announce"), problem)
    for name in ("confirm_on", "confirm_off"):
        sound = getattr(s.features, name)
        if sound and (problem := sound_file_problem(sound)):
            yield Finding(("features", name), problem)
    if s.company is not None and s.company.mobile_confirm_file and \
            (problem := sound_file_problem(s.company.mobile_confirm_file)):
        yield Finding(("company", "mobile_confirm_file"), problem)


# --------------------------------------------------------------------------- recording (issue 11)

def _recording_rules(s: Sections):
    """(location of `recording`, the rule) for the company, every department and employee that has one."""
    if s.company is not None and s.company.recording is not None:
        yield ("company", "recording"), s.company.recording
    for i, d in s.departments:
        if d.recording is not None:
            yield ("departments", i, "recording"), d.recording
    for i, e in s.employees:
        if e.recording is not None:
            yield ("employees", i, "recording"), e.recording


def announce_files_exist(s: Sections) -> Iterator[Finding]:
    """The announcement is played to every recorded call: a missing file would leave callers unwarned.

    The daemon runs beside FreeSWITCH, which plays the file; a relative path would be
    resolved against FreeSWITCH's sound directory, which `check` cannot see, so the
    path must be absolute.
    """
    for loc, rule in _recording_rules(s):
        if rule.announce is None:
            continue
        if problem := sound_file_problem(rule.announce):
            yield Finding(loc + ("announce",), problem)
        elif not os.path.isabs(rule.announce):
            yield Finding(loc + ("announce",), f"announce must be an absolute path, not {rule.announce!r}")
        elif not os.path.isfile(rule.announce):
            yield Finding(loc + ("announce",), f"there is no file {rule.announce}")


def _unknown(what: str, name: Optional[str], known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name or "", sorted(known), n=1, cutoff=0.7)
    return f"there is no {what} {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


RULES: tuple[Callable[[Sections], Iterable[Finding]], ...] = (
    unique_extensions,
    extensions_in_range,
    extensions_not_reserved,
    unique_department_names,
    members_are_employees,
    employee_departments_exist,
    targets_exist,
    no_forward_to_self,
    mailboxes_exist,
    mobile_when_needed,
    holidays_are_not_workdays,
    caller_id_for_mobile_legs,
    gateway_is_a_name,
    sound_files_are_plain,
    announce_files_exist,
)


# --------------------------------------------------------------------------- warnings
#
# Rules under which the file loads but something never rings, or which routing reads
# otherwise than they look.  They may be meant, so `callrouter check` reports them
# without refusing the file; each says what happens instead.  How a schedule is read
# (intervals of one day are united, an interval ending before it starts runs past
# midnight) is routing.schedule's.

LONG_NIGHT_SHIFT = 12 * 60          # minutes: a wrapping interval longer than this is likely reversed
MINUTES_PER_DAY = 1440


def warnings(sections: Sections) -> list[Finding]:
    """Every warning, rule by rule (see WARNING_RULES)."""
    return [finding for rule in WARNING_RULES for finding in rule(sections)]


def never_rung(s: Sections) -> Iterator[Finding]:
    for i, e in s.employees:
        no_answer = e.reception.no_answer
        if no_answer.after == 0:
            yield Finding(("employees", i, "reception", "no_answer", "after"),
                          f"after: 0 means {e.name}'s phones never ring on a direct call: "
                          f"a direct call goes at once {_where(no_answer, e)}")


def mobile_never_rings(s: Sections) -> Iterator[Finding]:
    for i, e in s.employees:
        reception = e.reception
        after = reception.no_answer.after
        if reception.devices == "all" and after > 0 and reception.mobile_delay >= after:
            yield Finding(("employees", i, "reception", "mobile_delay"),
                          f"on a direct call the mobile would join after {reception.mobile_delay} s, but after "
                          f"{after} s the call goes {_where(reception.no_answer, e)}: the mobile rings only when "
                          f"the office phones cannot (unregistered or busy)")


def overlapping_shifts(s: Sections) -> Iterator[Finding]:
    for i, e in s.employees:
        if e.reception.schedule is not None:
            yield from _overlaps(("employees", i, "reception", "schedule"), e.reception.schedule)


def long_night_shifts(s: Sections) -> Iterator[Finding]:
    for i, e in s.employees:
        for key, intervals in (e.reception.schedule or {}).items():
            for j, interval in enumerate(intervals):
                length = interval.end - interval.start
                if interval.end > MINUTES_PER_DAY and length > LONG_NIGHT_SHIFT:
                    start, end = str(interval).split("-")
                    yield Finding(("employees", i, "reception", "schedule", key, j),
                                  f"{interval} ends before it starts, so it is a night shift of {_duration(length)}, "
                                  f"from {start} until {end} the next day; if you meant {end}-{start}, write that")


class _Placed(NamedTuple):
    """An interval on one weekday: its minutes there, and where the file writes it."""
    start: int
    end: int
    key: str
    index: int
    spilled: bool                    # the part after midnight of the day before's interval


def _overlaps(loc: Loc, schedule: dict) -> Iterator[Finding]:
    """Pairs of intervals that overlap on some weekday, each pair once with its days."""
    days: list[list[_Placed]] = [[] for _ in WEEKDAYS]
    for key, intervals in schedule.items():
        for j, interval in enumerate(intervals):
            for day in expand_day_key(key):
                days[day].append(_Placed(interval.start, interval.end, key, j, False))
                if interval.end > MINUTES_PER_DAY:
                    days[(day + 1) % 7].append(_Placed(0, interval.end - MINUTES_PER_DAY, key, j, True))
    pairs: dict[tuple, list[int]] = {}
    for day, placed in enumerate(days):
        placed.sort(key=lambda p: (p.start, p.end))
        for n, first in enumerate(placed):
            for second in placed[n + 1:]:
                if second.start < first.end:
                    pairs.setdefault((first, second), []).append(day)
    for (first, second), on in pairs.items():
        later = second if not second.spilled else first
        earlier = first if later is second else second
        merged = f"{_hm(min(first.start, second.start))}-{_hm(max(first.end, second.end))}"
        yield Finding(loc + (later.key, later.index),
                      f"{_text(schedule, later)} overlaps {_text(schedule, earlier)} "
                      f"({earlier.key}{', its part after midnight' if earlier.spilled else ''}) on "
                      f"{', '.join(WEEKDAYS[d] for d in on)}: the hours are counted as one shift, {merged}")


def _text(schedule: dict, placed: _Placed) -> str:
    return str(schedule[placed.key][placed.index])


def _hm(minutes: int) -> str:
    """Minutes from the start of a day as a time of day: 1440 is "24:00", 1800 "06:00" (the next day)."""
    hours = minutes // 60 % 24 if minutes > MINUTES_PER_DAY else minutes // 60
    return f"{hours:02d}:{minutes % 60:02d}"


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} hours" + (f" {rest} minutes" if rest else "")


def _where(target: Target, owner: Employee) -> str:
    """Where a rule sends the call, in words: "to voicemail 203", "to ivan.petrov" …"""
    kind, value = target.kind, target.value
    if kind == "hangup":
        return "nowhere (the caller hears busy)"
    return "to " + {"employee": f"{value}", "department": f"department {value}",
                    "voicemail": f"voicemail {value or owner.extension}", "message": f"the message {value}"}[kind]


WARNING_RULES: tuple[Callable[[Sections], Iterable[Finding]], ...] = (
    never_rung,
    mobile_never_rings,
    overlapping_shifts,
    long_night_shifts,
)

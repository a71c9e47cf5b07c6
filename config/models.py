"""pydantic models of the admin's YAML file.

The models validate one field at a time (types, shapes, formats: phone numbers,
time zones, intervals).  Rules that need the whole file (duplicates, references
between employees and departments, extension ranges) live in `config.checks`.
Every model is frozen: a loaded snapshot is shared by all calls and never changes.
"""
from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import re
import unicodedata
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated, Any, Iterator, Literal, Optional, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field,
                      ValidatorFunctionWrapHandler, WrapValidator, model_validator)

from config import limits

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EMERGENCY_NUMBERS = frozenset({"01", "02", "03", "04", "101", "102", "103", "104", "112", "911", "999"})
DEFAULT_REGION = "RU"

# Parsing a phone number costs tens of microseconds; a 10,000-employee file holds some
# 11,000, and a reload meets the same ones again.  Bounded, so that a daemon reloading
# for months keeps at most this many (about 20 MB when full).
PHONE_CACHE_SIZE = 65_536

_DIGITS_2_TO_8 = re.compile(r"[0-9]{2,8}")
_INTERVAL = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")
_RANGE = re.compile(r"\s*\d+\s*-\s*\d+\s*")
_HOSTPORT = re.compile(r"[^\s:]+:\d{1,5}")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _share_fields_set(self):
        """Give the model the one shared set of the field names it was given.

        pydantic keeps a set of them per instance, 200-700 bytes; 10,000 employees make
        over 40,000 models but only a few dozen different sets.  Sharing them is safe
        because nothing changes a frozen model's set in place: `model_copy(update=…)`
        copies it before adding the updated names (tests/config/test_shared.py checks it).
        """
        names = self.__pydantic_fields_set__
        shared = _shared_names(names)
        if shared is not names:                     # else a reused model, which calls may be reading
            object.__setattr__(self, "__pydantic_fields_set__", shared)
        return self


_FIELD_NAME_SETS: dict[frozenset[str], set[str]] = {}
FIELD_NAME_SETS_SIZE = 4096                     # subsets of a model's fields met in files; a few dozen in practice


def _shared_names(names: set[str]) -> set[str]:
    key = frozenset(names)
    shared = _FIELD_NAME_SETS.get(key)
    if shared is None:
        if len(_FIELD_NAME_SETS) >= FIELD_NAME_SETS_SIZE:
            return names
        shared = _FIELD_NAME_SETS[key] = names
    return shared


# --------------------------------------------------------------------------- shared values

_shared: ContextVar[Optional[dict[tuple, object]]] = ContextVar("config_models_shared", default=None)


@contextmanager
def shared_values() -> Iterator[None]:
    """Within it, a setting written exactly as one validated before gives that one's model.

    10,000 employees write some 4,000 different no-answer rules, 2,500 off-hours targets
    and 6 schedules: one model each instead of one per employee, some 8 MB less for a
    large file, and fewer validations.  The models are frozen, so sharing them changes nothing
    else.  The loader validates a file within it; the table lives for that load only.
    """
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def _shared_value(kind: str) -> WrapValidator:
    """A field validator that shares its value within `shared_values()` (the same `kind`, one table)."""
    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        table = _shared.get()
        key = _frozen(value) if table is not None else None
        if key is None:
            return handler(value)
        key = (kind, key)
        found = table.get(key)
        if found is None:
            found = table[key] = handler(value)       # a problem raises: nothing is kept
        return found
    return WrapValidator(validate)


def _frozen(value: object) -> Optional[tuple]:
    """A key for plain data as YAML gives it, exact as to types (`true` is not `1`);
    None for anything else."""
    kind = value.__class__
    if kind in _PLAIN:
        return (kind, value)
    if kind is dict:
        items = []
        for key, item in value.items():                       # type: ignore[attr-defined]
            item_kind = item.__class__
            if item_kind in _PLAIN and key.__class__ is str:    # the usual {after: 20, voicemail: true}
                items.append((key, item_kind, item))
                continue
            frozen = (_frozen(key), _frozen(item))
            if None in frozen:
                return None
            items.append(frozen)
        return (dict, tuple(items))
    if kind is list:
        values = tuple(_frozen(v) for v in value)             # type: ignore[attr-defined]
        return None if None in values else (list, values)
    return None


_PLAIN = frozenset({str, int, bool, type(None), dt.date})


# --------------------------------------------------------------------------- scalars

def e164(value: object) -> str:
    """Normalise a phone number to E.164 ("+7 916 123-45-67" -> "+79161234567")."""
    if not isinstance(value, (str, int)):
        raise ValueError("a phone number must be a string")
    return _e164_of_text(str(value).strip())


@functools.lru_cache(maxsize=PHONE_CACHE_SIZE)
def _e164_of_text(text: str) -> str:
    """`e164` of stripped text; invalid numbers raise and so are never cached."""
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError(f"{text!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{text!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _zone(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("a time zone must be a string such as Europe/Moscow")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


def _extension(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("an extension must be digits")
    text = str(value)
    if not _DIGITS_2_TO_8.fullmatch(text):
        raise ValueError(f"extension {text!r} must be 2 to 8 digits")
    return text


def _mailbox(value: object) -> object:
    """`voicemail: true` (the rule owner's own box) or a box number such as "300".

    One validator instead of a plain union, so a bad value gets one clear message
    rather than one per union member.
    """
    if value is True:
        return True
    if not isinstance(value, bool) and isinstance(value, (str, int)) and _DIGITS_2_TO_8.fullmatch(str(value)):
        return str(value)
    shown = str(value).lower() if isinstance(value, bool) else repr(value)
    raise ValueError(f"voicemail must be true (the own mailbox) or a mailbox number such as \"300\", not {shown}")


def _one_line(value: str) -> str:
    """Names and titles go into the SIP directory, call records, letters and log lines:
    one line of printable text, not blank."""
    if not value.strip():
        raise ValueError("cannot be blank")
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)
    if bad is not None:
        raise ValueError(f"must be one line of text, without line breaks, tabs or control characters "
                         f"(found {bad!r} at position {value.index(bad) + 1})")
    return value


# A name or a title: one line, at most as long as the store's column for it (config.limits).
OneLine = Annotated[str, Field(max_length=limits.NAME), AfterValidator(_one_line)]

PhoneNumber = Annotated[str, BeforeValidator(e164)]
TimeZoneName = Annotated[str, BeforeValidator(_zone)]
Extension = Annotated[str, BeforeValidator(_extension)]
Login = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
Seconds = Annotated[int, Field(ge=0, le=86400)]


class Interval(Model):
    """A working interval in minutes from the start of its day.

    `end` may exceed 1440: "22:00-06:00" is (1320, 1800) and belongs to the day it
    starts; "09:00-24:00" is (540, 1440).
    """
    start: int
    end: int

    @classmethod
    def parse(cls, value: object) -> "Interval":
        if isinstance(value, Interval):
            return value
        if not isinstance(value, str):
            raise ValueError("an interval is a string such as \"09:00-18:00\"")
        return _interval_of(value)

    @classmethod
    def _of_text(cls, value: str) -> "Interval":
        m = _INTERVAL.fullmatch(value)
        if not m:
            raise ValueError(f"malformed interval {value!r}: expected HH:MM-HH:MM")
        h1, m1, h2, m2 = map(int, m.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
            raise ValueError(f"malformed interval {value!r}: no such time of day")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if start == end:
            raise ValueError(f"empty interval {value!r}")
        if end < start:
            end += 1440
        return cls(start=start, end=end)

    def __str__(self) -> str:
        def hm(minutes: int) -> str:
            minutes = minutes if minutes <= 1440 else minutes - 1440
            return f"{minutes // 60:02d}:{minutes % 60:02d}"
        return f"{hm(self.start)}-{hm(self.end)}"


@functools.lru_cache(maxsize=4096)
def _interval_of(text: str) -> Interval:
    """One shared (frozen) Interval per spelling: a large file repeats "09:00-18:00" thousands of times."""
    return Interval._of_text(text)


IntervalField = Annotated[Interval, BeforeValidator(Interval.parse)]


def _day_key(value: object) -> str:
    """`mon` … `sun`, or a range such as `mon-fri` (wrapping ranges like `sat-mon` too)."""
    if not isinstance(value, str):
        raise ValueError("a schedule key is a weekday such as mon or a range such as mon-fri")
    parts = value.strip().lower().split("-")
    if len(parts) not in (1, 2) or any(p not in WEEKDAYS for p in parts):
        raise ValueError(f"unknown weekday {value!r}: use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri")
    return value.strip().lower()


DayKey = Annotated[str, BeforeValidator(_day_key)]


@functools.lru_cache(maxsize=256)
def expand_day_key(key: str) -> tuple[int, ...]:
    """Weekday numbers (Monday = 0) named by a schedule key."""
    parts = key.split("-")
    first = WEEKDAYS.index(parts[0])
    last = WEEKDAYS.index(parts[-1])
    return tuple((first + i) % 7 for i in range(((last - first) % 7) + 1))


# --------------------------------------------------------------------------- targets

TargetKind = Literal["hangup", "employee", "department", "voicemail", "message"]
TARGET_KINDS: tuple[str, ...] = ("hangup", "employee", "department", "voicemail", "message")


class Target(Model):
    """Where a call goes: exactly one of the five keys.

    `voicemail: true` means the box of the person (or department) whose rule this is;
    `voicemail: "300"` names a box.
    """
    hangup: Optional[Literal[True]] = None
    employee: Optional[Login] = None
    department: Optional[str] = None
    voicemail: Optional[Annotated[Union[Literal[True], str], BeforeValidator(_mailbox)]] = None
    message: Optional[str] = None

    @model_validator(mode="after")
    def _exactly_one(self):
        given = [k for k in TARGET_KINDS if getattr(self, k) is not None]
        if len(given) > 1 or (not given and not self._allow_empty()):
            raise ValueError("a target needs exactly one of hangup, employee, department, voicemail, message"
                             + (f" (got {', '.join(given)})" if given else ""))
        return self

    def _allow_empty(self) -> bool:
        return False

    @property
    def kind(self) -> str:
        for k in TARGET_KINDS:
            if getattr(self, k) is not None:
                return k
        return "hangup"

    @property
    def value(self) -> Optional[str]:
        """The login, department name, mailbox or file; None for hangup and own voicemail."""
        v = getattr(self, self.kind)
        return None if v is True else v

    def describe(self) -> str:
        v = self.value
        return self.kind if v is None else f"{self.kind}:{v}"


class NoAnswer(Target):
    """`{after: 20, employee: anna.smirnova}`; with no target key the caller hears busy."""
    after: Seconds = 120

    def _allow_empty(self) -> bool:
        return True


SharedTarget = Annotated[Target, _shared_value("target")]
SharedNoAnswer = Annotated[NoAnswer, _shared_value("no_answer")]


class NumberTarget(Model):
    """A company number (DID) points at an employee or a department."""
    employee: Optional[Login] = None
    department: Optional[str] = None

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.employee is None) == (self.department is None):
            raise ValueError("a company number points at exactly one of employee, department")
        return self

    @property
    def kind(self) -> str:
        return "employee" if self.employee is not None else "department"

    @property
    def value(self) -> str:
        return self.employee if self.employee is not None else self.department  # type: ignore[return-value]


# --------------------------------------------------------------------------- employee

class Absence(Model):
    from_: dt.date = Field(alias="from")
    to: Optional[dt.date] = None          # inclusive; None = until removed
    reason: Literal["vacation", "sick_leave", "other"] = "other"
    forward: SharedTarget = Target(voicemail=True)
    announce: Optional[str] = None

    @model_validator(mode="after")
    def _order(self):
        if self.to is not None and self.to < self.from_:
            raise ValueError(f"absence ends ({self.to}) before it starts ({self.from_})")
        return self

    def covers(self, day: dt.date) -> bool:
        return self.from_ <= day and (self.to is None or day <= self.to)


class Reception(Model):
    devices: Literal["office", "mobile", "all"] = "office"
    mobile_delay: Seconds = 0
    mobile_confirm: bool = False
    no_answer: SharedNoAnswer = NoAnswer()
    timezone: Optional[TimeZoneName] = None
    schedule: Optional[Annotated[dict[DayKey, tuple[IntervalField, ...]], _shared_value("schedule")]] = None
    off_hours: SharedTarget = Target(voicemail=True)
    absences: tuple[Absence, ...] = ()

    @property
    def week(self) -> Optional[tuple[tuple[Interval, ...], ...]]:
        """Intervals per weekday (Monday = 0), sorted; None when there is no schedule.

        Worked out on use (routing asks once per snapshot) rather than kept with every
        Reception, and shared by every schedule written alike.
        """
        return None if self.schedule is None else _week_of(tuple(self.schedule.items()))


@functools.lru_cache(maxsize=4096)
def _week_of(schedule: tuple[tuple[str, tuple[Interval, ...]], ...]) -> tuple[tuple[Interval, ...], ...]:
    """Reception.week of a schedule; one shared week per schedule, as a large file repeats a few."""
    week: list[list[Interval]] = [[] for _ in WEEKDAYS]
    for key, intervals in schedule:
        for day in expand_day_key(key):
            week[day].extend(intervals)
    return tuple(tuple(sorted(d, key=lambda i: i.start)) for d in week)


class Employee(Model):
    name: OneLine
    login: Optional[Login] = None          # filled in by the loader when absent
    extension: Extension
    position: Annotated[str, Field(max_length=limits.NAME)] = ""
    role: Literal["admin", "department_head", "user", "restricted_user"] = "user"
    scope: Literal["department", "company"] = "department"
    can_download_history: bool = True
    can_listen_recordings: bool = True
    email: Optional[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=limits.EMAIL)]] = None
    mobile: Optional[PhoneNumber] = None
    department: Optional[Annotated[str, Field(max_length=limits.NAME)]] = None
    reception: Reception = Reception()
    recording: Optional["Recording"] = None                    # issue 11: overrides the department's


# --------------------------------------------------------------------------- department

class Department(Model):
    name: OneLine
    extension: Extension
    strategy: Literal["simultaneous", "sequential", "cascade", "round_robin", "longest_idle"] = "simultaneous"
    member_timeout: Annotated[int, Field(ge=1, le=3600)] = 15
    timeout: Annotated[int, Field(ge=1, le=86400)] = 60
    skip_busy: bool = True
    members: tuple[Login, ...] = ()
    no_answer: SharedTarget = Target(voicemail=True)
    recording: Optional["Recording"] = None                    # issue 11: overrides the company's


# --------------------------------------------------------------------------- company

def _range(value: object) -> tuple[int, int]:
    if isinstance(value, (tuple, list)) and len(value) == 2:
        lo, hi = value
    elif isinstance(value, str) and _RANGE.fullmatch(value):
        lo, hi = (int(p) for p in value.split("-"))
    else:
        raise ValueError(f"extensions must look like 200-899, not {value!r}")
    lo, hi = int(lo), int(hi)
    if lo > hi:
        raise ValueError(f"extension range {lo}-{hi} is empty")
    return lo, hi


class Smtp(Model):
    host: str
    port: Annotated[int, Field(ge=1, le=65535)] = 25
    sender: str = Field(alias="from")
    starttls: bool = False
    user: Optional[str] = None
    password: Optional[str] = Field(default=None, repr=False)
    # TLS is required before AUTH and before a letter (it carries a password): STARTTLS,
    # or implicit TLS on port 465. Only a relay declared local and trusted may be plain.
    local_relay: bool = False
    ca_file: Optional[str] = None           # a private CA (PEM) the relay's certificate is signed by


class Company(Model):
    name: str = Field(min_length=1)
    domain: str = Field(min_length=1, pattern=r"^[A-Za-z0-9.-]+$")
    timezone: TimeZoneName = "Europe/Moscow"
    extensions: Annotated[tuple[int, int], BeforeValidator(_range)] = (200, 899)
    gateway: str = "trunk"
    caller_id: Optional[PhoneNumber] = None
    mobile_caller_id: Literal["caller", "company"] = "caller"   # what mobile legs show
    diversion: bool = False                                     # add a Diversion header on mobile legs
    # Answer confirmation on mobile legs (`mobile_confirm`, routing.devices): the prompt
    # the mobile hears (FreeSWITCH drops an answered leg whose prompt file is missing) and
    # how long, from the answer, the callee has to press 1 (FreeSWITCH group_confirm_timeout).
    mobile_confirm_file: Optional[str] = Field(default=None, min_length=1)
    mobile_confirm_seconds: Annotated[int, Field(ge=5, le=60)] = 12
    max_forwards: Annotated[int, Field(ge=0, le=10)] = 3
    holidays: tuple[dt.date, ...] = ()
    workdays: tuple[dt.date, ...] = ()
    numbers: dict[PhoneNumber, NumberTarget] = {}
    softphone_url: Optional[str] = None
    smtp: Optional[Smtp] = None
    recording: Optional["Recording"] = None                    # issue 11: the company's rule

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# --------------------------------------------------------------------------- call recording (issue 11)

RecordCalls = Literal["none", "external", "all"]


class Recording(Model):
    """`recording:` of the company, a department or an employee: which calls are recorded.

    Every key may be left out: an employee's rule takes what it does not say from their
    department's, and that from the company's (`config.recording.rule_for`).
    `calls`: none | external (callers from outside the company) | all (internal too);
    `announce`: an absolute path FreeSWITCH plays to the caller before anyone is rung
    («Разговор может быть записан»), once per call; `retention_days`: how long a
    recording is kept (`callrouter recordings prune` deletes it after that).
    """
    calls: Optional[RecordCalls] = None
    announce: Optional[str] = Field(default=None, min_length=1)
    retention_days: Optional[Annotated[int, Field(ge=1, le=3650)]] = None


class RecordingsSettings(Model):
    """`recordings:` where recordings are written and in which format.

    Stereo WAV: the caller on the left, the employee on the right, so that a dispute can
    be heard side by side.  `dir` is on the FreeSWITCH box (FreeSWITCH writes the files;
    the daemon makes the day directories) and readable by `callrouter web`.
    """
    dir: str = Field(default="var/recordings", min_length=1)
    format: Literal["wav"] = "wav"
    stereo: bool = True


# --------------------------------------------------------------------------- runtime sections

def _hostport(value: object) -> str:
    if not isinstance(value, str) or not _HOSTPORT.fullmatch(value):
        raise ValueError(f"an address is HOST:PORT, not {value!r}")
    return value


HostPort = Annotated[str, BeforeValidator(_hostport)]


def is_loopback_address(address: str) -> bool:
    """Whether HOST:PORT (or a bare host) only this machine can reach: 127.0.0.0/8, ::1, localhost."""
    host = address.rpartition(":")[0] if _HOSTPORT.fullmatch(address) else address
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False            # a name could resolve anywhere; a wildcard is every interface


class DaemonSettings(Model):
    listen: HostPort = "127.0.0.1:8084"         # outbound ESL (FreeSWITCH's socket app)
    http: HostPort = "127.0.0.1:9464"           # /metrics, /healthz, /readyz, directory
    linger: Annotated[int, Field(ge=1, le=300)] = 10
    drain_timeout: Annotated[int, Field(ge=0, le=3600)] = 30
    command_timeout: Annotated[float, Field(gt=0, le=60)] = 5.0
    # How FreeSWITCH runs the outbound socket (`deploy freeswitch` writes the matching
    # dialplan): `sync` is `socket ADDR full`, run in the channel's own thread, with the
    # dialplan's call-setup speed; `async` is `socket ADDR async full` (parked channel).
    socket_mode: Literal["sync", "async"] = "sync"
    # HTTP basic auth that mod_xml_curl must send to the directory endpoint (both or neither).
    directory_user: Optional[str] = None
    directory_password: Optional[str] = Field(default=None, repr=False)
    # The directory's own listener, apart from /metrics; unset: served on `http`.
    directory_listen: Optional[HostPort] = None

    @model_validator(mode="after")
    def _directory_auth_pair(self):
        if (self.directory_user is None) != (self.directory_password is None):
            raise ValueError("directory_user and directory_password go together")
        if self.directory_user is not None and ":" in self.directory_user:
            raise ValueError("directory_user cannot contain ':' (HTTP basic auth)")
        return self

    @model_validator(mode="after")
    def _exposed_directory_needs_credentials(self):
        """The directory serves every employee's A1 hash: off loopback, only with credentials."""
        if self.directory_auth is None and not is_loopback_address(self.directory_address):
            where = "daemon.directory_listen" if self.directory_listen else "daemon.http"
            raise ValueError(
                f"the SIP directory ({where} {self.directory_address}) is reachable from other hosts and would hand "
                "every employee's SIP hash to anyone: set daemon.directory_user and daemon.directory_password "
                "(`callrouter deploy freeswitch` generates them), or keep it on 127.0.0.1 (daemon.directory_listen "
                "separates it from /metrics)")
        return self

    @property
    def directory_address(self) -> str:
        """Where the directory listens: its own listener, or the metrics one."""
        return self.directory_listen or self.http

    @property
    def directory_auth(self) -> Optional[tuple[str, str]]:
        """(user, password) for the directory endpoint, or None when it is open to loopback."""
        if self.directory_user is None or self.directory_password is None:
            return None
        return self.directory_user, self.directory_password


class FreeswitchSettings(Model):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8021
    password: str = Field(default="ClueCon", repr=False)


class StoreSettings(Model):
    url: str = "sqlite:///var/callrouter.sqlite3"
    spool: str = "var/records.spool"


class FeatureCodes(Model):
    forward_to_mobile_on: str = "*21"
    forward_to_mobile_off: str = "#21"
    dnd_on: str = "*78"
    dnd_off: str = "*79"
    # What the caller hears when a code applied: a sound file FreeSWITCH can play, or
    # by default three short beeps (rising for "on", falling for "off").
    confirm_on: Optional[str] = Field(default=None, min_length=1)
    confirm_off: Optional[str] = Field(default=None, min_length=1)

    def codes(self) -> dict[str, str]:
        """The codes by feature name (the sounds left out)."""
        return {"forward_to_mobile_on": self.forward_to_mobile_on, "forward_to_mobile_off": self.forward_to_mobile_off,
                "dnd_on": self.dnd_on, "dnd_off": self.dnd_off}


class WebThrottle(Model):
    """Sign-in throttling of `callrouter web`, per login and per client address.

    Failures past the free ones each make the next attempt wait longer (`first_delay`,
    doubled every failure, up to `lockout`); the wait ends by itself. A counter is
    forgotten `forget_after` seconds after its last failure, and a good password
    clears its login's counter. An address gets more free failures than a login:
    an office behind one NAT shares it.
    """
    login_free_failures: Annotated[int, Field(ge=1, le=1000)] = 5
    address_free_failures: Annotated[int, Field(ge=1, le=10000)] = 20
    first_delay: Annotated[float, Field(gt=0, le=3600)] = 1.0
    lockout: Annotated[int, Field(ge=1, le=86400)] = 900
    forget_after: Annotated[int, Field(ge=60, le=7 * 86400)] = 3600


class WebSettings(Model):
    """`callrouter web`: the employees' pages and their JSON API («Личный кабинет»)."""
    listen: HostPort = "127.0.0.1:8080"
    # Secure cookies unless `listen` is loopback only (a local test, or a TLS proxy in
    # front on the same host that is trusted to set them) or this is false.
    secure_cookies: bool = True
    session_idle: Annotated[int, Field(ge=60, le=30 * 86400)] = 8 * 3600
    # Behind a reverse proxy the client's address is the last X-Forwarded-For entry.
    trust_forwarded_for: bool = False
    throttle: WebThrottle = WebThrottle()


class RecoverySms(Model):
    """An SMS gateway reached by one HTTP request: `{phone}` and `{text}` in `url` and
    `body` are replaced (URL-encoded in the URL, JSON-escaped in a JSON body, form-encoded
    in a form body); headers are sent as written (an API key goes here)."""
    url: str = Field(pattern=r"^https?://")
    method: Literal["GET", "POST", "PUT"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict, repr=False)
    body: str = '{"to": "{phone}", "text": "{text}"}'
    timeout: Annotated[float, Field(gt=0, le=60)] = 10.0


class RecoverySettings(Model):
    """Password recovery through the employee's personal mobile (`callrouter web`).

    The call goes out through `company.gateway` and shows `company.caller_id` (or the
    first company number); `prompt` is a sound file FreeSWITCH can play (None: a tone).
    """
    enabled: bool = True
    # A path FreeSWITCH can play; it goes into the originate command, so no spaces, quotes,
    # brackets or commas.
    prompt: Optional[str] = Field(default=None, pattern=r"^[^\s'(){},]+$")
    ring_timeout: Annotated[int, Field(ge=10, le=120)] = 45
    calls_per_hour: Annotated[int, Field(ge=1, le=20)] = 3        # per employee, calls and SMS together
    address_per_hour: Annotated[int, Field(ge=1, le=10000)] = 20  # requests per client address
    sms: Optional[RecoverySms] = None


class ConfigFile(Model):
    company: Company
    departments: tuple[Department, ...] = ()
    employees: tuple[Employee, ...] = ()
    daemon: DaemonSettings = DaemonSettings()
    freeswitch: FreeswitchSettings = FreeswitchSettings()
    store: StoreSettings = StoreSettings()
    features: FeatureCodes = FeatureCodes()
    recovery: RecoverySettings = RecoverySettings()
    web: WebSettings = WebSettings()
    recordings: RecordingsSettings = RecordingsSettings()


# --------------------------------------------------------------------------- names FreeSWITCH reads as written

# `company.gateway` goes into `sofia/gateway/GATEWAY/+7…` inside a bridge's dial string
# (`,` `|` start legs and groups, `[` `{` variables, `/` another endpoint part); sound
# files become `playback`'s argument, where `${…}` is expanded (`${system(…)}` runs a
# command) and a line break would end the ESL header. Only plain names get through.
GATEWAY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SOUND_PATH = re.compile(r"[\w./+-]+")                 # letters of any script, digits, _ . / + -
TONE_STREAM = re.compile(r"tone_stream://[%(),;=.0-9A-Za-z+-]+")


def gateway_problem(name: str) -> Optional[str]:
    """Why `name` cannot be a sofia gateway name in a dial string, or None."""
    if GATEWAY_NAME.fullmatch(name):
        return None
    return (f"{name!r} cannot be a gateway name: it goes into every mobile leg's dial string, where only "
            "letters, digits, '.', '_' and '-' are safe")


def sound_file_problem(path: str) -> Optional[str]:
    """Why `path` cannot be handed to FreeSWITCH's `playback`, or None."""
    if (SOUND_PATH.fullmatch(path) and ".." not in path.split("/")) or TONE_STREAM.fullmatch(path):
        return None
    return (f"{path!r} cannot be a sound file: FreeSWITCH would read part of it as a command; use a path of "
            "letters, digits and '_ . / + -' (or a tone_stream://)")


for _model in (Employee, Department, Company, ConfigFile):       # they name Recording before it is defined
    _model.model_rebuild()

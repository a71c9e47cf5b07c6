"""The immutable, indexed view of one loaded config file that every call reads.

A reload builds a new Snapshot and swaps the reference; calls in progress keep the
one they started with.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping, Optional
from zoneinfo import ZoneInfo

from config.models import ConfigFile, Company, Department, Employee, NumberTarget


@dataclass(frozen=True)
class Snapshot:
    file: ConfigFile
    source: str = "<memory>"                       # the path it was loaded from
    by_login: Mapping[str, Employee] = field(default_factory=dict)
    by_extension: Mapping[str, Employee] = field(default_factory=dict)
    departments: Mapping[str, Department] = field(default_factory=dict)        # by name
    department_by_extension: Mapping[str, Department] = field(default_factory=dict)
    numbers: Mapping[str, NumberTarget] = field(default_factory=dict)         # by E.164 DID
    zones: Mapping[str, ZoneInfo] = field(default_factory=dict)               # by zone name

    @classmethod
    def build(cls, file: ConfigFile, source: str = "<memory>") -> "Snapshot":
        """Index a validated file (logins must already be filled in)."""
        employees = file.employees
        zone_names = {file.company.timezone} | {e.reception.timezone for e in employees if e.reception.timezone}
        return cls(
            file=file,
            source=source,
            by_login=MappingProxyType({e.login: e for e in employees}),
            by_extension=MappingProxyType({e.extension: e for e in employees}),
            departments=MappingProxyType({d.name: d for d in file.departments}),
            department_by_extension=MappingProxyType({d.extension: d for d in file.departments}),
            numbers=MappingProxyType(dict(file.company.numbers)),
            zones=MappingProxyType({name: ZoneInfo(name) for name in zone_names}),
        )

    @property
    def company(self) -> Company:
        return self.file.company

    def zone_of(self, employee: Optional[Employee] = None) -> ZoneInfo:
        """The employee's own time zone, else the company's."""
        name = (employee.reception.timezone if employee is not None else None) or self.file.company.timezone
        return self.zones[name]

"""What is wrong with a config file, in the words an admin reads.

A `Finding` is produced by code that knows the validated models but not the YAML
text (logins, whole-file checks): it names the offending field by its location in
the file's structure, e.g. ``("employees", 3, "extension")``.  The loader turns each
finding into a `Problem`, which adds the file name, the line and a readable path.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Union

Loc = tuple[Union[str, int], ...]


@dataclass(frozen=True)
class Finding:
    loc: Loc
    message: str


@dataclass(frozen=True)
class Problem:
    source: str                 # the file name as the admin gave it
    line: Optional[int]         # 1-based; None when the problem is the whole file
    path: str                   # e.g. "employees[3].reception.schedule.mon-fri[1]"; "" for the whole file
    message: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(Exception):
    """A config file was refused; `problems` lists every reason, in file order."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

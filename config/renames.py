"""Logins that a new version of the file changes.

A login not written in the file is derived from the name, so renaming «Пётр Первый»
to «Пётр Великий» turns `pyotr.pervy` into `pyotr.veliky`: the password hashes in the
store belong to the old login, and the phones set up with it stop registering.  The
file still loads (nothing in it is wrong), so the change is said aloud instead: by
the daemon when it reloads, by `callrouter check` against the store.

An employee is recognised across versions by their extension; a login that is still
in the file (someone moved to another extension) is no change.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping

from config.logins import derive_login
from config.problems import Finding
from config.snapshot import Snapshot


@dataclass(frozen=True)
class LoginChange:
    index: int                # of the employee in the new file
    name: str
    extension: str
    old: str
    new: str
    written: bool             # the new login is written in the file (else derived from the name)

    def message(self, config: str, stored: bool = False) -> str:
        whose = (f"the password in the store is {self.old}'s" if stored
                 else f"a password made for {self.old} does not apply to {self.new}")
        return (f"{self.name} (extension {self.extension}): the SIP login changes from {self.old} to {self.new}"
                f"{' (derived from the new name)' if not self.written else ''}, and {whose}: phones set up "
                f"with {self.old} stop registering. To keep the old login, write `login: {self.old}` under "
                f"{self.name}; to move to the new one, run `callrouter employee passwd {self.new} --send -c {config}`")

    def finding(self, config: str, stored: bool = False) -> Finding:
        return Finding(("employees", self.index, "login" if self.written else "name"), self.message(config, stored))


def login_changes(gone: Mapping[str, str], snapshot: Snapshot) -> Iterator[LoginChange]:
    """The employees of `snapshot` at the extension of a login in `gone` (login -> its
    extension; logins the file no longer has), who now have another login."""
    for old, extension in gone.items():
        employee = snapshot.by_extension.get(extension)
        if employee is not None and employee.login != old and old not in snapshot.by_login:
            yield LoginChange(snapshot.file.employees.index(employee), employee.name, extension, old,
                              employee.login, written=not _derived(employee.login, employee.name))


def gone_logins(before: Snapshot, after: Snapshot) -> dict[str, str]:
    """login -> extension, for the logins of `before` that `after` no longer has (a set
    difference, cheap for 10,000 employees: a reload computes it every time)."""
    return {login: before.by_login[login].extension for login in before.by_login.keys() - after.by_login.keys()}


def _derived(login: str, name: str) -> bool:
    """Whether `login` is what the name gives (a login written the same way reads alike)."""
    try:
        return derive_login(name) == login
    except ValueError:
        return False

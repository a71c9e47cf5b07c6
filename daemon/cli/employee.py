"""`callrouter employee add|passwd|welcome|list`: accounts, the way the «Добавить сотрудника» dialog works.

Passwords are generated here (or read from stdin), shown once, mailed in the
welcome letter when the employee has an email and `company.smtp` is set, and kept
in the store only as hashes. Since no copy is kept, re-sending a letter means
making a new password.
"""
from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from typing import Optional

from pydantic import TypeAdapter, ValidationError

from config.loader import ConfigError
from config.logins import derive_login
from config.messages import describe
from config.models import Employee, OneLine
from config.snapshot import Snapshot
from daemon.cli.check import add_config_argument, load_or_exit, report
from daemon.cli.config_edit import add_employee, next_free_extension, taken_numbers
from daemon.cli.db import open_store_or_exit, store_error
from daemon.cli.moments import within_range
from daemon.cli.output import table
from daemon.mail import MailError, Welcome, send_welcome
from routing.absence import current_absence
from routing.schedule import WorkCalendar, is_working
from store.credentials import (Credentials, check_password_strength, credential_state, domain_change_warning,
                               generate_password)
from store.database import Store

EXIT_LETTER_NOT_SENT = 3
ROLES = ("admin", "department_head", "user", "restricted_user")


def register(subparsers) -> None:
    parser = subparsers.add_parser("employee", help="add employees, set passwords, list who is working")
    commands = parser.add_subparsers(dest="employee_command", metavar="COMMAND")
    commands.required = True
    _register_add(commands)
    _register_passwd(commands)
    _register_welcome(commands)
    _register_list(commands)


def _register_add(commands) -> None:
    add = commands.add_parser(
        "add", help="add an employee to the config file and make their password",
        description="Append an employee to the config file (comments and layout kept; the result is "
                    "validated before it replaces the file), make a SIP password, keep its hashes in the store, "
                    "print it once and send the welcome letter.",
        epilog=f"Exit status {EXIT_LETTER_NOT_SENT}: the employee was added but the letter could not be sent.")
    add_config_argument(add)
    add.add_argument("--name", required=True, help='full name, e.g. "Иван Петров"')
    add.add_argument("--login", help="SIP user name [derived from the name: ivan.petrov]")
    add.add_argument("--extension", help="[the next free number after the highest employee's]")
    add.add_argument("--role", choices=ROLES, help="[user]")
    add.add_argument("--department", help="department name; the employee also joins its ring order, last")
    add.add_argument("--mobile", help='personal mobile, e.g. "+7 916 123-45-67"')
    add.add_argument("--email", help="where the welcome letter goes")
    add.add_argument("--position", help="job title (free text)")
    _password_options(add)
    add.add_argument("--no-letter", action="store_true", help="do not send the welcome letter")
    add.set_defaults(func=run_add)


def _register_passwd(commands) -> None:
    passwd = commands.add_parser(
        "passwd", help="give an employee a new password",
        description="Make a new SIP password (the old one stops working), print it once; --send mails it. "
                    "Needed for everyone after company.domain changes: the stored hash includes the domain.")
    passwd.add_argument("login")
    add_config_argument(passwd)
    _password_options(passwd)
    passwd.add_argument("--send", action="store_true", help="also send the welcome letter with it")
    passwd.set_defaults(func=run_passwd)


def _register_welcome(commands) -> None:
    welcome = commands.add_parser(
        "welcome", help="send the welcome letter again, with a new password",
        description="Passwords are kept only as hashes, so a letter cannot repeat the old one: this makes a "
                    "new password and mails it. The old password keeps working until the letter is sent.")
    welcome.add_argument("login")
    add_config_argument(welcome)
    welcome.set_defaults(func=run_welcome)


def _register_list(commands) -> None:
    listing = commands.add_parser(
        "list", help="employees, their state now, overrides and passwords",
        description="List every employee with their extension, department and role; whether they are working, "
                    "off hours or absent now (or --at a given time), with the config's schedule, holidays and "
                    "absences; the overrides they set by feature code or self-service (forward to mobile, do not "
                    "disturb); and whether they have a SIP password for the current domain.")
    add_config_argument(listing)
    listing.add_argument("--at", metavar="DATETIME", type=_datetime,
                         help="the state at this time (ISO 8601; company time zone unless an offset is given)")
    listing.set_defaults(func=run_list)


def _password_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of stdin instead of generating one "
                             "(typed at a terminal, it is not shown)")


# --------------------------------------------------------------------------- add

def run_add(args: argparse.Namespace) -> int:
    snapshot = load_or_exit(args.config)
    try:
        _check_name(args.name)
        login = _new_login(snapshot, args.name, args.login)
        extension = _new_extension(snapshot, args.extension)
        password = _password(args)
    except ValueError as exc:
        return _fail(str(exc))
    # The login is written even when derived: renaming the employee later must not change it.
    entry = {"name": args.name, "login": login, "extension": extension, "position": args.position,
             "role": args.role, "email": args.email, "mobile": args.mobile, "department": args.department}
    store = open_store_or_exit(snapshot)
    try:
        snapshot = _add(args.config, entry, login, args.department, password, store)
    except ConfigError as exc:
        print("callrouter: the employee was not added, the file would not load:", file=sys.stderr)
        report(exc, sys.stderr)
        return 1
    except StoreUnavailable as exc:
        return _fail(f"the employee was not added: {exc}")
    finally:
        store.close()
    employee = snapshot.by_login[login]
    print(f"Added {employee.name} to {args.config}: login {login}, extension {employee.extension}"
          + (f", department {employee.department} (rings last in its order)" if employee.department else ""))
    _print_password(login, password, args.password_stdin)
    if args.no_letter:
        return 0
    return _mail_new_password(snapshot, employee, password, f"callrouter employee welcome {login} -c {args.config}")


class StoreUnavailable(Exception):
    pass


def _add(config: str, entry: dict, login: str, department: Optional[str], password: str, store: Store) -> Snapshot:
    """Validate the edited file, store the hashes, then put the file in place.

    Hashes first: if the database refuses them the file is left as it was, and a
    stray hash for a login nobody has is harmless.
    """
    edit = add_employee(config, entry, login, department)
    try:
        store.set_password(login, password, edit.snapshot.company.domain)
    except Exception as exc:
        edit.discard()
        raise StoreUnavailable(f"cannot store the password in {store.describe()}: {store_error(exc)}") from None
    snapshot = edit.commit()
    try:
        store.sync_directory(snapshot)
    except Exception as exc:          # not needed for the account: the daemon syncs on its next load
        print(f"callrouter: note: the store's copy of the directory was not updated ({store_error(exc)})",
              file=sys.stderr)
    return snapshot


def _check_name(name: str) -> None:
    try:
        _NAME.validate_python(name)
    except ValidationError as exc:
        raise ValueError(f"--name {name!r} {describe(exc.errors()[0])}") from None


_NAME = TypeAdapter(OneLine)


def _new_login(snapshot: Snapshot, name: str, given: Optional[str]) -> str:
    try:
        login = given or derive_login(name)
    except ValueError:
        raise ValueError(f"cannot make a login from the name {name!r}: give one with --login") from None
    holder = snapshot.by_login.get(login)
    if holder is not None:
        raise ValueError(f"login {login!r} is already {holder.name}'s: give another with --login")
    return login


def _new_extension(snapshot: Snapshot, given: Optional[str]) -> str:
    if given is None:
        return next_free_extension(snapshot)
    if given in taken_numbers(snapshot):
        raise ValueError(f"extension {given} is taken (an employee, a department, an emergency number or a "
                         f"feature code); the next free one is {next_free_extension(snapshot)}")
    return given


# --------------------------------------------------------------------------- passwd, welcome

def run_passwd(args: argparse.Namespace) -> int:
    snapshot = load_or_exit(args.config)
    employee = snapshot.by_login.get(args.login)
    if employee is None:
        return _fail(f"no employee with login {args.login!r} in {args.config}")
    try:
        password = _password(args)
    except ValueError as exc:
        return _fail(str(exc))
    store = open_store_or_exit(snapshot)
    try:
        store.sync_directory(snapshot)
        from store.web import WebStore            # web sessions end first: none outlives the old password
        WebStore(store).end_sessions_of(employee.login)
        store.set_password(employee.login, password, snapshot.company.domain)
    except Exception as exc:
        return _fail(f"the password was not changed: {store.describe()}: {store_error(exc)}")
    finally:
        store.close()
    print(f"New password for {employee.login}: set it in their phones and softphones; the old one no longer works.")
    _print_password(employee.login, password, args.password_stdin)
    if not args.send:
        return 0
    retry = f"callrouter employee welcome {employee.login} -c {args.config}"
    return _mail_new_password(snapshot, employee, password, retry)


def run_welcome(args: argparse.Namespace) -> int:
    """Send first, store after: a failed letter leaves the old password working."""
    snapshot = load_or_exit(args.config)
    employee = snapshot.by_login.get(args.login)
    if employee is None:
        return _fail(f"no employee with login {args.login!r} in {args.config}")
    reason = _why_no_letter(snapshot, employee)
    if reason:
        return _fail(f"cannot send a letter: {reason}")
    store = open_store_or_exit(snapshot)
    password = generate_password()
    try:
        send_welcome(snapshot.company.smtp, _letter(snapshot, employee, password))
    except MailError as exc:
        store.close()
        return _fail(f"the letter to {employee.email} was not sent ({exc}); nothing changed, the old password "
                     f"still works", EXIT_LETTER_NOT_SENT)
    try:
        store.sync_directory(snapshot)
        store.set_password(employee.login, password, snapshot.company.domain)
    except Exception as exc:
        return _fail(f"the letter went to {employee.email} but its password could not be stored "
                     f"({store_error(exc)}): "
                     f"it will not work; run this command again")
    finally:
        store.close()
    print(f"Sent {employee.email} a new password for {employee.login}: the old one is not kept anywhere, so a "
          f"letter cannot repeat it, and it no longer works.")
    return 0


def _mail_new_password(snapshot: Snapshot, employee: Employee, password: str, retry: str) -> int:
    reason = _why_no_letter(snapshot, employee)
    if reason:
        print(f"No welcome letter: {reason}. Give {employee.name} the password yourself.")
        return 0
    try:
        send_welcome(snapshot.company.smtp, _letter(snapshot, employee, password))
    except MailError as exc:
        print(f"callrouter: the welcome letter to {employee.email} was NOT sent: {exc}\n"
              f"The account is ready. To send a letter later run `{retry}`: it makes a new password, since "
              f"this one is not kept.", file=sys.stderr)
        return EXIT_LETTER_NOT_SENT
    print(f"Welcome letter sent to {employee.email}.")
    return 0


def _why_no_letter(snapshot: Snapshot, employee: Employee) -> str:
    if not employee.email:
        return f"{employee.login} has no email"
    if snapshot.company.smtp is None:
        return "company.smtp is not set in the config file"
    return ""


def _letter(snapshot: Snapshot, employee: Employee, password: str) -> Welcome:
    company = snapshot.company
    return Welcome(name=employee.name, email=employee.email, login=employee.login, password=password,
                   extension=employee.extension, domain=company.domain, company=company.name,
                   softphone_url=company.softphone_url)


def _password(args: argparse.Namespace) -> str:
    if not args.password_stdin:
        return generate_password()
    if sys.stdin.isatty():                 # typed: the terminal must not show it
        password = getpass.getpass("Password (not shown): ", stream=sys.stderr)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    check_password_strength(password)
    return password


def _print_password(login: str, password: str, given: bool = False) -> None:
    """A password the admin gave on stdin is not echoed: it may be one they use elsewhere,
    and the terminal's scrollback or a CI log would keep it."""
    if given:
        print(f"Password of {login} was set from stdin (not shown; kept only as hashes).")
    else:
        print(f"Password of {login} (shown this once, kept only as hashes): {password}")


# --------------------------------------------------------------------------- list

def run_list(args: argparse.Namespace) -> int:
    snapshot = load_or_exit(args.config)
    now = args.at or dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=snapshot.company.zone)
    try:
        within_range(now, now.isoformat())
    except ValueError as exc:
        print(f"callrouter employee list: --at {exc}", file=sys.stderr)
        return 2
    store = open_store_or_exit(snapshot)
    try:
        overrides, credentials = store.overrides(), store.all_credentials()
    except Exception as exc:
        return _fail(f"cannot read {store.describe()}: {store_error(exc)}")
    finally:
        store.close()
    domain = snapshot.company.domain
    rows = []
    for e in sorted(snapshot.file.employees, key=lambda e: (len(e.extension), e.extension)):
        found = overrides.get(e.login)
        rows.append((e.extension, e.login, e.name, e.department, e.role, employee_state(snapshot, e, now),
                     found.describe() if found else "", credential_state(credentials.get(e.login), domain)))
    print(table(("EXT", "LOGIN", "NAME", "DEPARTMENT", "ROLE", "STATE", "OVERRIDES", "PASSWORD"), rows))
    _warn_about_credentials(rows, credentials, domain, args.config)
    return 0


def employee_state(snapshot: Snapshot, employee: Employee, now: dt.datetime) -> str:
    """`working`, `off hours` or `absent (vacation until 2026-12-14)`, with routing's own rules:
    absence first, then the schedule with the company's holidays, in the employee's time zone."""
    local = now.astimezone(snapshot.zone_of(employee))
    reception = employee.reception
    absence = current_absence(reception.absences, local.date())
    if absence is not None:
        until = f" until {absence.to.isoformat()}" if absence.to else ""
        return f"absent ({absence.reason.replace('_', ' ')}{until})"
    calendar = None if reception.week is None else WorkCalendar.build(
        reception.week, snapshot.company.holidays, snapshot.company.workdays)
    return "working" if is_working(calendar, local) else "off hours"


def _warn_about_credentials(rows, credentials: dict[str, Credentials], domain: str, config: str) -> None:
    listed = {row[1] for row in rows}
    stale = {login: c for login, c in credentials.items() if login in listed and not c.usable_for(domain)}
    if stale:
        print(f"\nWarning: {domain_change_warning(stale, domain, config)}.", file=sys.stderr)
    missing = [row[1] for row in rows if row[1] not in credentials]
    if missing:
        print(f"\nNo password yet for {', '.join(missing)} (they cannot register): "
              f"`callrouter employee passwd LOGIN --send -c {config}`.", file=sys.stderr)


# --------------------------------------------------------------------------- helpers

def _datetime(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {text!r} (e.g. 2024-03-04T09:30)") from None


def _fail(message: str, code: int = 1) -> int:
    print(f"callrouter: {message}", file=sys.stderr)
    return code

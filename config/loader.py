"""Load the admin's YAML file into a Snapshot, or say everything that is wrong with it.

Three stages, and every problem of every stage is reported in one go:
1. YAML (syntax, duplicate keys) — config.yamltree;
2. fields, by the pydantic models — config.models, in plain words by config.messages;
3. the whole file: derived logins (config.logins) and cross-references (config.checks).
A file with invalid settings is still checked as a whole, without what is invalid
(config.salvage), so fixing one problem does not merely reveal the next.

A file in the plain layout is loaded by pieces, one department or employee at a time
(config.reuse): less memory than the whole file's YAML nodes at once, and on a reload
the entries written as in the last file that loaded are taken as they were, so only
the changed ones are parsed and validated.  Problems are always found and reported by
the whole-file path.
"""
from __future__ import annotations

import codecs
import gc
import os
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional, Sequence

from pydantic import BaseModel, TypeAdapter, ValidationError

from config.checks import Sections, check, warnings
from config.logins import assign_logins, derive_login
from config.messages import describe
from config.models import ConfigFile, Department, Employee, PhoneNumber, shared_values
from config.problems import ConfigError, Finding, Problem
from config.reuse import EntryCache, Layout, cut
from config.salvage import valid_parts
from config.snapshot import Snapshot
from config.yamltree import Document, Locator, YamlSyntaxError, parse

__all__ = ["ConfigError", "Problem", "load", "load_text", "warnings_of"]

_PHONE = TypeAdapter(PhoneNumber)
_last_entries = EntryCache()          # of the last file that loaded, reused by the next load


def load(path: str | os.PathLike[str]) -> Snapshot:
    """Read, validate and index the file at `path`; raise ConfigError listing every problem."""
    source = os.fspath(path)
    return load_text(_read(path, source), source)


READ_SLICE = 1 << 18            # bytes decoded at a time (see _read)


def _read(path: str | os.PathLike[str], source: str) -> str:
    try:
        text = _decoded(Path(path).read_bytes())
    except FileNotFoundError:
        raise ConfigError([Problem(source, None, "", "no such file")]) from None
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise ConfigError([Problem(source, line, "", "not UTF-8 text: save the file as UTF-8")]) from None
    except OSError as exc:
        raise ConfigError([Problem(source, None, "", f"cannot read the file: {exc.strerror}")]) from None
    return text


def load_text(text: str, source: str = "<memory>", *, by_pieces: bool = True) -> Snapshot:
    """Validate and index YAML text; `source` names it in problems and in the snapshot.

    `by_pieces=False` parses and validates the text in one piece, as a file with a
    problem always is (it gives the very same snapshot; tests compare the two).
    """
    with _collector_paused(), shared_values():
        return _load_text(text, source, by_pieces)


def _decoded(data: bytes) -> str:
    """UTF-8 text, a byte-order mark dropped (some Windows editors add one), decoded a
    slice at a time: a daemon reloads in a thread beside the calls it serves, and
    decoding 4 MB at once holds the GIL for 5-7 ms.  (Text that is not UTF-8 is
    decoded again whole, for the position of the error.)"""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        parts = [decoder.decode(data[start:start + READ_SLICE]) for start in range(0, len(data), READ_SLICE)]
        parts.append(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        return data.decode("utf-8-sig")
    return "".join(parts)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file is loaded.

    A large file becomes hundreds of thousands of new objects, none of them garbage;
    each allocation burst triggers a collection that rescans the growing heap, which
    made loading 10,000 employees 2-3 times slower.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


Loaded = tuple[ConfigFile, tuple[Employee, ...]]     # the file as validated, and its employees with logins


def _load_text(text: str, source: str, by_pieces: bool) -> Snapshot:
    layout = cut(text) if by_pieces else None
    loaded = _load_pieces(layout) if layout is not None else None
    if loaded is None:
        loaded = _load_whole(text, source)
    file, employees = loaded
    file = file.model_copy(update={"employees": employees})
    if layout is not None:
        _last_entries.remember(layout, file)
    return Snapshot.build(file, source=source)


def _load_pieces(layout: Layout) -> Optional[Loaded]:
    """The file from its changed entries, each parsed and validated alone, and the last
    file's others; None when it has any problem, which the whole-file path will then
    find and report."""
    data = _last_entries.data(layout, _entry_model)
    if data is None:
        return None
    file, findings = _validate(data)
    if file is None:
        return None
    employees, findings = _whole_file_rules(Sections.of(file), data)
    return None if findings else (file, employees)


_ENTRY_MODELS: dict[str, type[BaseModel]] = {"departments": Department, "employees": Employee}


def _entry_model(section: str, item: Any) -> Optional[BaseModel]:
    """One new entry validated alone, an employee's login derived at once (so that the
    copy this makes replaces the first model before the next entry is built); None when
    anything is wrong with it.  A login that clashes is still found by assign_logins."""
    try:
        model = _ENTRY_MODELS[section].model_validate(item)
    except ValidationError:
        return None
    if isinstance(model, Employee) and model.login is None:
        try:
            return model.model_copy(update={"login": derive_login(model.name)})
        except ValueError:
            return None
    return model


def _load_whole(text: str, source: str) -> Loaded:
    """Parse and check everything; raise ConfigError listing every problem with its line."""
    document = _parse(text, source)
    locator = Locator(document.root, same_key=_same_key)
    problems = _duplicate_keys(document, locator, source)

    file, findings = _validate(document.data)
    sections = Sections.of(file) if file is not None else valid_parts(document.data)
    employees, more_findings = _whole_file_rules(sections, document.data)

    problems += [_problem(finding, locator, source) for finding in findings + more_findings]
    if problems or file is None:
        raise ConfigError(_in_file_order(problems))
    return file, employees


def _whole_file_rules(sections: Sections, data: dict[str, Any]) -> tuple[tuple[Employee, ...], list[Finding]]:
    """Stage 3: the employees with their logins filled in, and what is wrong across the file."""
    findings = _repeated_numbers(data)
    employees, login_findings = assign_logins(sections.employees)
    findings += login_findings + check(replace(sections, employees=tuple(employees)))
    return tuple(employee for _, employee in employees), findings


# --------------------------------------------------------------------------- stage 1: YAML

def _parse(text: str, source: str) -> Document:
    try:
        document = parse(text)
    except YamlSyntaxError as exc:
        raise ConfigError([Problem(source, exc.line, "", exc.message)]) from None
    if document.data is None:
        raise ConfigError([Problem(source, None, "", "the file is empty")])
    if not isinstance(document.data, dict):
        raise ConfigError([Problem(source, 1, "", "the file must be a mapping with the sections "
                                                   "company, departments and employees")])
    return document


def _duplicate_keys(document: Document, locator: Locator, source: str) -> list[Problem]:
    problems = []
    for first, repeated in document.duplicate_keys:
        path, _ = locator.place(locator.loc_of_key(repeated))
        problems.append(Problem(source, repeated.start_mark.line + 1, path,
                                f"duplicate key {repeated.value!r} (first on line {first.start_mark.line + 1}): "
                                "YAML would silently keep only the last one"))
    return problems


def _repeated_numbers(data: dict[str, Any]) -> list[Finding]:
    """One company number written twice in different ways ("+7 495 123-45-67" and
    "+74951234567"): not a duplicate key to YAML, yet validation would keep one silently."""
    company = data.get("company")
    numbers = company.get("numbers") if isinstance(company, dict) else None
    first: dict[str, str] = {}
    findings = []
    for written in numbers if isinstance(numbers, dict) else ():
        number = _as_phone(str(written))
        if number is None:
            continue
        earlier = first.setdefault(number, str(written))
        if earlier != str(written):
            findings.append(Finding(("company", "numbers", str(written)), f"the same number as {earlier!r}"))
    return findings


def _same_key(written: str, wanted: str) -> bool:
    """The same phone number written another way (company numbers are normalised)."""
    return wanted.startswith("+") and _as_phone(written) == wanted


def _as_phone(text: str) -> Optional[str]:
    try:
        return _PHONE.validate_python(text)
    except ValidationError:
        return None


# --------------------------------------------------------------------------- stage 2: fields

def _validate(data: dict[str, Any]) -> tuple[Optional[ConfigFile], list[Finding]]:
    try:
        return ConfigFile.model_validate(data), []
    except ValidationError as exc:
        return None, _unique(Finding(error["loc"], describe(error)) for error in exc.errors())


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


# --------------------------------------------------------------------------- problems

def _problem(finding: Finding, locator: Locator, source: str) -> Problem:
    path, line = locator.place(finding.loc)
    return Problem(source, line, path, finding.message)


def _in_file_order(problems: Sequence[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.line or 0)


# --------------------------------------------------------------------------- warnings

def warnings_of(snapshot: Snapshot, more: Iterable[Finding] = ()) -> list[Problem]:
    """What `callrouter check` warns about in a file that loaded (config.checks.warnings,
    and `more` found elsewhere), each at its line, in file order.

    The file is parsed again for the lines: only `check` asks, never the daemon's load.
    """
    findings = warnings(Sections.of(snapshot.file)) + list(more)
    if not findings:
        return []
    source = snapshot.source
    try:
        document = parse(_read(source, source))
    except (ConfigError, YamlSyntaxError):          # changed since it loaded: no lines to give
        return [Problem(source, None, "", f"warning: {finding.message}") for finding in findings]
    locator = Locator(document.root, same_key=_same_key)
    return _in_file_order([replace(_problem(finding, locator, source), message=f"warning: {finding.message}")
                           for finding in findings])

"""Loading a file by pieces, and what a reload reuses from the last file that loaded.

A reload usually follows a small edit, yet parsing and validating 10,000 employees
takes over a second.  So the text is cut into its top-level sections and the
entries of its `departments` and `employees` lists (`cut`), and an entry whose text
is the same as in the last file that loaded is taken as the model it gave then
(`EntryCache`); only the changed entries are parsed and validated.  The cache knows
an entry by a 128-bit BLAKE2b digest of its text rather than the text itself, which
was 8 MB for 10,000 employees.

A first load goes by pieces too, one entry at a time: the YAML nodes and plain data
of one entry are dropped as soon as its model is built, instead of the 350,000 nodes
of a large file being alive at once.  Parsing 10,500 pieces costs what parsing the
whole does, and the peak memory of the load, which the allocator keeps afterwards
(most of it as free blocks that only small objects can reuse), falls to a third:
what 10,000 employees left in the daemon fell from 230 MB to 77 MB.

The cut is conservative: it only cuts the plain layout of config/example.yaml (keys
at column 0, list items `- ` at one indentation, comments anywhere) and declines
anything else (directives, `---`, tabs, odd line breaks).  Anchors and aliases are
the one thing YAML shares across a document (an alias means what its anchor says
elsewhere; an anchor defined twice is an error), so a file whose new pieces have one
is loaded whole, and an entry with one is never reused.  A piece that does not parse
cleanly on its own, or a file with any problem, is handed back to the loader's
whole-file path, which alone reports problems; so a file loaded by pieces is exactly
the file the whole-file path would have loaded.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Iterator, Optional

from pydantic import BaseModel

from config.yamltree import MAP, SEQ, Document, YamlSyntaxError, parse

LISTS = ("departments", "employees")            # the sections cut into entries
SLICE = 1 << 18                                  # characters searched at a time (see _section_breaks)

# Every pattern starts at a "\n": re then skips from line break to line break at C speed,
# which cuts a 4 MB file in some 35 ms, where `^` with re.M took four times that.
_SECTION_START = re.compile(r"\n(?=[^ \n\r#])")                     # a line neither indented, blank nor a comment
_TOP_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?:[ \t][^\n]*)?\r?")
_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*:[ \t]*(?:#[^\n]*)?\r?")  # `employees:`, maybe with a comment
_FIRST_CONTENT = re.compile(r"\n( *)[^ \n\r#]")
# `&name` or `*name` where YAML could read an anchor or alias: after a blank or a flow
# indicator.  "R&D", "a=1&b=2" or "*21" in quotes are not; a false alarm only costs time.
_ANCHOR_OR_ALIAS = re.compile(r"(?:^|[\s\[{,])[&*][^\s\]},]")


@dataclass(frozen=True)
class Section:
    key: str
    text: str                                    # from the key's line to the next section
    entries: Optional[tuple[str, ...]] = None    # the text of each list item, when the section is cut

    @cached_property
    def digests(self) -> tuple[bytes, ...]:
        """What the entry cache knows each entry by."""
        return tuple(hashlib.blake2b(entry.encode(), digest_size=16).digest() for entry in self.entries or ())


@dataclass(frozen=True)
class Layout:
    sections: tuple[Section, ...]

    def entries(self) -> list[tuple[str, str]]:
        """(section, entry text) of every entry cut."""
        return [(s.key, entry) for s in self.sections for entry in s.entries or ()]


def cut(text: str) -> Optional[Layout]:
    """The sections and list entries of a file in the plain layout; None for any other."""
    if _odd_line_breaks(text):
        return None
    starts = [0] if text[:1] not in ("", " ", "\n", "\r", "#") else []
    starts += [at + 1 for at in _section_breaks(text)]
    if not starts or not _only_comments(text[:starts[0]]):
        return None
    sections = []
    for start, end in zip(starts, starts[1:] + [len(text)]):
        section_text = text[start:end]
        key_line = section_text.split("\n", 1)[0]
        key = _TOP_KEY.fullmatch(key_line)
        if key is None:
            return None
        entries = (_entries(section_text[len(key_line):])
                   if key.group(1) in LISTS and _BARE_KEY.fullmatch(key_line) else None)
        sections.append(Section(key.group(1), section_text, entries))
    if len({s.key for s in sections}) != len(sections):
        return None                              # a repeated section: the whole-file path reports it
    return Layout(tuple(sections))


def _section_breaks(text: str) -> Iterator[int]:
    """The line breaks that start a section (`_SECTION_START`), a slice at a time: a
    section runs for megabytes, and one search over it would hold the GIL for ~5 ms
    (a daemon reloads beside the calls it serves).  A slice's window reaches one
    character further, for the lookahead of a break at its end."""
    for start in range(0, len(text), SLICE):
        for match in _SECTION_START.finditer(text, start, start + SLICE + 1):
            if match.start() < start + SLICE:
                yield match.start()


def _odd_line_breaks(text: str) -> bool:
    """Line breaks YAML sees where a split at "\n" does not (and a stray byte-order mark).
    Looked for a slice at a time, as `_section_breaks`; a "\r\n" is counted in the
    slice where it starts."""
    size = len(text)
    for start in range(0, size, SLICE):
        end = min(start + SLICE, size)
        if any(text.find(char, start, end) >= 0 for char in "\x85\u2028\u2029\ufeff") \
                or text.count("\r", start, end) != text.count("\r\n", start, min(end + 1, size)):
            return True
    return False


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.split("\n"))


def _entries(body: str) -> Optional[tuple[str, ...]]:
    """The items of a block list (`body` follows its key: "\n  - …\n  - …"), each with the
    comments after it; None unless every line is an item's, a comment or blank."""
    first = _FIRST_CONTENT.search(body)
    if first is None:
        return None
    indent = len(first.group(1))
    if indent == 0:
        return None
    # A line that starts an item, or (the second group) one that is neither an item's nor a comment.
    lines = re.compile(rf"\n(?:( {{{indent}}}-(?=[ \r\n]|$))"
                       rf"|( {{0,{indent - 1}}}[^ \r\n#]| {{{indent}}}(?:[^ \r\n#-]|-[^ \r\n])))")
    bounds = []
    for line in lines.finditer(body, first.start()):
        if line.group(2) is not None:
            return None
        bounds.append(line.start() + 1)
    if not bounds or bounds[0] != first.start() + 1:
        return None
    bounds.append(len(body))
    return tuple(body[a:b] for a, b in zip(bounds, bounds[1:]))


Build = Callable[[str, Any], Optional[BaseModel]]     # (section, parsed entry) -> its model, None on a problem


class EntryCache:
    """The models of the last loaded file's entries, by section and digest of the entry's text."""

    def __init__(self) -> None:
        self._models: dict[tuple[str, bytes], BaseModel] = {}

    def data(self, layout: Layout, build: Build) -> Optional[dict[str, Any]]:
        """The file's data with every entry as its model: a known one as it was, a new one parsed
        alone and built at once; None when no entry was cut, or a piece does not parse cleanly
        on its own or does not build."""
        if not any(section.entries for section in layout.sections):
            return None
        plain_tags: dict[str, str] = {}                  # shared by the parses of the pieces
        data: dict[str, Any] = {}
        for section in layout.sections:
            if section.entries is None:
                value = _parsed_section(section, plain_tags)
                if value is None:
                    return None
                data[section.key] = value[0]
                continue
            items = self._models_of(section, build, plain_tags)
            if items is None:
                return None
            data[section.key] = items
        return data

    def _models_of(self, section: Section, build: Build, plain_tags: dict[str, str]) -> Optional[list[BaseModel]]:
        known = self._models
        items = []
        for entry, digest in zip(section.entries or (), section.digests):
            item = known.get((section.key, digest))
            if item is None:
                parsed = _parsed_entry(entry, plain_tags)
                item = build(section.key, parsed[0]) if parsed is not None else None
                if item is None:
                    return None
            items.append(item)
        return items

    def remember(self, layout: Layout, file: BaseModel) -> None:
        """Keep the entries of a file that loaded without a problem (as loaded: logins filled in)."""
        models = {}
        for section in layout.sections:
            if section.entries is None:
                continue
            loaded = getattr(file, section.key)
            if len(loaded) != len(section.entries):
                continue                             # cut otherwise than YAML read it: keep nothing of it
            models.update(((section.key, digest), model)
                          for entry, digest, model in zip(section.entries, section.digests, loaded)
                          if not _may_share_anchors(entry))
        self._models = models


def _parsed_section(section: Section, plain_tags: dict[str, str]) -> Optional[tuple[Any]]:
    """(value,) of a section parsed on its own, or None."""
    document = _alone(section.text, plain_tags)
    if document is None or document.root.tag != MAP or not isinstance(document.data, dict) \
            or list(document.data) != [section.key]:
        return None
    return (document.data[section.key],)


def _parsed_entry(entry: str, plain_tags: dict[str, str]) -> Optional[tuple[Any]]:
    """(item,) of a list entry parsed on its own, or None."""
    document = _alone(entry, plain_tags)
    if document is None or document.root.tag != SEQ or not isinstance(document.data, list) \
            or len(document.data) != 1:
        return None
    return (document.data[0],)


def _alone(text: str, plain_tags: dict[str, str]) -> Optional[Document]:
    """The piece's document, unless it may share an anchor with another piece, is empty,
    is not YAML on its own or repeats a key."""
    if _may_share_anchors(text):
        return None
    try:
        document = parse(text, plain_tags)
    except YamlSyntaxError:
        return None
    return None if document.root is None or document.duplicate_keys else document


def _may_share_anchors(text: str) -> bool:
    return ("&" in text or "*" in text) and _ANCHOR_OR_ALIAS.search(text) is not None

"""YAML text to plain data, keeping the node tree that remembers where each value was.

The loader needs two things PyYAML's `safe_load` throws away: the line of every
value (to point the admin at it) and the duplicate keys (YAML keeps the last one
silently, so a copy-pasted `extension:` would win without a word).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from config.problems import Loc

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"
FLOAT = "tag:yaml.org,2002:float"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
MERGE = "tag:yaml.org,2002:merge"


class YamlSyntaxError(Exception):
    """The text is not YAML; `line` is 1-based, or None when PyYAML gives no position."""

    def __init__(self, line: Optional[int], message: str):
        super().__init__(message)
        self.line = line
        self.message = message


# libyaml's parser is some thirty times faster than PyYAML's: a 10,000-employee file
# must reload in about a second.  Both build the same node tree with the same marks.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):
    """SafeLoader that reads numbers the way an admin means them.

    YAML 1.1, which PyYAML implements, reads `extension: 0201` as octal 129,
    `"+74951234567"` written without quotes as the integer 74951234567 (the plus is
    lost), `1_000` as 1000 and `10:30` as 630 (base 60).  Here only plain decimals
    are numbers; everything else stays text and the models decide what it means.
    A date that does not exist (2026-02-30) stays text too, so validation reports it
    at its field instead of the whole parse failing.  `on/off/yes/no` stay booleans.
    """

    def __init__(self, stream: str, plain_tags: Optional[dict[str, str]] = None):
        super().__init__(stream)
        self.plain_tags: dict[str, str] = {} if plain_tags is None else plain_tags

    def resolve(self, kind, value, implicit):
        """The tag of a node; a plain scalar's is remembered by its text.

        libyaml asks for every node, and the regular expressions behind the answer were
        a fifth of the parse of a large file, whose plain scalars repeat the same few
        words (keys, true, office, voicemail …).  Without path resolvers (none are
        registered) a plain scalar's tag depends on its text alone, so the pieces of a
        file loaded by pieces share one memo (`parse(…, plain_tags=)`).
        """
        if kind is ScalarNode and implicit[0] and not self.yaml_path_resolvers:
            tag = self.plain_tags.get(value)
            if tag is None:
                tag = self.plain_tags[value] = super().resolve(kind, value, implicit)
            return tag
        return super().resolve(kind, value, implicit)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (INT, FLOAT)]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(INT, re.compile(r"^-?(?:0|[1-9][0-9]*)$"), list("-0123456789"))
_Loader.add_implicit_resolver(
    FLOAT,
    re.compile(r"^-?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$|^-?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"),
    list("-.0123456789"))
_Loader.add_constructor(TIMESTAMP, _Loader.construct_yaml_timestamp)


class _Builder:
    """Node tree to plain data, noting duplicate keys on the way.

    Does what SafeConstructor does for the tags a config file uses (str, int, bool,
    null, date, map, seq, `<<` merge) several times faster — SafeConstructor's
    generator machinery dominated the load of a large file — and hands any other tag
    (float, !!set, !!binary …) to the loader's own constructor.

    A 10,000-employee file has some 350,000 nodes, most of them text keys and text
    values; those are taken as they are (`_is_text`) instead of going through `build`.
    """

    _BUSY = object()                                   # a collection whose building is under way

    def __init__(self, loader: _Loader):
        self._loader = loader
        self._built: dict[int, object] = {}            # by node id: an alias (*anchor) reuses the value
        self.duplicate_keys: list[tuple[Node, Node]] = []    # (first, repeated) key nodes

    def build(self, node: Node) -> object:
        if node.__class__ is ScalarNode:
            return node.value if node.tag == STR else self._scalar(node)
        done = self._built.get(id(node))
        if done is self._BUSY:
            raise yaml.constructor.ConstructorError(None, None, "an alias refers to its own parent",
                                                    node.start_mark)
        if done is not None:
            return done
        self._built[id(node)] = self._BUSY
        if isinstance(node, SequenceNode) and node.tag == SEQ:
            value: object = [child.value if _is_text(child) else self.build(child) for child in node.value]
        elif isinstance(node, MappingNode) and node.tag == MAP:
            value = self._mapping(node)
        else:
            value = self._loader.construct_object(node, deep=True)
        self._built[id(node)] = value
        return value

    def _scalar(self, node: ScalarNode) -> object:
        tag, text = node.tag, node.value
        if tag == STR:
            return text
        if tag == INT and _DECIMAL.fullmatch(text):
            return int(text)
        if tag == BOOL and text.lower() in _BOOLS:
            return _BOOLS[text.lower()]
        if tag == NULL:
            return None
        if tag == TIMESTAMP and len(text) == 10:
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                return text
        return self._loader.construct_object(node, deep=True)

    def _mapping(self, node: MappingNode) -> dict:
        result: dict = {}
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if _is_text(key_node):
                key = key_node.value
            elif key_node.tag == MERGE:                # `<<: *defaults`: the file's own keys win
                merged.append(value_node)
                continue
            else:
                key = self.build(key_node)
            try:
                repeated = key in result
            except TypeError:
                raise yaml.constructor.ConstructorError(None, None, "a key must be a plain value, not a list or "
                                                        "a mapping", key_node.start_mark) from None
            if repeated:
                self.duplicate_keys.append((self._first_key_node(node, key), key_node))
            result[key] = value_node.value if _is_text(value_node) else self.build(value_node)
        for source in merged:
            self._merge(result, source)
        return result

    def _first_key_node(self, node: MappingNode, key: object) -> Node:
        """The key node that first gave `key` in a mapping (only looked for once a key repeats)."""
        return next(key_node for key_node, _ in node.value if key_node.tag != MERGE and self.build(key_node) == key)

    def _merge(self, result: dict, source: Node) -> None:
        """Earlier sources win over later ones (YAML's merge key rule), explicit keys over all."""
        sources = source.value if isinstance(source, SequenceNode) else [source]
        for each in sources:
            value = self.build(each)
            if not isinstance(value, dict):
                raise yaml.constructor.ConstructorError(None, None, "<< merges mappings only", each.start_mark)
            for key, item in value.items():
                result.setdefault(key, item)


def _is_text(node: Node) -> bool:
    """A text scalar, whose value is its own text (the commonest node by far)."""
    return node.__class__ is ScalarNode and node.tag == STR


_DECIMAL = re.compile(r"-?[0-9]+")
_BOOLS = yaml.constructor.SafeConstructor.bool_values          # yes/no, true/false, on/off


@dataclass
class Document:
    data: object                                   # None for an empty document
    root: Optional[Node]
    duplicate_keys: list[tuple[Node, Node]] = field(default_factory=list)


def parse(text: str, plain_tags: Optional[dict[str, str]] = None) -> Document:
    """Parse one YAML document; raise YamlSyntaxError when it is not YAML.

    `plain_tags`, a dict kept by the caller, lets several parses share the memo of
    plain scalars' tags (see _Loader.resolve).
    """
    loader = _Loader(text, plain_tags)
    builder = _Builder(loader)
    try:
        root = loader.get_single_node()
        data = builder.build(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        raise YamlSyntaxError(_line(exc), _describe(exc)) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(None, f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    return Document(data, root, builder.duplicate_keys)


def _line(exc: yaml.MarkedYAMLError) -> Optional[int]:
    mark = exc.problem_mark or exc.context_mark
    return mark.line + 1 if mark is not None else None


def _describe(exc: yaml.MarkedYAMLError) -> str:
    message = f"not valid YAML: {exc.problem or exc.context}"
    if exc.context and exc.problem and exc.context_mark is not None:
        message += f" ({exc.context} on line {exc.context_mark.line + 1})"
    return message


# --------------------------------------------------------------------------- locations

_PLAIN_KEY = re.compile(r"[\w+-]+")
_PYDANTIC_TAG = re.compile(r"[\[(]")        # "[key]", "literal[True]", "function-before[...]"


def render_path(parts: list[str | int]) -> str:
    """`employees[3].reception.schedule.mon-fri[1]`; odd keys are quoted: `numbers["+7 495 …"]`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out


class Locator:
    """Maps a location in the data, e.g. ("employees", 3, "extension"), to a path and a line.

    A location the file does not spell out (a default, a missing field) gets the line of
    its nearest written parent.  When no key is written exactly as wanted,
    `same_key(written, wanted)` may still match one the models normalise (a company
    number written "+7 495 123-45-67" is "+74951234567" once validated).
    """

    def __init__(self, root: Node, same_key: Callable[[str, str], bool] = lambda written, wanted: False):
        self._root = root
        self._same_key = same_key
        self._key_locs: Optional[dict[int, Loc]] = None

    def place(self, loc: Loc) -> tuple[str, int]:
        node: Optional[Node] = self._root
        line = self._root.start_mark.line + 1
        parts: list[str | int] = []
        for item in loc:
            found = self._child(node, item)
            if found is None:
                node = None
                if not (isinstance(item, str) and _PYDANTIC_TAG.search(item)):
                    parts.append(item)
                continue
            label, node, line = found
            parts.append(label)
        return render_path(parts), line

    def _child(self, node: Optional[Node], item: str | int) -> Optional[tuple[str | int, Node, int]]:
        if isinstance(node, SequenceNode) and isinstance(item, int) and 0 <= item < len(node.value):
            child = node.value[item]
            return item, child, child.start_mark.line + 1
        if isinstance(node, MappingNode) and not isinstance(item, int):
            keys = [(k, v) for k, v in reversed(node.value) if isinstance(k, ScalarNode)]   # YAML keeps the last
            wanted = str(item)
            found = next((pair for pair in keys if pair[0].value == wanted), None) or next(
                (pair for pair in keys if self._same_key(pair[0].value, wanted)), None)
            if found is not None:
                key_node, value_node = found
                return key_node.value, value_node, key_node.start_mark.line + 1
        return None

    def loc_of_key(self, key_node: Node) -> Loc:
        """Where a mapping key sits in the data (for reporting duplicate keys)."""
        if self._key_locs is None:
            self._key_locs = {id(k): loc for k, loc in _keys(self._root, (), set())}
        return self._key_locs.get(id(key_node), ())


def _keys(node: Node, loc: Loc, seen: set[int]) -> Iterator[tuple[Node, Loc]]:
    if id(node) in seen:                     # an alias (*anchor) repeats a node already walked
        return
    seen.add(id(node))
    if isinstance(node, SequenceNode):
        for i, child in enumerate(node.value):
            yield from _keys(child, loc + (i,), seen)
    elif isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else "?"
            yield key_node, loc + (key,)
            yield from _keys(value_node, loc + (key,), seen)

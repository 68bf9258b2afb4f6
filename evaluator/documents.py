"""Reading YAML and JSON into plain values that remember where every value came from.

One loader for every file cprlint reads. YAML is composed with PyYAML's safe machinery
and then built by hand, so that:

- every value and every mapping key has a line and column (`Document.locate`);
- no tag beyond the YAML core schema is ever constructed (`!!python/object` is a
  finding, not code execution);
- alias expansion is bounded, so a billion-laughs file is a finding, not a hang;
- duplicate keys, oversized files and absurd nesting are findings;
- floats become `Decimal` from their source text, so `0.1` means exactly 0.1 in money.

JSON Lines fixtures are parsed fast without positions; `JsonLine` recovers the column of
a value only when a finding needs it.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec
import yaml
from cprlint import budgets
from cprlint.findings import Location, Problem
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Caps on untrusted input. Generous for real files, small enough that a hostile one
# cannot exhaust memory or time.
MAX_YAML_BYTES = 2 * 1024 * 1024
MAX_JSON_LINE_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000
# Values built a second time, or more, through aliases, over all documents of one file:
# real files reuse an anchor or two; a billion-laughs file is all aliases. (The run's
# budget over every file is in `cprlint.budgets`.)
MAX_ALIAS_VALUES_PER_FILE = 100_000
MAX_DEPTH = 64
# Largest decimal exponent of a number read (Python's own cap on integer digits).
MAX_NUMBER_EXPONENT = 4300

# The bits of the largest integer of MAX_NUMBER_EXPONENT decimal digits.
_MAX_INTEGER_BITS = (10**MAX_NUMBER_EXPONENT - 1).bit_length()

KeyPath = tuple[str | int, ...]
# Makes a JSON object from its (key, value) pairs (`json.loads`' object_pairs_hook).
PairsHook = Callable[[list[tuple[str, Any]]], Any]

# Codes of the problems found while reading a file (documented in cprlint.rules.inputs).
SYNTAX = "CPR001"
DUPLICATE_KEY = "CPR002"
TOO_LARGE = "CPR003"
UNSAFE = "CPR004"
UNREADABLE = "CPR005"

_CORE_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {
    f"{_CORE_TAG}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")
}
_DISABLE_COMMENT = re.compile(r"#\s*cprlint:\s*disable=([A-Za-z0-9_, ]+)")


def _problem(code: str, message: str, location: Location) -> Problem:
    return Problem(message, location, code=code)


# The value of a JSON line not parsed yet (see `Document.of_json_line`).
_UNPARSED: Any = object()


class Document:
    """One YAML document or JSON value, with the position of each value and key in it."""

    __slots__ = (
        "_data",
        "_json_line",
        "key_positions",
        "path",
        "raw_json",
        "start_line",
        "value_positions",
    )

    def __init__(
        self,
        path: str,
        data: Any,
        value_positions: dict[KeyPath, tuple[int, int]] | None = None,
        key_positions: dict[KeyPath, tuple[int, int]] | None = None,
        start_line: int = 1,
        raw_json: str | None = None,
    ) -> None:
        self.path = path
        self._data = data
        self.value_positions = value_positions or {}
        self.key_positions = key_positions or {}
        self.start_line = start_line
        # For JSON lines: the raw text, searched for positions only when a finding needs one.
        self.raw_json = raw_json
        self._json_line: JsonLine | None = None  # (made when a position is first asked for)

    @classmethod
    def of_json_line(cls, path: str, text: str, line: int) -> Document:
        """A JSON line already read into a model by a strict decoder: its plain value is
        parsed again only if a rule asks for it (`data`)."""
        return cls(path, _UNPARSED, start_line=line, raw_json=text)

    @property
    def data(self) -> Any:
        if self._data is _UNPARSED:
            assert self.raw_json is not None
            self._data = parse_json_line(self.raw_json)
        return self._data

    def __eq__(self, other: object) -> bool:
        # Two trees' policies and prompts are compared whole (`cprlint check --base`).
        if not isinstance(other, Document):
            return NotImplemented
        return (
            self.path == other.path
            and self.start_line == other.start_line
            and self.raw_json == other.raw_json
            and self.data == other.data
            and self.value_positions == other.value_positions
            and self.key_positions == other.key_positions
        )

    __hash__ = None  # type: ignore[assignment]  # mutable: never a key

    def __repr__(self) -> str:
        return f"Document({self.path!r}, line {self.start_line})"

    def locate(self, *key_path: str | int, key: bool = False) -> Location:
        """The position of the value (or, with `key=True`, of its key) at `key_path`.

        A path that does not exist falls back to its closest existing ancestor, so a
        finding about a missing key points at the mapping that should hold it.
        """
        path: KeyPath = tuple(key_path)
        positions = self.key_positions if key else self.value_positions
        if self.raw_json is not None and path not in positions:
            self._locate_in_json(path)
        while path:
            if path in positions:
                line, column = positions[path]
                if self.raw_json is not None:  # a JSON line: its path says more than a column
                    return Location(self.path, line, column, key_path_text(path))
                return Location(self.path, line, column)
            if key:
                positions = self.value_positions
                key = False
                continue
            path = path[:-1]
        line, column = self.value_positions.get((), (self.start_line, 1))
        return Location(self.path, line, column)

    def _locate_in_json(self, key_path: KeyPath) -> None:
        assert self.raw_json is not None
        if self._json_line is None:
            self._json_line = JsonLine(self.raw_json)
        values, keys = self._json_line.locate(key_path)
        line = self.start_line
        self.value_positions.update((path, (line, column)) for path, column in values.items())
        self.key_positions.update((path, (line, column)) for path, column in keys.items())


def key_path_text(key_path: KeyPath) -> str:
    """`("events", 12, "model")` as a reader writes it: `events[12].model`."""
    text = ""
    for part in key_path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def suppressions_in(text: str) -> dict[int, frozenset[str]]:
    """Inline `# cprlint: disable=CODE[,CODE]` comments, by 1-based line."""
    found: dict[int, frozenset[str]] = {}
    if "cprlint:" not in text:
        return found
    for number, line in enumerate(text.splitlines(), start=1):
        match = _DISABLE_COMMENT.search(line)
        if match:
            codes = {code.strip().upper() for code in match.group(1).split(",")}
            found[number] = frozenset(code for code in codes if code)
    return found


def read_text(
    path: str, raw: bytes, *, limit: int = MAX_YAML_BYTES
) -> tuple[str | None, list[Problem]]:
    """Decode a file's bytes, refusing oversized and non-UTF-8 files with a finding."""
    if len(raw) > limit:
        return None, [
            _problem(
                TOO_LARGE,
                f"file is {len(raw):,} bytes, over the {limit:,}-byte limit; split it",
                Location(path, 1, 1),
            )
        ]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return None, [
            _problem(UNREADABLE, f"not UTF-8 text (byte {error.start})", Location(path, line, 1))
        ]
    return text, []


def load_yaml_documents(path: str, text: str) -> tuple[list[Document], list[Problem]]:
    """Every document of a YAML stream; a syntax error ends the stream with a finding."""
    documents: list[Document] = []
    problems: list[Problem] = []
    try:
        # PyYAML checks a whole text for control characters before reading any of it.
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - text.rfind("\n", 0, error.position)
        message = f"YAML syntax error: character #x{error.character:04x} is not allowed"
        return [], [_problem(SYNTAX, message, Location(path, line, column))]
    aliases = _AliasBudget()
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            builder = _Builder(path, aliases)
            try:
                data = builder.build(node, (), 0)
            except _TooComplex as error:
                problems.append(_problem(UNSAFE, str(error), error.location))
                if isinstance(error, _AliasesSpent):
                    break  # (the rest of the file would be refused the same way)
                continue
            finally:
                budgets.current().charge_aliases(builder.alias_values)
            problems.extend(builder.problems)
            documents.append(
                Document(
                    path=path,
                    data=data,
                    value_positions=builder.values,
                    key_positions=builder.keys,
                    start_line=node.start_mark.line + 1,
                )
            )
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = error.problem or error.context or "invalid YAML"
        problems.append(
            _problem(SYNTAX, f"YAML syntax error: {reason}", Location(path, line, column))
        )
    except yaml.YAMLError as error:
        problems.append(_problem(SYNTAX, f"YAML syntax error: {error}", Location(path, 1, 1)))
    except RecursionError:
        problems.append(_problem(UNSAFE, "nesting is too deep to read", Location(path, 1, 1)))
    finally:
        loader.dispose()
    return documents, problems


class _TooComplex(Exception):
    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message)
        self.location = location


class _AliasesSpent(_TooComplex):
    """The file's, or the run's, budget of values built through aliases is spent."""


class _AliasBudget:
    """What one file may still build through aliases."""

    def __init__(self) -> None:
        self.values_left = MAX_ALIAS_VALUES_PER_FILE


class _Builder:
    """Turns a composed YAML node graph into plain values, recording positions."""

    def __init__(self, path: str, aliases: _AliasBudget | None = None) -> None:
        self.path = path
        self.aliases = aliases or _AliasBudget()
        # Values built within a node reached again through an alias (and how deep in one),
        # and where the outermost such alias is used: what a finding about them points at.
        self.alias_values = 0
        self._in_alias = 0
        self._alias_used_at: tuple[int, int] = (1, 1)
        self.values: dict[KeyPath, tuple[int, int]] = {}
        self.keys: dict[KeyPath, tuple[int, int]] = {}
        self.problems: list[Problem] = []
        self.nodes_built = 0
        self._built_node_ids: set[int] = set()
        self._scalars = SafeConstructor()

    def _location(self, node: Node) -> Location:
        return Location(self.path, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: Node, key_path: KeyPath, depth: int) -> Any:
        self.nodes_built += 1
        if self.nodes_built > MAX_NODES:
            raise _TooComplex(
                f"document expands to more than {MAX_NODES:,} values "
                "(alias expansion or size); refusing to read it",
                self._location(node),
            )
        if depth > MAX_DEPTH:
            raise _TooComplex(
                f"document nests deeper than {MAX_DEPTH} levels", self._location(node)
            )
        again = id(node) in self._built_node_ids
        if again:
            # Reached again through an alias: the anchor is elsewhere, so this value is
            # located by its key (set by the caller), not by the anchor's position.
            position = self.keys.get(key_path) or self.values.get(key_path[:-1], (1, 1))
            self.values.setdefault(key_path, position)
        else:
            self._built_node_ids.add(id(node))
            self.values.setdefault(key_path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if again and not self._in_alias:
            self._alias_used_at = self.values[key_path]
        if again or self._in_alias:
            self._spend_alias_value()
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if again:
            self._in_alias += 1
            try:
                return self._build_container(node, key_path, depth)
            finally:
                self._in_alias -= 1
        return self._build_container(node, key_path, depth)

    def _spend_alias_value(self) -> None:
        self.alias_values += 1
        self.aliases.values_left -= 1
        used_at = Location(self.path, *self._alias_used_at)
        if self.aliases.values_left < 0:
            raise _AliasesSpent(
                f"the file builds more than {MAX_ALIAS_VALUES_PER_FILE:,} values through "
                "aliases; refusing to read the rest of it",
                used_at,
            )
        run = budgets.current()
        if self.alias_values % 1024 == 0 and self.alias_values > run.aliases_left():
            raise _AliasesSpent(
                f"the run's budget of {run.alias_values:,} values built through YAML aliases "
                "is spent; refusing to read the rest of this file",
                used_at,
            )

    def _build_container(self, node: Node, key_path: KeyPath, depth: int) -> Any:
        if isinstance(node, SequenceNode):
            self._check_tag(node, f"{_CORE_TAG}seq")
            return [
                self.build(item, (*key_path, index), depth + 1)
                for index, item in enumerate(node.value)
            ]
        if isinstance(node, MappingNode):
            self._check_tag(node, f"{_CORE_TAG}map")
            return self._mapping(node, key_path, depth)
        return None

    def _check_tag(self, node: Node, expected: str) -> None:
        if node.tag != expected:
            self.problems.append(
                _problem(
                    UNSAFE, f"tag {node.tag!r} is not allowed; use plain YAML", self._location(node)
                )
            )

    def _mapping(self, node: MappingNode, key_path: KeyPath, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == f"{_CORE_TAG}merge":
                self._merge(value_node, key_path, depth, result)
                continue
            if not isinstance(key_node, ScalarNode):
                self.problems.append(
                    _problem(
                        SYNTAX, "a mapping key must be a plain value", self._location(key_node)
                    )
                )
                continue
            key = self._scalar(key_node)
            if isinstance(key, Decimal | float):
                key = str(key_node.value)
            key_line = key_node.start_mark.line + 1
            if key in seen:
                self.problems.append(
                    _problem(
                        DUPLICATE_KEY,
                        f"duplicate key {key!r} (first on line {seen[key]}); the last one wins",
                        self._location(key_node),
                    )
                )
            seen[key] = key_line
            child_path = (*key_path, key)
            if key in result:  # a duplicate, or a merged key: forget where the old value was
                self._forget(child_path, result[key])
            self.keys[child_path] = (key_line, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, child_path, depth + 1)
        return result

    def _merge(
        self, value_node: Node, key_path: KeyPath, depth: int, result: dict[Any, Any]
    ) -> None:
        """`<<: *base` or `<<: [*a, *b]`: add the keys `result` does not have yet.

        The sources are built aside, so that only the keys actually taken bring their
        positions, under this mapping's path; a key given here keeps its own position.
        """
        outer_values, outer_keys = self.values, self.keys
        self.values, self.keys = {}, {}
        try:
            merged = self.build(value_node, (), depth + 1)
        finally:
            source_values, source_keys = self.values, self.keys
            self.values, self.keys = outer_values, outer_keys
        sources = merged if isinstance(merged, list) else [merged]
        taken: set[tuple[Any, ...]] = set()
        for index, source in enumerate(sources):
            if not isinstance(source, dict):
                continue
            prefix = (index,) if isinstance(merged, list) else ()
            for merged_key, merged_value in source.items():
                if merged_key not in result:
                    result[merged_key] = merged_value
                    taken.add((*prefix, merged_key))
        width = 1 if isinstance(merged, list) else 0
        for source_positions, positions in ((source_values, self.values), (source_keys, self.keys)):
            for path, position in source_positions.items():
                if path[: width + 1] in taken:
                    positions.setdefault((*key_path, *path[width:]), position)

    def _forget(self, key_path: KeyPath, value: Any) -> None:
        """Drop the positions of a value that a later key replaced, and of all inside it."""
        pending: list[tuple[KeyPath, Any]] = [(key_path, value)]
        while pending:
            path, item = pending.pop()
            self.values.pop(path, None)
            self.keys.pop(path, None)
            if isinstance(item, dict):
                pending.extend(((*path, key), child) for key, child in item.items())
            elif isinstance(item, list):
                pending.extend(((*path, index), child) for index, child in enumerate(item))

    def _scalar(self, node: ScalarNode) -> Any:
        tag = node.tag
        if tag not in _SCALAR_TAGS:
            self.problems.append(
                _problem(
                    UNSAFE, f"tag {tag!r} is not allowed; use plain YAML", self._location(node)
                )
            )
            return str(node.value)
        if tag == f"{_CORE_TAG}str":
            return str(node.value)
        if tag == f"{_CORE_TAG}timestamp":
            # Dates stay text: schemas check their format, the model parses them.
            return str(node.value)
        try:
            if tag == f"{_CORE_TAG}float":
                return _decimal_or_text(str(node.value))
            value = self._scalars.construct_object(node, deep=True)
            # `0x` and `0b` integers are read whatever their length; a decimal one stops
            # at 4,300 digits, and no integer may be larger than that one could be.
            if type(value) is int and value.bit_length() > _MAX_INTEGER_BITS:
                raise ValueError("integer too large")
            return value
        except (ValueError, KeyError, IndexError, yaml.YAMLError):
            # PyYAML's constructors fail on an explicit `!!bool maybe` or `!!int ''`
            # (KeyError, IndexError); absurd numbers fail with ValueError.
            self.problems.append(
                _problem(SYNTAX, f"value {node.value[:40]!r} cannot be read", self._location(node))
            )
            return str(node.value)


def _decimal_or_text(text: str) -> Decimal | str:
    cleaned = text.replace("_", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return text  # .inf and .nan: never valid in a policy, the schema reports the text
    return _bounded(value) if value.is_finite() else text


def _bounded(value: Decimal) -> Decimal:
    """`value`, or ValueError when its magnitude is absurd.

    `1e999999999` is a short text but a billion-digit integer once a token count is
    read as an int, and it overflows Decimal arithmetic; refuse it like Python refuses
    integers of more than 4300 digits.
    """
    if not value.is_zero() and abs(value.adjusted()) > MAX_NUMBER_EXPONENT:
        raise ValueError(f"the number {str(value)[:40]} is out of range")
    return value


def json_decimal(text: str) -> Decimal:
    """A JSON number with a fraction or exponent, exactly as written (ValueError when absurd)."""
    return _bounded(Decimal(text))


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# --- JSON ----------------------------------------------------------------------------


def parse_json_line(text: str, pairs_hook: PairsHook | None = None) -> Any:
    """Parse one JSON value; floats become Decimal so money and token checks stay exact.
    `pairs_hook`, if given, makes each object from its (key, value) pairs, in order and
    with any key given twice (`json.loads`' `object_pairs_hook`).

    JSON may escape half a surrogate pair (`"\\udfff"`), which is no text at all: such a
    line is refused (ValueError) rather than carried into reports that cannot encode it.
    """
    data = json.loads(
        text,
        parse_float=json_decimal,
        parse_constant=_json_constant,
        object_pairs_hook=pairs_hook,
    )
    # A backslash is rare and found fast; a search for `\\ud` alone costs 5 µs a line.
    if "\\" in text and ("\\ud" in text or "\\uD" in text):
        _refuse_lone_surrogates(data)
    return data


def _refuse_lone_surrogates(value: Any) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError(
                "a string holds an unpaired surrogate escape (\\ud800-\\udfff)"
            ) from error
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_lone_surrogates(key)
            _refuse_lone_surrogates(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_lone_surrogates(item)


# A JSON container's members, by key (an object) or position (an array): where the key is
# written (None in an array), where the value starts and where it ends, as 0-based indexes
# into the line's UTF-8 bytes.
Members = dict[str | int, tuple[int | None, int, int]]

# A container read one level deep: its values as the text they are written as.
_RAW_OBJECT = msgspec.json.Decoder(dict[str, msgspec.Raw])
_RAW_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])
_SPACE = re.compile(rb"[ \t\n\r]*")
# An object's member up to its value: the key as written (escapes and all), and the colon.
# (The loop unrolled, a fifth faster than an alternation tried at every character.)
_KEY = re.compile(rb'[ \t\n\r]*"([^"\\]*(?:\\.[^"\\]*)*)"[ \t\n\r]*:[ \t\n\r]*')
# What follows a value inside a container.
_AFTER_VALUE = re.compile(rb"[ \t\n\r]*([,}\]])")
_ENDS_A_VALUE = b" \t\n\r,}]"
_SCAN_VALUE = json.JSONDecoder().raw_decode


class JsonLine:
    """One line of valid JSON, read for the positions of the values that findings point at.

    The fast path never computes positions; a finding inside a fixture line asks for the
    values on one key path (`locate`), and only the containers on that path are read, each
    once per line. A container is read one level deep by msgspec, in C, into the text of
    its values (`msgspec.Raw`), so that the values beside the path are stepped over by
    their length instead of being parsed. A key written twice is found where it was
    written last, as the parser keeps it.
    """

    __slots__ = ("_containers", "_encoded", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._encoded: bytes | None = None
        self._containers: dict[int, Members] = {}  # by the index their value starts at

    def locate(self, key_path: KeyPath) -> tuple[dict[KeyPath, int], dict[KeyPath, int]]:
        """Columns (1-based, in characters) of the values along `key_path` (the root's,
        then each step's, as far as the path exists) and of the keys on it."""
        values: dict[KeyPath, int] = {}
        keys: dict[KeyPath, int] = {}
        # Positions found before a problem are still right; the rest falls back to the line.
        with contextlib.suppress(ValueError, IndexError, RecursionError, msgspec.MsgspecError):
            if self._encoded is None:
                self._encoded = self._text.encode("utf-8")
            line = self._encoded
            start = _SPACE.match(line).end()  # type: ignore[union-attr]  # (matches "")
            end = len(line.rstrip(b" \t\n\r"))
            path: KeyPath = ()
            values[path] = start
            for step in key_path:
                members = self._containers.get(start)
                if members is None:
                    members = self._containers[start] = self._members(start, end)
                if step not in members:
                    break
                key_index, start, end = members[step]
                path = (*path, step)
                values[path] = start
                if key_index is not None:
                    keys[path] = key_index
        return (
            {path: self._column(index) for path, index in values.items()},
            {path: self._column(index) for path, index in keys.items()},
        )

    def _column(self, index: int) -> int:
        if self._encoded is None or len(self._encoded) == len(self._text):  # ASCII
            return index + 1
        return len(self._encoded[:index].decode("utf-8")) + 1

    def _members(self, start: int, end: int) -> Members:
        """The members of the object or array written at [start, end) (none for a scalar)."""
        line = self._encoded
        assert line is not None
        members: Members = {}
        opening = line[start]
        if opening == ord("["):
            position = start + 1
            for number, item in enumerate(_RAW_ARRAY.decode(memoryview(line)[start:end])):
                # Only spaces and a comma lie before an item, and no value starts with
                # either: the first match past the previous item is this one.
                index = line.find(item, position)
                position = index + len(item)
                members[number] = (None, index, position)
        elif opening == ord("{"):
            raw_values = _RAW_OBJECT.decode(memoryview(line)[start:end])
            position = start + 1
            while (match := _KEY.match(line, position)) is not None:
                written = match.group(1)
                key = json.loads(b'"' + written + b'"') if b"\\" in written else written.decode()
                index = match.end()
                position = self._value_end(index, raw_values.get(key))
                members[key] = (match.start(1) - 1, index, position)
                after = _AFTER_VALUE.match(line, position)
                if after is None or after.group(1) != b",":
                    break
                position = after.end()
        return members

    def _value_end(self, index: int, raw: msgspec.Raw | None) -> int:
        line = self._encoded
        assert line is not None
        # (A number may be the start of a longer one written before: "1" and "12". Any
        # other value that begins with a whole value is that value.)
        if (
            raw is not None
            and line.startswith(raw, index)
            and line[index + len(raw)] in _ENDS_A_VALUE
        ):
            return index + len(raw)
        # A key written twice, and this is not where it was written last: the decoding kept
        # the last value only, so this one is stepped over by the standard library's parser.
        text_index = len(line[:index].decode("utf-8"))
        text_end = _SCAN_VALUE(self._text, text_index)[1]
        return index + len(self._text[text_index:text_end].encode("utf-8"))


def locate_json(text: str, key_path: KeyPath) -> tuple[dict[KeyPath, int], dict[KeyPath, int]]:
    """`JsonLine.locate` for a line read once."""
    return JsonLine(text).locate(key_path)


def iter_json_lines(path: str, lines: Iterator[bytes]) -> Iterator[Document | Problem]:
    """Stream a JSON Lines file: one Document per non-blank line, or a problem at it."""
    for item in json_line_texts(path, lines):
        yield item if isinstance(item, Problem) else json_document(path, *item)


def json_line_texts(
    path: str, lines: Iterator[bytes], *, first_line: int = 1
) -> Iterator[tuple[str, int] | Problem]:
    """The text and number of each non-blank line, or a problem with its size or encoding."""
    for number, raw in enumerate(lines, start=first_line):
        if len(raw) > MAX_JSON_LINE_BYTES:
            yield _problem(
                TOO_LARGE,
                f"line is {len(raw):,} bytes, over the {MAX_JSON_LINE_BYTES:,}-byte limit",
                Location(path, number, 1),
            )
            continue
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            yield _problem(
                UNREADABLE,
                f"not UTF-8 text (byte {error.start})",
                Location(path, number, error.start + 1),
            )
            continue
        # Without its line break, an error at the end of the line gets the line's column
        # rather than "column 1 of the next line".
        text = text.rstrip("\r\n")
        if text.strip():
            yield text, number


# What a JSON text's depth is read from: its brackets and its quotes (which say which
# brackets are inside strings), every other byte deleted.
_NOT_STRUCTURE = bytes(byte for byte in range(256) if byte not in b'[]{}"')
_DEPTH_STEP = [0] * 256
_DEPTH_STEP[ord("[")] = _DEPTH_STEP[ord("{")] = 1
_DEPTH_STEP[ord("]")] = _DEPTH_STEP[ord("}")] = -1


def may_nest_too_deep(json_text: str) -> bool:
    """Whether a valid JSON text may nest deeper than MAX_DEPTH: not when its brackets,
    outside strings, never stand more than MAX_DEPTH open (an empty container counts
    here, not in the rules' walk, so this errs only towards yes).

    Nesting needs a bracket per level, so a line with few brackets is let through on a
    count. A long conversation has many brackets but few levels: its depth is measured,
    with bytes operations in C but for the sum over the brackets, instead of sending it
    to the slow reading. Only for text that parsed: in broken JSON, quotes may pair up
    anyhow."""
    if json_text.count("[") + json_text.count("{") <= MAX_DEPTH:
        return False
    raw = json_text.encode("utf-8", "surrogatepass")
    if b"\\" in raw:  # escapes dropped, `\\` first: left to right, as JSON reads them
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Every quote left opens or closes a string; most strings hold no bracket.
    structure = raw.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in structure:
        structure = b"".join(structure.split(b'"')[0::2])
    steps = map(_DEPTH_STEP.__getitem__, structure)
    return max(itertools.accumulate(steps), default=0) > MAX_DEPTH


def json_document(
    path: str, text: str, number: int, *, pairs_hook: PairsHook | None = None
) -> Document | Problem:
    """One line of JSON Lines parsed (its objects made by `pairs_hook`, if given: see
    `parse_json_line`), or the problem that stops it."""
    try:
        data = parse_json_line(text, pairs_hook)
    except json.JSONDecodeError as error:
        return _problem(
            SYNTAX, f"JSON syntax error: {error.msg}", Location(path, number, error.colno)
        )
    except RecursionError:
        return _problem(UNSAFE, "nesting is too deep to read", Location(path, number, 1))
    except ValueError as error:  # e.g. an integer with more digits than Python allows
        return _problem(SYNTAX, f"JSON value cannot be read: {error}", Location(path, number, 1))
    if may_nest_too_deep(text) and _nests_deeper_than(data, MAX_DEPTH):
        # Rules walk values recursively; Python 3.12+ parses far deeper than they can go.
        return _problem(
            UNSAFE, f"the value nests deeper than {MAX_DEPTH} levels", Location(path, number, 1)
        )
    return Document(path=path, data=data, start_line=number, raw_json=text)


def _nests_deeper_than(value: Any, limit: int) -> bool:
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list) and item:
            if depth >= limit:
                return True
            pending.extend((child, depth + 1) for child in item)
    return False


# --- one text for a JSON value --------------------------------------------------------

# Built once: `json.dumps` with options builds an encoder on every call.
_SORTED_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
)


# Characters that JSON keeps in a string as they are, but that some readers of lines
# take as line breaks (Python's `str.splitlines`, JavaScript's): escaped, so that a JSON
# line is always one line.
_LINE_BREAKS_IN_STRINGS = str.maketrans(
    {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def sorted_json(value: Any) -> str:
    """One text for a value: sorted keys, no spaces, numbers as they were written (`1.0`
    stays `1.0`), on one line for every reader. What the importers write, so that a
    recording reads as it was made."""
    return _SORTED_ENCODER.encode(value).translate(_LINE_BREAKS_IN_STRINGS)


# RFC 8785: what decides whether two values are the same.

# Integers up to this size are IEEE doubles exactly; RFC 8785 reads every number as one.
EXACT_INTEGER = 1 << 53
_STRING = json.JSONEncoder(ensure_ascii=False).encode  # (RFC 8785's escapes, exactly)


def canonical_json(value: Any) -> str:
    """The RFC 8785 (JSON Canonicalization Scheme) text of a JSON value: no spaces, keys
    sorted by their UTF-16 code units, strings with the fewest escapes, and each number
    as ECMAScript writes the IEEE double it stands for, so `1`, `1.0` and `1e0` are one
    number. Two tool calls have the same arguments when these texts are equal.

    A number past the doubles' range, which RFC 8785 refuses, is written exactly, as
    text, so that it still equals only itself.
    """
    if isinstance(value, dict):
        members = sorted(
            value.items(), key=lambda item: str(item[0]).encode("utf-16-be", "surrogatepass")
        )
        return (
            "{"
            + ",".join(f"{_STRING(str(key))}:{canonical_json(item)}" for key, item in members)
            + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ",".join(canonical_json(item) for item in value) + "]"
    if isinstance(value, str):
        return _STRING(value)
    if value is None or isinstance(value, bool):
        return "null" if value is None else "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        double = as_double(value)
        return _STRING(str(value)) if double is None else ecmascript_number(double)
    return _STRING(str(value))


def as_double(number: int | float | Decimal) -> float | None:
    """The IEEE double a JSON number stands for (RFC 8785), None past their range."""
    try:
        double = float(number)
    except OverflowError:
        return None
    return double if double - double == 0 else None  # (not infinite, not NaN)


def ecmascript_number(double: float) -> str:
    """A double as ECMAScript's Number.prototype.toString writes it (RFC 8785, 3.2.2.3):
    the shortest digits that read back as the same double, in plain notation from 1e-7
    up to 1e21 and in exponent notation (`1e+21`, `1.5e-7`) beyond."""
    if double == 0:
        return "0"  # (and -0)
    sign = "-" if double < 0 else ""
    exact = Decimal(repr(abs(double))).normalize()  # repr: the shortest round trip
    _, digit_tuple, exponent = exact.as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    count = len(digits)
    point = exponent + count  # the value is 0.DIGITS x 10**point
    if count <= point <= 21:
        text = digits + "0" * (point - count)
    elif 0 < point <= 21:
        text = f"{digits[:point]}.{digits[point:]}"
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        power = point - 1
        mantissa = digits if count == 1 else f"{digits[0]}.{digits[1:]}"
        text = f"{mantissa}e{'+' if power > 0 else '-'}{abs(power)}"
    return sign + text

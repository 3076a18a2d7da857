"""YAML loading that remembers where every key and value came from, and refuses hostile input.

The file is read through `files.read_inside` (a regular UTF-8 file inside its directory, of
bounded size) and checked for the characters YAML forbids. libyaml (or PyYAML's own parser
when libyaml is missing) turns it into events; the composer here turns those into plain data
without recursion, recording the file:line:column of every key and value. It keeps mapping
keys as written, refuses duplicate keys, applies merge keys (`<<`), bounds nesting, size and
alias expansion, and accepts only the plain tags, so no input makes it crash, hang or run code.

Mapping keys are strings exactly as written: every key in a sesctl file is a name (a field, a
domain, an IP address, a template, a tag key), and YAML 1.1 would silently turn `off` into
False, `0x10` into 16 or `1.10` into 1.1. Values keep YAML 1.1's booleans, nulls and numbers
(what existing files rely on), except that times (`12:30`) and dates stay strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from .errors import ConfigError
from .files import FileError, line_column, read_inside, shown

Path_ = tuple[str | int, ...]

MAX_CONFIG_BYTES = 8 * 1024 * 1024  # 100,000 suppressed addresses take ~3 MB
MAX_DEPTH = 100  # nesting levels: SES's deepest structure (a policy) needs fewer than 10
MAX_NODES = 500_000  # values in the document, aliases expanded (100,000 addresses: 100,000)
MAX_EXPANDED = 100_000  # values that aliases and merge keys copy, in all ("billion laughs")
MAX_INT = 2**63  # SES's integers are 64-bit; larger ones cost time to even convert

_LOADER: Any = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
_STD = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (f"{_STD}{t}" for t in ("str", "int", "float", "bool", "null"))
_MERGE_KEY = -1  # the path part under which a merge key's value is composed (never a key)

# Characters YAML forbids in a stream (YAML 1.1, 5.1): C0 controls but tab and line breaks,
# DEL, C1 controls but NEL, surrogates and U+FFFE/U+FFFF.
_FORBIDDEN = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# YAML 1.1's implicit types, as PyYAML resolves them, minus base 60 and timestamps.
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_BOOL_TEXT = re.compile(
    r"yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
)
_NULL_TEXT = re.compile(r"~|null|Null|NULL|")
_INT_TEXT = re.compile(r"[-+]?(?:0b[0-1_]+|0x[0-9a-fA-F_]+|0[0-7_]+|0|[1-9][0-9_]*)")
_FLOAT_TEXT = re.compile(
    r"[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_RESOLVED_FIRST = frozenset("~nNyYtTfFoO0123456789+-.")


@dataclass(frozen=True, slots=True)
class Mark:
    """A position in a source file (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass
class Located:
    """Plain Python data from a YAML file plus the position of every path in it."""

    data: Any
    file: str
    marks: dict[Path_, Mark] = field(default_factory=dict)
    value_marks: dict[Path_, Mark] = field(default_factory=dict)

    def mark(self, path: Path_) -> Mark:
        """The position of the key at `path`, or of its nearest ancestor that has one."""
        return self._nearest(self.marks, tuple(path))

    def value_mark(self, path: Path_) -> Mark:
        """The position of the value at `path` (where a bad value should be pointed at)."""
        return self._nearest(self.value_marks, tuple(path))

    def _nearest(self, marks: dict[Path_, Mark], path: Path_) -> Mark:
        while path:
            if path in marks:
                return marks[path]
            path = path[:-1]
        return self.marks.get((), Mark(self.file, 1, 1))


def load_yaml(path: Path) -> Located:
    """Read and parse a YAML file; every failure is a ConfigError naming the position."""
    name = str(path)
    try:
        text = read_inside(path.parent, path.name, MAX_CONFIG_BYTES)
    except FileError as exc:
        where = f"{name}:{exc.line}:{exc.column}" if exc.line else name
        hint = ": save the file as UTF-8" if exc.why == "encoding" else ""
        raise ConfigError(f"{where}: {exc.reason}{hint}") from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> Located:
    """Parse YAML text; every failure is a ConfigError with file:line:column."""
    text = text.removeprefix("\ufeff")
    _refuse_forbidden_characters(text, name)
    loader = _LOADER(text)
    composer = _Composer(name)
    try:
        data = composer.compose(loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else f"{name}:1:1"
        problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise ConfigError(f"{where}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:  # a reader error: only a position, in characters
        line, column = line_column(text, getattr(exc, "position", 0) or 0)
        raise ConfigError(f"{name}:{line}:{column}: YAML error: {type(exc).__name__}") from None
    finally:
        loader.dispose()
    if composer.documents == 0:
        return Located({}, name, {(): Mark(name, 1, 1)})
    return Located(data, name, composer.marks, composer.value_marks)


def _refuse_forbidden_characters(text: str, name: str) -> None:
    """YAML forbids control characters; say where, in lines and columns, before parsing."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return
    line, column = line_column(text, found.start())
    code = ord(found.group())
    raise ConfigError(
        f"{name}:{line}:{column}: character U+{code:04X} is not allowed in YAML "
        "(write it as an escape in a double-quoted string)"
    )


class _Anchor:
    """An anchored node: its value, and the slice of the composer's `order` it recorded."""

    __slots__ = ("done", "end", "path", "start", "text", "value")

    def __init__(self, path: Path_, start: int, value: Any = None, text: str | None = None):
        self.path = path
        self.start = start
        self.end = start + 1
        self.value = value
        self.text = text  # a scalar as written (what it means as a mapping key)
        self.done = text is not None


class _Collection:
    """A mapping or sequence being composed."""

    __slots__ = ("anchor", "child", "data", "key", "mapping", "merge", "path", "start")

    def __init__(self, path: Path_, start: int, mapping: bool, anchor: _Anchor | None) -> None:
        self.path = path
        self.start = start
        self.mapping = mapping
        self.data: Any = {} if mapping else []
        self.anchor = anchor
        self.key: str | int | None = None  # the key whose value comes next (mappings)
        self.child: Path_ = path  # and that value's path
        self.merge: tuple[Any, int, int, Mark] | None = None  # value, order slice, mark


class _Composer:
    """Turns parser events into plain data and marks, iteratively, within the bounds."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.marks: dict[Path_, Mark] = {}
        self.value_marks: dict[Path_, Mark] = {}
        self.order: list[Path_] = []  # the path of every value, in document order
        self.anchors: dict[str, _Anchor] = {}
        self.stack: list[_Collection] = []
        self.expanded = 0
        self.documents = 0
        self.root: Any = None

    def compose(self, loader: Any) -> Any:
        """The data of the stream's one document (None when the stream is empty)."""
        get_event = loader.get_event
        while True:
            event = get_event()
            kind = type(event)
            if kind is ScalarEvent:
                self._scalar(event)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                self._start(event, kind is MappingStartEvent)
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                self._end()
            elif kind is AliasEvent:
                self._alias(event)
            elif kind is DocumentStartEvent:
                if self.documents:
                    self._fail(event, "a config file holds one YAML document; a second starts here")
                self.documents = 1
            elif event is None or kind is StreamEndEvent:
                return self.root

    # --- nodes --------------------------------------------------------------------------------

    def _scalar(self, event: ScalarEvent) -> None:
        """A scalar: a mapping's key, or a value in its place."""
        top = self.stack[-1] if self.stack else None
        if top is not None and top.mapping and top.key is None:
            self._key(top, event)
            return
        mark = self._mark(event)
        path = self._place(top, mark)
        value = self._value(event, mark)
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(path, len(self.order) - 1, value, event.value)
        self._attach(top, value, len(self.order) - 1)

    def _start(self, event: MappingStartEvent | SequenceStartEvent, mapping: bool) -> None:
        """Open a mapping or sequence, refused as a key, past the depth bound or with a tag."""
        top = self.stack[-1] if self.stack else None
        if top is not None and top.mapping and top.key is None:
            self._fail(event, "a mapping key must be a plain value, not a list or a mapping")
        tag = event.tag
        if tag is not None and tag != "!" and tag != (f"{_STD}map" if mapping else f"{_STD}seq"):
            self._refuse_tag(event, tag)
        if len(self.stack) >= MAX_DEPTH:
            self._fail(event, f"nested more than {MAX_DEPTH} levels deep")
        path = self._place(top, self._mark(event))
        start = len(self.order) - 1
        anchor = None
        if event.anchor is not None:
            anchor = self.anchors[event.anchor] = _Anchor(path, start)
        self.stack.append(_Collection(path, start, mapping, anchor))

    def _end(self) -> None:
        """Close the innermost collection: merge its `<<`, complete its anchor, place it."""
        done = self.stack.pop()
        value = done.data if done.merge is None else self._merged(done, *done.merge)
        if done.anchor is not None:
            done.anchor.value, done.anchor.end, done.anchor.done = value, len(self.order), True
        self._attach(self.stack[-1] if self.stack else None, value, done.start)

    def _alias(self, event: AliasEvent) -> None:
        """An alias: a copy of the anchored value, counted against the expansion bound."""
        top = self.stack[-1] if self.stack else None
        if top is not None and top.mapping and top.key is None:
            self._key(top, event)
            return
        anchor = self._anchor(event)
        mark = self._mark(event)
        size = anchor.end - anchor.start
        self.expanded += size
        if self.expanded > MAX_EXPANDED:
            self._fail(
                event,
                f"alias *{shown(event.anchor or '')}: aliases expand the document past "
                f"{MAX_EXPANDED:,} values; sesctl refuses that (a 'billion laughs' file?)",
            )
        path = self._place(top, mark)
        start = len(self.order) - 1
        value = self._copy(anchor.value, len(self.stack), mark)
        self._replay(anchor.path, anchor.start + 1, anchor.end, path)
        self._attach(top, value, start)

    def _key(self, top: _Collection, event: ScalarEvent | AliasEvent) -> None:
        """Read the key of the mapping `top` (a string as written, or a merge key)."""
        mark = self._mark(event)
        merge = False
        if isinstance(event, AliasEvent):
            text = self._anchor(event).text
            if text is None:
                self._fail(event, "a mapping key must be a plain value, not a list or a mapping")
            key = text
        else:
            if event.tag is not None and event.tag != "!" and event.tag != _STR:
                self._fail(
                    event, f"a mapping key is a string; tag {_tag(event.tag)} is not allowed"
                )
            key = event.value
            if event.style == '"':
                self._check_text(key, event)
            merge = key == "<<" and event.tag is None and event.implicit[0]
            if event.anchor is not None:  # copied as its text: no marks of its own
                self.anchors[event.anchor] = _Anchor((), len(self.order) - 1, key, key)
        if merge:
            if top.merge is not None:
                line = top.merge[3].line
                self._fail(
                    event,
                    f"duplicate merge key '<<' (first at line {line}); merge "
                    "several mappings with one list: <<: [*a, *b]",
                )
            top.key, top.child = _MERGE_KEY, (*top.path, _MERGE_KEY)
            self.marks[top.child] = mark
            return
        path = (*top.path, key)
        if key in top.data:
            first = self.marks[path]
            self._fail(event, f"duplicate key {_quoted(key)} (first defined at line {first.line})")
        self.marks[path] = mark
        top.key, top.child = key, path

    # --- values -------------------------------------------------------------------------------

    def _value(self, event: ScalarEvent, mark: Mark) -> Any:
        """A scalar's value: YAML 1.1's plain types, or the text of a quoted one."""
        tag, text = event.tag, event.value
        if tag is None and event.implicit[0]:
            return text if text and text[0] not in _RESOLVED_FIRST else _plain(text, mark)
        if tag is None or tag == "!" or tag == _STR:
            if event.style == '"':
                self._check_text(text, event)
            return text
        return _tagged(tag, text, mark) if tag.startswith(_STD) else self._refuse_tag(event, tag)

    def _check_text(self, text: str, event: ScalarEvent) -> None:
        """An escape can write what UTF-8 cannot encode (a lone surrogate): refuse it here."""
        found = _SURROGATE.search(text)
        if found is not None:
            self._fail(
                event,
                f"U+{ord(found.group()):04X} (a lone surrogate) cannot be encoded as UTF-8; "
                "remove the escape",
            )

    def _anchor(self, event: AliasEvent) -> _Anchor:
        """The complete anchor an alias names (a recursive alias has none)."""
        name = event.anchor or ""
        anchor = self.anchors.get(name)
        if anchor is None:
            self._fail(event, f"alias *{shown(name)} names no anchor defined before it")
        if not anchor.done:
            self._fail(event, f"alias *{shown(name)} is inside the node it names")
        return anchor

    def _copy(self, value: Any, depth: int, mark: Mark) -> Any:
        """A deep copy of an aliased value (each use gets its own), within the depth bound."""
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise ConfigError(f"{mark}: nested more than {MAX_DEPTH} levels deep")
            if isinstance(value, dict):
                return {k: self._copy(v, depth + 1, mark) for k, v in value.items()}
            return [self._copy(v, depth + 1, mark) for v in value]
        return value

    # --- paths and marks ----------------------------------------------------------------------

    def _place(self, top: _Collection | None, mark: Mark) -> Path_:
        """The path of the value starting at `mark`, with its marks recorded."""
        if top is None:
            path: Path_ = ()
            self.marks[path] = mark
        elif top.mapping:
            path = top.child
        else:
            path = (*top.path, len(top.data))
            self.marks[path] = mark
        self.value_marks[path] = mark
        self.order.append(path)
        if len(self.order) > MAX_NODES:
            raise ConfigError(f"{mark}: more than {MAX_NODES:,} values in the document")
        return path

    def _attach(self, top: _Collection | None, value: Any, start: int) -> None:
        """Put a finished value into its collection (or make it the document)."""
        if top is None:
            self.root = value
        elif not top.mapping:
            top.data.append(value)
        elif top.key == _MERGE_KEY:
            top.merge = (value, start, len(self.order), self.value_marks[top.child])
            top.key = None
        else:
            top.data[top.key] = value
            top.key = None

    def _replay(self, source: Path_, start: int, end: int, target: Path_) -> None:
        """Record, under `target`, the marks recorded under `source` in order[start:end]."""
        if len(self.order) + end - start > MAX_NODES:
            raise ConfigError(
                f"{self.value_marks[target]}: more than {MAX_NODES:,} values in the document"
            )
        cut = len(source)
        marks, value_marks, order = self.marks, self.value_marks, self.order
        for path in order[start:end]:
            new = (*target, *path[cut:])
            marks[new] = marks[path]
            value_marks[new] = value_marks[path]
            order.append(new)

    def _merged(
        self, done: _Collection, value: Any, start: int, end: int, mark: Mark
    ) -> dict[str, Any]:
        """The mapping with its `<<` merged in: its own keys win, then earlier mappings."""
        listed = isinstance(value, list)
        sources = value if listed else [value]
        if not all(isinstance(source, dict) for source in sources):
            raise ConfigError(
                f"{mark}: a merge key '<<' takes a mapping or a list of mappings (<<: *base)"
            )
        result: dict[str, Any] = {}
        origin: dict[str | int, int] = {}
        for index, source in enumerate(sources):
            for key, item in source.items():
                if key not in done.data and key not in result:
                    result[key] = item
                    origin[key] = index
        self._replay_merged(done.path, start, end, origin, listed)
        result.update(done.data)
        return result

    def _replay_merged(
        self, path: Path_, start: int, end: int, origin: dict[str | int, int], listed: bool
    ) -> None:
        """Record the marks of the merged keys that were taken, under the mapping's path."""
        base = len(path) + 1
        cut = base + listed
        marks, value_marks, order = self.marks, self.value_marks, self.order
        for old in order[start:end]:
            if len(old) > cut and origin.get(old[cut], -1) == (old[base] if listed else 0):
                new = (*path, *old[cut:])
                marks[new] = marks[old]
                value_marks[new] = value_marks[old]
                order.append(new)

    # --- errors -------------------------------------------------------------------------------

    def _mark(self, event: yaml.Event) -> Mark:
        """Where the event starts, 1-based."""
        start = event.start_mark
        if start is None:
            return Mark(self.file, 1, 1)
        return Mark(self.file, start.line + 1, start.column + 1)

    def _fail(self, event: yaml.Event, message: str) -> NoReturn:
        """Refuse the file at the event's position."""
        raise ConfigError(f"{self._mark(event)}: {message}")

    def _refuse_tag(self, event: yaml.Event, tag: str) -> NoReturn:
        """Refuse a tag that would build something other than plain data."""
        self._fail(event, _unsupported(tag))


def _plain(text: str, mark: Mark) -> Any:
    """A plain scalar as YAML 1.1 resolves it (PyYAML's rules, no base 60, no timestamps)."""
    if text.isascii() and text.isdigit() and text[0] != "0" and len(text) < 19:
        return int(text)
    if _NULL_TEXT.fullmatch(text):
        return None
    if _BOOL_TEXT.fullmatch(text):
        return _BOOLS[text.lower()]
    if _INT_TEXT.fullmatch(text):
        return _int(text, mark)
    if _FLOAT_TEXT.fullmatch(text):
        return _float(text)
    return text


def _tagged(tag: str, text: str, mark: Mark) -> Any:
    """A scalar with an explicit standard tag; the text must be of that type."""
    if tag == _INT and _INT_TEXT.fullmatch(text):
        return _int(text, mark)
    if tag == _FLOAT and _FLOAT_TEXT.fullmatch(text):
        return _float(text)
    if tag == _FLOAT and _INT_TEXT.fullmatch(text):
        return float(_int(text, mark))
    if tag == _BOOL and _BOOL_TEXT.fullmatch(text):
        return _BOOLS[text.lower()]
    if tag == _NULL and _NULL_TEXT.fullmatch(text):
        return None
    if tag in (_INT, _FLOAT, _BOOL, _NULL):
        what = {_INT: "an integer", _FLOAT: "a number", _BOOL: "a boolean", _NULL: "null"}[tag]
        raise ConfigError(f"{mark}: {_quoted(text)} is not {what} (tag {_tag(tag)})")
    raise ConfigError(f"{mark}: {_unsupported(tag)}")


def _int(text: str, mark: Mark) -> int:
    """A YAML 1.1 integer (0b, 0x, 0 octal, underscores), refused beyond 64 bits."""
    digits = text.replace("_", "")
    sign = -1 if digits[:1] == "-" else 1
    digits = digits.lstrip("+-")
    base = 10
    if digits[:2] in ("0b", "0x"):
        base, digits = (2 if digits[1] == "b" else 16), digits[2:]
    elif len(digits) > 1 and digits[0] == "0":
        base = 8
    if not digits:
        raise ConfigError(f"{mark}: {_quoted(text)} is not an integer")
    if base == 10 and len(digits) > 19:
        raise ConfigError(f"{mark}: integer too large (SES takes 64-bit integers)")
    value = sign * int(digits.lstrip("0") or "0", base)
    if not -MAX_INT <= value < MAX_INT:
        raise ConfigError(f"{mark}: integer too large (SES takes 64-bit integers)")
    return value


def _float(text: str) -> float:
    """A YAML 1.1 float (underscores, .inf, .nan)."""
    value = text.replace("_", "").lower()
    sign = -1.0 if value[:1] == "-" else 1.0
    value = value.lstrip("+-")
    if value == ".inf":
        return sign * float("inf")
    if value == ".nan":
        return float("nan")
    return sign * float(value)


def _unsupported(tag: str) -> str:
    """Why a tag is refused: it would build something other than plain data."""
    return (
        f"tag {_tag(tag)} is not supported: sesctl reads plain YAML (strings, numbers, booleans, "
        "null, lists and mappings)"
    )


def _tag(tag: str) -> str:
    """A tag as it is usually written (`!!int`), short."""
    return shown(f"!!{tag.removeprefix(_STD)}" if tag.startswith(_STD) else tag)


def _quoted(text: str) -> str:
    """A value in a message: quoted, escaped onto one line, short."""
    return repr(text) if len(text) <= 60 else f"{text[:60]!r}…"

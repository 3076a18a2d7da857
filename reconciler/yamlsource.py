"""YAML loading that remembers where every key and value came from.

The loader composes the YAML node tree and converts it by hand, so each mapping key and each
value gets its file:line:column, and a duplicate key is an error instead of a silent overwrite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
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


def _mark(file: str, node: yaml.Node) -> Mark:
    return Mark(file, node.start_mark.line + 1, node.start_mark.column + 1)


class _Converter:
    """Turns a composed node tree into dicts/lists/scalars, recording marks."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.marks: dict[Path_, Mark] = {}
        self.value_marks: dict[Path_, Mark] = {}
        self.scalars = yaml.SafeLoader("")

    def convert(self, node: yaml.Node, path: Path_) -> Any:
        self.marks.setdefault(path, _mark(self.file, node))
        self.value_marks[path] = _mark(self.file, node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.scalars.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[Any, Any]:
        self.scalars.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError(f"{_mark(self.file, key_node)}: a mapping key must be a scalar")
            key = self.scalars.construct_object(key_node)
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                first = self.marks[(*path, key)]
                raise ConfigError(
                    f"{_mark(self.file, key_node)}: duplicate key {key!r} "
                    f"(first defined at line {first.line})"
                )
            self.marks[(*path, key)] = _mark(self.file, key_node)
            result[key] = self.convert(value_node, (*path, key))
        return result


def load_yaml(path: Path) -> Located:
    """Read and parse a YAML file; every failure is a ConfigError naming the position."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{name}: file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{name}: is a directory, not a YAML file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{name}: cannot read: {exc}") from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> Located:
    """Parse YAML text; syntax errors become ConfigError with file:line:column."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"{where}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: YAML syntax error: {exc}") from None
    if node is None:
        return Located({}, name, {(): Mark(name, 1, 1)})
    converter = _Converter(name)
    try:
        data = converter.convert(node, ())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise ConfigError(f"{where}: {exc.problem}") from None
    return Located(data, name, converter.marks, converter.value_marks)

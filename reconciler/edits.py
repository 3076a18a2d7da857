"""Edit a config file as a person would: only what changes, comments, order and layout kept.

An agent proposes the changes (through the MCP server), so its input is hostile: names must be
SES's (1 to 64 letters, digits, `_`, `-`) before anything is read or written, values must be
plain data (so no tag or anchor can come from them), and files are written only inside the
config's directory. Each edit is written atomically and then loaded; when the file no longer
loads, it and the template files are put back byte for byte and the loader's error is raised.

The document goes through ruamel.yaml's round trip, which keeps the comment and blank lines
that follow a node on the node's last scalar: an entry that is added, replaced or removed
hands those lines on (`_take_rest`, `_give_rest`), so they stay where they were in the file.
Strings are quoted where YAML 1.1, which sesctl's loader reads, would take them for another
type (`yes`, `1_000`, `2012-10-17`, `<<`).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    PlainScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken

from .config import load
from .errors import SesctlError
from .files import (
    FileError,
    decode_utf8,
    read_bytes_inside,
    resolve_inside,
    shown,
    write_atomically,
)
from .models import SIMPLE, SIMPLE_RULE
from .yamlsource import MAX_CONFIG_BYTES, MAX_DEPTH

Path_ = tuple[str, ...]
Undo = list[Callable[[], None]]

INLINE_TEXT = 200  # a one-line text shorter than this stays inline; longer goes to a file
FLOW_WIDTH = 72  # a flat mapping or list this short is written on one line, {a: 1} / [A, B]
PARTS = {"subject": "", "html": "html", "text": "txt"}  # template parts, and their file suffix
_NAME = re.compile(SIMPLE)
_YAML_11 = yaml.resolver.Resolver()
_YAML_11_EMITTER = yaml.emitter.Emitter(io.StringIO(), allow_unicode=True)
_STR = "tag:yaml.org,2002:str"
_OPENS_BLOCK = re.compile(r"[^\s#-][^#]*:[ \t]*(?:#.*)?")  # `key:` with its value below
_BLOCK_SCALAR = re.compile(r":[ \t]+[|>][-+0-9]*[ \t]*(?:#.*)?")  # `key: |`, lines below
# What comes up to `---`, kept as written: ruamel drops the comments before it.
_PRELUDE = re.compile(r"(?:[ \t]*(?:[#%][^\n]*)?\r?\n)*---(?:[ \t]+#[^\n]*)?[ \t]*\r?\n")
# Text a literal block holds exactly: lines of printable characters, not starting blank, no
# space before a line break, and at most one final line break (more would need `|+`).
_PRINTABLE = "\t\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff"
_BLOCK_SAFE = re.compile(f"(?=[^\\s])[{_PRINTABLE}]*(?:\\n[{_PRINTABLE}]*)+(?<!\\n\\n)")
_BREAKS = re.compile("[\r\n\x85\u2028\u2029]")
_TRAILING_SPACE = re.compile(r"[ \t](?:\n|$)")
_LOCK = threading.Lock()  # one edit at a time in this process


class _Representer(RoundTripRepresenter):
    """Writes a float as YAML 1.1 reads one back: 1e+20 is a string there, 1.0e+20 a float."""

    def represent_float(self, data: Any) -> ScalarNode:
        node = super().represent_float(data)
        if "e" in node.value and "." not in node.value:
            node.value = node.value.replace("e", ".0e", 1)
        return node


_Representer.add_representer(float, _Representer.represent_float)


@dataclass
class _Edit:
    """What a change did (empty: nothing), and the files it writes (relative path → text)."""

    what: str
    files: dict[str, str] = field(default_factory=dict)


# --- the four edits -------------------------------------------------------------------------


def set_template(
    config: Path,
    name: str,
    subject: str | None = None,
    html: str | None = None,
    text: str | None = None,
    test_data: dict[str, Any] | None = None,
) -> str:
    """Create or update `templates.<name>`; a part given replaces the old one where it lives."""
    _check_name("template", name)
    given = {"subject": subject, "html": html, "text": text}
    parts = {part: _text(part, value) for part, value in given.items() if value is not None}
    if test_data is not None and not isinstance(test_data, dict):
        raise SesctlError("test_data must be a mapping")
    _plain(test_data)
    return _edit(
        config,
        partial(_set_template, base=config.parent, name=name, parts=parts, test_data=test_data),
    )


def delete_template(config: Path, name: str) -> str:
    """Remove `templates.<name>`; the files it names are left in place."""
    _check_name("template", name)

    def change(doc: CommentedMap) -> _Edit:
        templates = doc.get("templates")
        if not isinstance(templates, CommentedMap) or name not in templates:
            raise SesctlError(f"{config.name} has no template {name!r}")
        entry = templates[name]
        items = entry.items() if isinstance(entry, dict) else []
        named = [shown(str(v)) for k, v in items if str(k).endswith("_file")]
        _drop(doc, ("templates", name))
        kept = f" ({', '.join(named)} left in place)" if named else ""
        return _Edit(f"deleted template {name}{kept}")

    return _edit(config, change)


def set_event_destination(
    config: Path, configuration_set: str, name: str, definition: dict[str, Any]
) -> str:
    """Create or replace an event destination of a configuration set the file has."""
    _check_name("configuration set", configuration_set)
    _check_name("event destination", name)
    if not isinstance(definition, dict):
        raise SesctlError("an event destination's definition must be a mapping")
    _plain(definition)

    def change(doc: CommentedMap) -> _Edit:
        above = (*_configuration_set(doc, config, configuration_set), "event_destinations")
        note = " (a new event_destinations: apply deletes the set's others)"
        note = note if _mapping(doc, above) else ""
        created = name not in _at(doc, above)
        fields = _update(doc, (*above, name), definition)
        if created:
            return _Edit(f"created event destination {configuration_set}/{name}{note}")
        what = f"updated event destination {configuration_set}/{name} ({', '.join(fields)})"
        return _Edit(what if fields else "")

    return _edit(config, change)


def delete_event_destination(config: Path, configuration_set: str, name: str) -> str:
    """Remove an event destination from a configuration set."""
    _check_name("configuration set", configuration_set)
    _check_name("event destination", name)

    def change(doc: CommentedMap) -> _Edit:
        above = (*_configuration_set(doc, config, configuration_set), "event_destinations")
        destinations = _at(doc, above[:-1]).get(above[-1])
        if not isinstance(destinations, CommentedMap) or name not in destinations:
            raise SesctlError(
                f"configuration set {configuration_set!r} in {config.name} has no event "
                f"destination {name!r}"
            )
        _drop(doc, (*above, name))
        return _Edit(f"deleted event destination {configuration_set}/{name}")

    return _edit(config, change)


def _set_template(
    doc: CommentedMap,
    base: Path,
    name: str,
    parts: dict[str, str],
    test_data: dict[str, Any] | None,
) -> _Edit:
    """The change set_template makes: each part inline or in its file, then test_data."""
    note = " (a new templates section: apply deletes this stack's others)"
    note = note if _mapping(doc, ("templates",)) else ""
    path = ("templates", name)
    created = name not in doc["templates"]
    if created and ("subject" not in parts or not {"html", "text"} & parts.keys()):
        raise SesctlError(f"a new template needs a subject, and html or text: {name}")
    _mapping(doc, path)
    changed: list[str] = []
    edit = _Edit("")
    for part, value in parts.items():
        key, relative = _where(_at(doc, path), name, part, value)
        moved = _assign(doc, (*path, key), value if relative is None else relative)
        if relative is not None and _existing(base, relative) != value.encode():
            edit.files[relative] = value
            moved = True
        changed += [part] if moved else []
    if test_data is not None and _assign(doc, (*path, "test_data"), test_data):
        changed.append("test_data")
    written = f" ({', '.join(edit.files)} written)" if edit.files else ""
    if created:
        edit.what = f"created template {name}{written}{note}"
    elif changed:
        edit.what = f"updated template {name} ({', '.join(changed)})"
    return edit


def _where(entry: CommentedMap, name: str, part: str, value: str) -> tuple[str, str | None]:
    """A part's key, and its file when in one: where it is now; a new subject or short text
    inline; a new html or long text in templates/<name>.html|.txt."""
    named = entry.get(f"{part}_file")
    if isinstance(named, str):
        return f"{part}_file", named
    short = len(value) < INLINE_TEXT and "\n" not in value and "\r" not in value
    if part in entry or part == "subject" or (part == "text" and short):
        return part, None
    return f"{part}_file", f"templates/{name}.{PARTS[part]}"


def _configuration_set(doc: CommentedMap, config: Path, name: str) -> Path_:
    """The path of a configuration set the file has; SesctlError naming both otherwise."""
    sets = doc.get("configuration_sets")
    if not isinstance(sets, CommentedMap) or not isinstance(sets.get(name), CommentedMap):
        raise SesctlError(f"{config.name} has no configuration set {name!r}")
    return ("configuration_sets", name)


# --- checks on what the agent gives ------------------------------------------------------------


def _check_name(what: str, name: object) -> None:
    """Refuse a name SES would not take (and so any path or YAML syntax in it)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        shown_name = f"'{shown(name)}'" if isinstance(name, str) else type(name).__name__
        raise SesctlError(f"{what} name {shown_name} refused: {SIMPLE_RULE}")


def _text(what: str, value: object) -> str:
    """A template part: a string that UTF-8 can encode."""
    if type(value) is not str:
        raise SesctlError(f"{what} must be a string")
    return _utf8(value)


def _utf8(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise SesctlError("a string holds a lone surrogate, which UTF-8 cannot encode") from None
    return value


def _plain(value: Any, like: Any = None, depth: int = 0) -> Any:
    """`value` as ruamel nodes, refusing anything but plain data; a new collection takes
    the style of the one it replaces (`like`), else is written on one line when flat and short."""
    if depth > MAX_DEPTH:
        raise SesctlError(f"a value nests deeper than {MAX_DEPTH} levels")
    if value is None or type(value) in (bool, int, float):
        return value
    if type(value) is str:
        return _scalar(_utf8(value), like)
    node: CommentedMap | CommentedSeq
    if isinstance(value, dict):
        node = CommentedMap((_key(k), _plain(v, None, depth + 1)) for k, v in value.items())
        members = list(node.values())
    elif isinstance(value, list | tuple):
        node = members = CommentedSeq(_plain(v, None, depth + 1) for v in value)
    else:
        raise SesctlError(
            f"a {type(value).__name__} cannot be written: only mappings, lists, strings, "
            "numbers, booleans and null"
        )
    flat = not any(isinstance(m, dict | list) for m in members)
    flow = like.fa.flow_style() if type(like) is type(node) else flat
    if flow and (type(like) is type(node) or len(repr(value)) <= FLOW_WIDTH):
        node.fa.set_flow_style()
    else:
        node.fa.set_block_style()
    return node


def _key(key: object) -> Any:
    if type(key) is not str:
        raise SesctlError(f"mapping keys must be strings, not {type(key).__name__}")
    return key if _plain_ok(_utf8(key)) else DoubleQuotedScalarString(key)


def _scalar(value: str, like: Any) -> Any:
    """A string as a person writes it: a literal block when multi-line (and a block holds it
    exactly), quoted as before, else plain where YAML 1.1 reads it back as this string."""
    if _BLOCK_SAFE.fullmatch(value) and not _TRAILING_SPACE.search(value):
        return LiteralScalarString(value)
    if _BREAKS.search(value):  # ruamel folds these in single quotes: escape them
        return DoubleQuotedScalarString(value)
    if isinstance(like, DoubleQuotedScalarString | SingleQuotedScalarString):
        return type(like)(value)
    return PlainScalarString(value) if _plain_ok(value) else DoubleQuotedScalarString(value)


def _plain_ok(text: str) -> bool:
    """Whether YAML 1.1 (PyYAML, as sesctl's loader) reads `text` written plain, in a flow or
    a block, back as this string: as PyYAML itself would write it."""
    if not _YAML_11_EMITTER.analyze_scalar(text).allow_flow_plain:
        return False
    tag = _YAML_11.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    return tag == _STR


# --- the document: changes that keep the lines around them -----------------------------------


def _at(doc: CommentedMap, path: Path_) -> Any:
    node: Any = doc
    for part in path:
        node = node[part]
    return node


def _mapping(doc: CommentedMap, path: Path_) -> bool:
    """Make doc[path] a mapping, added (at the end) when absent or null; True when added."""
    value = _at(doc, path[:-1]).get(path[-1])
    if isinstance(value, CommentedMap):
        return False
    if value is not None:
        raise SesctlError(f"{'.'.join(path)} is not a mapping")
    _put(doc, path, CommentedMap())
    return True


def _update(doc: CommentedMap, path: Path_, new: dict[str, Any]) -> list[str]:
    """Make the mapping at `path` equal `new` key by key; the keys that changed."""
    old = _at(doc, path[:-1]).get(path[-1])
    if not isinstance(old, CommentedMap):
        _put(doc, path, _plain(new, old))
        return list(new)
    changed = [key for key, value in new.items() if _assign(doc, (*path, key), value)]
    gone = [key for key in old if key not in new]
    for key in gone:
        _drop(doc, (*path, key))
    return changed + gone


def _assign(doc: CommentedMap, path: Path_, new: Any) -> bool:
    """Make doc[path] equal `new`, touching only what differs; True when something did."""
    parent = _at(doc, path[:-1])
    old = parent.get(path[-1])
    if isinstance(old, CommentedMap) and isinstance(new, dict):
        return bool(_update(doc, path, new))
    if path[-1] in parent and _same(old, new):
        return False
    _put(doc, path, _plain(new, old))
    return True


def _same(old: Any, new: Any) -> bool:
    """Equal as data and as YAML types (True is not 1, "1" is not 1)."""
    if isinstance(new, dict):
        return (
            isinstance(old, dict)
            and old.keys() == new.keys()
            and all(_same(old[k], v) for k, v in new.items())
        )
    if isinstance(new, list | tuple):
        return isinstance(old, list) and len(old) == len(new) and all(map(_same, old, new))
    kinds = (bool, str, int, float)
    kind = next((t for t in kinds if isinstance(old, t)), type(old))
    return kind is next((t for t in kinds if isinstance(new, t)), type(new)) and old == new


def _put(doc: CommentedMap, path: Path_, node: Any) -> None:
    """doc[path] = node; the lines after the old value, or after the mapping's last entry for
    a new key, stay after it. A new top-level section comes after a blank line."""
    *above, key = path
    parent = _at(doc, tuple(above))
    anchor: tuple[Any, Any] | None = None
    if key in parent:
        anchor = (parent, key)
    elif len(parent):
        anchor = (parent, list(parent)[-1])
    elif above:
        anchor = (_at(doc, tuple(above[:-1])), above[-1])
        parent.fa.set_block_style()
    rest = _take_rest(*anchor) if anchor else ""
    if anchor and not above and key not in parent:
        _give_rest(*anchor, "\n")
    parent[key if key in parent else _key(key)] = node
    _give_rest(parent, key, rest)


def _drop(doc: CommentedMap, path: Path_) -> None:
    """Delete doc[path]; the comment and blank lines before and after it stay where they were."""
    *above, key = path
    parent = _at(doc, tuple(above))
    keys = list(parent)
    at = keys.index(key)
    slot = parent.ca.items.get(key) or [None] * 4
    lines = "".join(_lines(token) for token in slot[1] or []) + _take_rest(parent, key)
    del parent[key]
    if at:
        _give_rest(parent, keys[at - 1], lines)
    elif parent:  # the lines go before the new first entry
        after = parent.ca.items.setdefault(keys[1], [None] * 4)
        after[1] = [_token(lines), *(after[1] or [])] if lines else after[1]
    else:  # `{}`: the collection is still given, with no entries
        first = (parent.ca.comment or [None, None])[1] or []
        parent.fa.set_flow_style()
        parent.ca.comment = None
        lines = "".join(_lines(token) for token in first) + lines
        _give_rest(_at(doc, tuple(above[:-1])), above[-1], lines)


def _slot(parent: Any, key: Any) -> tuple[Any, Any]:
    """Where ruamel keeps the lines that follow parent[key]: on its deepest last entry."""
    value = parent[key]
    while isinstance(value, CommentedMap | CommentedSeq) and value and not value.fa.flow_style():
        last = list(value)[-1] if isinstance(value, CommentedMap) else len(value) - 1
        parent, key, value = value, last, value[last]
    return parent, key


def _take_rest(parent: Any, key: Any) -> str:
    """Take the lines after parent[key]'s own last line (its end-of-line comment stays)."""
    parent, key = _slot(parent, key)
    at = 2 if isinstance(parent, CommentedMap) else 0
    token = (parent.ca.items.get(key) or [None] * 4)[at]
    if token is None:
        return ""
    if _block_scalar(parent[key]):  # the lines after a block scalar hold no comment of its own
        parent.ca.items[key][at] = None
        return _lines(token)
    own, rest = token.value.split("\n", 1) if "\n" in token.value else (token.value, "")
    parent.ca.items[key][at] = CommentToken(own + "\n", CommentMark(token.column))
    return str(rest)


def _give_rest(parent: Any, key: Any, lines: str) -> None:
    """Put lines taken by `_take_rest` (or `_drop`) after parent[key]."""
    if not lines:
        return
    parent, key = _slot(parent, key)
    at = 2 if isinstance(parent, CommentedMap) else 0
    slot = parent.ca.items.setdefault(key, [None] * 4)
    if slot[at] is not None:
        slot[at].value += lines
    else:
        slot[at] = _token(lines if _block_scalar(parent[key]) else "\n" + lines)


def _lines(token: CommentToken) -> str:
    """A comment token as the text of its lines (ruamel keeps a first comment's indent apart)."""
    value = str(token.value)
    return " " * token.column + value if value.startswith("#") else value


def _token(lines: str) -> CommentToken:
    """A comment token written as `lines` are, from the start of a line."""
    return CommentToken(lines, CommentMark(0))


def _block_scalar(value: Any) -> bool:
    return isinstance(value, LiteralScalarString | FoldedScalarString)


# --- reading, writing, and putting back -------------------------------------------------------


def _edit(config: Path, change: Callable[[CommentedMap], _Edit]) -> str:
    """Read the config, change it, write it and the files, load it; on failure put all back."""
    with _LOCK:
        original = _read(config)
        text = decode_utf8(original, config.name)
        editor = _editor(text)
        try:
            doc = editor.load(text[len(_prelude(text)) :])
        except (YAMLError, RecursionError) as exc:
            raise SesctlError(f"{config.name} cannot be edited: {shown(str(exc))}") from None
        if not isinstance(doc, CommentedMap):
            raise SesctlError(f"{config.name} is not a mapping (version, stack, …)")
        edit = change(doc)
        if not edit.what:
            return "no change"
        undo: Undo = []
        try:
            for relative, content in edit.files.items():
                _write_inside(config.parent, relative, content.encode(), undo)
            write_atomically(config, _dump(editor, doc, text), keep_mode=True)
            undo.append(partial(write_atomically, config, original, True))
            load(config)
        except BaseException as exc:
            for step in reversed(undo):
                with contextlib.suppress(OSError):
                    step()
            if isinstance(exc, OSError):
                reason = exc.strerror or type(exc).__name__
                raise SesctlError(f"cannot write the edit of {config.name}: {reason}") from None
            raise
        return edit.what


def _read(config: Path) -> bytes:
    """The config's bytes: a regular file (not a symlink), of bounded size."""
    try:
        mode = os.lstat(config).st_mode
    except OSError as exc:
        raise SesctlError(f"cannot read {config.name}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise SesctlError(f"{config.name} is not a regular file")
    return read_bytes_inside(config.parent, config.name, MAX_CONFIG_BYTES)


def _editor(text: str) -> YAML:
    """A round-trip YAML that writes the document back as it reads it."""
    editor = YAML(typ="rt")
    editor.Representer = _Representer
    editor.preserve_quotes = True
    editor.width = 1 << 20  # never fold a long line
    mapping, offset = _indentation(text)
    editor.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    return editor


def _indentation(text: str) -> tuple[int, int]:
    """The document's mapping indent and sequence dash offset, from the first nested block
    of each (2 and 2, as the project's examples, when it has none)."""
    found: dict[bool, int] = {}
    opener = -1  # the column of the previous line's key when that key opens a block
    scalar = -1  # the column of a key whose value is a block scalar: deeper lines are text
    for line in text.splitlines():
        body = line.lstrip(" ")
        indent = len(line) - len(body)
        if not body or body.startswith("#") or (scalar >= 0 and indent > scalar):
            continue
        dash = body == "-" or body.startswith("- ")
        if opener >= 0 and (indent > opener or (dash and indent == opener)):
            found.setdefault(dash, indent - opener)
        if len(found) == 2:
            break
        content = body[2:].lstrip(" ") if dash else body
        opener = len(line) - len(content) if _OPENS_BLOCK.fullmatch(content) else -1
        scalar = len(line) - len(content) if _BLOCK_SCALAR.search(content) else -1
    return found.get(False, 2), found.get(True, 2)


def _prelude(text: str) -> str:
    match = _PRELUDE.match(text)
    return match.group(0) if match else ""


def _dump(editor: YAML, doc: CommentedMap, original: str) -> bytes:
    """The document's text, with the original's prelude, line ends and final newline."""
    out = io.StringIO()
    editor.dump(doc, out)
    text = out.getvalue()
    if not original.endswith("\n"):
        text = text.removesuffix("\n")
    if "\r\n" in original:
        text = text.replace("\n", "\r\n")
    return (_prelude(original) + text).encode()


def _existing(base: Path, relative: str) -> bytes | None:
    """The bytes of a file a template names, inside the config's directory; None if absent."""
    try:
        return read_bytes_inside(base, relative, MAX_CONFIG_BYTES)
    except FileError as exc:
        if exc.why == "missing":
            return None
        raise SesctlError(f"will not write {shown(relative)}: {exc.reason}") from None


def _write_inside(base: Path, relative: str, data: bytes, undo: Undo) -> None:
    """Write a file inside the config's directory (creating directories), noting the undo."""
    before = _existing(base, relative)
    target = resolve_inside(base, relative)
    missing: list[str] = []
    directory = os.path.dirname(target)
    while not os.path.isdir(directory):
        missing.append(directory)
        directory = os.path.dirname(directory)
    for directory in reversed(missing):
        os.mkdir(directory)
        undo.append(partial(os.rmdir, directory))
    write_atomically(target, data, keep_mode=True)
    undo.append(
        partial(os.unlink, target)
        if before is None
        else partial(write_atomically, target, before, True)
    )

"""The recipients file of `sesctl send-bulk`: CSV or JSONL, streamed and checked row by row.

CSV: an `email` column, optional `cc` / `bcc` (addresses split on `;` or `,`), every other
column template data, where dotted names (`user.city`) build nested objects; a UTF-8 BOM (as
Excel's "CSV UTF-8" writes) is dropped. JSONL: one `{"to": …, "cc": … , "bcc": …,
"data": {…}, "tags": {…}}` per line, cc and bcc an address or a list of them. The file is
written by someone else: every problem is one SesctlError naming file:line, nothing is held
in memory beyond the current row, and lines, nesting and template data are bounded.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

from .errors import SesctlError
from .send import MAX_RECIPIENTS, check_address

MAX_LINE = 1 << 20  # bytes; a row is far smaller, and a file without newlines stops here
MAX_DEPTH = 32  # nesting of a row's template data
MAX_DATA = 262_144  # characters of template data SES takes (ReplacementTemplateData)
JSONL_KEYS = ("to", "cc", "bcc", "data", "tags")
CHUNK = 1 << 20
_ENCODE = json.JSONEncoder().encode  # json.dumps without its per-call argument handling


@dataclass
class Row:
    """One recipient row; `line` is where it starts in the file, `key` digests its content."""

    line: int
    to: str
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    data_json: str = "{}"
    key: int = 0

    @property
    def recipients(self) -> int:
        return 1 + len(self.cc) + len(self.bcc)


@dataclass(frozen=True)
class Fingerprint:
    """What a journal binds to: the file's SHA-256 and its number of lines."""

    sha256: str
    lines: int


def fingerprint(path: Path) -> Fingerprint:
    """The SHA-256 and line count of the file's bytes, read once in large chunks."""
    digest, lines, last = hashlib.sha256(), 0, b"\n"
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                lines += chunk.count(b"\n")
                last = chunk[-1:]
    except OSError as exc:
        raise SesctlError(f"{path}: cannot read: {exc.strerror}") from None
    return Fingerprint(digest.hexdigest(), lines + (last != b"\n"))


def rows(path: Path) -> Iterator[Row]:
    """Stream the recipients file; every problem names file:line."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise SesctlError(f"{path}: cannot read: {exc.strerror}") from None
    with handle:
        lines = _lines(path, handle)
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            yield from _jsonl(path, lines)
        else:
            yield from _csv(path, lines)


def _lines(path: Path, handle: BinaryIO) -> Iterator[str]:
    """The file's lines as text, line endings kept and a leading BOM dropped."""
    number = 0
    while raw := handle.readline(MAX_LINE + 1):
        number += 1
        if len(raw) > MAX_LINE:
            raise SesctlError(f"{path}:{number}: line longer than {MAX_LINE} bytes")
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            where = f"{path}:{number}:{exc.start + 1}"
            raise SesctlError(f"{where}: not UTF-8 text (save the file as UTF-8)") from None


def _key(to: str, cc: list[str], bcc: list[str], data_json: str, tags: dict[str, str]) -> int:
    """A 64-bit digest of everything a row sends: a journal knows a row by it."""
    text = repr((to, cc, bcc, data_json, tags))
    return int.from_bytes(
        hashlib.blake2b(text.encode(errors="surrogatepass"), digest_size=8).digest(), "big"
    )


def _row(
    where: str,
    line: int,
    addresses: tuple[str, list[str], list[str]],
    data: dict[str, Any],
    tags: dict[str, str],
) -> Row:
    """A checked Row: addresses valid, at most 50 recipients, template data within SES's size."""
    to, cc, bcc = addresses
    try:
        for role, group in (("email", [to]), ("cc", cc), ("bcc", bcc)):
            for address in group:
                check_address(address, role)
    except SesctlError as exc:
        raise SesctlError(f"{where}: {exc.message}") from None
    count = 1 + len(cc) + len(bcc)
    if count > MAX_RECIPIENTS:
        raise SesctlError(
            f"{where}: {count} recipients: SES takes at most {MAX_RECIPIENTS} per message"
        )
    data_json = _ENCODE(data)
    if len(data_json) > MAX_DATA:
        raise SesctlError(
            f"{where}: template data is {len(data_json)} characters: SES takes {MAX_DATA}"
        )
    return Row(line, to, cc, bcc, data, tags, data_json, _key(to, cc, bcc, data_json, tags))


# --- CSV ----------------------------------------------------------------------------------------


@dataclass
class _Header:
    """The header row: where email, cc and bcc are, and the data columns as nested paths."""

    width: int
    email: int
    cc: int | None
    bcc: int | None
    fields: list[tuple[int, tuple[str, ...]]]


def _header(path: Path, cells: list[str] | None) -> _Header:
    """Read the header; duplicate, empty-part or clashing dotted names are refused at line 1."""
    where = f"{path}:1"
    names = [cell.strip() for cell in cells or []]
    if "email" not in names:
        raise SesctlError(f"{where}: a CSV of recipients needs an `email` column")
    seen: set[str] = set()
    for name in filter(None, names):
        if name in seen:
            raise SesctlError(f"{where}: column {name!r} appears twice")
        seen.add(name)
    fields = [
        (i, tuple(name.split(".")))
        for i, name in enumerate(names)
        if name and name not in ("email", "cc", "bcc")
    ]
    _check_paths(where, [p for _, p in fields])
    return _Header(
        len(names), names.index("email"), _index(names, "cc"), _index(names, "bcc"), fields
    )


def _index(names: list[str], name: str) -> int | None:
    return names.index(name) if name in names else None


def _check_paths(where: str, paths: list[tuple[str, ...]]) -> None:
    """Dotted column names must build objects: no empty part, no value with members."""
    full = {".".join(p) for p in paths}
    for path in paths:
        name = ".".join(path)
        if not all(path):
            raise SesctlError(f"{where}: column {name!r} has an empty part between dots")
        for end in range(1, len(path)):
            parent = ".".join(path[:end])
            if parent in full:
                raise SesctlError(f"{where}: column {name!r} nests under column {parent!r}")


def _data(header: _Header, record: list[str]) -> dict[str, Any]:
    """The template data of one record; dotted names build nested objects."""
    data: dict[str, Any] = {}
    for index, path in header.fields:
        target = data
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = record[index]
    return data


def _split(cell: str) -> list[str]:
    return [a.strip() for a in cell.replace(",", ";").split(";") if a.strip()]


def _csv_failure(path: Path, start: int, current: int, exc: csv.Error) -> NoReturn:
    """A csv module error as one message naming file:line (where an unclosed quote opened)."""
    text, line = str(exc), current
    if "new-line character" in text:
        text = "a carriage return alone ends a line: save the file with \\n or \\r\\n endings"
    elif "end of data" in text:
        text, line = "a quoted cell opened on this line is never closed", start
    raise SesctlError(f"{path}:{line}: not valid CSV: {text}") from None


def _csv(path: Path, lines: Iterator[str]) -> Iterator[Row]:
    reader = csv.reader(lines, strict=True)
    try:
        header = _header(path, next(reader, None))
    except csv.Error as exc:
        _csv_failure(path, 1, reader.line_num, exc)
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader, None)
        except csv.Error as exc:
            _csv_failure(path, start, reader.line_num, exc)
        if record is None:
            return
        if not any(cell.strip() for cell in record):
            continue  # a blank line, or a row of empty cells as spreadsheets leave them
        yield _csv_row(path, start, header, record)


def _csv_row(path: Path, line: int, header: _Header, record: list[str]) -> Row:
    where = f"{path}:{line}"
    if len(record) != header.width:
        raise SesctlError(f"{where}: {len(record)} cells, but the header has {header.width}")
    copies = _split(record[header.cc]) if header.cc is not None else []
    blind = _split(record[header.bcc]) if header.bcc is not None else []
    to = record[header.email].strip()
    return _row(where, line, (to, copies, blind), _data(header, record), {})


# --- JSONL --------------------------------------------------------------------------------------


def no_constant(name: str) -> NoReturn:
    """json.loads' parse_constant: NaN and Infinity are no JSON, and SES would refuse them."""
    raise ValueError(f"{name} is not a JSON number")


def parse_json(where: str, text: str, lines: bool = False) -> Any:
    """One JSON value; what json.loads refuses (or cannot bear) as one message. `where` names
    the line of a one-line value, or (with `lines`) a whole file whose line is then added."""
    try:
        return json.loads(text, parse_constant=no_constant)
    except json.JSONDecodeError as exc:
        at = f"{exc.lineno}:{exc.colno}" if lines else str(exc.colno)
        raise SesctlError(f"{where}:{at}: not JSON: {exc.msg}") from None
    except RecursionError:
        raise SesctlError(f"{where}: not JSON this program reads: nested too deeply") from None
    except ValueError as exc:  # a number of more than 4300 digits, NaN, Infinity
        raise SesctlError(f"{where}: not JSON this program reads: {exc}") from None


def depth(value: Any) -> int:
    """How deeply lists and objects nest in a JSON value (iteratively: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            members = item.values() if isinstance(item, dict) else item
            stack.extend((member, depth + 1) for member in members)
    return deepest


def _addresses(where: str, item: dict[str, Any], key: str) -> list[str]:
    """cc or bcc: absent, null, one address, or a list of addresses."""
    value = item.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(a, str) for a in value):
        return list(value)
    raise SesctlError(f"{where}: `{key}` must be an address or a list of addresses")


def _object(where: str, item: dict[str, Any], key: str) -> dict[str, Any]:
    """data or tags: absent, null or a JSON object."""
    value = item.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SesctlError(f"{where}: `{key}` must be an object")
    return value


def _tags(where: str, item: dict[str, Any]) -> dict[str, str]:
    tags = _object(where, item, "tags")
    for value in tags.values():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise SesctlError(f"{where}: each value in `tags` must be a string or a number")
    return {name: str(value) for name, value in tags.items()}


def _jsonl(path: Path, lines: Iterator[str]) -> Iterator[Row]:
    for number, text in enumerate(lines, start=1):
        if text.strip():
            yield _jsonl_row(f"{path}:{number}", number, text)


def _jsonl_row(where: str, line: int, text: str) -> Row:
    item = parse_json(where, text.rstrip("\r\n"))
    if not isinstance(item, dict) or not isinstance(item.get("to"), str):
        raise SesctlError(f'{where}: each line needs {{"to": "address", "data": {{…}}}}')
    unknown = sorted(set(item) - set(JSONL_KEYS))
    if unknown:
        raise SesctlError(
            f"{where}: unknown key {unknown[0]!r} (a line has {', '.join(JSONL_KEYS)})"
        )
    data = _object(where, item, "data")
    if depth(data) > MAX_DEPTH:
        raise SesctlError(f"{where}: `data` nests deeper than {MAX_DEPTH} levels")
    cc, bcc = _addresses(where, item, "cc"), _addresses(where, item, "bcc")
    return _row(where, line, (item["to"], cc, bcc), data, _tags(where, item))

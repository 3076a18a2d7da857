"""The recipients file of `sesctl send-bulk`: CSV or JSONL, streamed and checked row by row.

CSV: an `email` column, optional `cc` / `bcc` (addresses split on `;` or `,`), every other
column template data, where dotted names (`user.city`) build nested objects. JSONL: one
`{"to": …, "cc": […], "bcc": […], "data": {…}, "tags": {…}}` per line. Every problem names
file:line; nothing is held in memory beyond the current row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .errors import SesctlError
from .send import MAX_RECIPIENTS, check_address


@dataclass
class Row:
    """One recipient row; `line` is where it ends in the file (its key in the journal)."""

    line: int
    to: str
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def recipients(self) -> int:
        return 1 + len(self.cc) + len(self.bcc)


def _nested(flat: dict[str, str]) -> dict[str, Any]:
    """`user.name` columns become {"user": {"name": …}}."""
    data: dict[str, Any] = {}
    for key, value in flat.items():
        target = data
        *parents, leaf = key.split(".")
        for part in parents:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise ValueError(f"column {key!r} nests under a value")
        target[leaf] = value
    return data


def _split(cell: str | None) -> list[str]:
    return [a.strip() for a in (cell or "").replace(",", ";").split(";") if a.strip()]


def rows(path: Path) -> Iterator[Row]:
    """Stream the recipients file; every problem names file:line."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise SesctlError(f"{path}: cannot read: {exc.strerror}") from None
    with handle:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            yield from _jsonl(path, handle)
        else:
            yield from _csv(path, handle)


def _csv(path: Path, handle: TextIO) -> Iterator[Row]:
    reader = csv.reader(handle)
    header = next(reader, None)
    if not header or "email" not in header:
        raise SesctlError(f"{path}:1: a CSV of recipients needs an `email` column")
    email = header.index("email")
    cc, bcc = _column(header, "cc"), _column(header, "bcc")
    fields = [(i, k) for i, k in enumerate(header) if k and k not in ("email", "cc", "bcc")]
    nested = any("." in k for _, k in fields)
    for record in reader:
        if not record:
            continue  # a blank line, as DictReader skips it
        record += [""] * (len(header) - len(record))
        flat = {k: record[i] for i, k in fields}
        try:
            data = _nested(flat) if nested else flat
        except ValueError as exc:
            raise SesctlError(f"{path}:{reader.line_num}: {exc}") from None
        to, copies, blind = record[email].strip(), _cell(record, cc), _cell(record, bcc)
        yield _checked(Row(reader.line_num, to, copies, blind, data), path)


def _column(header: list[str], name: str) -> int | None:
    return header.index(name) if name in header else None


def _cell(record: list[str], column: int | None) -> list[str]:
    return _split(record[column]) if column is not None else []


def _jsonl(path: Path, handle: TextIO) -> Iterator[Row]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SesctlError(f"{where}: not JSON: {exc.msg}") from None
        if not isinstance(item, dict) or not isinstance(item.get("to"), str):
            raise SesctlError(f'{where}: each line needs {{"to": "address", "data": {{…}}}}')
        data, tags = item.get("data") or {}, item.get("tags") or {}
        if not isinstance(data, dict) or not isinstance(tags, dict):
            raise SesctlError(f"{where}: `data` and `tags` must be objects")
        row = Row(
            number,
            item["to"],
            list(item.get("cc") or []),
            list(item.get("bcc") or []),
            data,
            {str(k): str(v) for k, v in tags.items()},
        )
        yield _checked(row, path)


def _checked(row: Row, path: Path) -> Row:
    """The row, when every address is valid and SES would take its recipients."""
    try:
        check_address(row.to, "email")
        for role, addresses in (("cc", row.cc), ("bcc", row.bcc)):
            for address in addresses:
                check_address(address, role)
    except SesctlError as exc:
        raise SesctlError(f"{path}:{row.line}: {exc.message}") from None
    if row.recipients > MAX_RECIPIENTS:
        raise SesctlError(
            f"{path}:{row.line}: {row.recipients} recipients: "
            f"SES takes at most {MAX_RECIPIENTS} per message"
        )
    return row


def count(path: Path) -> tuple[int, int]:
    """First pass: check every row; (rows, recipients)."""
    total_rows = total_recipients = 0
    for row in rows(path):
        total_rows += 1
        total_recipients += row.recipients
    return total_rows, total_recipients

"""A SendGrid account read from exported files, for teams that cannot give sesctl a key.

The directory holds any of these files (each optional, at least one present):

    templates.json            the templates as GET /v3/templates/{id} answers, in a list
    asm_groups.json           GET /v3/asm/groups
    asm_suppressions.json|csv the group unsubscribes: GET /v3/asm/suppressions's list of
                              {email, group_id}, or a CSV with email and group_id columns
    bounces, blocks, spam_reports, invalid_emails, unsubscribes (.json or .csv)
                              the suppression lists: the API's list, or the CSV the
                              SendGrid app exports (a header row naming an email column)
    verified_senders.json     GET /v3/verified_senders
    whitelabel_domains.json   GET /v3/whitelabel/domains

Every file is read inside the directory only (a link leading out is refused), size-limited,
and checked member by member; a fault names the file and its line.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import SesctlError
from ..files import FileError, read_inside
from ..recipients import parse_json
from . import source
from .source import Account, SourceError

MAX_FILE = 512 * 1024 * 1024
JSON_ONLY = ("templates", "asm_groups", "verified_senders", "whitelabel_domains")
EITHER = ("asm_suppressions", *source.LISTS)


def read(directory: Path, note: Callable[[str], None] = lambda message: None) -> Account:
    """The account the files in `directory` describe."""
    if not directory.is_dir():
        raise SourceError(f"--from-files {directory}: not a directory")
    found = {name: _which(directory, name) for name in (*JSON_ONLY, *EITHER)}
    if not any(found.values()):
        names = ", ".join(f"{n}.json" for n in JSON_ONLY) + ", " + ", ".join(EITHER)
        raise SourceError(f"--from-files {directory}: no SendGrid export found (expected {names})")
    account = Account()
    rows = {name: _rows(directory, file) for name, file in found.items() if file}
    account.templates = [
        source.template(o, f"templates.json item {i + 1}")
        for i, o in enumerate(_list(rows.get("templates", []), "templates.json", "result"))
    ]
    account.groups = [
        source.group(o, f"asm_groups.json item {i + 1}")
        for i, o in enumerate(_list(rows.get("asm_groups", []), "asm_groups.json"))
    ]
    for where, item in _items(rows.get("asm_suppressions", []), found["asm_suppressions"]):
        group_id = item.get("group_id") if isinstance(item, dict) else None
        if isinstance(group_id, str) and group_id.isdigit():
            group_id = int(group_id)
        if not isinstance(group_id, int) or isinstance(group_id, bool):
            raise SourceError(f"{where}: group_id must be a group's number")
        account.group_unsubscribes.setdefault(group_id, []).append(source.entry(item, where).email)
    for name in source.LISTS:
        entries = [source.entry(o, w) for w, o in _items(rows.get(name, []), found[name])]
        setattr(account, name, entries)
    account.senders = [
        source.sender(o, f"verified_senders.json item {i + 1}")
        for i, o in enumerate(
            _list(rows.get("verified_senders", []), "verified_senders.json", "results")
        )
    ]
    account.domains = [
        source.domain(o, f"whitelabel_domains.json item {i + 1}")
        for i, o in enumerate(_list(rows.get("whitelabel_domains", []), "whitelabel_domains.json"))
    ]
    note(f"Read {', '.join(sorted(f for f in found.values() if f))} from {directory}")
    return account


def _which(directory: Path, name: str) -> str | None:
    """The file holding `name`: name.json, or name.csv where a CSV export exists."""
    forms = [f"{name}.json"] + ([f"{name}.csv"] if name in EITHER else [])
    present = [f for f in forms if os.path.lexists(directory / f)]
    if len(present) > 1:
        raise SourceError(f"--from-files {directory}: both {' and '.join(present)}; keep one")
    return present[0] if present else None


def _rows(directory: Path, file: str) -> Any:
    """A JSON file's value, or a CSV file's rows as (line, {column: value})."""
    try:
        text = read_inside(directory, file, MAX_FILE).removeprefix("\ufeff")  # Excel's BOM
    except FileError as exc:
        raise SourceError(f"{directory / file}: {exc.message}") from None
    if file.endswith(".csv"):
        return _csv(text, file)
    try:
        return parse_json(file, text, lines=True)
    except SesctlError as exc:
        raise SourceError(exc.message) from None


def _csv(text: str, file: str) -> list[tuple[str, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if "email" not in header:
            raise SourceError(f"{file}:1: the header row names no email column")
        found = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                raise SourceError(f"{file}:{reader.line_num}: more cells than the header names")
            found.append((f"{file}:{reader.line_num}", dict(zip(header, row, strict=False))))
        return found
    except csv.Error as exc:
        raise SourceError(f"{file}:{reader.line_num}: {exc}") from None


def _list(value: Any, file: str, wrapper: str | None = None) -> list[Any]:
    """A JSON list, bare or (as the API wraps some) under `wrapper`."""
    if wrapper and isinstance(value, dict) and wrapper in value:
        value = value[wrapper]
    if not isinstance(value, list):
        raise SourceError(f"{file}: expected a list")
    return value


def _items(value: Any, file: str | None) -> list[tuple[str, Any]]:
    """(where, item) for a JSON list's items or a CSV file's rows."""
    if not file:
        return []
    if file.endswith(".csv"):
        return list(value)
    return [(f"{file} item {i + 1}", o) for i, o in enumerate(_list(value, file))]

"""The journal of `sesctl send-bulk`: every call recorded around it, so that a run resumes.

The journal records each call just before it is made and its outcome right after. A call
recorded without an outcome (the process died while it was on the wire) has an unknown
outcome: a re-run reports those rows as `unknown` and resends them only when asked. It is
bound to its send (recipients file, sender, template, data…), knows each row by its content,
and is locked for a run; a last line torn by a crash is recovered as far as it goes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import stat
import tempfile
import threading
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SesctlError
from .recipients import Row

Outcomes = dict[int, dict[str, str]]  # row line → {"status": …, "message_id" | "error": …}


class Journal:
    """Append-only record of calls, bound to its send, locked for a run, recovered after a crash.

    Line 1 binds the journal to what it journals (the recipients file's SHA-256 and lines, and
    the sender, template or an A/B test's templates and split, default data, configuration set
    and region): another send is refused. Then `start` before each call (its rows, each with
    its content key, and its A/B variant) and `done` with its outcomes after. Replaying keeps
    one status byte per row line (0 not sent, 1 sent, 3 unknown) and the key each row was
    journaled with, so a row edited since is caught; a million-row run costs a few megabytes. A
    row that failed was not sent: a re-run tries it again (the cause may be gone, a quota
    refilled); it cannot reach anyone twice.

    The file is locked (flock) for the run: a second run on it is refused. A torn last line
    (the process died while writing it) is read as far as it goes — a torn `start` may have
    gone out, so the rows it names are unknown — and replaced by a complete record, atomically.
    Any other line that is not a record is refused, naming the journal and line.
    """

    SENT, UNKNOWN = 1, 3

    def __init__(
        self, path: Path | None = None, fd: int | None = None, created: bool = False
    ) -> None:
        self.path, self.fd, self.created = path, fd, created
        self.status = bytearray()
        self.keys = array("Q")
        self.calls = 0
        self.header: dict[str, Any] | None = None
        self._repair: tuple[int, list[dict[str, Any]]] | None = None  # a torn tail's fix
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path) -> Journal:
        """The journal at path (created if absent), locked for this run; refused if in use."""
        real = Path(os.path.realpath(path))
        for _ in range(5):  # the path may be replaced (recovered) between open and lock
            opened = _open_locked(path, real)
            if opened is not None:
                return cls(real, *opened)
        raise SesctlError(f"--journal: {path} keeps being replaced while sesctl opens it")

    def load(self, binding: dict[str, Any], lines: int) -> list[str]:
        """Replay the journal for this send; the bound parts that differ (none: a match).

        With only the recipients differing, rows are still replayed (out-of-range lines
        ignored) so that `changed` can name the first journaled row that differs."""
        if self.fd is None:
            return []
        records = _lines(self.fd, str(self.path))  # streamed: never the whole file in memory
        first = next(records, None)
        if first is None:
            return []
        if _torn_header(first):  # cut off, so also the last line
            self._repair = (0, [])
            return []
        self.header = _header(str(self.path), first)
        differs = _differences(self.header, binding)
        if [d for d in differs if d != "recipients"]:
            return differs
        self._replay(records, lines, lenient=bool(differs))
        return differs

    def _replay(self, records: Iterator[_Line], lines: int, lenient: bool) -> None:
        """Apply every record; a torn last one is recovered (the file is repaired by `begin`),
        anything else malformed refused."""
        where = str(self.path)
        last: _Line | None = None
        for record in records:  # one behind: only the last line may be torn
            if last is not None:
                self._apply(_record(where, last, lines, lenient), lines)
            last = record
        if last is None:
            return
        if last.complete and _json(last) is not None:  # a whole line: a record, or garbage
            self._apply(_record(where, last, lines, lenient), lines)
            return
        recovered = _recover(where, last, lines)
        for event in recovered:
            self._apply(event, lines)
        self._repair = (last.offset, recovered)

    def _apply(self, record: dict[str, Any], lines: int) -> None:
        """One record into the per-row state; a sent row stays sent."""
        self.calls = max(self.calls, record["batch"])
        if record["event"] == "start":
            for line, key in record["rows"]:
                if line <= lines:
                    self._set(line, self.UNKNOWN, int(key, 16) if key else 0)
            return
        for line, outcome in record["results"].items():
            if int(line) <= lines:
                self._set(int(line), self.SENT if outcome["status"] == "sent" else 0, 0)

    def _set(self, line: int, value: int, key: int) -> None:
        if line >= len(self.status):
            self.status.extend(bytes(line + 1 - len(self.status)))
            self.keys.extend([0] * (line + 1 - len(self.keys)))
        if self.status[line] != self.SENT:
            self.status[line] = value
        if key:
            self.keys[line] = key

    def get(self, row: Row, where: Path) -> int:
        """The row's status in earlier runs; refused if the row changed since it was journaled."""
        line = row.line
        if line >= len(self.status):
            return 0
        if self.keys[line] and self.keys[line] != row.key:
            raise SesctlError(
                f"{where}:{line}: this row changed since the journal {self.path} recorded it; "
                "the journal resumes only the file it was written for"
            )
        return self.status[line]

    def changed(self, all_rows: Iterator[Row]) -> Row | None:
        """The first row whose content differs from the row the journal recorded at its line."""
        for row in all_rows:
            line = row.line
            if line < len(self.keys) and self.keys[line] and self.keys[line] != row.key:
                return row
        return None

    def begin(self, binding: dict[str, Any], recipients: Path) -> None:
        """Before the first call: repair a torn tail, and bind a new journal (line 1)."""
        if self.fd is None:
            return
        if self._repair is not None:
            self._replace_tail(*self._repair)
            self._repair = None
        os.lseek(self.fd, 0, os.SEEK_END)
        if self.header is None:
            self.header = {
                "event": "journal",
                "version": VERSION,
                "recipients": {"path": str(recipients), **binding["recipients"]},
                "message": binding["message"],
            }
            self._write(self.header)

    def _write(self, event: dict[str, Any]) -> None:
        """Append one record and make it durable before the call it announces is made."""
        if self.fd is None:
            return
        try:
            _write_all(self.fd, _encode(event))
            os.fsync(self.fd)
        except OSError as exc:
            raise SesctlError(f"cannot write the journal {self.path}: {exc.strerror}") from None

    def _replace_tail(self, offset: int, records: list[dict[str, Any]]) -> None:
        """Keep the first `offset` bytes, then `records`: a new file, locked, renamed over."""
        assert self.path is not None and self.fd is not None
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody else knows it yet
            _copy(self.fd, fd, offset)
            _write_all(fd, b"".join(_encode(record) for record in records))
            os.fsync(fd)
            os.replace(temporary, self.path)
        except OSError as exc:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise SesctlError(f"cannot recover the journal {self.path}: {exc.strerror}") from None
        os.close(self.fd)
        self.fd = fd

    def start(self, batch: list[Row], variant: str | None = None) -> int:
        """Record a call about to be made (with its A/B variant, if any); its number."""
        with self._lock:
            self.calls += 1
            rows = [[r.line, f"{r.key:016x}"] for r in batch]
            first, last = batch[0].line, batch[-1].line
            event: dict[str, Any] = {
                "event": "start",
                "batch": self.calls,
                "first": first,
                "last": last,
            }
            if variant is not None:
                event["variant"] = variant
            self._write({**event, "rows": rows})
            return self.calls

    def done(self, call: int, outcomes: Outcomes) -> None:
        with self._lock:
            self._write({"event": "done", "batch": call, "results": outcomes})

    def close(self) -> None:
        """Release the lock; a journal this run created and never wrote to is removed."""
        if self.fd is None or self.path is None:
            return
        with contextlib.suppress(OSError):
            mine = os.fstat(self.fd)
            if self.created and mine.st_size == 0 and os.path.samestat(mine, os.stat(self.path)):
                os.unlink(self.path)
        os.close(self.fd)
        self.fd = None


VERSION = 2
LINE_LIMIT = 1 << 20
_KEY = re.compile(r"[0-9a-f]{16}")
_TORN_START = re.compile(rb'\{"event": "start", "batch": (\d+), "first": (\d+), "last": (\d+), ')
_TORN_ROW = re.compile(rb'\[(\d+), "([0-9a-f]{16})"\]')
_TORN_DONE = re.compile(rb'\{"event": "done", "batch": (\d+), ')
_TORN_OUTCOME = re.compile(rb'"(\d+)": \{"status": "(sent|failed|retry)"')
# What each bound part is called on the command line, for the message refusing a mismatch.
BOUND = {
    "recipients": "--recipients (the file's content)",
    "from": "--from",
    "template_name": "--template",
    "templates": "--template",
    "split": "--split",
    "default_data": "--default-data",
    "configuration_set_name": "--configuration-set",
    "region": "the region",
}


@dataclass
class _Line:
    """One line of the journal: its number, where it starts, its bytes, whether it ended."""

    number: int
    offset: int
    raw: bytes
    complete: bool


def _open_locked(path: Path, real: Path) -> tuple[int, bool] | None:
    """The journal's descriptor, locked, and whether this opening created the file; None if
    the file was replaced meanwhile."""
    flags = os.O_RDWR | os.O_CLOEXEC
    try:
        try:
            fd, created = os.open(real, flags | os.O_CREAT | os.O_EXCL, 0o600), True
        except FileExistsError:
            fd, created = os.open(real, flags), False
    except OSError as exc:
        raise SesctlError(f"--journal: cannot open {path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SesctlError(
            f"--journal: {path} is in use by another send-bulk run; wait for it to end "
            "(two runs on one journal would mail the same people twice)"
        ) from None
    try:
        same = os.path.samestat(os.fstat(fd), os.stat(real))
    except FileNotFoundError:
        same = False
    if not same:
        os.close(fd)
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise SesctlError(f"--journal: {path} is not a regular file")
    return fd, created


def _encode(record: dict[str, Any]) -> bytes:
    return json.dumps(record).encode() + b"\n"


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data) :]


def _copy(source: int, target: int, size: int) -> None:
    """The first `size` bytes of source, written to target."""
    done = 0
    while done < size:
        chunk = os.pread(source, min(LINE_LIMIT, size - done), done)
        if not chunk:
            break
        done += len(chunk)
        _write_all(target, chunk)


def _lines(fd: int, where: str) -> Iterator[_Line]:
    """The journal's lines from the start, each at most LINE_LIMIT bytes."""
    with os.fdopen(os.dup(fd), "rb") as handle:
        handle.seek(0)
        number = offset = 0
        while raw := handle.readline(LINE_LIMIT + 1):
            number += 1
            if len(raw) > LINE_LIMIT:
                raise SesctlError(f"{where}:{number}: not a send-bulk journal record (too long)")
            yield _Line(number, offset, raw, raw.endswith(b"\n"))
            offset += len(raw)


def _json(line: _Line) -> Any:
    try:
        return json.loads(line.raw)
    except (ValueError, RecursionError):
        return None


def _torn_header(line: _Line) -> bool:
    """Line 1 cut off while it was written: no call was made yet, the journal is new."""
    return not line.complete and _json(line) is None


def _header(where: str, line: _Line) -> dict[str, Any]:
    """Line 1: the binding; anything else is not a journal of this version."""
    header = _json(line)
    valid = (
        isinstance(header, dict)
        and header.get("event") == "journal"
        and isinstance(header.get("recipients"), dict)
        and isinstance(header.get("message"), dict)
        and line.complete
    )
    if not valid:
        raise SesctlError(
            f"{where}:1: not a send-bulk journal (or one from an older sesctl): give a new "
            "--journal, or the journal this send wrote"
        )
    if header.get("version") != VERSION:
        raise SesctlError(
            f"{where}:1: a journal of version {header.get('version')!r}, not {VERSION}"
        )
    return dict(header)


def _differences(header: dict[str, Any], binding: dict[str, Any]) -> list[str]:
    """The bound parts of this send that differ from those the journal was written for."""
    recipients = header["recipients"]
    differs = [
        name
        for name in binding["message"]
        if header["message"].get(name) != binding["message"][name]
    ]
    same_file = all(recipients.get(k) == v for k, v in binding["recipients"].items())
    return differs if same_file else ["recipients", *differs]


def _record(where: str, line: _Line, lines: int, lenient: bool) -> dict[str, Any]:
    """A start or done record, checked; anything else is refused with journal:line."""
    record = _json(line)
    ok = isinstance(record, dict) and line.complete and isinstance(record.get("batch"), int)
    if ok and record["event"] == "start":
        ok = _valid_start(record, lines, lenient)
    elif ok and record["event"] == "done":
        ok = _valid_done(record, lines, lenient)
    else:
        ok = False
    if not ok:
        raise SesctlError(f"{where}:{line.number}: not a send-bulk journal record")
    return dict(record)


def _line_number(value: Any, lines: int, lenient: bool) -> bool:
    """A row line: an int from 1 to the file's last line (any, when diagnosing a mismatch)."""
    return type(value) is int and value >= 1 and (lenient or value <= lines)


def _valid_start(record: dict[str, Any], lines: int, lenient: bool) -> bool:
    rows = record.get("rows")
    return isinstance(rows, list) and all(
        isinstance(row, list)
        and len(row) == 2
        and _line_number(row[0], lines, lenient)
        and isinstance(row[1], str)
        and (row[1] == "" or _KEY.fullmatch(row[1]) is not None)
        for row in rows
    )


def _valid_done(record: dict[str, Any], lines: int, lenient: bool) -> bool:
    results = record.get("results")
    return isinstance(results, dict) and all(
        line.isdigit()
        and _line_number(int(line), lines, lenient)
        and isinstance(outcome, dict)
        and outcome.get("status") in ("sent", "failed", "retry")
        for line, outcome in results.items()
    )


def _recover(where: str, line: _Line, lines: int) -> list[dict[str, Any]]:
    """Complete records equivalent to what a torn last line says, read as far as it goes.

    A torn `start` may have gone out: every row line in its span becomes unknown. A torn
    `done` settles the rows whose outcome it wrote in full; its other rows stay unknown."""
    start = _TORN_START.match(line.raw)
    if start is not None:
        batch, first, last = (int(g) for g in start.groups())
        if 1 <= first <= last <= lines:
            keys = {int(n): k.decode() for n, k in _TORN_ROW.findall(line.raw) if int(n) <= lines}
            rows = [[n, keys.get(n, "")] for n in range(first, last + 1)]
            span = {"batch": batch, "first": first, "last": last, "rows": rows}
            return [{"event": "start", **span, "recovered": True}]
    done = _TORN_DONE.match(line.raw)
    if done is not None:
        outcomes = {
            n.decode(): {"status": s.decode()}
            for n, s in _TORN_OUTCOME.findall(line.raw)
            if 1 <= int(n) <= lines
        }
        return [{"event": "done", "batch": int(done.group(1)), "results": outcomes}]
    raise SesctlError(
        f"{where}:{line.number}: the journal's last line was cut off too early to tell which "
        "rows it was about, and a call may have gone out for them: check what was sent, then "
        "delete that line to resume"
    )

"""`sesctl send-bulk`: templated mail to a file of recipients, rate-exact and resumable.

Batches of up to 50 rows go out through SendBulkEmail, paced so that recipients per second
(to + cc + bcc, as SES counts them) never exceed the rate; several batches are in flight at
once so a round trip is not paid per batch. Only what SES refused is retried — the whole
call on a 429 or a server error, or the entries SES marks ACCOUNT_THROTTLED or
TRANSIENT_FAILURE — never a call whose answer was lost, so nobody gets a message twice: its
rows are reported `unknown`, and the run goes on unless several answers in a row are lost.

The journal records each call just before it is made and its outcome right after. A call
recorded without an outcome (the process died while it was on the wire) has an unknown
outcome: a re-run reports those rows as `unknown` and resends them only when asked. It is
bound to its send (recipients file, sender, template, data…), knows each row by its content,
and is locked for a run; before anything is sent every row is checked, and rendered with its
live template, since SES accepts a message whose data lacks a variable and then drops it.

An A/B test names several templates (`--template` repeated, at most 10) and their shares
(`--split`, whole percentages summing to 100; equal by default). A row's variant depends on
its To address alone: the address (its addr-spec, stripped and lower-cased) is hashed with
SHA-256, the first 8 bytes read big-endian as n place it at n * 10,000 / 2**64 in [0, 10,000),
and the row gets the first template whose cumulative share in basis points lies above that
point. So an address always gets the same template, and a resumed run chooses as the first
did. Each call carries one variant's rows, and every message of an A/B test is tagged
`ab-variant=<template>`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import stat
import tempfile
import threading
import time
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from email.utils import parseaddr
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any

from .client import Sesv2
from .errors import ApiError, SesctlError
from .recipients import Row, rows
from .send import ADDR_SPEC, LiveTemplate, next_delay, refused_unsent, unsubscribe_note

BATCH = 50
TRANSIENT = frozenset({"ACCOUNT_THROTTLED", "TRANSIENT_FAILURE"})
# Calls in a row whose answer was lost before the run stops: a cut is a blip, more an outage.
LOST_IN_A_ROW = 3
THROTTLE_RETRIES = 12
# Batches on the wire or waiting for their slot. Against SES (tens of ms a call) eight keep a
# high MaxSendRate busy; a kill -9 leaves at most this many calls with an unknown outcome.
IN_FLIGHT = 8

Outcomes = dict[int, dict[str, str]]  # row line → {"status": …, "message_id" | "error": …}

MAX_VARIANTS = 10
SCALE = 10_000  # the split's resolution: shares are in basis points
VARIANT_TAG = "ab-variant"
_PERCENT = re.compile(r"[0-9]{1,3}")


def bucket(address: str) -> int:
    """Where an address falls in [0, SCALE): the first 8 bytes of the SHA-256 of its addr-spec,
    stripped and lower-cased, scaled down, so that an address always falls in one place."""
    bare = address.strip()
    if ADDR_SPEC.match(bare) is None:  # a display name or a comment around it
        bare = parseaddr(bare)[1] or bare
    digest = hashlib.sha256(bare.lower().encode(errors="surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") * SCALE >> 64


class Split:
    """The templates of a send and each one's share in basis points (SCALE in all): one
    template has them all, several make an A/B test."""

    def __init__(self, names: Sequence[str], shares: Sequence[int]) -> None:
        self.names, self.shares = tuple(names), tuple(shares)
        self.edges = list(accumulate(self.shares))

    @classmethod
    def of(cls, names: Sequence[str], split: str | None = None) -> Split:
        """The --template and --split values, checked; an equal split when none is given."""
        _check_names(names)
        if split is None:
            edges = [SCALE * (i + 1) // len(names) for i in range(len(names))]
            return cls(names, [b - a for a, b in pairwise([0, *edges])])
        if len(names) == 1:
            raise SesctlError(
                "--split: one template has nothing to split; give --template once per variant"
            )
        return cls(names, [weight * SCALE // 100 for weight in _weights(split, len(names))])

    @property
    def ab(self) -> bool:
        """Whether this is an A/B test (several templates)."""
        return len(self.names) > 1

    @property
    def label(self) -> str:
        """The shares as percentages, as --split takes them (`50,50`)."""
        return ",".join(f"{share / (SCALE // 100):g}" for share in self.shares)

    def choose(self, address: str) -> str:
        """The template of the message to this To address (the module's rule)."""
        if len(self.names) == 1:
            return self.names[0]
        return self.names[bisect_right(self.edges, bucket(address))]


def _check_names(names: Sequence[str]) -> None:
    """One to MAX_VARIANTS templates, each named once."""
    if not 1 <= len(names) <= MAX_VARIANTS:
        raise SesctlError(
            f"--template: {len(names)} templates given; an A/B test takes 2 to {MAX_VARIANTS}"
        )
    for index, name in enumerate(names):
        if name in names[:index]:
            raise SesctlError(
                f"--template: {name!r} is given twice; each variant is a different template"
            )


def _weights(split: str, count: int) -> list[int]:
    """--split's whole percentages: one per template, summing to 100."""
    weights = [part.strip() for part in split.split(",")]
    if not all(_PERCENT.fullmatch(weight) for weight in weights):
        raise SesctlError(
            f"--split: {split!r} is not whole percentages separated by commas, like 50,50"
        )
    if len(weights) != count:
        raise SesctlError(
            f"--split: {len(weights)} weights for {count} templates; give one per --template, "
            "in the same order"
        )
    total = sum(int(weight) for weight in weights)
    if total != 100:
        raise SesctlError(f"--split: the weights add up to {total}, not 100")
    return [int(weight) for weight in weights]


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


class Pacer:
    """Spaces sends so recipients per second never exceed the rate (no bursts).

    Each send of k recipients reserves k/rate seconds stretched by SLACK, so that a call
    delayed on its way cannot put two calls' worth into SES's one-second window (when it
    does, SES answers 429 and the batch is retried).
    """

    SLACK = 1.02

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self, recipients: int, stop: threading.Event) -> bool:
        """Sleep until this send's slot; False when `stop` was set meanwhile."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self.next)
            self.next = slot + recipients / self.rate * self.SLACK
        return not stop.wait(slot - now) if slot > now else not stop.is_set()


@dataclass
class Options:
    sender: str
    template: str | Split  # one template's name, or an A/B test's templates and shares
    default_data: dict[str, Any]
    configuration_set: str | None
    rate: float
    account_rate: float = 0.0  # the account's MaxSendRate: a batch larger can never go out

    @property
    def split(self) -> Split:
        """The templates to send with: one, or the variants of an A/B test."""
        return self.template if isinstance(self.template, Split) else Split.of([self.template])


@dataclass
class Tally:
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0
    stopped: str | None = None  # the error that ended the run before the last row, if any
    interrupted: bool = False  # Ctrl-C
    variants: dict[str, int] = field(default_factory=dict)  # A/B: rows sent now per template


@dataclass
class Sent:
    """What became of one batch: the rows settled, the error that stops the run, if any, and
    the failure that lost the call's answer, if it was lost."""

    outcomes: Outcomes = field(default_factory=dict)
    error: SesctlError | None = None
    lost: SesctlError | None = None


def entry(row: Row, variant: str | None = None) -> dict[str, Any]:
    """One BulkEmailEntry; an A/B variant is tagged beside the row's own tags."""
    destination: dict[str, list[str]] = {"ToAddresses": [row.to]}
    if row.cc:
        destination["CcAddresses"] = row.cc
    if row.bcc:
        destination["BccAddresses"] = row.bcc
    item: dict[str, Any] = {
        "Destination": destination,
        "ReplacementEmailContent": {
            "ReplacementTemplate": {"ReplacementTemplateData": row.data_json}
        },
    }
    tags = {**row.tags, VARIANT_TAG: variant} if variant is not None else row.tags
    if tags:
        item["ReplacementTags"] = [{"Name": k, "Value": v} for k, v in tags.items()]
    return item


class Sender:
    """Sends batches from worker threads: paced, journaled around each call, throttling retried."""

    def __init__(self, client: Sesv2, options: Options, journal: Journal) -> None:
        self.client, self.journal = client, journal
        self.pacer = Pacer(options.rate)
        self.stop = threading.Event()  # set on an error or Ctrl-C: no new call starts
        self.split = options.split
        self.common = {name: _common(options, name) for name in self.split.names}

    def send(self, batch: list[Row], variant: str | None = None) -> Sent:
        """Send one batch, all of one variant (None: the only template); rows never attempted
        (stopped first) are left out of the outcomes."""
        sent, pending, delay = Sent(), list(batch), 0.1
        name = variant if variant is not None else self.split.names[0]
        tag = name if self.split.ab else None
        for _ in range(THROTTLE_RETRIES):
            if not self.pacer.wait(sum(r.recipients for r in pending), self.stop):
                return sent
            try:
                call = self.journal.start(pending, tag)
            except SesctlError as exc:  # not journaled, so not made: the run stops here
                sent.error = exc
                return sent
            try:
                entries = [entry(r, tag) for r in pending]
                answer = self.client.call(
                    "SendBulkEmail", **self.common[name], BulkEmailEntries=entries
                )
            except ApiError as exc:  # SES refused the whole call: nobody in it was sent
                if refused_unsent(exc):
                    self._record(sent, call, {r.line: {"status": "retry"} for r in pending})
                    if sent.error is not None:
                        return sent
                    delay = self._backoff(delay)
                    continue
                refused = {r.line: {"status": "failed", "error": exc.message} for r in pending}
                self._record(sent, call, refused)
                sent.outcomes.update(refused)
                sent.error = sent.error or exc
                return sent
            except SesctlError as exc:  # the answer was lost: outcome unknown, never resent
                lost = f"outcome unknown: {exc.message}"
                sent.outcomes.update(
                    {r.line: {"status": "unknown", "error": lost} for r in pending}
                )
                sent.lost = exc
                return sent
            outcomes, retry = _outcomes(pending, answer["BulkEmailEntryResults"])
            self._record(sent, call, outcomes)
            sent.outcomes.update({k: v for k, v in outcomes.items() if v["status"] != "retry"})
            if not retry or sent.error is not None:
                return sent
            pending, delay = retry, self._backoff(delay)
        for row in pending:
            sent.outcomes[row.line] = {"status": "failed", "error": "still throttled after retries"}
        return sent

    def _record(self, sent: Sent, call: int, outcomes: Outcomes) -> None:
        """Journal a call's outcomes; if that fails, the run stops (a resume says unknown)."""
        try:
            self.journal.done(call, outcomes)
        except SesctlError as exc:
            sent.error = sent.error or exc

    def _backoff(self, delay: float) -> float:
        """Wait (unless stopped); the next, doubled delay."""
        self.stop.wait(delay)
        return next_delay(delay)


def _common(options: Options, template: str) -> dict[str, Any]:
    """What every call with this template carries; only the entries differ."""
    content = {"TemplateName": template, "TemplateData": json.dumps(options.default_data)}
    common: dict[str, Any] = {
        "FromEmailAddress": options.sender,
        "DefaultContent": {"Template": content},
    }
    if options.configuration_set:
        common["ConfigurationSetName"] = options.configuration_set
    return common


def _outcomes(batch: list[Row], results: list[dict[str, Any]]) -> tuple[Outcomes, list[Row]]:
    """Per-row outcomes of one answer, and the rows to try again (throttled, transient)."""
    outcomes: Outcomes = {}
    retry = []
    for row, result in zip(batch, results, strict=True):
        status = result.get("Status", "FAILED")
        if status == "SUCCESS":
            outcomes[row.line] = {"status": "sent", "message_id": result.get("MessageId", "")}
        elif status in TRANSIENT:
            outcomes[row.line] = {"status": "retry"}
            retry.append(row)
        else:
            error = f"{status}: {result.get('Error', '')}".rstrip(": ")
            outcomes[row.line] = {"status": "failed", "error": error}
    return outcomes, retry


def live_templates(client: Sesv2, split: Split) -> dict[str, LiveTemplate]:
    """Every template of the send as SES holds it; one that does not exist is refused."""
    return {name: LiveTemplate(client, name) for name in split.names}


class Screen:
    """What a run does with each row: skip it (sent before), report it (unknown, or its
    variant's live template cannot render it), or send it. The first pass renders and counts;
    the sending pass reuses its verdicts."""

    def __init__(
        self,
        path: Path,
        journal: Journal,
        split: Split,
        live: Mapping[str, LiveTemplate],
        default: dict[str, Any],
        resend_unknown: bool,
    ) -> None:
        self.path, self.journal, self.split, self.live = path, journal, split, live
        self.default, self.resend_unknown = default, resend_unknown
        self.unrenderable = bytearray()  # one byte per line, made when a row first fails

    def check(self, row: Row) -> None:
        """Refuse a row that tags its own ab-variant in an A/B test: the tag names the template."""
        if self.split.ab and VARIANT_TAG in row.tags:
            raise SesctlError(
                f"{self.path}:{row.line}: tags: {VARIANT_TAG!r} is set by send-bulk in an A/B "
                "test (to the template each message used); remove it from the row"
            )

    def survey(self, all_rows: Iterator[Row]) -> Survey:
        """First pass: every row checked; the rows and the recipients still to send."""
        survey = Survey()
        for row in all_rows:
            survey.rows += 1
            self.check(row)
            verdict = self.verdict(row)
            if verdict is not None:  # sent, or unknown, before
                survey.sent_before += verdict[0] == "skipped"
                survey.unknown_before += verdict[0] == "unknown"
                continue
            problem = self.problem(row)
            if problem is None:
                survey.to_send += 1
                survey.recipients += row.recipients
                continue
            survey.unrenderable += 1
            if len(survey.problems) < SHOWN:
                survey.problems.append(f"{self.path}:{row.line}: {problem}")
            if row.line >= len(self.unrenderable):
                self.unrenderable.extend(bytes(row.line + 1 - len(self.unrenderable)))
            self.unrenderable[row.line] = 1
        return survey

    def problem(self, row: Row) -> str | None:
        """Why its variant's live template cannot render this row (SES would drop it), or None."""
        template = self.live.get(self.split.choose(row.to))
        if template is None:
            return None
        missing = template.missing({**self.default, **row.data})
        if missing is None:
            return None
        note = unsubscribe_note(missing, ", which send-bulk has not")
        return f"{template.name} uses {{{{{missing}}}}} but the row has no {missing!r}{note}"

    def verdict(self, row: Row) -> tuple[str, str | None] | None:
        """(status, detail) for a row not to send now, or None to send it."""
        state = self.journal.get(row, self.path)
        if state == Journal.SENT:
            return "skipped", None
        if state == Journal.UNKNOWN and not self.resend_unknown:
            return "unknown", "in flight when an earlier run stopped: not resent"
        if row.line < len(self.unrenderable) and self.unrenderable[row.line]:
            return "failed", f"not sent: {self.problem(row)}"
        return None


SHOWN = 20  # rows the live template cannot render, listed before sending


@dataclass
class Survey:
    rows: int = 0
    to_send: int = 0
    recipients: int = 0  # of the rows to send now
    sent_before: int = 0
    unknown_before: int = 0
    unrenderable: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class Batch:
    """Rows for one SendBulkEmail call, all with one variant's template."""

    variant: str
    rows: list[Row] = field(default_factory=list)
    recipients: int = 0

    def fits(self, row: Row, limit: int) -> bool:
        """Whether the row still fits: at most 50 entries and `limit` recipients."""
        return len(self.rows) < BATCH and self.recipients + row.recipients <= limit

    def add(self, row: Row) -> None:
        self.rows.append(row)
        self.recipients += row.recipients


def batches(all_rows: Iterator[Row], screen: Screen, limit: int, report: Any) -> Iterator[Batch]:
    """Rows still to send, one pending batch per variant, each sent when full."""
    pending: dict[str, Batch] = {}
    for row in all_rows:
        verdict = screen.verdict(row)
        if verdict is not None:
            report(row, *verdict)
            continue
        variant = screen.split.choose(row.to)
        batch = pending.get(variant)
        if batch is not None and not batch.fits(row, limit):
            yield batch
            batch = None
        if batch is None:
            batch = pending[variant] = Batch(variant)
        batch.add(row)
    yield from pending.values()


def dry_run(
    client: Sesv2, path: Path, split: Split, default: dict[str, Any]
) -> Iterator[tuple[Row, str, str, str | None]]:
    """Each row rendered with its variant's live template: (row, variant, subject, why it
    cannot render)."""
    live = live_templates(client, split)
    screen = Screen(path, Journal(), split, live, default, False)
    for row in rows(path):
        screen.check(row)
        variant, problem = split.choose(row.to), screen.problem(row)
        subject = "" if problem else live[variant].subject({**default, **row.data})
        yield row, variant, subject, problem


class Results:
    """The --results JSONL file (one row per recipient, with its variant in an A/B test) and
    the running tally."""

    def __init__(self, path: Path | None, split: Split | None = None) -> None:
        self.tally = Tally()
        self.split = split if split is not None and split.ab else None
        if self.split is not None:
            self.tally.variants = dict.fromkeys(self.split.names, 0)
        try:
            self._out = path.open("w", encoding="utf-8") if path is not None else None
        except OSError as exc:
            raise SesctlError(f"--results: cannot write {path}: {exc.strerror}") from None

    def __call__(
        self, row: Row, status: str, detail: str | None, variant: str | None = None
    ) -> None:
        setattr(self.tally, status, getattr(self.tally, status) + 1)
        if self.split is not None:
            variant = variant or self.split.choose(row.to)
            if status == "sent":
                self.tally.variants[variant] += 1
        if self._out is not None:
            record: dict[str, Any] = {"line": row.line, "email": row.to, "status": status}
            if detail:
                record["message_id" if status == "sent" else "error"] = detail
            if self.split is not None:
                record["variant"] = variant
            self._out.write(json.dumps(record) + "\n")

    def report(self, batch: Batch, outcomes: Outcomes) -> None:
        """The outcomes of one batch's rows (those never attempted are left out)."""
        for row in batch.rows:
            outcome = outcomes.get(row.line)
            if outcome is not None:
                sent = outcome["status"] == "sent"
                detail = outcome.get("message_id" if sent else "error")
                self(row, outcome["status"], detail, batch.variant)

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


def run(
    client: Sesv2,
    path: Path,
    options: Options,
    screen: Screen,
    results: Results,
    progress: Callable[[Tally], None],
) -> Tally:
    """Send every row not yet sent; the journal makes a re-run send only what never went.

    Journal records are written by the workers around each call; results and progress by
    this thread only. On an error or Ctrl-C no new call starts, the calls on the wire are
    waited for and recorded, and the tally says why the run stopped.
    """
    sender = Sender(client, options, screen.journal)
    ceiling = min(options.rate, options.account_rate) if options.account_rate > 0 else options.rate
    limit = max(1, min(BATCH, int(ceiling)))
    flying: dict[Future[Sent], Batch] = {}

    lost_in_a_row = 0

    def land(future: Future[Sent]) -> None:
        nonlocal lost_in_a_row
        batch, sent = flying.pop(future), future.result()
        results.report(batch, sent.outcomes)
        lost_in_a_row = lost_in_a_row + 1 if sent.lost else 0
        error = sent.error
        if error is None and sent.lost is not None and lost_in_a_row >= LOST_IN_A_ROW:
            error = SesctlError(f"{lost_in_a_row} calls in a row got no answer: {sent.lost}")
        if error is not None and results.tally.stopped is None:
            results.tally.stopped = error.message
            sender.stop.set()
        progress(results.tally)

    with ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="send-bulk") as pool:
        try:
            for batch in batches(rows(path), screen, limit, results):
                if sender.stop.is_set():
                    break
                if len(flying) == IN_FLIGHT:
                    land(next(as_completed(flying)))
                flying[pool.submit(sender.send, batch.rows, batch.variant)] = batch
            while flying:
                land(next(as_completed(flying)))
        except KeyboardInterrupt:
            results.tally.interrupted = True
        finally:
            sender.stop.set()
            _drain(flying, land)
    return results.tally


def _drain(flying: dict[Future[Sent], Batch], land: Callable[[Future[Sent]], None]) -> None:
    """Record the batches still on the wire; an error of theirs yields to the one raised."""
    while flying:
        try:
            land(next(as_completed(flying)))
        except Exception:  # the first failure is the one propagating
            continue

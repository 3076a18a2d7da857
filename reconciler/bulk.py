"""`sesctl send-bulk`: templated mail to a file of recipients, rate-exact and resumable.

Rows stream from CSV or JSONL and are checked in a first pass (nothing is sent when a row is
bad). Batches of up to 50 go out through SendBulkEmail, paced so that recipients per second
(to + cc + bcc, as SES counts them) never exceed the rate. Only explicit throttling is
retried — the whole call on a 429, or the entries SES marks ACCOUNT_THROTTLED or
TRANSIENT_FAILURE — never a call whose answer was lost, so nobody gets a message twice.
The journal records each batch before it is sent and its outcome after; a batch started but
never finished has an unknown outcome, reported as `unknown` and resent only when asked.
"""

from __future__ import annotations

import csv
import json
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .client import Sesv2
from .errors import ApiError, SesctlError
from .send import check_address

BATCH = 50
TRANSIENT = frozenset({"ACCOUNT_THROTTLED", "TRANSIENT_FAILURE"})
THROTTLE_RETRIES = 12
IN_FLIGHT = 8


@dataclass
class Row:
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
    if row.recipients > 50:
        raise SesctlError(
            f"{path}:{row.line}: {row.recipients} recipients: SES takes at most 50 per message"
        )
    return row


class Journal:
    """Append-only record of batches: `start` before sending, `done` with outcomes after.

    Per row only a status byte is kept in memory (0 new, 1 sent, 2 failed, 3 unknown), so
    resuming a million-row run costs a megabyte.
    """

    SENT, FAILED, UNKNOWN = 1, 2, 3

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.status = bytearray()
        self.errors: dict[int, str] = {}
        self.batch = 0
        if path is not None and path.exists():
            self._replay(path)
        self._out = path.open("a", encoding="utf-8") if path is not None else None

    def _replay(self, path: Path) -> None:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue  # the last line of a run killed while writing it
            self.batch = max(self.batch, event["batch"])
            if event["event"] == "start":
                for line_number in event["rows"]:
                    self._set(line_number, self.UNKNOWN)
            else:
                for line_number, outcome in event["results"].items():
                    sent = outcome["status"] == "sent"
                    self._set(int(line_number), self.SENT if sent else self.FAILED)
                    if not sent:
                        self.errors[int(line_number)] = outcome.get("error", "")

    def _set(self, line: int, value: int) -> None:
        if line >= len(self.status):
            self.status.extend(bytes(line + 1 - len(self.status)))
        self.status[line] = value

    def get(self, line: int) -> int:
        return self.status[line] if line < len(self.status) else 0

    def _write(self, event: dict[str, Any]) -> None:
        if self._out is not None:
            self._out.write(json.dumps(event) + "\n")
            self._out.flush()
            os.fsync(self._out.fileno())

    def start(self, batch: list[Row]) -> int:
        self.batch += 1
        self._write({"batch": self.batch, "event": "start", "rows": [r.line for r in batch]})
        return self.batch

    def done(self, batch_id: int, results: dict[int, dict[str, str]]) -> None:
        self._write({"batch": batch_id, "event": "done", "results": results})
        for line, outcome in results.items():
            self._set(line, self.SENT if outcome["status"] == "sent" else self.FAILED)

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


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

    def wait(self, recipients: int) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self.next)
            self.next = slot + recipients / self.rate * self.SLACK
        if slot > now:
            time.sleep(slot - now)


@dataclass
class Options:
    sender: str
    template: str
    default_data: dict[str, Any]
    configuration_set: str | None
    rate: float
    account_rate: float = 0.0  # the account's MaxSendRate: a batch larger can never go out


@dataclass
class Tally:
    sent: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0


def batches(
    all_rows: Iterator[Row], journal: Journal, resend_unknown: bool, limit: int, report: Any
) -> Iterator[list[Row]]:
    """Rows still to send, grouped by at most 50 entries and `limit` recipients."""
    batch: list[Row] = []
    size = 0
    for row in all_rows:
        state = journal.get(row.line)
        if state == Journal.SENT:
            report(row, "skipped", None)
            continue
        if state == Journal.FAILED:
            report(row, "failed", journal.errors.get(row.line) or "failed in an earlier run")
            continue
        if state == Journal.UNKNOWN and not resend_unknown:
            report(row, "unknown", "in flight when an earlier run stopped: not resent")
            continue
        if batch and (len(batch) == BATCH or size + row.recipients > limit):
            yield batch
            batch, size = [], 0
        batch.append(row)
        size += row.recipients
    if batch:
        yield batch


def entry(row: Row) -> dict[str, Any]:
    destination: dict[str, list[str]] = {"ToAddresses": [row.to]}
    if row.cc:
        destination["CcAddresses"] = row.cc
    if row.bcc:
        destination["BccAddresses"] = row.bcc
    item: dict[str, Any] = {
        "Destination": destination,
        "ReplacementEmailContent": {
            "ReplacementTemplate": {"ReplacementTemplateData": json.dumps(row.data)}
        },
    }
    if row.tags:
        item["ReplacementTags"] = [{"Name": k, "Value": v} for k, v in row.tags.items()]
    return item


def send_batch(
    client: Sesv2, options: Options, pacer: Pacer, batch: list[Row]
) -> dict[int, dict[str, str]]:
    """Send one batch; retry throttled entries only; the outcome of every row."""
    outcomes: dict[int, dict[str, str]] = {}
    pending = list(batch)
    delay = 0.2
    for _ in range(THROTTLE_RETRIES):
        pacer.wait(sum(r.recipients for r in pending))
        params: dict[str, Any] = {
            "FromEmailAddress": options.sender,
            "DefaultContent": {
                "Template": {
                    "TemplateName": options.template,
                    "TemplateData": json.dumps(options.default_data),
                }
            },
            "BulkEmailEntries": [entry(r) for r in pending],
        }
        if options.configuration_set:
            params["ConfigurationSetName"] = options.configuration_set
        try:
            answer = client.call("SendBulkEmail", **params)
        except ApiError as exc:
            if exc.code not in ("TooManyRequestsException", "ThrottlingException"):
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
            continue
        retry = []
        for row, result in zip(pending, answer["BulkEmailEntryResults"], strict=True):
            status = result.get("Status", "FAILED")
            if status == "SUCCESS":
                outcomes[row.line] = {"status": "sent", "message_id": result.get("MessageId", "")}
            elif status in TRANSIENT:
                retry.append(row)
            else:
                error = f"{status}: {result.get('Error', '')}".rstrip(": ")
                outcomes[row.line] = {"status": "failed", "error": error}
        if not retry:
            return outcomes
        pending = retry
        time.sleep(delay)
        delay = min(delay * 2, 5.0)
    for row in pending:
        outcomes[row.line] = {"status": "failed", "error": "still throttled after retries"}
    return outcomes


class Results:
    """The --results JSONL file (one row per recipient) and the running tally."""

    def __init__(self, path: Path | None) -> None:
        self.tally = Tally()
        self._out = path.open("w", encoding="utf-8") if path is not None else None

    def __call__(self, row: Row, status: str, detail: str | None) -> None:
        setattr(self.tally, status, getattr(self.tally, status) + 1)
        if self._out is not None:
            record: dict[str, Any] = {"line": row.line, "email": row.to, "status": status}
            if detail:
                record["message_id" if status == "sent" else "error"] = detail
            self._out.write(json.dumps(record) + "\n")

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


def count(path: Path) -> tuple[int, int]:
    """First pass: check every row; (rows, recipients)."""
    total_rows = total_recipients = 0
    for row in rows(path):
        total_rows += 1
        total_recipients += row.recipients
    return total_rows, total_recipients


def run(
    client: Sesv2,
    path: Path,
    options: Options,
    journal: Journal,
    results: Results,
    resend_unknown: bool,
    progress: Any,
) -> Tally:
    """Send every row not yet sent; the journal makes a re-run send only what never went.

    Up to IN_FLIGHT batches are sent at once (the pacer still spaces them), so the time of
    one round trip is not paid per batch. Journal, results and progress are written from
    this thread only. On an error or Ctrl-C no new batch starts; the ones in flight are
    waited for and recorded, so only a second interrupt leaves a batch `unknown`.
    """
    pacer = Pacer(options.rate)
    ceiling = min(options.rate, options.account_rate) if options.account_rate > 0 else options.rate
    limit = max(1, min(BATCH, int(ceiling)))
    flying: dict[Future[dict[int, dict[str, str]]], tuple[int, list[Row]]] = {}

    def land(future: Future[dict[int, dict[str, str]]]) -> None:
        batch_id, batch = flying.pop(future)
        try:
            outcomes = future.result()
        except ApiError as exc:  # SES answered no: nothing in this batch was sent
            outcomes = {r.line: {"status": "failed", "error": exc.message} for r in batch}
            journal.done(batch_id, outcomes)
            _report(batch, outcomes, results)
            raise
        journal.done(batch_id, outcomes)
        _report(batch, outcomes, results)
        progress(results.tally)

    with ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="send-bulk") as pool:
        try:
            for batch in batches(rows(path), journal, resend_unknown, limit, results):
                if len(flying) == IN_FLIGHT:
                    land(next(as_completed(flying)))
                batch_id = journal.start(batch)
                flying[pool.submit(send_batch, client, options, pacer, batch)] = (batch_id, batch)
            while flying:
                land(next(as_completed(flying)))
        except BaseException:
            _drain(flying, land)
            raise
    return results.tally


def _drain(flying: dict[Any, Any], land: Any) -> None:
    """Record the batches still in flight; their own errors are secondary to the first one."""
    while flying:
        try:
            land(next(as_completed(flying)))
        except Exception:  # already recorded by land(); the first error is the one raised
            continue


def _report(batch: list[Row], outcomes: dict[int, dict[str, str]], results: Results) -> None:
    for row in batch:
        outcome = outcomes[row.line]
        sent = outcome["status"] == "sent"
        results(row, outcome["status"], outcome.get("message_id" if sent else "error"))

"""`sesctl send-bulk`: templated mail to a file of recipients, rate-exact and resumable.

Batches of up to 50 rows go out through SendBulkEmail, paced so that recipients per second
(to + cc + bcc, as SES counts them) never exceed the rate; several batches are in flight at
once so a round trip is not paid per batch. Only what SES refused is retried — the whole
call on a 429 or a server error, or the entries SES marks ACCOUNT_THROTTLED or
TRANSIENT_FAILURE — never a call whose answer was lost, so nobody gets a message twice: its
rows are reported `unknown`, and the run goes on unless several answers in a row are lost.

The journal records each call just before it is made and its outcome right after. A call
recorded without an outcome (the process died while it was on the wire) has an unknown
outcome: a re-run reports those rows as `unknown` and resends them only when asked.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .client import THROTTLED, Sesv2
from .errors import ApiError, SesctlError
from .handlebars import MissingVariableError, parse, render
from .recipients import Row, rows

BATCH = 50
TRANSIENT = frozenset({"ACCOUNT_THROTTLED", "TRANSIENT_FAILURE"})
# A whole call SES answered with a server error was not sent: retried, as botocore would.
SERVER_ERRORS = frozenset(
    {"InternalServiceErrorException", "InternalFailure", "ServiceUnavailable"}
)
# Calls in a row whose answer was lost before the run stops: a cut is a blip, more an outage.
LOST_IN_A_ROW = 3
THROTTLE_RETRIES = 12
# Batches on the wire or waiting for their slot. Against SES (tens of ms a call) eight keep a
# high MaxSendRate busy; a kill -9 leaves at most this many calls with an unknown outcome.
IN_FLIGHT = 8

Outcomes = dict[int, dict[str, str]]  # row line → {"status": …, "message_id" | "error": …}


class Journal:
    """Append-only record of calls: `start` before each one, `done` with its outcomes after.

    Replaying keeps one status byte per row (0 not sent, 1 sent, 3 unknown), so resuming a
    million-row run costs a megabyte. A row that failed was not sent: a re-run tries it again
    (the cause may be gone, a quota refilled); it cannot reach anyone twice.
    """

    SENT, UNKNOWN = 1, 3

    def __init__(self, path: Path | None) -> None:
        self.status = bytearray()
        self.calls = 0
        self._lock = threading.Lock()
        if path is not None and path.exists():
            self._replay(path)
        self._out = path.open("a", encoding="utf-8") if path is not None else None

    def _replay(self, path: Path) -> None:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue  # the last line of a run killed while writing it
                self.calls = max(self.calls, event["batch"])
                if event["event"] == "start":
                    for line_number in event["rows"]:
                        self._set(line_number, self.UNKNOWN)
                    continue
                for line_number, outcome in event["results"].items():
                    self._set(int(line_number), self.SENT if outcome["status"] == "sent" else 0)

    def _set(self, line: int, value: int) -> None:
        if line >= len(self.status):
            self.status.extend(bytes(line + 1 - len(self.status)))
        self.status[line] = value

    def get(self, line: int) -> int:
        """The row's status in earlier runs (this run's outcomes are not read back)."""
        return self.status[line] if line < len(self.status) else 0

    def _write(self, event: dict[str, Any]) -> None:
        if self._out is not None:
            self._out.write(json.dumps(event) + "\n")
            self._out.flush()
            os.fsync(self._out.fileno())

    def start(self, batch: list[Row]) -> int:
        with self._lock:
            self.calls += 1
            self._write({"batch": self.calls, "event": "start", "rows": [r.line for r in batch]})
            return self.calls

    def done(self, call: int, outcomes: Outcomes) -> None:
        with self._lock:
            self._write({"batch": call, "event": "done", "results": outcomes})

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
    stopped: str | None = None  # the error that ended the run before the last row, if any
    interrupted: bool = False  # Ctrl-C


@dataclass
class Sent:
    """What became of one batch: the rows settled, the error that stops the run, if any, and
    the failure that lost the call's answer, if it was lost."""

    outcomes: Outcomes = field(default_factory=dict)
    error: SesctlError | None = None
    lost: SesctlError | None = None


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


class Sender:
    """Sends batches from worker threads: paced, journaled around each call, throttling retried."""

    def __init__(self, client: Sesv2, options: Options, journal: Journal) -> None:
        self.client, self.journal = client, journal
        self.pacer = Pacer(options.rate)
        self.stop = threading.Event()  # set on an error or Ctrl-C: no new call starts
        template = {
            "TemplateName": options.template,
            "TemplateData": json.dumps(options.default_data),
        }
        self.common: dict[str, Any] = {  # what every call carries; only the entries differ
            "FromEmailAddress": options.sender,
            "DefaultContent": {"Template": template},
        }
        if options.configuration_set:
            self.common["ConfigurationSetName"] = options.configuration_set

    def send(self, batch: list[Row]) -> Sent:
        """Send one batch; rows never attempted (stopped first) are left out of the outcomes."""
        sent, pending, delay = Sent(), list(batch), 0.1
        for _ in range(THROTTLE_RETRIES):
            if not self.pacer.wait(sum(r.recipients for r in pending), self.stop):
                return sent
            call = self.journal.start(pending)
            try:
                entries = [entry(r) for r in pending]
                answer = self.client.call("SendBulkEmail", **self.common, BulkEmailEntries=entries)
            except ApiError as exc:  # SES refused the whole call: nobody in it was sent
                if exc.code in THROTTLED or exc.code in SERVER_ERRORS:
                    self.journal.done(call, {r.line: {"status": "retry"} for r in pending})
                    delay = self._backoff(delay)
                    continue
                refused = {r.line: {"status": "failed", "error": exc.message} for r in pending}
                self.journal.done(call, refused)
                sent.outcomes.update(refused)
                sent.error = exc
                return sent
            except SesctlError as exc:  # the answer was lost: outcome unknown, never resent
                lost = f"outcome unknown: {exc.message}"
                sent.outcomes.update(
                    {r.line: {"status": "unknown", "error": lost} for r in pending}
                )
                sent.lost = exc
                return sent
            outcomes, retry = _outcomes(pending, answer["BulkEmailEntryResults"])
            self.journal.done(call, outcomes)
            sent.outcomes.update({k: v for k, v in outcomes.items() if v["status"] != "retry"})
            if not retry:
                return sent
            pending, delay = retry, self._backoff(delay)
        for row in pending:
            sent.outcomes[row.line] = {"status": "failed", "error": "still throttled after retries"}
        return sent

    def _backoff(self, delay: float) -> float:
        """Wait (unless stopped); the next, doubled delay."""
        self.stop.wait(delay)
        return min(delay * 2, 5.0)


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


def dry_run(
    client: Sesv2, path: Path, template: str, default: dict[str, Any]
) -> Iterator[tuple[Row, str, str | None]]:
    """Each row rendered with the live template: (row, subject, the variable it lacks)."""
    content = client.call("GetEmailTemplate", TemplateName=template)["TemplateContent"]
    parts = {k: parse(v) for k, v in content.items() if v}
    for row in rows(path):
        data = {**default, **row.data}
        try:
            subject = render(parts["Subject"], data) if "Subject" in parts else ""
            for part in parts.values():
                render(part, data)
        except MissingVariableError as exc:
            yield row, "", exc.path
            continue
        yield row, subject, None


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

    def report(self, batch: list[Row], outcomes: Outcomes) -> None:
        for row in batch:
            outcome = outcomes.get(row.line)
            if outcome is not None:
                sent = outcome["status"] == "sent"
                self(row, outcome["status"], outcome.get("message_id" if sent else "error"))

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


def run(
    client: Sesv2,
    path: Path,
    options: Options,
    journal: Journal,
    results: Results,
    resend_unknown: bool,
    progress: Callable[[Tally], None],
) -> Tally:
    """Send every row not yet sent; the journal makes a re-run send only what never went.

    Journal records are written by the workers around each call; results and progress by
    this thread only. On an error or Ctrl-C no new call starts, the calls on the wire are
    waited for and recorded, and the tally says why the run stopped.
    """
    sender = Sender(client, options, journal)
    ceiling = min(options.rate, options.account_rate) if options.account_rate > 0 else options.rate
    limit = max(1, min(BATCH, int(ceiling)))
    flying: dict[Future[Sent], list[Row]] = {}

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
            for batch in batches(rows(path), journal, resend_unknown, limit, results):
                if sender.stop.is_set():
                    break
                if len(flying) == IN_FLIGHT:
                    land(next(as_completed(flying)))
                flying[pool.submit(sender.send, batch)] = batch
            while flying:
                land(next(as_completed(flying)))
        except KeyboardInterrupt:
            results.tally.interrupted = True
        finally:
            sender.stop.set()
            _drain(flying, land)
    return results.tally


def _drain(flying: dict[Future[Sent], list[Row]], land: Callable[[Future[Sent]], None]) -> None:
    """Record the batches still on the wire; an error of theirs yields to the one raised."""
    while flying:
        try:
            land(next(as_completed(flying)))
        except Exception:  # the first failure is the one propagating
            continue

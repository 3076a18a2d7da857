"""`sesctl send-bulk`: templated mail to a file of recipients, rate-exact and resumable.

Batches of up to 50 rows go out through SendBulkEmail, paced so that recipients per second
(to + cc + bcc, as SES counts them) never exceed the rate; several batches are in flight at
once so a round trip is not paid per batch. Only what SES refused is retried — the whole
call on a 429 or a server error, or the entries SES marks ACCOUNT_THROTTLED or
TRANSIENT_FAILURE — never a call whose answer was lost, so nobody gets a message twice: its
rows are reported `unknown`, and the run goes on unless several answers in a row are lost.

The journal records each call just before it is made and its outcome right after, so a
re-run sends only what never went. Before anything is sent every row is checked, and rendered
with its live template, since SES accepts a message whose data lacks a variable and then
drops it. In an A/B test each call carries one variant's rows (a row's template follows from
its To address alone), and every message is tagged `ab-variant=<template>`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .client import Sesv2
from .errors import ApiError, SesctlError
from .journal import Journal, Outcomes
from .recipients import Row, rows
from .send import LiveTemplate, next_delay, refused_unsent, unsubscribe_note
from .variants import VARIANT_TAG, Split

BATCH = 50
TRANSIENT = frozenset({"ACCOUNT_THROTTLED", "TRANSIENT_FAILURE"})
# Calls in a row whose answer was lost before the run stops: a cut is a blip, more an outage.
LOST_IN_A_ROW = 3
THROTTLE_RETRIES = 12
# Batches on the wire or waiting for their slot. Against SES (tens of ms a call) eight keep a
# high MaxSendRate busy; a kill -9 leaves at most this many calls with an unknown outcome.
IN_FLIGHT = 8


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
    reply_to: tuple[str, ...] = ()

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
    if options.reply_to:
        common["ReplyToAddresses"] = list(options.reply_to)
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

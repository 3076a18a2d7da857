"""`sesctl send-bulk`: a template (or an A/B test of several) to every recipient in a file,
rate-exact and resumable."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..client import Sesv2
from ..errors import SesctlError
from . import bulk_checks as checks
from .send import json_object, read_addresses
from .shell import connected, echo, global_options, info, opt

if TYPE_CHECKING:  # send-bulk's modules load only when it runs
    from ..bulk import Survey, Tally
    from ..journal import Journal
    from ..variants import Split


@click.command(name="send-bulk")
@click.option("--from", "sender", required=True, help="Sender address (a verified identity).")
@click.option(
    "--template", required=True, multiple=True, help="SES template; repeat it for an A/B test."
)
@click.option("--split", help="A/B shares in percent, one per --template (default: equal).")
@click.option("--recipients", required=True, type=click.Path(dir_okay=False), help="CSV or JSONL.")
@click.option("--default-data", help="Template data for every row: JSON, or @file.")
@click.option("--configuration-set", help="Configuration set to send with.")
@click.option(
    "--rate", type=click.FloatRange(min=0.01), help="Recipients/s (default: MaxSendRate)."
)
@click.option("--journal", type=click.Path(dir_okay=False), help="Resume log: re-run to resume.")
@click.option("--results", type=click.Path(dir_okay=False), help="One JSON line per recipient.")
@click.option("--resend-unknown", is_flag=True, help="Resend batches whose outcome is unknown.")
@click.option("--dry-run", is_flag=True, help="Check every row against the template; send nothing.")
@click.option("--ignore-quota", is_flag=True, help="Send even past the remaining 24-hour quota.")
@global_options
def send_bulk(**o: Any) -> int:
    """Send a template to every recipient in a file, rate-exact and resumable."""
    from ..journal import Journal
    from ..send import check_address
    from ..variants import Split

    if "${" not in o["sender"]:  # a reference is checked once read
        check_address(o["sender"], "--from")
    split = Split.of(o["template"], o["split"])
    default = _json_option(o["default_data"], "--default-data") if o["default_data"] else {}
    path = Path(o["recipients"])
    checks.check_paths(o, path)
    if o["dry_run"]:
        with connected(None) as client:
            check_address(read_addresses(o, client)["sender"], "--from")
            return _dry_run(client, path, split, default)
    journal = Journal.open(Path(o["journal"])) if o["journal"] else Journal()
    try:
        return _send_bulk(o, path, split, default, journal)
    finally:
        journal.close()


def _send_bulk(
    o: dict[str, Any], path: Path, split: Split, default: dict[str, Any], journal: Journal
) -> int:
    """Check every row, resume the journal, check the quota, then send; the exit code."""
    from .. import bulk
    from ..recipients import fingerprint, rows
    from ..send import check_address

    bound = fingerprint(path)
    with connected(None) as client:
        sender = check_address(read_addresses(o, client)["sender"], "--from")
        quota = client.call("GetAccount").get("SendQuota", {})
        live = bulk.live_templates(client, split)
        binding = checks.journal_binding(o, split, default, bound, client.region)
        checks.resume_journal(journal, binding, path)
        screen = bulk.Screen(path, journal, split, live, default, o["resend_unknown"])
        survey = screen.survey(rows(path))
        _announce(o, survey)
        checks.check_quota(quota, survey.recipients, o["ignore_quota"])
        rate = o["rate"] or float(quota.get("MaxSendRate") or 1)
        options = bulk.Options(
            sender, split, default, o["configuration_set"], rate,
            float(quota.get("MaxSendRate") or 0),
        )  # fmt: skip
        journal.begin(binding, path.resolve())
        results = bulk.Results(Path(o["results"]) if o["results"] else None, split)
        started = time.monotonic()
        try:
            tally = bulk.run(
                client.single_attempt(),
                path,
                options,
                screen,
                results,
                _progress(survey.rows, started),
            )
        finally:
            results.close()
    return _summary(o, tally, survey.rows, time.monotonic() - started)


def _summary(o: dict[str, Any], tally: Tally, total_rows: int, elapsed: float) -> int:
    """The closing line on stderr; the exit code (0 only when everyone was sent)."""
    info(
        f"\rSent {tally.sent}{_per_variant(tally.variants)}, failed {tally.failed}, "
        f"unknown {tally.unknown}, already sent {tally.skipped} — of {total_rows} rows in "
        f"{elapsed:.1f}s"
    )
    resume = "re-run the same command to resume" if o["journal"] else "no --journal to resume from"
    if tally.interrupted:
        info(f"Interrupted: {resume}.")
        return 130
    if tally.stopped is not None:
        raise SesctlError(f"sending stopped: {tally.stopped} ({resume})")
    return 0 if tally.sent + tally.skipped == total_rows else 1


def _per_variant(counts: dict[str, int]) -> str:
    """An A/B test's count per template, ` (welcome-a 51, welcome-b 49)`; nothing otherwise."""
    if not counts:
        return ""
    return " (" + ", ".join(f"{name} {count}" for name, count in counts.items()) + ")"


def _announce(o: dict[str, Any], survey: Survey) -> None:
    """Before sending: what the journal says, and the rows the live template cannot render."""
    if o["journal"]:
        info(
            f"Journal {o['journal']}: {survey.sent_before} rows sent before, "
            f"{survey.unknown_before} unknown; {survey.to_send} to send"
        )
    for problem in survey.problems:
        info(f"Not sent: {problem}")
    hidden = survey.unrenderable - len(survey.problems)
    if hidden > 0:
        info(f"Not sent: {hidden} more rows the template cannot render (see --results)")


def _json_option(value: str, option: str) -> dict[str, Any]:
    """Template data given as JSON, or as @file."""
    from ..send import read_text

    return json_object(read_text(value[1:], option) if value.startswith("@") else value, option)


def _progress(total: int, started: float) -> Callable[[Any], None]:
    """A one-line progress bar on stderr, for terminals and runs longer than a second."""

    def show(tally: Any) -> None:
        elapsed = time.monotonic() - started
        if elapsed < 1 or not sys.stderr.isatty() or opt("quiet"):
            return
        done = tally.sent + tally.failed + tally.unknown + tally.skipped
        rate = tally.sent / elapsed
        eta = (total - done) / rate if rate else 0
        click.echo(
            f"\r{done}/{total} · sent {tally.sent} · failed {tally.failed} · {rate:.0f}/s · "
            f"ETA {eta:.0f}s ",
            err=True,
            nl=False,
        )

    return show


def _dry_run(client: Sesv2, path: Path, split: Split, default: dict[str, Any]) -> int:
    """List what would be sent (with each row's variant in an A/B test), or every row its
    live template cannot render."""
    from .. import bulk

    problems, counts = [], dict.fromkeys(split.names, 0)
    for row, variant, subject, problem in bulk.dry_run(client, path, split, default):
        if problem is not None:
            problems.append(f"{path}:{row.line}: {problem}")
            continue
        counts[variant] += 1
        shown = f" [{variant}]" if split.ab else ""
        echo(f"{path}:{row.line}: {row.to}{shown} — {subject}")
    if problems:
        raise SesctlError(
            "\n".join(problems[:50])
            + (f"\n(and {len(problems) - 50} more)" if len(problems) > 50 else "")
        )
    used = ", ".join(f"{name} ({count})" for name, count in counts.items())
    used = f"templates {used}" if split.ab else f"template {split.names[0]}"
    info(f"Dry run: {sum(counts.values())} messages would be sent with {used}; nothing was sent.")
    return 0

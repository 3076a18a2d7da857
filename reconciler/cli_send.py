"""The mail commands of the CLI, `sesctl send` and `sesctl send-bulk`, on the main group."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .cli import cli, connected, echo, global_options, info, opt
from .client import Sesv2
from .errors import SesctlError


@cli.command()
@click.option("--from", "sender", required=True, help="Sender address (a verified identity).")
@click.option("--to", multiple=True, required=True, help="Recipient (repeatable).")
@click.option("--cc", multiple=True, help="Cc recipient (repeatable).")
@click.option("--bcc", multiple=True, help="Bcc recipient (repeatable).")
@click.option("--reply-to", multiple=True, help="Reply-To address (repeatable).")
@click.option("--subject", help="Subject (simple messages).")
@click.option("--text", help="Plain-text body.")
@click.option("--text-file", type=click.Path(dir_okay=False), help="Plain-text body from a file.")
@click.option("--html", help="HTML body.")
@click.option("--html-file", type=click.Path(dir_okay=False), help="HTML body from a file.")
@click.option("--attach", multiple=True, type=click.Path(dir_okay=False), help="Attach a file.")
@click.option("--template", help="Send this SES template instead of a subject and body.")
@click.option("--data", help="Template data as JSON.")
@click.option(
    "--data-file", type=click.Path(dir_okay=False), help="Template data from a JSON file."
)
@click.option("--configuration-set", help="Configuration set to send with.")
@click.option(
    "--contact-list",
    metavar="LIST[/TOPIC]",
    help="List management: SES fills in {{amazonSESUnsubscribeUrl}} and adds unsubscribe headers.",
)
@click.option("--tag", multiple=True, help="Message tag NAME=VALUE (repeatable).")
@click.option("--header", multiple=True, help="Extra header NAME=VALUE (repeatable).")
@global_options
def send(**options: Any) -> int:
    """Send one message, simple or templated; prints its MessageId."""
    from . import send as sending

    message = _message(options, sending)
    message.check()
    with connected(None) as client:
        echo(sending.send(client, message))
    return 0


def _message(o: dict[str, Any], sending: Any) -> Any:
    if o["text"] is not None and o["text_file"]:
        raise SesctlError("give --text or --text-file, not both")
    if o["html"] is not None and o["html_file"]:
        raise SesctlError("give --html or --html-file, not both")
    if o["template"] and (
        o["subject"] or o["text"] or o["html"] or o["text_file"] or o["html_file"]
    ):
        raise SesctlError("--template replaces --subject/--text/--html: give one or the other")
    if o["data"] is not None and o["data_file"]:
        raise SesctlError("give --data or --data-file, not both")
    raw = o["data"] if o["data"] is not None else None
    if o["data_file"]:
        raw = sending.read_text(o["data_file"], "--data-file")
    data = None
    if raw is not None:
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SesctlError(
                f"template data is not valid JSON: {exc.msg} at column {exc.colno}"
            ) from None
        if not isinstance(data, dict):
            raise SesctlError("template data must be a JSON object")
    return sending.Message(
        sender=o["sender"],
        to=list(o["to"]),
        cc=list(o["cc"]),
        bcc=list(o["bcc"]),
        reply_to=list(o["reply_to"]),
        subject=o["subject"],
        text=sending.read_text(o["text_file"], "--text-file") if o["text_file"] else o["text"],
        html=sending.read_text(o["html_file"], "--html-file") if o["html_file"] else o["html"],
        template=o["template"],
        data=data,
        attachments=list(o["attach"]),
        configuration_set=o["configuration_set"],
        contact_list=o["contact_list"],
        tags=sending.key_values(o["tag"], "--tag"),
        headers=sending.key_values(o["header"], "--header"),
    )


@cli.command(name="send-bulk")
@click.option("--from", "sender", required=True, help="Sender address (a verified identity).")
@click.option("--template", required=True, help="The SES template every message uses.")
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
    from . import bulk
    from .recipients import count
    from .send import check_address

    check_address(o["sender"], "--from")
    default = _json_option(o["default_data"], "--default-data") if o["default_data"] else {}
    path = Path(o["recipients"])
    total_rows, recipients = count(path)
    with connected(None) as client:
        quota = client.call("GetAccount").get("SendQuota", {})
        if o["dry_run"]:
            return _dry_run(client, path, o["template"], default)
        remaining = quota.get("Max24HourSend", -1) - quota.get("SentLast24Hours", 0)
        if quota.get("Max24HourSend", -1) >= 0 and recipients > remaining and not o["ignore_quota"]:
            raise SesctlError(
                f"{recipients} recipients but only {int(remaining)} left of the 24-hour quota "
                "(--ignore-quota sends anyway)"
            )
        rate = o["rate"] or float(quota.get("MaxSendRate") or 1)
        options = bulk.Options(
            o["sender"], o["template"], default, o["configuration_set"], rate,
            float(quota.get("MaxSendRate") or 0),
        )  # fmt: skip
        journal = bulk.Journal(Path(o["journal"]) if o["journal"] else None)
        results = bulk.Results(Path(o["results"]) if o["results"] else None)
        started = time.monotonic()
        try:
            tally = bulk.run(
                client.single_attempt(),
                path,
                options,
                journal,
                results,
                o["resend_unknown"],
                _progress(total_rows, started),
            )
        finally:
            journal.close()
            results.close()
    elapsed = time.monotonic() - started
    info(
        f"\rSent {tally.sent}, failed {tally.failed}, unknown {tally.unknown}, "
        f"already sent {tally.skipped} — of {total_rows} rows in {elapsed:.1f}s"
    )
    resume = "re-run the same command to resume" if o["journal"] else "no --journal to resume from"
    if tally.interrupted:
        info(f"Interrupted: {resume}.")
        return 130
    if tally.stopped is not None:
        raise SesctlError(f"sending stopped: {tally.stopped} ({resume})")
    return 0 if tally.sent + tally.skipped == total_rows else 1


def _json_option(value: str, option: str) -> dict[str, Any]:
    from .send import read_text

    text = read_text(value[1:], option) if value.startswith("@") else value
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SesctlError(f"{option}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise SesctlError(f"{option}: must be a JSON object")
    return data


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


def _dry_run(client: Sesv2, path: Path, template: str, default: dict[str, Any]) -> int:
    """List what would be sent, or every row the live template cannot render."""
    from . import bulk

    problems, count = [], 0
    for row, subject, missing in bulk.dry_run(client, path, template, default):
        if missing is not None:
            lacks = f"uses {{{{{missing}}}}} but the row has no {missing!r}"
            problems.append(f"{path}:{row.line}: {template} {lacks}")
            continue
        count += 1
        echo(f"{path}:{row.line}: {row.to} — {subject}")
    if problems:
        raise SesctlError(
            "\n".join(problems[:50])
            + (f"\n(and {len(problems) - 50} more)" if len(problems) > 50 else "")
        )
    info(f"Dry run: {count} messages would be sent with template {template}; nothing was sent.")
    return 0

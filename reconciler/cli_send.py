"""The mail commands of the CLI, `sesctl send` and `sesctl send-bulk`, on the main group."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .cli import cli, connected, echo, global_options, info, opt
from .client import Sesv2
from .errors import SesctlError

if TYPE_CHECKING:  # bulk loads only when send-bulk runs
    from .bulk import Journal, Survey, Tally


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
    data = None if raw is None else _json_object(raw, "--data-file" if o["data_file"] else "--data")
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
    from .send import check_address

    check_address(o["sender"], "--from")
    default = _json_option(o["default_data"], "--default-data") if o["default_data"] else {}
    path = Path(o["recipients"])
    _check_paths(o, path)
    if o["dry_run"]:
        with connected(None) as client:
            return _dry_run(client, path, o["template"], default)
    journal = bulk.Journal.open(Path(o["journal"])) if o["journal"] else bulk.Journal()
    try:
        return _send_bulk(o, path, default, journal)
    finally:
        journal.close()


def _send_bulk(o: dict[str, Any], path: Path, default: dict[str, Any], journal: Journal) -> int:
    """Check every row, resume the journal, check the quota, then send; the exit code."""
    from . import bulk
    from .recipients import fingerprint, rows
    from .send import LiveTemplate

    bound = fingerprint(path)
    with connected(None) as client:
        quota = client.call("GetAccount").get("SendQuota", {})
        template = LiveTemplate(client, o["template"])
        binding = _binding(o, default, bound.sha256, bound.lines, client.region)
        _resume(journal, binding, path)
        screen = bulk.Screen(path, journal, template, default, o["resend_unknown"])
        survey = screen.survey(rows(path))
        _announce(o, survey)
        _check_quota(quota, survey.recipients, o["ignore_quota"])
        rate = o["rate"] or float(quota.get("MaxSendRate") or 1)
        options = bulk.Options(
            o["sender"], o["template"], default, o["configuration_set"], rate,
            float(quota.get("MaxSendRate") or 0),
        )  # fmt: skip
        journal.begin(binding, path.resolve())
        results = bulk.Results(Path(o["results"]) if o["results"] else None)
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


def _same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one file: the same resolved path (symlinks followed) or inode."""
    if os.path.realpath(first) == os.path.realpath(second):
        return True
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def _check_paths(o: dict[str, Any], recipients: Path) -> None:
    """Outputs never overwrite inputs, nor each other; the recipients are a regular file."""
    try:
        regular = stat.S_ISREG(os.stat(recipients).st_mode)
    except OSError as exc:
        raise SesctlError(f"--recipients: cannot read {recipients}: {exc.strerror}") from None
    if not regular:
        raise SesctlError(f"--recipients: {recipients} is not a regular file")
    inputs = {"--recipients": recipients}
    if o["default_data"] and o["default_data"].startswith("@"):
        inputs["--default-data"] = Path(o["default_data"][1:])
    outputs = [(name, Path(o[key])) for name, key in OUTPUTS if o[key]]
    for index, (name, output) in enumerate(outputs):
        others = [*inputs.items(), *outputs[:index]]
        for other, given in others:
            if _same_file(output, given):
                raise SesctlError(
                    f"{name}: {output} is the {other} file; refusing to write over it"
                )


OUTPUTS = (("--journal", "journal"), ("--results", "results"))


def _binding(
    o: dict[str, Any], default: dict[str, Any], sha256: str, lines: int, region: str
) -> dict[str, Any]:
    """What a journal binds to: the recipients file's content and the message parameters."""
    data = hashlib.sha256(json.dumps(default, sort_keys=True).encode()).hexdigest()
    message = {
        "from": o["sender"],
        "template_name": o["template"],
        "default_data": data,
        "configuration_set_name": o["configuration_set"],
        "region": region,
    }
    return {"recipients": {"sha256": sha256, "lines": lines}, "message": message}


def _resume(journal: Journal, binding: dict[str, Any], path: Path) -> None:
    """Replay the journal; refuse one written for another send, naming what differs."""
    from .recipients import rows

    differs = journal.load(binding, binding["recipients"]["lines"])
    if not differs or journal.header is None:
        return
    parts = [_difference(name, journal.header, binding) for name in differs]
    if differs == ["recipients"]:
        row = journal.changed(rows(path))
        parts[0] += (
            f": {path}:{row.line} is not the row the journal recorded there"
            if row is not None
            else ": rows were added, removed or edited"
        )
    raise SesctlError(
        f"--journal: {journal.path} was written for another send ({'; '.join(parts)}). A "
        "journal resumes only the send it recorded: give a new --journal for a new send"
    )


def _difference(name: str, header: dict[str, Any], binding: dict[str, Any]) -> str:
    """One bound part that differs, with both values where they are names, not digests."""
    from .bulk import BOUND

    if name in ("recipients", "default_data"):
        return f"{BOUND[name]} differs"
    return f"{BOUND[name]} was {header['message'].get(name)!r}, now {binding['message'][name]!r}"


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


def _check_quota(quota: dict[str, Any], recipients: int, ignore: bool) -> None:
    """Refuse to send more than the 24-hour quota has left (what remains to send counts)."""
    maximum = quota.get("Max24HourSend", -1)
    remaining = maximum - quota.get("SentLast24Hours", 0)
    if maximum >= 0 and recipients > remaining and not ignore:
        raise SesctlError(
            f"{recipients} recipients to send but only {int(remaining)} left of the 24-hour "
            "quota (--ignore-quota sends anyway)"
        )


def _json_option(value: str, option: str) -> dict[str, Any]:
    from .send import read_text

    return _json_object(read_text(value[1:], option) if value.startswith("@") else value, option)


def _json_object(text: str, option: str) -> dict[str, Any]:
    """Template data given on the command line: a JSON object SES can take, or one message."""
    from .recipients import MAX_DEPTH, depth, no_constant

    try:
        data = json.loads(text, parse_constant=no_constant)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise SesctlError(f"{option}: not valid JSON: {exc.msg} at {where}") from None
    except RecursionError:
        raise SesctlError(
            f"{option}: not valid JSON this program reads: nested too deeply"
        ) from None
    except ValueError as exc:  # more than 4300 digits, NaN, Infinity
        raise SesctlError(f"{option}: not valid JSON this program reads: {exc}") from None
    if not isinstance(data, dict):
        raise SesctlError(f"{option}: template data must be a JSON object")
    if depth(data) > MAX_DEPTH:
        raise SesctlError(f"{option}: template data nests deeper than {MAX_DEPTH} levels")
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
    for row, subject, problem in bulk.dry_run(client, path, template, default):
        if problem is not None:
            problems.append(f"{path}:{row.line}: {problem}")
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

"""`sesctl stats`: sending statistics as SES counts them, with reputation alerts."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import click

from ..errors import SesctlError
from ..limits import BOUNCE_RATE_REVIEW, COMPLAINT_RATE_REVIEW
from .shell import colour, connected, echo, global_options, warn


@click.command()
@click.option(
    "--since", help="How far back: 24h, 7d (default), 30d; from the start of that day (hour)."
)
@click.option("--from", "start", help="Start: an ISO date or date-time (UTC).")
@click.option("--to", "end", help="End (default now); a bare date counts its whole day.")
@click.option("--per", type=click.Choice(["day", "hour"]), default="day", show_default=True)
@click.option(
    "--by",
    default="account",
    show_default=True,
    help="account, configuration-set, identity, isp (VDM, daily) or tag:NAME (CloudWatch).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text")
@click.option("--chart", is_flag=True, help="Draw sends, deliveries, bounces, complaints too.")
@click.option("--fail-on", help="Exit 2 when a group's totals cross one, e.g. 'bounce_rate>5%'.")
@click.option(
    "--alerts",
    is_flag=True,
    help="Fail on the rates at which SES reviews an account: "
    f"bounces {float(BOUNCE_RATE_REVIEW):.0%}, complaints {float(COMPLAINT_RATE_REVIEW):.1%}.",
)
@global_options
def stats(
    since: str | None,
    start: str | None,
    end: str | None,
    per: str,
    by: str,
    fmt: str,
    chart: bool,
    fail_on: str | None,
    alerts: bool,
) -> int:
    """Show sends, deliveries, bounces, complaints, opens, clicks and their rates as SES counts
    them; exit 2 when a --fail-on or --alerts threshold is crossed.

    \b
    --by account|configuration-set|identity|isp reads VDM (BatchGetMetricData): daily, and
    collected only while VDM is enabled. --by tag:NAME reads the CloudWatch metrics (AWS/SES)
    an event destination publishes with the dimension NAME, by the day or hour; CloudWatch does
    not split bounces hard/soft. With two tag values or more, an A/B comparison follows.
    """
    from ..stats import collect, output
    from ..stats.alerts import DEFAULT_ALERTS, parse_fail_on
    from ..stats.window import parse_by, parse_window

    if chart and fmt != "text":
        raise SesctlError("--chart draws on the terminal: use it with --format text")
    window = parse_window(since, start, end, per, datetime.now(UTC))
    grouping = parse_by(by, per)
    thresholds = [
        *(DEFAULT_ALERTS if alerts else ()),
        *(parse_fail_on(fail_on) if fail_on is not None else ()),
    ]
    with connected(None) as client:
        report = collect(client, window, grouping, thresholds, warn)
    if chart:
        echo(output.chart(report, shutil.get_terminal_size((100, 24)).columns, colour()))
    render = {"json": output.as_json, "csv": output.as_csv}.get(fmt, output.as_text)
    echo(render(report), nl=False)
    for alert in report.alerts:
        echo(alert.line(), err=True)
    return 2 if report.alerts else 0

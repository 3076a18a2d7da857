"""How `sesctl stats` shows a report: a text table, a JSON document, CSV, or a chart.

The text table lists each group's periods, then its total, with rates in percent, followed by
the quota line and, for an A/B test, the comparison. The JSON document is the one the package
docstring describes (fractions, not percentages; times ISO 8601 in UTC). CSV is a header, then
one line per group and period. The chart (plotext) draws sends, deliveries, bounces and
complaints per period for all groups together.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from fractions import Fraction
from typing import Any

from . import Report
from .figures import FIGURES, RATES, Row, percent
from .window import iso


def as_json(report: Report) -> str:
    """The documented JSON document (see the package's docstring)."""
    document = {
        "format_version": 1,
        "period": {"from": iso(report.window.start), "to": iso(report.window.end)},
        "by": report.by.label,
        "per": report.window.per,
        "source": report.by.source,
        "rows": [row.as_dict() for row in report.rows],
        "totals": [row.as_dict() for row in report.totals],
        "quota": report.quota,
        "alerts": [alert.as_dict() for alert in report.alerts],
        "comparison": report.comparison,
    }
    return json.dumps(document, indent=2) + "\n"


def as_csv(report: Report) -> str:
    """A header line, then one line per group and period; rates as fractions, none empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["group", "start", *FIGURES])
    for row in report.rows:
        found = row.as_dict()
        writer.writerow(
            ["" if found[k] is None else found[k] for k in ("group", "start", *FIGURES)]
        )
    return out.getvalue()


HEADINGS = {
    "sends": "sends",
    "deliveries": "deliveries",
    "bounces": "bounces",
    "hard_bounces": "hard",
    "soft_bounces": "soft",
    "complaints": "complaints",
    "opens": "opens",
    "clicks": "clicks",
    "bounce_rate": "bounce%",
    "complaint_rate": "complaint%",
    "open_rate": "open%",
    "click_rate": "click%",
}


def as_text(report: Report) -> str:
    """A table (each group's periods, then its total), the quota line and the comparison."""
    label = "%Y-%m-%d" if report.window.per == "day" else "%Y-%m-%d %H:00"
    lines = [[report.by.column, "period", *HEADINGS.values()]]
    for total in report.totals:
        for row in report.rows:
            if row.group == total.group:
                lines.append(
                    [row.group, row.start.strftime(label) if row.start else "", *cells(row)]
                )
        lines.append([total.group, "total", *cells(total)])
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = [
        "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    ]
    text += ["", quota_line(report.quota)]
    if report.by.tag:
        text.append("Bounces from CloudWatch are not split hard/soft: bounce% is bounces / sends.")
    if report.comparison:
        text += ["", *comparison_lines(report.comparison)]
    return "\n".join(text) + "\n"


def cells(row: Row) -> list[str]:
    """A row's figures as table cells: `-` for a count CloudWatch lacks or a rate over 0."""
    shown = []
    for name in FIGURES:
        value = row.figure(name)
        if value is None:
            shown.append("-")
        elif name in RATES:
            shown.append(f"{float(value) * 100:.2f}%")
        else:
            shown.append(f"{value:,}")
    return shown


def quota_line(found: Mapping[str, float | None]) -> str:
    """How much of the 24-hour sending quota is used, and the maximum send rate."""
    sent, limit = found["sent_last_24_hours"] or 0, found["max_24_hour_send"]
    rate = f"; at most {found['max_send_rate'] or 0:g} messages a second"
    if limit is None:
        return f"24-hour quota: {sent:,.0f} sent, no limit{rate}"
    share = f" ({percent(sent / limit)})" if limit else ""
    return f"24-hour quota: {sent:,.0f} of {limit:,.0f} used{share}{rate}"


def comparison_lines(comparison: Mapping[str, Any]) -> list[str]:
    """The comparison as text: per rate, each variant's counts and the test's verdict."""
    a, b = comparison["tested"]
    lines = [f"A/B comparison by {comparison['dimension']}: {a} against {b}"]
    for test in comparison["tests"]:
        parts = []
        for name, found in test["counts"].items():
            share = f" ({percent(Fraction(found['events'], found['of']))})" if found["of"] else ""
            parts.append(f"{name} {found['events']:,} of {found['of']:,}{share}")
        z = f", z = {test['z']:.2f}, p = {test['p_value']:.3f}" if test["z"] is not None else ""
        lines.append(f"  {test['rate']}: {'; '.join(parts)}: {test['verdict']}{z}")
    return lines


CHARTED = {"sends": "•", "deliveries": "+", "bounces": "x", "complaints": "*"}


def chart(report: Report, width: int, colour: bool) -> str:
    """Sends, deliveries, bounces and complaints per period, all groups together, drawn with
    plotext for the terminal."""
    import plotext as plt

    periods = report.window.periods()
    summed: dict[tuple[datetime, str], int] = defaultdict(int)
    for row in report.rows:
        for name in CHARTED:
            if row.start is not None:
                summed[row.start, name] += row.counts[name] or 0
    xs = list(range(len(periods)))
    plt.clear_figure()
    for name, mark in CHARTED.items():
        plt.plot(
            xs, [summed[p, name] for p in periods], label=name, marker="braille" if colour else mark
        )
    label = "%m-%d" if report.window.per == "day" else "%m-%d %H:00"
    ticks = xs[:: max(1, len(xs) // 6)]
    plt.xticks(ticks, [periods[i].strftime(label) for i in ticks])
    plt.title(f"Per {report.window.per} (UTC), {report.by.label}")
    plt.plotsize(width, 20)
    if not colour:
        plt.theme("clear")
    drawn = str(plt.build())
    return drawn if colour else str(plt.uncolorize(drawn))

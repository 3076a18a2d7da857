"""The figures `sesctl stats` counts: datapoints summed into rows, and the rates made of them.

A row is one group's counts in one period, or over the whole window (its totals). Counts are
sends, deliveries, bounces, hard_bounces, soft_bounces, complaints, opens and clicks; the
CloudWatch source does not split bounces, so its rows have no hard or soft figure (None).
Rates are exact fractions: bounce_rate (hard bounces / sends, as SES's reputation rate counts,
or bounces / sends without the split), complaint_rate (/ sends), open_rate and click_rate
(/ deliveries); a rate is None when its denominator is 0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from .window import iso

COUNTS = (
    "sends",
    "deliveries",
    "bounces",
    "hard_bounces",
    "soft_bounces",
    "complaints",
    "opens",
    "clicks",
)
# rate → (numerator, denominator); a row without hard bounces (CloudWatch) uses `bounces`.
RATES = {
    "bounce_rate": ("hard_bounces", "sends"),
    "complaint_rate": ("complaints", "sends"),
    "open_rate": ("opens", "deliveries"),
    "click_rate": ("clicks", "deliveries"),
}
FIGURES = (*COUNTS, *RATES)


@dataclass(frozen=True)
class Row:
    """One group's counts in one period (`start`), or over the whole window (start None)."""

    group: str
    start: datetime | None
    counts: Mapping[str, int | None]

    def figure(self, name: str) -> Fraction | int | None:
        """A count, or a rate as an exact fraction (None when its denominator is 0)."""
        if name in RATES:
            top, bottom = self.terms(name)
            return None if top is None or not bottom else Fraction(top, bottom)
        return self.counts[name]

    def terms(self, rate: str) -> tuple[int | None, int]:
        """A rate's numerator and denominator."""
        top, bottom = RATES[rate]
        if top == "hard_bounces" and self.counts[top] is None:
            top = "bounces"
        return self.counts[top], self.counts[bottom] or 0

    def as_dict(self) -> dict[str, Any]:
        """The row as the JSON document and CSV write it: rates as floats."""
        found: dict[str, Any] = {"group": self.group}
        if self.start is not None:
            found["start"] = iso(self.start)
        for name in FIGURES:
            value = self.figure(name)
            found[name] = float(value) if isinstance(value, Fraction) else value
        return found


@dataclass(frozen=True)
class Point:
    """One datapoint: a group's figure in the period starting at `start`."""

    group: str
    figure: str
    start: datetime
    value: int


def tabulate(
    points: Iterable[Point], groups: Sequence[str], split: bool
) -> tuple[list[Row], list[Row]]:
    """Rows (periods with any count, by group then time) and every group's totals; `split`:
    bounces come hard and soft (VDM), else as one count (CloudWatch)."""
    cells: dict[tuple[str, datetime], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for point in points:
        cells[point.group, point.start][point.figure] += point.value
    rows = [
        Row(group, start, counts(found, split))
        for (group, start), found in sorted(cells.items())
        if any(found.values())
    ]
    totals = []
    for group in sorted({*groups, *(row.group for row in rows)}):
        summed: dict[str, int] = defaultdict(int)
        for row in rows:
            if row.group == group:
                for name in COUNTS:
                    summed[name] += row.counts[name] or 0
        totals.append(Row(group, None, counts(summed, split)))
    return rows, totals


def counts(found: Mapping[str, int], split: bool) -> dict[str, int | None]:
    """Every count of a row: bounces add up hard and soft when SES splits them."""
    result: dict[str, int | None] = {name: int(found.get(name, 0)) for name in COUNTS}
    if split:
        result["bounces"] = (result["hard_bounces"] or 0) + (result["soft_bounces"] or 0)
    else:
        result["hard_bounces"] = result["soft_bounces"] = None
    return result


def percent(value: Fraction | float, places: int = 2) -> str:
    """A fraction in percent, without trailing zeros: 0.0625 → 6.25%, 0.001 → 0.1%."""
    text = f"{float(value) * 100:.{places}f}".rstrip("0").rstrip(".")
    return f"{text}%"

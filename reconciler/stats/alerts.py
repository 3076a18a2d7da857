"""`--fail-on` and `--alerts`: thresholds on a figure, judged against each group's totals.

A threshold is FIGURE OP VALUE (`bounce_rate>5%`, `complaint_rate>=0.001`, `complaints>10`):
OP is >, >=, < or <=; a rate's value is a percentage or a fraction, kept exact. `--alerts`
means SES's review rates (limits.py). Every threshold a group's totals cross is an alert; a
rate never crosses one while its denominator is 0.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..errors import SesctlError
from ..limits import BOUNCE_RATE_REVIEW, COMPLAINT_RATE_REVIEW
from .figures import COUNTS, FIGURES, RATES, Row, percent
from .window import By

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_THRESHOLD = re.compile(r"\s*([a-z_]+)\s*(>=|<=|>|<)\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*")


@dataclass(frozen=True)
class Threshold:
    """One `--fail-on` condition: FIGURE OP VALUE, a rate's value as an exact fraction."""

    figure: str
    op: str
    value: Fraction

    def crossed(self, found: Fraction | int | None) -> bool:
        """Whether a figure's value crosses this threshold (None never does)."""
        return found is not None and OPERATORS[self.op](found, self.value)

    def shown(self, value: Fraction | int) -> str:
        """A value of this threshold's figure as people read it (rates in percent)."""
        if self.figure in RATES:
            return percent(value, 4)
        whole = Fraction(value).denominator == 1
        return f"{int(value):,}" if whole else f"{float(value):,}"

    def __str__(self) -> str:
        """The threshold as `--fail-on` takes it: `bounce_rate>=5%`."""
        return f"{self.figure}{self.op}{self.shown(self.value)}"


DEFAULT_ALERTS = (
    Threshold("bounce_rate", ">=", BOUNCE_RATE_REVIEW),
    Threshold("complaint_rate", ">=", COMPLAINT_RATE_REVIEW),
)


def parse_fail_on(text: str) -> list[Threshold]:
    """`bounce_rate>5%,complaint_rate>=0.001,complaints>10`: rates in percent or as fractions."""
    found = [threshold(part) for part in text.split(",") if part.strip()]
    if not found:
        raise SesctlError(f"--fail-on {text!r}: give FIGURE OP VALUE, e.g. bounce_rate>5%")
    return found


def threshold(part: str) -> Threshold:
    """One condition, refused with its text when it is not one sesctl can judge."""
    found = _THRESHOLD.fullmatch(part)
    if not found:
        raise SesctlError(
            f"--fail-on: {part.strip()!r} is not FIGURE OP VALUE (e.g. bounce_rate>5%; "
            "OP is >, >=, < or <=)"
        )
    figure, op, number, sign = found.groups()
    if figure not in FIGURES:
        raise SesctlError(f"--fail-on: {part.strip()!r}: no figure {figure!r} (one of {FIGURES})")
    value = Fraction(number) / (100 if sign else 1)
    if figure in COUNTS and sign:
        raise SesctlError(f"--fail-on: {part.strip()!r}: {figure} is a count, not a percentage")
    if figure in RATES and not sign and value > 1:
        raise SesctlError(
            f"--fail-on: {part.strip()!r}: a rate is a fraction (0.05) or a percentage (5%)"
        )
    return Threshold(figure, op, value)


@dataclass(frozen=True)
class Alert:
    """A threshold one group's totals crossed."""

    where: str
    group: str
    threshold: Threshold
    value: Fraction | int
    detail: str

    def line(self) -> str:
        """The alert as printed: `ALERT bounce_rate 6.25% > 5% (account: 5 of 80 sends)`."""
        limit = self.threshold
        shown = f"{limit.shown(self.value)} {limit.op} {limit.shown(limit.value)}"
        return f"ALERT {limit.figure} {shown} ({self.where}{self.detail})"

    def as_dict(self) -> dict[str, Any]:
        """The alert as the JSON document writes it: values as numbers."""
        return {
            "group": self.group,
            "figure": self.threshold.figure,
            "operator": self.threshold.op,
            "threshold": float(self.threshold.value),
            "value": float(self.value) if isinstance(self.value, Fraction) else self.value,
            "detail": self.detail.removeprefix(": "),
        }


def judge(totals: Iterable[Row], thresholds: Sequence[Threshold], by: By) -> list[Alert]:
    """Every threshold each group's totals cross, in group order."""
    alerts = []
    for row in totals:
        for limit in thresholds:
            value = row.figure(limit.figure)
            if value is not None and limit.crossed(value):
                alerts.append(
                    Alert(by.where(row.group), row.group, limit, value, detail(row, limit))
                )
    return alerts


def detail(row: Row, limit: Threshold) -> str:
    """What a rate was made of: `: 5 of 80 sends`."""
    if limit.figure not in RATES:
        return ""
    top, bottom = row.terms(limit.figure)
    return f": {top:,} of {bottom:,} {RATES[limit.figure][1]}"

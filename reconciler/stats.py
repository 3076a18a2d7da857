"""`sesctl stats`: sending statistics as SES counts them, with reputation alerts.

Two sources, chosen by `--by`:

- **VDM** (SES v2 BatchGetMetricData) for the account, a configuration set, an identity or an
  ISP: daily sums, collected only while VDM is enabled. SES leaves out the mailbox simulator and
  messages with more than one recipient; complaints and hard bounces leave out addresses on the
  account's suppression list; opens and clicks are unique.
- **CloudWatch** (namespace AWS/SES) for `tag:NAME`: the counts an event destination with a
  CloudWatch destination publishes under the dimension NAME, by the day or the hour. CloudWatch's
  `Bounce` is not split hard/soft (it counts every bounce event SES publishes: hard bounces, and
  soft ones SES stopped retrying), so tag rows have one `bounces` figure, no hard/soft, and their
  bounce rate is bounces / sends.

Figures per row: sends, deliveries, bounces, hard_bounces, soft_bounces, complaints, opens,
clicks, and the rates bounce_rate (hard bounces / sends, as SES's reputation rate counts),
complaint_rate (complaints / sends), open_rate and click_rate (/ deliveries); a rate is None
when its denominator is 0.

The JSON document (format_version 1; fractions, not percentages; times ISO 8601 in UTC)::

    {"format_version": 1,
     "period": {"from": "2026-11-23T00:00:00Z", "to": "2026-11-30T13:51:09Z"},
     "by": "account" | "configuration-set" | "identity" | "isp" | "tag:NAME",
     "per": "day" | "hour",
     "source": "vdm" | "cloudwatch",
     "rows": [{"group": "…", "start": "2026-11-29T00:00:00Z", "sends": 80, …, "click_rate": 0.1}],
     "totals": [{"group": "…", "sends": 80, …}],
     "quota": {"max_24_hour_send": 50000 | null (no limit), "max_send_rate": 14,
               "sent_last_24_hours": 12},
     "alerts": [{"group", "figure", "operator", "threshold", "value", "detail"}],
     "comparison": null | {"dimension": "ab-variant", "variants": [...], "tested": [a, b],
                           "tests": [{"rate", "counts": {variant: {"events", "of"}},
                                      "z", "p_value", "verdict"}]}}

Rows are the periods with any count; totals hold every group over the whole period, and are
what alerts judge and the comparison tests. The comparison's variants are the tag's values in
name order, less `none` (untagged mail, as the suggested destination names it); the z-test
compares the first two.
"""

from __future__ import annotations

import csv
import io
import json
import math
import operator
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from .client import Sesv2
from .errors import SesctlError
from .limits import BOUNCE_RATE_REVIEW, COMPLAINT_RATE_REVIEW

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

VDM_METRICS = {
    "SEND": "sends",
    "DELIVERY": "deliveries",
    "PERMANENT_BOUNCE": "hard_bounces",
    "TRANSIENT_BOUNCE": "soft_bounces",
    "COMPLAINT": "complaints",
    "OPEN": "opens",
    "CLICK": "clicks",
}
CLOUDWATCH_METRICS = {
    "Send": "sends",
    "Delivery": "deliveries",
    "Bounce": "bounces",
    "Complaint": "complaints",
    "Open": "opens",
    "Click": "clicks",
}
VDM_BATCH = 10  # queries per BatchGetMetricData call (API reference)
CLOUDWATCH_BATCH = 500  # queries per GetMetricData call (CloudWatch API reference)
# The mailbox providers the VDM documentation names for the ISP dimension.
ISPS = ("Gmail", "Hotmail", "Yahoo", "AOL")
# --by → the VDM dimension it queries.
BY_KINDS = {
    "account": None,
    "configuration-set": "CONFIGURATION_SET",
    "identity": "EMAIL_IDENTITY",
    "isp": "ISP",
}
SECONDS = {"day": 86400, "hour": 3600}
# What messages without the tag count under, in the destination the missing-metric message
# suggests; the A/B comparison leaves it out.
UNTAGGED = "none"
Z_95 = 1.96
OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_THRESHOLD = re.compile(r"\s*([a-z_]+)\s*(>=|<=|>|<)\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*")
_SINCE = re.compile(r"\s*(\d+)\s*([hd])\s*")


# --- what to count ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The time the figures cover: [start, end), in periods of a day or an hour (UTC)."""

    start: datetime
    end: datetime
    per: str

    @property
    def seconds(self) -> int:
        return SECONDS[self.per]

    def periods(self) -> list[datetime]:
        """Every period's start, in order (the chart's x axis)."""
        step, at, found = timedelta(seconds=self.seconds), self.start, []
        while at < self.end:
            found.append(at)
            at += step
        return found


@dataclass(frozen=True)
class By:
    """How the figures are grouped: `account`, a VDM dimension, or `tag:NAME` (CloudWatch)."""

    kind: str
    tag: str | None = None

    @property
    def label(self) -> str:
        return f"tag:{self.tag}" if self.tag else self.kind

    @property
    def column(self) -> str:
        """The heading of the group column."""
        return self.tag or ("group" if self.kind == "account" else self.kind)

    @property
    def source(self) -> str:
        return "cloudwatch" if self.tag else "vdm"

    def where(self, group: str) -> str:
        """A group as alert lines name it: `account`, `identity example.com`, `campaign=x`."""
        if self.kind == "account":
            return "account"
        return f"{self.tag}={group}" if self.tag else f"{self.kind} {group}"


def parse_by(text: str, per: str) -> By:
    """`--by`, refused with `--per hour` unless CloudWatch (a tag) can answer by the hour."""
    text = text.strip()
    if text.startswith("tag:"):
        name = text[4:].strip()
        if not name:
            raise SesctlError("--by tag:NAME needs the dimension's name, e.g. tag:campaign")
        return By("tag", name)
    if text not in BY_KINDS:
        raise SesctlError(
            f"--by {text!r}: give account, configuration-set, identity, isp or tag:NAME"
        )
    if per == "hour":
        raise SesctlError(
            f"--by {text} reads VDM, which counts by the day: --per hour needs --by tag:NAME "
            "(CloudWatch metrics from an event destination)"
        )
    return By(text)


def parse_window(
    since: str | None, start: str | None, end: str | None, per: str, now: datetime
) -> Window:
    """`--since` or `--from/--to`, the start rounded down to the period (UTC)."""
    if since and (start or end):
        raise SesctlError("give --since or --from/--to, not both")
    if end and not start:
        raise SesctlError("--to needs --from")
    # Up to now means to the end of the current period: what landed this second is counted
    # (a request's end time travels to the second).
    later = floor(now, per) + timedelta(seconds=SECONDS[per])
    if start:
        begin = instant(start, "--from", end_of_day=False)
        finish = instant(end, "--to", end_of_day=True) if end else later
    else:
        begin, finish = now - duration(since or "7d"), later
    begin = floor(begin, per)
    if begin >= finish:
        raise SesctlError("--from must come before --to")
    return Window(begin, finish, per)


def duration(text: str) -> timedelta:
    """`--since`: a number of hours or days (`24h`, `7d`)."""
    found = _SINCE.fullmatch(text)
    if not found or int(found[1]) == 0:
        raise SesctlError(f"--since {text!r}: give hours or days, e.g. 24h, 7d or 30d")
    unit = "hours" if found[2] == "h" else "days"
    return timedelta(**{unit: int(found[1])})


def instant(text: str, option: str, end_of_day: bool) -> datetime:
    """An ISO date or date-time, UTC unless it says otherwise; a bare date as `--to` means the
    end of that day, so `--from 2026-11-01 --to 2026-11-30` covers November 30."""
    try:
        found = datetime.fromisoformat(text.strip())
    except ValueError:
        raise SesctlError(f"{option} {text!r}: give an ISO date or date-time (UTC)") from None
    if found.tzinfo is None:
        found = found.replace(tzinfo=UTC)
    if end_of_day and "T" not in text and " " not in text.strip():
        found += timedelta(days=1)
    return found.astimezone(UTC)


def floor(moment: datetime, per: str) -> datetime:
    """The start of the UTC day or hour `moment` falls in."""
    moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if per == "day" else moment


def timestamp(value: Any) -> datetime:
    """A timestamp as the service sent it (epoch seconds, ISO text, or parsed) in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return timestamp(datetime.fromisoformat(str(value).replace("Z", "+00:00")))


# --- rows and rates -----------------------------------------------------------------------------


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


# --- alerts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    """One `--fail-on` condition: FIGURE OP VALUE, a rate's value as an exact fraction."""

    figure: str
    op: str
    value: Fraction

    def crossed(self, found: Fraction | int | None) -> bool:
        return found is not None and OPERATORS[self.op](found, self.value)

    def shown(self, value: Fraction | int) -> str:
        """A value of this threshold's figure as people read it (rates in percent)."""
        if self.figure in RATES:
            return percent(value, 4)
        whole = Fraction(value).denominator == 1
        return f"{int(value):,}" if whole else f"{float(value):,}"

    def __str__(self) -> str:
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
        limit = self.threshold
        shown = f"{limit.shown(self.value)} {limit.op} {limit.shown(limit.value)}"
        return f"ALERT {limit.figure} {shown} ({self.where}{self.detail})"

    def as_dict(self) -> dict[str, Any]:
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


# --- the A/B comparison -------------------------------------------------------------------------


@dataclass(frozen=True)
class ZTest:
    """A pooled two-proportion z-test of x1/n1 against x2/n2."""

    z: float | None
    p_value: float | None
    verdict: str


def z_test(x1: int, n1: int, x2: int, n2: int) -> ZTest:
    """Pooled two-proportion z-test, two-sided; `not enough data yet` unless each sample has
    at least 5 expected events and 5 expected non-events under the pooled rate."""
    if n1 <= 0 or n2 <= 0:
        return ZTest(None, None, "not enough data yet")
    pooled = (x1 + x2) / (n1 + n2)
    if min(n * p for n in (n1, n2) for p in (pooled, 1 - pooled)) < 5:
        return ZTest(None, None, "not enough data yet")
    error = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (x1 / n1 - x2 / n2) / error
    p_value = math.erfc(abs(z) / math.sqrt(2))
    return ZTest(z, p_value, "significant at 95%" if abs(z) >= Z_95 else "not significant")


def compare(totals: Sequence[Row], by: By) -> dict[str, Any] | None:
    """For `tag:NAME` with two variants or more: each rate's counts per variant, and a z-test
    between the first two (in name order); untagged messages are left out."""
    variants = [row for row in totals if row.group != UNTAGGED]
    if not by.tag or len(variants) < 2:
        return None
    first, second = variants[0], variants[1]
    tests = []
    for rate in ("open_rate", "click_rate", "bounce_rate", "complaint_rate"):
        terms = {row.group: row.terms(rate) for row in variants}
        (x1, n1), (x2, n2) = terms[first.group], terms[second.group]
        test = z_test(x1 or 0, n1, x2 or 0, n2)
        tests.append(
            {
                "rate": rate,
                "counts": {name: {"events": x, "of": n} for name, (x, n) in terms.items()},
                "z": test.z,
                "p_value": test.p_value,
                "verdict": test.verdict,
            }
        )
    return {
        "dimension": by.tag,
        "variants": [row.group for row in variants],
        "tested": [first.group, second.group],
        "tests": tests,
    }


# --- reading the account ------------------------------------------------------------------------


@dataclass
class Report:
    """Everything `sesctl stats` shows."""

    window: Window
    by: By
    rows: list[Row]
    totals: list[Row]
    quota: dict[str, float | None]
    alerts: list[Alert] = field(default_factory=list)
    comparison: dict[str, Any] | None = None


def collect(
    client: Sesv2,
    window: Window,
    by: By,
    thresholds: Sequence[Threshold] = (),
    warn: Callable[[str], None] = lambda _: None,
) -> Report:
    """Read the figures `by` asks for, the quota, and judge the totals."""
    account = client.call("GetAccount")
    if by.tag:
        points, groups = cloudwatch_points(client, window, by.tag), []
    else:
        vdm = (account.get("VdmAttributes") or {}).get("VdmEnabled")
        if vdm != "ENABLED":
            warn(
                "VDM is not enabled for this account, and SES collects these figures only while "
                "it is: set account.vdm_attributes.vdm_enabled: ENABLED in the file and apply, "
                "or use --by tag:NAME (CloudWatch)"
            )
        groups = group_values(client, by)
        points = list(vdm_points(client, window, by, groups))
    rows, totals = tabulate(points, groups, split=not by.tag)
    return Report(
        window,
        by,
        rows,
        totals,
        quota(account),
        judge(totals, thresholds, by),
        compare(totals, by),
    )


def quota(account: Mapping[str, Any]) -> dict[str, float | None]:
    """GetAccount's SendQuota; a negative 24-hour maximum (no limit) as None."""
    found = account.get("SendQuota") or {}
    limit = found.get("Max24HourSend")
    return {
        "max_24_hour_send": None if limit is None or limit < 0 else limit,
        "max_send_rate": found.get("MaxSendRate"),
        "sent_last_24_hours": found.get("SentLast24Hours", 0),
    }


def group_values(client: Sesv2, by: By) -> list[str]:
    """The values VDM is asked about for `by`: the account, or each set, identity or ISP."""
    if by.kind == "configuration-set":
        return sorted(client.pages("ListConfigurationSets", "ConfigurationSets"))
    if by.kind == "identity":
        return sorted(
            i["IdentityName"] for i in client.pages("ListEmailIdentities", "EmailIdentities")
        )
    if by.kind == "isp":
        return list(ISPS)
    return ["account"]


def vdm_queries(
    window: Window, by: By, groups: Sequence[str]
) -> list[tuple[str, str, dict[str, Any]]]:
    """(group, figure, query) for each group and VDM metric, each query with its own Id."""
    dimension = BY_KINDS[by.kind]
    found: list[tuple[str, str, dict[str, Any]]] = []
    for group in groups:
        for metric, figure in VDM_METRICS.items():
            query: dict[str, Any] = {
                "Id": f"q{len(found)}",
                "Namespace": "VDM",
                "Metric": metric,
                "StartDate": window.start,
                "EndDate": window.end,
            }
            if dimension:
                query["Dimensions"] = {dimension: group}
            found.append((group, figure, query))
    return found


def vdm_points(client: Sesv2, window: Window, by: By, groups: Sequence[str]) -> Iterator[Point]:
    """Every VDM datapoint, ten queries a call; an error SES reports for one query fails all."""
    queries = vdm_queries(window, by, groups)
    for batch in chunks(queries, VDM_BATCH):
        answer = client.call("BatchGetMetricData", Queries=[query for *_, query in batch])
        yield from answered(answer, {q["Id"]: (g, f, q) for g, f, q in batch}, by, window.per)


def answered(
    answer: Mapping[str, Any],
    asked: Mapping[str, tuple[str, str, dict[str, Any]]],
    by: By,
    per: str,
) -> Iterator[Point]:
    """The points of one BatchGetMetricData answer; its first error as a SesctlError."""
    for error in answer.get("Errors") or []:
        said = ": ".join(filter(None, (error.get("Code"), error.get("Message"))))
        found = asked.get(error.get("Id", ""))
        what = f"{found[2]['Metric']} for {by.where(found[0])}" if found else error.get("Id")
        raise SesctlError(f"BatchGetMetricData: {what}: {said or 'failed'}")
    for result in answer.get("Results") or []:
        group, figure, _ = asked[result["Id"]]
        for start, value in datapoints(result, per):
            yield Point(group, figure, start, value)


def datapoints(result: Mapping[str, Any], per: str) -> Iterator[tuple[datetime, int]]:
    """A result's (period start, value) pairs, its timestamps as the service sent them."""
    moments, values = result.get("Timestamps", []), result.get("Values", [])
    for moment, value in zip(moments, values, strict=True):
        yield floor(timestamp(moment), per), round(value)


def cloudwatch_points(client: Sesv2, window: Window, tag: str) -> list[Point]:
    """The CloudWatch datapoints of every SES metric series that carries the dimension `tag`,
    summed by its value; no such series means no destination publishes it."""
    listed = cloudwatch_pages(
        client, "ListMetrics", "Metrics", Namespace="AWS/SES", Dimensions=[{"Name": tag}]
    )
    series = tag_series(listed)
    if not series:
        raise SesctlError(missing_destination(tag))
    queries = cloudwatch_queries(series, window)
    asked = {
        query["Id"]: (dict(dims)[tag], CLOUDWATCH_METRICS[name])
        for (name, dims), query in zip(series, queries, strict=True)
    }
    points = []
    for batch in chunks(queries, CLOUDWATCH_BATCH):
        results = cloudwatch_pages(
            client,
            "GetMetricData",
            "MetricDataResults",
            MetricDataQueries=list(batch),
            StartTime=window.start,
            EndTime=window.end,
        )
        for result in results:
            group, figure = asked[result["Id"]]
            for start, value in datapoints(result, window.per):
                points.append(Point(group, figure, start, value))
    return points


Series = tuple[str, tuple[tuple[str, str], ...]]


def tag_series(metrics: Iterable[Mapping[str, Any]]) -> list[Series]:
    """Each (metric name, full dimension set) once, for the metrics sesctl counts: CloudWatch
    tells series apart by their full dimension set, and a listing may repeat one."""
    found: dict[Series, None] = {}
    for metric in metrics:
        if metric.get("MetricName") in CLOUDWATCH_METRICS:
            dims = tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", [])))
            found[metric["MetricName"], dims] = None
    return list(found)


def cloudwatch_queries(series: Sequence[Series], window: Window) -> list[dict[str, Any]]:
    """One Sum query per series, over periods of the window's length."""
    return [
        {
            "Id": f"q{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/SES",
                    "MetricName": name,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dims],
                },
                "Period": window.seconds,
                "Stat": "Sum",
            },
            "ReturnData": True,
        }
        for index, (name, dims) in enumerate(series)
    ]


def cloudwatch_pages(client: Sesv2, operation: str, key: str, **params: Any) -> Iterator[Any]:
    """The items under `key` from every page of a NextToken-paginated CloudWatch operation."""
    token: str | None = None
    while True:
        page = client.call_cloudwatch(
            operation, **params, **({"NextToken": token} if token else {})
        )
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


def missing_destination(tag: str) -> str:
    """What to add when no metric carries the dimension `tag`."""
    return (
        f"no CloudWatch metric in AWS/SES has the dimension {tag!r}: SES publishes it only "
        "through an event destination with a CloudWatch destination that names it. Add one to "
        "the configuration set you send with, apply, and send with the message tag "
        f"{tag}=VALUE:\n\n"
        "configuration_sets:\n"
        "  SET:\n"
        "    event_destinations:\n"
        f"      {tag}-metrics:\n"
        "        matching_event_types: [SEND, DELIVERY, BOUNCE, COMPLAINT, OPEN, CLICK]\n"
        "        cloud_watch_destination:\n"
        "          dimension_configurations:\n"
        f"            - {{dimension_name: {tag}, dimension_value_source: MESSAGE_TAG, "
        f"default_dimension_value: {UNTAGGED}}}"
    )


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """`items` in slices of at most `size`: the most queries one call takes."""
    for index in range(0, len(items), size):
        yield items[index : index + size]


# --- output -----------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    """A moment as the JSON document writes it: ISO 8601, UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def percent(value: Fraction | float, places: int = 2) -> str:
    """A fraction in percent, without trailing zeros: 0.0625 → 6.25%, 0.001 → 0.1%."""
    text = f"{float(value) * 100:.{places}f}".rstrip("0").rstrip(".")
    return f"{text}%"


def as_json(report: Report) -> str:
    """The documented JSON document (see the module's docstring)."""
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

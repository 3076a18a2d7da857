"""When and how `sesctl stats` groups its figures: the window and its periods, and the grouping.

A window is [start, end) in UTC, cut into periods of a day or an hour; `--since` or
`--from/--to` give it, its start rounded down to the period and its end, by default, at the
end of the current period. The grouping (`--by`) is the account, a VDM dimension
(configuration set, identity, ISP), or `tag:NAME`: the values of a CloudWatch dimension an
event destination publishes, untagged mail counting under `none`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import SesctlError

SECONDS = {"day": 86400, "hour": 3600}
# --by → the VDM dimension it queries.
BY_KINDS = {
    "account": None,
    "configuration-set": "CONFIGURATION_SET",
    "identity": "EMAIL_IDENTITY",
    "isp": "ISP",
}
# What messages without the tag count under, in the destination the missing-metric message
# suggests; the A/B comparison leaves it out.
UNTAGGED = "none"
_SINCE = re.compile(r"\s*(\d+)\s*([hd])\s*")


@dataclass(frozen=True)
class Window:
    """The time the figures cover: [start, end), in periods of a day or an hour (UTC)."""

    start: datetime
    end: datetime
    per: str

    @property
    def seconds(self) -> int:
        """A period's length in seconds."""
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
        """The grouping as `--by` spells it."""
        return f"tag:{self.tag}" if self.tag else self.kind

    @property
    def column(self) -> str:
        """The heading of the group column."""
        return self.tag or ("group" if self.kind == "account" else self.kind)

    @property
    def source(self) -> str:
        """Where the figures come from: `vdm` or `cloudwatch`."""
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


def iso(moment: datetime) -> str:
    """A moment as the JSON document writes it: ISO 8601, UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

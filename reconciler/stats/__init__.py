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

The package, one module per concern: window (the window, its periods and the grouping),
figures (rows, totals and rates), sources (what is read from SES and CloudWatch), alerts
(thresholds and the alerts they raise), compare (the A/B z-test) and output (text, JSON, CSV
and the chart). Here: the report, and `collect`, which reads and judges one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..client import Sesv2
from .alerts import Alert, Threshold, judge
from .compare import compare
from .figures import Row, tabulate
from .sources import cloudwatch_points, group_values, quota, vdm_points
from .window import By, Window


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

"""`sesctl stats --by tag:NAME` and doctor's reputation lines against the emulator's CloudWatch.

Datapoints go into the emulator's CloudWatch as an event destination would publish them (one
datapoint of value 1 per event, with the destination's dimensions), all of them yesterday
(UTC): windows are given with --from/--to, or are a week long, so no test depends on the hour
it runs at.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from .conftest import Env

YESTERDAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(1)
DAY = YESTERDAY.strftime("%Y-%m-%d")


@pytest.fixture
def cloudwatch(env: Env) -> Any:
    """The emulator's CloudWatch; bodies uncompressed, which moto's server does not expand."""
    config = Config(disable_request_compression=True)
    return boto3.client("cloudwatch", endpoint_url=env.url, region_name="us-east-1", config=config)


def put(cloudwatch: Any, metric: str, count: int, when: datetime, **dimensions: str) -> None:
    """`count` events of `metric`, as a CloudWatch event destination publishes them."""
    dims = [{"Name": k.replace("_", "-"), "Value": v} for k, v in dimensions.items()]
    datum = {"MetricName": metric, "Dimensions": dims, "Value": 1.0, "Unit": "Count"}
    cloudwatch.put_metric_data(
        Namespace="AWS/SES", MetricData=[datum | {"Timestamp": when}] * count
    )


def campaigns(cloudwatch: Any) -> None:
    """spring at 10:00 through two configuration sets, summer at 11:00 (1 bounce of 5)."""
    spring, summer = YESTERDAY + timedelta(hours=10, minutes=5), YESTERDAY + timedelta(hours=11)
    for metric, count in (("Send", 3), ("Delivery", 3), ("Open", 2)):
        put(cloudwatch, metric, count, spring, campaign="spring", ses_configuration_set="cs")
    for metric in ("Send", "Delivery"):
        put(cloudwatch, metric, 1, spring, campaign="spring", ses_configuration_set="other")
    for metric, count in (("Send", 5), ("Delivery", 4), ("Bounce", 1), ("Open", 1), ("Click", 1)):
        put(cloudwatch, metric, count, summer, campaign="summer", ses_configuration_set="cs")
    put(cloudwatch, "Reject", 2, summer, campaign="summer", ses_configuration_set="cs")


HEADER = (
    "campaign  period{}  sends  deliveries  bounces  hard  soft  complaints  opens  clicks"
    "  bounce%  complaint%   open%  click%"
)


def test_daily_counts_by_tag(env: Env, cloudwatch: Any) -> None:
    campaigns(cloudwatch)
    result = env.sesctl("stats", "--by", "tag:campaign", "--from", DAY, "--to", DAY)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:5] == [
        HEADER.format("    "),
        f"spring    {DAY}      4           4        0     -     -           0      2       0"
        "    0.00%       0.00%  50.00%   0.00%",
        "spring    total           4           4        0     -     -           0      2       0"
        "    0.00%       0.00%  50.00%   0.00%",
        f"summer    {DAY}      5           4        1     -     -           0      1       1"
        "   20.00%       0.00%  25.00%  25.00%",
        "summer    total           5           4        1     -     -           0      1       1"
        "   20.00%       0.00%  25.00%  25.00%",
    ]
    assert "24-hour quota: 0 of 50,000 used (0%); at most 14 messages a second" in result.stdout
    assert "not split hard/soft" in result.stdout


def test_hourly_counts_by_tag(env: Env, cloudwatch: Any) -> None:
    campaigns(cloudwatch)
    start, end = f"{DAY}T09:00:00Z", f"{DAY}T12:00:00Z"
    result = env.sesctl(
        "stats", "--by", "tag:campaign", "--per", "hour", "--from", start, "--to", end
    )
    assert result.exit_code == 0, result.output
    rows = [line.split()[:5] for line in result.stdout.splitlines()[1:5]]
    assert rows == [
        ["spring", DAY, "10:00", "4", "4"],
        ["spring", "total", "4", "4", "0"],
        ["summer", DAY, "11:00", "5", "4"],
        ["summer", "total", "5", "4", "1"],
    ]


def test_json_and_csv(env: Env, cloudwatch: Any) -> None:
    campaigns(cloudwatch)
    shown = env.sesctl("stats", "--by", "tag:campaign", "--format", "json")
    assert shown.exit_code == 0, shown.output
    document = json.loads(shown.stdout)
    assert (document["format_version"], document["by"], document["per"]) == (
        1,
        "tag:campaign",
        "day",
    )
    assert document["source"] == "cloudwatch"
    assert document["rows"] == [
        {
            "group": "spring",
            "start": f"{DAY}T00:00:00Z",
            "sends": 4,
            "deliveries": 4,
            "bounces": 0,
            "hard_bounces": None,
            "soft_bounces": None,
            "complaints": 0,
            "opens": 2,
            "clicks": 0,
            "bounce_rate": 0.0,
            "complaint_rate": 0.0,
            "open_rate": 0.5,
            "click_rate": 0.0,
        },
        {
            "group": "summer",
            "start": f"{DAY}T00:00:00Z",
            "sends": 5,
            "deliveries": 4,
            "bounces": 1,
            "hard_bounces": None,
            "soft_bounces": None,
            "complaints": 0,
            "opens": 1,
            "clicks": 1,
            "bounce_rate": 0.2,
            "complaint_rate": 0.0,
            "open_rate": 0.25,
            "click_rate": 0.25,
        },
    ]
    assert [row["sends"] for row in document["totals"]] == [4, 5]
    assert document["quota"] == {
        "max_24_hour_send": 50000.0,
        "max_send_rate": 14.0,
        "sent_last_24_hours": 0.0,
    }
    assert document["alerts"] == []
    assert document["comparison"]["tested"] == ["spring", "summer"]

    table = env.sesctl("stats", "--by", "tag:campaign", "--format", "csv")
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines() == [
        "group,start,sends,deliveries,bounces,hard_bounces,soft_bounces,complaints,opens,clicks,"
        "bounce_rate,complaint_rate,open_rate,click_rate",
        f"spring,{DAY}T00:00:00Z,4,4,0,,,0,2,0,0.0,0.0,0.5,0.0",
        f"summer,{DAY}T00:00:00Z,5,4,1,,,0,1,1,0.2,0.0,0.25,0.25",
    ]


def test_fail_on_exits_2_when_crossed_and_0_when_not(env: Env, cloudwatch: Any) -> None:
    campaigns(cloudwatch)
    crossed = env.sesctl("stats", "--by", "tag:campaign", "--fail-on", "bounce_rate>10%")
    assert crossed.exit_code == 2
    assert crossed.stderr == "ALERT bounce_rate 20% > 10% (campaign=summer: 1 of 5 sends)\n"
    calm = env.sesctl("stats", "--by", "tag:campaign", "--fail-on", "bounce_rate>20%,sends<4")
    assert calm.exit_code == 0, calm.output
    assert calm.stderr == ""


def test_a_tag_no_destination_publishes_says_what_to_add(env: Env, cloudwatch: Any) -> None:
    campaigns(cloudwatch)
    result = env.sesctl("stats", "--by", "tag:ab-variant")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        "Error: no CloudWatch metric in AWS/SES has the dimension 'ab-variant'"
    )
    assert "- {dimension_name: ab-variant, dimension_value_source: MESSAGE_TAG" in result.stderr


def test_two_variants_are_compared(env: Env, cloudwatch: Any) -> None:
    when = YESTERDAY + timedelta(hours=9)
    for variant, opens in (("welcome-a", 40), ("welcome-b", 20)):
        for metric, count in (("Send", 100), ("Delivery", 100), ("Open", opens)):
            put(cloudwatch, metric, count, when, ab_variant=variant)
    result = env.sesctl("stats", "--by", "tag:ab-variant", "--from", DAY, "--to", DAY)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "A/B comparison by ab-variant: welcome-a against welcome-b" in lines
    assert (
        "  open_rate: welcome-a 40 of 100 (40%); welcome-b 20 of 100 (20%): "
        "significant at 95%, z = 3.09, p = 0.002"
    ) in lines
    assert (
        "  click_rate: welcome-a 0 of 100 (0%); welcome-b 0 of 100 (0%): not enough data yet"
        in (lines)
    )


def test_doctor_shows_the_latest_reputation_rates(env: Env, cloudwatch: Any) -> None:
    now = datetime.now(UTC)

    def rate(metric: str, value: float, minutes_ago: int) -> None:
        datum = {
            "MetricName": metric,
            "Value": value,
            "Timestamp": now - timedelta(minutes=minutes_ago),
        }
        cloudwatch.put_metric_data(Namespace="AWS/SES", MetricData=[datum])

    rate("Reputation.BounceRate", 0.02, 30)
    rate("Reputation.BounceRate", 0.06, 5)
    rate("Reputation.ComplaintRate", 0.0005, 5)
    warned = env.sesctl("doctor")
    assert warned.exit_code == 0, warned.output
    assert "! bounce rate: 6% (SES reviews at 5%, may pause at 10%)" in warned.stdout
    assert "✓ complaint rate: 0.05% (SES reviews at 0.1%, may pause at 0.5%)" in warned.stdout

    rate("Reputation.ComplaintRate", 0.006, 1)
    paused = env.sesctl("doctor")
    assert paused.exit_code == 1
    assert "✗ complaint rate: 0.6% (SES reviews at 0.1%, may pause at 0.5%)" in paused.stdout


def test_doctor_without_reputation_data(env: Env) -> None:
    result = env.sesctl("doctor")
    assert result.exit_code == 0, result.output
    assert "✓ bounce rate: no data yet\n✓ complaint rate: no data yet\n" in result.stdout

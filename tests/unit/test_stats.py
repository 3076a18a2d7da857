"""`sesctl stats` and doctor's reputation check without an endpoint.

botocore's Stubber checks every request against the real SES v2 and CloudWatch models and
answers it; windows are given explicitly, so no test depends on the clock.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from reconciler.cli import cli
from reconciler.cli import stats as command
from reconciler.client import ClientSettings, RateLimits, Sesv2
from reconciler.doctor import checks
from reconciler.errors import SesctlError
from reconciler.limits import BOUNCE_RATE_REVIEW, COMPLAINT_RATE_REVIEW
from reconciler.stats import Report, collect
from reconciler.stats.alerts import DEFAULT_ALERTS, OPERATORS, Threshold, judge, parse_fail_on
from reconciler.stats.compare import ZTest, compare, z_test
from reconciler.stats.figures import FIGURES, RATES, Row, counts
from reconciler.stats.output import as_csv, as_json, as_text, chart
from reconciler.stats.sources import VDM_METRICS, group_values, tag_series, vdm_queries
from reconciler.stats.window import By, Window, parse_by, parse_window, timestamp

NOV1 = datetime(2026, 11, 1, tzinfo=UTC)
NOV2 = NOV1 + timedelta(days=1)
DAYS = Window(NOV1, NOV1 + timedelta(days=2), "day")
HOURS = Window(NOV1 + timedelta(hours=10), NOV1 + timedelta(hours=12), "hour")
QUOTA = {"Max24HourSend": 200.0, "MaxSendRate": 1.0, "SentLast24Hours": 50.0}
VDM_ON = {"SendQuota": QUOTA, "VdmAttributes": {"VdmEnabled": "ENABLED"}}


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Sesv2:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "t")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "t")
    return Sesv2(ClientSettings(region="us-east-1", rate_limits=RateLimits(None)))


def vdm_query(index: int, metric: str, window: Window, **dimensions: str) -> dict[str, Any]:
    query = {
        "Id": f"q{index}",
        "Namespace": "VDM",
        "Metric": metric,
        "StartDate": window.start,
        "EndDate": window.end,
    }
    return query | ({"Dimensions": dimensions} if dimensions else {})


def result(index: int, points: dict[Any, float]) -> dict[str, Any]:
    return {"Id": f"q{index}", "Timestamps": list(points), "Values": list(points.values())}


def account_answer() -> list[dict[str, Any]]:
    """VDM's answer for the account over DAYS: epoch seconds and ISO text both."""
    day1, day2 = NOV1.timestamp(), "2026-11-02T00:00:00Z"
    return [
        result(0, {day1: 80, day2: 20}),
        result(1, {day1: 70, day2: 19}),
        result(2, {day1: 5}),
        result(3, {day1: 3}),
        result(4, {day2: 1}),
        result(5, {day1: 35}),
        result(6, {}),
    ]


def stub_account(ses: Stubber, answer: list[dict[str, Any]], account: dict[str, Any]) -> None:
    ses.add_response("get_account", account, {})
    queries = [vdm_query(i, metric, DAYS) for i, metric in enumerate(VDM_METRICS)]
    ses.add_response("batch_get_metric_data", {"Results": answer}, {"Queries": queries})


FIGURE_NAMES = [*FIGURES]


def figures(*values: Any) -> dict[str, Any]:
    return dict(zip(FIGURE_NAMES, values, strict=True))


# --- VDM --------------------------------------------------------------------------------------


def test_vdm_account_rows_totals_and_rates(client: Sesv2) -> None:
    warnings: list[str] = []
    with Stubber(client.ses) as ses:
        stub_account(ses, account_answer(), VDM_ON)
        report = collect(client, DAYS, By("account"), warn=warnings.append)
    assert warnings == []
    assert [row.as_dict() for row in report.rows] == [
        {"group": "account", "start": "2026-11-01T00:00:00Z"}
        | figures(80, 70, 8, 5, 3, 0, 35, 0, 0.0625, 0.0, 0.5, 0.0),
        {"group": "account", "start": "2026-11-02T00:00:00Z"}
        | figures(20, 19, 0, 0, 0, 1, 0, 0, 0.0, 0.05, 0.0, 0.0),
    ]
    assert [row.as_dict() for row in report.totals] == [
        {"group": "account"} | figures(100, 89, 8, 5, 3, 1, 35, 0, 0.05, 0.01, 35 / 89, 0.0)
    ]
    assert report.quota == {
        "max_24_hour_send": 200.0,
        "max_send_rate": 1.0,
        "sent_last_24_hours": 50.0,
    }
    assert report.comparison is None


def test_vdm_disabled_is_warned(client: Sesv2) -> None:
    warnings: list[str] = []
    with Stubber(client.ses) as ses:
        stub_account(ses, account_answer(), {"SendQuota": QUOTA})
        collect(client, DAYS, By("account"), warn=warnings.append)
    assert len(warnings) == 1
    assert "account.vdm_attributes.vdm_enabled: ENABLED" in warnings[0]


def test_vdm_by_identity_lists_every_page_and_batches_ten_queries(client: Sesv2) -> None:
    with Stubber(client.ses) as ses:
        ses.add_response("get_account", VDM_ON, {})
        listed = {"EmailIdentities": [{"IdentityName": "b.example"}], "NextToken": "more"}
        ses.add_response("list_email_identities", listed, {})
        ses.add_response(
            "list_email_identities",
            {"EmailIdentities": [{"IdentityName": "a@example.org"}]},
            {"NextToken": "more"},
        )
        queries = [
            vdm_query(7 * g + i, metric, DAYS, EMAIL_IDENTITY=name)
            for g, name in enumerate(["a@example.org", "b.example"])
            for i, metric in enumerate(VDM_METRICS)
        ]
        first = [result(0, {NOV1.timestamp(): 4}), result(2, {NOV1.timestamp(): 1})]
        first.append(result(7, {NOV2.timestamp(): 9}))
        ses.add_response("batch_get_metric_data", {"Results": first}, {"Queries": queries[:10]})
        second = [result(12, {NOV2.timestamp(): 2})]
        ses.add_response("batch_get_metric_data", {"Results": second}, {"Queries": queries[10:]})
        report = collect(client, DAYS, By("identity"))
        ses.assert_no_pending_responses()
    found = [
        (r.group, r.counts["sends"], r.counts["hard_bounces"], r.counts["opens"])
        for r in report.totals
    ]
    assert found == [("a@example.org", 4, 1, 0), ("b.example", 9, 0, 2)]
    assert report.totals[0].figure("bounce_rate") == Fraction(1, 4)


def test_vdm_isp_and_configuration_set_values(client: Sesv2) -> None:
    with Stubber(client.ses) as ses:
        ses.add_response("list_configuration_sets", {"ConfigurationSets": ["z", "m"]}, {})
        assert group_values(client, By("configuration-set")) == ["m", "z"]
    assert group_values(client, By("isp")) == ["Gmail", "Hotmail", "Yahoo", "AOL"]
    assert vdm_queries(DAYS, By("isp"), ["Gmail"])[0][2]["Dimensions"] == {"ISP": "Gmail"}


def test_an_error_vdm_reports_for_a_query_fails_the_run(client: Sesv2) -> None:
    answer = account_answer()[1:]
    with Stubber(client.ses) as ses:
        ses.add_response("get_account", VDM_ON, {})
        queries = [vdm_query(i, metric, DAYS) for i, metric in enumerate(VDM_METRICS)]
        errors = [{"Id": "q0", "Code": "ACCESS_DENIED", "Message": "no"}]
        ses.add_response(
            "batch_get_metric_data", {"Results": answer, "Errors": errors}, {"Queries": queries}
        )
        with pytest.raises(SesctlError) as info:
            collect(client, DAYS, By("account"))
    assert info.value.message == "BatchGetMetricData: SEND for account: ACCESS_DENIED: no"


def test_vdm_is_daily_only() -> None:
    with pytest.raises(SesctlError, match="VDM, which counts by the day: --per hour needs --by"):
        parse_by("identity", "hour")
    assert parse_by("tag:ab-variant", "hour") == By("tag", "ab-variant")
    for bad in ("tag:", "domain"):
        with pytest.raises(SesctlError, match="--by"):
            parse_by(bad, "day")


# --- CloudWatch -------------------------------------------------------------------------------


def metric(name: str, campaign: str, configuration_set: str) -> dict[str, Any]:
    dimensions = [
        {"Name": "ses:configuration-set", "Value": configuration_set},
        {"Name": "campaign", "Value": campaign},
    ]
    return {"Namespace": "AWS/SES", "MetricName": name, "Dimensions": dimensions}


def cloudwatch_query(index: int, name: str, campaign: str, configuration_set: str) -> Any:
    dimensions = [
        {"Name": "campaign", "Value": campaign},
        {"Name": "ses:configuration-set", "Value": configuration_set},
    ]
    return {
        "Id": f"q{index}",
        "MetricStat": {
            "Metric": {"Namespace": "AWS/SES", "MetricName": name, "Dimensions": dimensions},
            "Period": 3600,
            "Stat": "Sum",
        },
        "ReturnData": True,
    }


def stub_campaigns(cw: Stubber) -> None:
    """Two pages of series (one listed twice, one a Reject sesctl does not count), then two
    pages of datapoints; summer bounced 1 of 4."""
    listing = {"Namespace": "AWS/SES", "Dimensions": [{"Name": "campaign"}]}
    page1 = [metric("Send", "spring", "cs"), metric("Send", "spring", "other")]
    page1.append(metric("Reject", "spring", "cs"))
    cw.add_response("list_metrics", {"Metrics": page1, "NextToken": "p2"}, listing)
    page2 = [metric("Send", "spring", "cs"), metric("Send", "summer", "cs")]
    page2 += [metric("Delivery", "spring", "cs"), metric("Bounce", "summer", "cs")]
    cw.add_response("list_metrics", {"Metrics": page2}, listing | {"NextToken": "p2"})
    queries = [
        cloudwatch_query(0, "Send", "spring", "cs"),
        cloudwatch_query(1, "Send", "spring", "other"),
        cloudwatch_query(2, "Send", "summer", "cs"),
        cloudwatch_query(3, "Delivery", "spring", "cs"),
        cloudwatch_query(4, "Bounce", "summer", "cs"),
    ]
    ten, eleven = HOURS.start.timestamp(), "2026-11-01T11:00:00Z"
    asked = {"MetricDataQueries": queries, "StartTime": HOURS.start, "EndTime": HOURS.end}
    first = [result(0, {ten: 3.0, eleven: 2.0}), result(1, {ten: 1.0}), result(2, {})]
    cw.add_response("get_metric_data", {"MetricDataResults": first, "NextToken": "n"}, asked)
    second = [result(2, {eleven: 4.0}), result(3, {ten: 3.0}), result(4, {eleven: 1.0})]
    cw.add_response("get_metric_data", {"MetricDataResults": second}, asked | {"NextToken": "n"})


def test_tag_rows_sum_every_series_by_the_tag_value(client: Sesv2) -> None:
    with Stubber(client.ses) as ses, Stubber(client.cloudwatch) as cw:
        ses.add_response("get_account", {"SendQuota": QUOTA}, {})
        stub_campaigns(cw)
        report = collect(client, HOURS, By("tag", "campaign"))
        cw.assert_no_pending_responses()
    assert [row.as_dict() for row in report.rows] == [
        {"group": "spring", "start": "2026-11-01T10:00:00Z"}
        | figures(4, 3, 0, None, None, 0, 0, 0, 0.0, 0.0, 0.0, 0.0),
        {"group": "spring", "start": "2026-11-01T11:00:00Z"}
        | figures(2, 0, 0, None, None, 0, 0, 0, 0.0, 0.0, None, None),
        {"group": "summer", "start": "2026-11-01T11:00:00Z"}
        | figures(4, 0, 1, None, None, 0, 0, 0, 0.25, 0.0, None, None),
    ]
    assert [(row.group, row.counts["sends"]) for row in report.totals] == [
        ("spring", 6),
        ("summer", 4),
    ]
    assert report.comparison is not None
    assert report.comparison["tested"] == ["spring", "summer"]
    assert {t["verdict"] for t in report.comparison["tests"]} == {"not enough data yet"}


def test_no_metric_with_the_dimension_says_which_destination_to_add(client: Sesv2) -> None:
    with Stubber(client.ses) as ses, Stubber(client.cloudwatch) as cw:
        ses.add_response("get_account", {"SendQuota": QUOTA}, {})
        listing = {"Namespace": "AWS/SES", "Dimensions": [{"Name": "ab-variant"}]}
        cw.add_response("list_metrics", {"Metrics": []}, listing)
        with pytest.raises(SesctlError) as info:
            collect(client, DAYS, By("tag", "ab-variant"))
    message = info.value.message
    assert message.startswith("no CloudWatch metric in AWS/SES has the dimension 'ab-variant'")
    assert message.endswith(
        "configuration_sets:\n"
        "  SET:\n"
        "    event_destinations:\n"
        "      ab-variant-metrics:\n"
        "        matching_event_types: [SEND, DELIVERY, BOUNCE, COMPLAINT, OPEN, CLICK]\n"
        "        cloud_watch_destination:\n"
        "          dimension_configurations:\n"
        "            - {dimension_name: ab-variant, dimension_value_source: MESSAGE_TAG, "
        "default_dimension_value: none}"
    )


def test_a_series_is_its_full_dimension_set_once() -> None:
    listed = [metric("Send", "a", "x"), metric("Send", "a", "x"), metric("Send", "a", "y")]
    assert tag_series(listed) == [
        ("Send", (("campaign", "a"), ("ses:configuration-set", "x"))),
        ("Send", (("campaign", "a"), ("ses:configuration-set", "y"))),
    ]


# --- output -----------------------------------------------------------------------------------


def account_report(client: Sesv2) -> Report:
    with Stubber(client.ses) as ses:
        stub_account(ses, account_answer(), VDM_ON)
        return collect(client, DAYS, By("account"), list(DEFAULT_ALERTS))


def test_json_document(client: Sesv2) -> None:
    document = json.loads(as_json(account_report(client)))
    assert list(document) == [
        "format_version",
        "period",
        "by",
        "per",
        "source",
        "rows",
        "totals",
        "quota",
        "alerts",
        "comparison",
    ]
    assert document["format_version"] == 1
    assert document["period"] == {"from": "2026-11-01T00:00:00Z", "to": "2026-11-03T00:00:00Z"}
    assert (document["by"], document["per"], document["source"]) == ("account", "day", "vdm")
    assert document["quota"] == {
        "max_24_hour_send": 200.0,
        "max_send_rate": 1.0,
        "sent_last_24_hours": 50.0,
    }
    assert document["alerts"] == [
        {
            "group": "account",
            "figure": "bounce_rate",
            "operator": ">=",
            "threshold": 0.05,
            "value": 0.05,
            "detail": "5 of 100 sends",
        },
        {
            "group": "account",
            "figure": "complaint_rate",
            "operator": ">=",
            "threshold": 0.001,
            "value": 0.01,
            "detail": "1 of 100 sends",
        },
    ]
    assert document["comparison"] is None
    assert len(document["rows"]) == 2 and document["totals"][0]["sends"] == 100


def test_csv_is_a_header_then_rows(client: Sesv2) -> None:
    assert as_csv(account_report(client)).splitlines() == [
        "group,start,sends,deliveries,bounces,hard_bounces,soft_bounces,complaints,opens,clicks,"
        "bounce_rate,complaint_rate,open_rate,click_rate",
        "account,2026-11-01T00:00:00Z,80,70,8,5,3,0,35,0,0.0625,0.0,0.5,0.0",
        "account,2026-11-02T00:00:00Z,20,19,0,0,0,1,0,0,0.0,0.05,0.0,0.0",
    ]


def test_text_table(client: Sesv2) -> None:
    assert as_text(account_report(client)).splitlines() == [
        "group    period      sends  deliveries  bounces  hard  soft  complaints  opens  clicks"
        "  bounce%  complaint%   open%  click%",
        "account  2026-11-01     80          70        8     5     3           0     35       0"
        "    6.25%       0.00%  50.00%   0.00%",
        "account  2026-11-02     20          19        0     0     0           1      0       0"
        "    0.00%       5.00%   0.00%   0.00%",
        "account  total         100          89        8     5     3           1     35       0"
        "    5.00%       1.00%  39.33%   0.00%",
        "",
        "24-hour quota: 50 of 200 used (25%); at most 1 messages a second",
    ]


def test_tag_rows_show_no_hard_or_soft_bounces(client: Sesv2) -> None:
    with Stubber(client.ses) as ses, Stubber(client.cloudwatch) as cw:
        ses.add_response("get_account", {"SendQuota": {"Max24HourSend": -1.0}}, {})
        stub_campaigns(cw)
        text = as_text(collect(client, HOURS, By("tag", "campaign")))
    lines = text.splitlines()
    assert lines[0].startswith("campaign  period            sends  deliveries  bounces  hard  soft")
    assert lines[1].startswith("spring    2026-11-01 10:00      4           3        0     -     -")
    assert "24-hour quota: 0 sent, no limit; at most 0 messages a second" in lines
    assert "Bounces from CloudWatch are not split hard/soft: bounce% is bounces / sends." in lines
    assert "A/B comparison by campaign: spring against summer" in lines


def test_chart_draws_without_colour(client: Sesv2) -> None:
    drawn = chart(account_report(client), 80, colour=False)
    assert "\x1b" not in drawn
    for name in ("sends", "deliveries", "bounces", "complaints"):
        assert name in drawn
    assert "11-01" in drawn


# --- the command: exit codes --------------------------------------------------------------------


def run(client: Sesv2, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    @contextmanager
    def connected(_: Any) -> Iterator[Sesv2]:
        yield client

    monkeypatch.setattr(command, "connected", connected)
    return CliRunner().invoke(cli, ["stats", *args], catch_exceptions=False)


ONE_DAY = ("--from", "2026-11-01", "--to", "2026-11-01")


def stub_one_day(ses: Stubber) -> None:
    ses.add_response("get_account", VDM_ON, {})
    window = Window(NOV1, NOV2, "day")
    queries = [vdm_query(i, m, window) for i, m in enumerate(VDM_METRICS)]
    answer = [result(0, {NOV1.timestamp(): 80}), result(2, {NOV1.timestamp(): 5})]
    ses.add_response("batch_get_metric_data", {"Results": answer}, {"Queries": queries})


def test_a_crossed_threshold_is_printed_and_exits_2(
    client: Sesv2, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Stubber(client.ses) as ses:
        stub_one_day(ses)
        crossed = run(client, monkeypatch, *ONE_DAY, "--fail-on", "bounce_rate>5%")
    assert crossed.exit_code == 2
    assert crossed.stderr == "ALERT bounce_rate 6.25% > 5% (account: 5 of 80 sends)\n"
    assert crossed.stdout.startswith("group ")


def test_no_threshold_crossed_exits_0(client: Sesv2, monkeypatch: pytest.MonkeyPatch) -> None:
    with Stubber(client.ses) as ses:
        stub_one_day(ses)
        calm = run(client, monkeypatch, *ONE_DAY, "--fail-on", "bounce_rate>0.07,sends<80")
    assert calm.exit_code == 0, calm.output
    assert calm.stderr == ""


def test_alerts_are_ses_review_rates(client: Sesv2, monkeypatch: pytest.MonkeyPatch) -> None:
    with Stubber(client.ses) as ses:
        stub_one_day(ses)
        alerted = run(client, monkeypatch, *ONE_DAY, "--alerts", "--format", "json")
    assert alerted.exit_code == 2
    assert json.loads(alerted.stdout)["alerts"][0]["figure"] == "bounce_rate"
    assert alerted.stderr == "ALERT bounce_rate 6.25% >= 5% (account: 5 of 80 sends)\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--fail-on", "bounce_rate=>5%"), "'bounce_rate=>5%' is not FIGURE OP VALUE"),
        (("--fail-on", "bounce>5"), "no figure 'bounce'"),
        (("--fail-on", "sends>5%"), "sends is a count, not a percentage"),
        (("--fail-on", "bounce_rate>5"), "a rate is a fraction (0.05) or a percentage (5%)"),
        (("--per", "hour"), "--per hour needs --by tag:NAME"),
        (("--since", "7d", "--from", "2026-11-01"), "give --since or --from/--to, not both"),
        (("--since", "week"), "--since 'week': give hours or days"),
        (("--to", "2026-11-01"), "--to needs --from"),
        (("--from", "2026-11-02", "--to", "2026-11-01T00:00"), "--from must come before --to"),
        (("--from", "yesterday"), "--from 'yesterday': give an ISO date"),
        (("--chart", "--format", "json"), "--chart draws on the terminal"),
    ],
)
def test_bad_options_are_one_plain_error(
    client: Sesv2, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    refused = run(client, monkeypatch, *args)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: ") and message in refused.stderr
    assert "Traceback" not in refused.output


# --- windows and timestamps ---------------------------------------------------------------------


def test_since_covers_whole_periods_up_to_the_end_of_the_current_one() -> None:
    """A request's end time travels to the second: ending at the period's end counts what
    landed in the last second too."""
    now = datetime(2026, 11, 30, 13, 51, 9, 500000, tzinfo=UTC)
    daily = parse_window(None, None, None, "day", now)
    assert (daily.start, daily.end) == (
        datetime(2026, 11, 23, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
    )
    hourly = parse_window("24h", None, None, "hour", now)
    assert hourly.start == datetime(2026, 11, 29, 13, tzinfo=UTC)
    assert hourly.end == datetime(2026, 11, 30, 14, tzinfo=UTC)
    assert len(hourly.periods()) == 25


def test_from_to_are_utc_and_a_bare_to_date_counts_its_day() -> None:
    now = datetime(2026, 11, 30, tzinfo=UTC)
    window = parse_window(None, "2026-11-01", "2026-11-02", "day", now)
    assert (window.start, window.end) == (NOV1, NOV1 + timedelta(days=2))
    exact = parse_window(None, "2026-11-01T10:30+01:00", "2026-11-01T12:00Z", "hour", now)
    assert (exact.start, exact.end) == (HOURS.start - timedelta(hours=1), HOURS.end)


@pytest.mark.parametrize(
    "sent", [1793491200, 1793491200.0, "2026-11-01T00:00:00Z", "2026-11-01T01:00:00+01:00", NOV1]
)
def test_timestamps_as_any_service_sends_them(sent: Any) -> None:
    assert timestamp(sent) == NOV1


# --- alerts and rates ---------------------------------------------------------------------------


def test_fail_on_parses_percentages_and_fractions() -> None:
    parsed = parse_fail_on(" bounce_rate > 5% , complaint_rate>=0.001,complaints<=10")
    assert parsed == [
        Threshold("bounce_rate", ">", Fraction(1, 20)),
        Threshold("complaint_rate", ">=", Fraction(1, 1000)),
        Threshold("complaints", "<=", Fraction(10)),
    ]
    assert [str(t) for t in DEFAULT_ALERTS] == ["bounce_rate>=5%", "complaint_rate>=0.1%"]
    assert DEFAULT_ALERTS[0].value == BOUNCE_RATE_REVIEW
    assert DEFAULT_ALERTS[1].value == COMPLAINT_RATE_REVIEW


def test_a_rate_exactly_at_the_threshold_is_crossed_by_at_or_above_only() -> None:
    row = Row("account", None, counts({"sends": 1000, "complaints": 1}, split=True))
    assert judge([row], parse_fail_on("complaint_rate>=0.1%"), By("account"))
    assert not judge([row], parse_fail_on("complaint_rate>0.1%"), By("account"))


def test_rates_over_nothing_are_none_and_never_alert() -> None:
    row = Row("x", None, counts({}, split=False))
    assert [row.figure(rate) for rate in RATES] == [None, None, None, None]
    assert judge([row], parse_fail_on("open_rate<50%"), By("tag", "c")) == []
    alert = judge([row], parse_fail_on("sends<1"), By("tag", "c"))[0]
    assert alert.line() == "ALERT sends 0 < 1 (c=x)"


@given(
    figure=st.sampled_from(sorted(RATES)),
    op=st.sampled_from(sorted(OPERATORS)),
    hundredths=st.integers(min_value=0, max_value=10_000),
)
def test_a_threshold_reads_back_as_itself(figure: str, op: str, hundredths: int) -> None:
    text = f"{figure}{op}{Decimal(hundredths) / 100}%"
    (parsed,) = parse_fail_on(text)
    assert parsed == Threshold(figure, op, Fraction(hundredths, 10_000))
    assert parse_fail_on(str(parsed)) == [parsed]


@given(st.text(max_size=40))
def test_any_fail_on_text_parses_or_is_one_plain_error(text: str) -> None:
    try:
        found = parse_fail_on(text)
    except SesctlError as exc:
        assert exc.message.startswith("--fail-on")
    else:
        assert found and all(t.figure in FIGURES for t in found)


@given(
    sends=st.integers(min_value=0, max_value=10**6),
    share=st.fractions(min_value=0, max_value=1),
    percent=st.integers(min_value=0, max_value=100),
)
def test_bounce_rate_is_exact_hard_bounces_over_sends(
    sends: int, share: Fraction, percent: int
) -> None:
    hard = math.floor(sends * share)
    row = Row("g", None, counts({"sends": sends, "hard_bounces": hard}, split=True))
    rate = row.figure("bounce_rate")
    if sends == 0:
        assert rate is None
        return
    assert rate == Fraction(hard, sends) and 0 <= rate <= 1
    crossed = judge([row], parse_fail_on(f"bounce_rate>={percent}%"), By("isp"))
    assert bool(crossed) == (hard * 100 >= percent * sends)


# --- the A/B z-test -----------------------------------------------------------------------------


def test_z_test_matches_known_values() -> None:
    # statsmodels' proportions_ztest([5, 12], [83, 99]): z = -1.4078, p = 0.1592.
    known = z_test(5, 83, 12, 99)
    assert known.z == pytest.approx(-1.4078, abs=1e-4)
    assert known.p_value == pytest.approx(0.1592, abs=1e-4)
    assert known.verdict == "not significant"
    # 40 of 95 against 25 of 96: pooled p = 65/191.
    strong = z_test(40, 95, 25, 96)
    assert strong.z == pytest.approx(2.3427, abs=1e-4)
    assert strong.p_value == pytest.approx(0.01915, abs=1e-5)
    assert strong.verdict == "significant at 95%"


def test_z_of_1_96_is_the_95_percent_line() -> None:
    assert math.erfc(1.96 / math.sqrt(2)) == pytest.approx(0.05, abs=1e-4)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"), [(0, 0, 5, 10), (3, 100, 1, 100), (100, 100, 99, 100)]
)
def test_z_test_needs_five_expected_each_way(x1: int, n1: int, x2: int, n2: int) -> None:
    assert z_test(x1, n1, x2, n2) == ZTest(None, None, "not enough data yet")


def test_the_comparison_leaves_untagged_mail_out() -> None:
    rows = [
        Row(name, None, counts({"sends": 100, "deliveries": 100, "opens": o}, False))
        for name, o in (("a", 50), ("b", 30), ("none", 90))
    ]
    comparison = compare(rows, By("tag", "ab-variant"))
    assert comparison is not None
    assert comparison["variants"] == ["a", "b"]
    opens = comparison["tests"][0]
    assert opens["rate"] == "open_rate"
    assert opens["counts"] == {"a": {"events": 50, "of": 100}, "b": {"events": 30, "of": 100}}
    assert opens["verdict"] == "significant at 95%"
    assert compare(rows[:1], By("tag", "ab-variant")) is None
    assert compare(rows, By("isp")) is None


# --- doctor -----------------------------------------------------------------------------------


def doctor_lines(client: Sesv2, answer: dict[str, Any] | None) -> list[str]:
    """Doctor's reputation lines for this GetMetricData answer (None: access denied)."""
    with Stubber(client.ses) as ses, Stubber(client.cloudwatch) as cw:
        ses.add_response("get_account", {"SendQuota": QUOTA, "SendingEnabled": True}, {})
        asked = {"MetricDataQueries": ANY, "StartTime": ANY, "EndTime": ANY}
        asked["ScanBy"] = "TimestampDescending"
        if answer is None:
            cw.add_client_error("get_metric_data", "AccessDenied", "denied", 403)
        else:
            cw.add_response("get_metric_data", answer, asked)
        found = [check.line() for check in checks(client, [], local=True)]
    return [line for line in found if line[2:].startswith(("bounce rate", "complaint", "reput"))]


def latest(bounce: list[float], complaint: list[float]) -> dict[str, Any]:
    results = [
        {"Id": "r0", "Timestamps": [NOV1] * len(bounce), "Values": bounce},
        {"Id": "r1", "Timestamps": [NOV1] * len(complaint), "Values": complaint},
    ]
    return {"MetricDataResults": results}


def test_doctor_reputation_against_ses_thresholds(client: Sesv2) -> None:
    assert doctor_lines(client, latest([0.049, 0.2], [0.0009])) == [
        "✓ bounce rate: 4.9% (SES reviews at 5%, may pause at 10%)",
        "✓ complaint rate: 0.09% (SES reviews at 0.1%, may pause at 0.5%)",
    ]
    assert doctor_lines(client, latest([0.05], [0.005])) == [
        "! bounce rate: 5% (SES reviews at 5%, may pause at 10%)",
        "✗ complaint rate: 0.5% (SES reviews at 0.1%, may pause at 0.5%)",
    ]
    assert doctor_lines(client, latest([], [])) == [
        "✓ bounce rate: no data yet",
        "✓ complaint rate: no data yet",
    ]


def test_doctor_warns_when_cloudwatch_cannot_be_read(client: Sesv2) -> None:
    (line,) = doctor_lines(client, None)
    assert line.startswith(
        "! reputation: CloudWatch could not be read: access denied: GetMetricData"
    )

"""Everything `sesctl stats` reads from the account: SES's quota, VDM and CloudWatch datapoints.

- **VDM** (SES v2 BatchGetMetricData, ten queries a call): daily sums for the account, or for
  each configuration set, identity or ISP; an error SES reports for one query fails the run.
- **CloudWatch** (namespace AWS/SES, GetMetricData): the counts an event destination publishes
  under a dimension (a message tag), one Sum query per series. CloudWatch tells series apart by
  their full dimension set, so every series carrying the dimension is read and summed by its
  value; when none does, the error gives the destination to add.

Both come back as points (group, figure, period start, value) for figures.tabulate.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..client import Sesv2
from ..errors import SesctlError
from .figures import Point
from .window import BY_KINDS, UNTAGGED, By, Window, floor, timestamp

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
    listed = client.cloudwatch_pages(
        "ListMetrics", "Metrics", Namespace="AWS/SES", Dimensions=[{"Name": tag}]
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
        results = client.cloudwatch_pages(
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

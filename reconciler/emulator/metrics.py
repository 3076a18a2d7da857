"""VDM metrics (BatchGetMetricData) and the account's reputation metrics, counted as SES does.

BatchGetMetricData (SES v2 API reference): 1 to 10 queries, each with an Id, Namespace VDM, a
Metric (SEND, COMPLAINT, PERMANENT_BOUNCE, TRANSIENT_BOUNCE, OPEN, CLICK, DELIVERY,
DELIVERY_OPEN, DELIVERY_CLICK, DELIVERY_COMPLAINT), optional Dimensions (EMAIL_IDENTITY,
CONFIGURATION_SET, ISP; a value or `*`) and a StartDate/EndDate; each result is the query's
Id with Timestamps and Values, sums per day (the VDM dashboard counts by UTC day; daily
granularity is inferred from it). What the model's metric definitions say, the emulator
counts: every metric leaves out messages with more than one recipient; SEND, DELIVERY and the
bounces leave out the mailbox simulator, COMPLAINT its complaints; COMPLAINT and
PERMANENT_BOUNCE leave out what the account-level suppression list stopped; OPEN and CLICK
are unique (one per recipient). DELIVERY_OPEN, DELIVERY_CLICK and DELIVERY_COMPLAINT count the
delivered messages that were opened, clicked or complained about. Metrics are collected only
while VDM is enabled for the account (inferred: the dashboard shows nothing before it is).

Reputation (developer guide, "Reputation metrics messages"): the bounce rate counts hard
bounces only; neither rate counts the mailbox simulator, mail to the account's own verified
identities, or mail the suppression list stopped. SES publishes them to CloudWatch (AWS/SES,
Reputation.BounceRate and Reputation.ComplaintRate, as fractions: "Creating reputation
monitoring alarms using CloudWatch"); the emulator does after every send, bounce and complaint,
over everything sent since the account began (SES uses a "representative volume" it does not
publish).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

from . import events
from .state import Call, Kind, bad_request

METRICS = (
    "SEND",
    "COMPLAINT",
    "PERMANENT_BOUNCE",
    "TRANSIENT_BOUNCE",
    "OPEN",
    "CLICK",
    "DELIVERY",
    "DELIVERY_OPEN",
    "DELIVERY_CLICK",
    "DELIVERY_COMPLAINT",
)
DIMENSIONS = ("EMAIL_IDENTITY", "CONFIGURATION_SET", "ISP")
MAX_QUERIES = 10
VDM, REPUTATION = "vdm", "reputation"


class Counted:
    """Where one message's figures go: its identity, set and recipient's ISP, if VDM counts it."""

    def __init__(self, call: Call, identity: str | None, configuration_set: str | None) -> None:
        self.call, self.identity, self.configuration_set = call, identity, configuration_set
        vdm = call.extras.account.get("VdmAttributes") or {}
        self.enabled = vdm.get("VdmEnabled") == "ENABLED"

    def add(self, metric: str, isp: str | None, moment: datetime | None = None) -> None:
        """Count one under `metric` for the day of `moment` (default: now)."""
        if not self.enabled:
            return
        day = (moment or datetime.now(UTC)).date().isoformat()
        key = "\t".join((metric, self.identity or "", self.configuration_set or "", isp or ""))
        counts = self.call.kept(VDM).setdefault(day, {})
        counts[key] = int(counts.get(key, 0)) + 1


def reputation(call: Call, sends: int = 0, bounces: int = 0, complaints: int = 0) -> None:
    """Add to the account's reputation counts (published by publish_reputation)."""
    counts = call.kept(REPUTATION).setdefault("account", {})
    for name, more in (("sends", sends), ("bounces", bounces), ("complaints", complaints)):
        counts[name] = int(counts.get(name, 0)) + more


def publish_reputation(call: Call) -> None:
    """Publish the account's rates to CloudWatch once the call is answered, when they changed."""
    counts = call.kept(REPUTATION).setdefault("account", {})
    rates = _rates(counts)
    if rates is not None and rates != counts.get("published"):
        counts["published"] = rates
        call.later.append(partial(_put_rates, call.region, counts))


def _rates(counts: dict[str, Any]) -> dict[str, float] | None:
    total = int(counts.get("sends", 0))
    if not total:
        return None
    return {
        "Reputation.BounceRate": int(counts.get("bounces", 0)) / total,
        "Reputation.ComplaintRate": int(counts.get("complaints", 0)) / total,
    }


def _put_rates(region: str, counts: dict[str, Any]) -> None:
    """The rates as the counts stand now, not as they stood when the call was answered:
    calls answered side by side publish in any order, and the last must not be stale."""
    with events.METRICS:
        for name, rate in (_rates(counts) or {}).items():
            events.set_metric(region, name, rate)


def batch_get(call: Call) -> dict[str, Any]:
    queries = call.params.get("Queries") or []
    if not 1 <= len(queries) <= MAX_QUERIES:
        raise bad_request(f"Queries takes 1 to {MAX_QUERIES} queries.")
    return {"Results": [_result(call, q) for q in queries], "Errors": []}


def _result(call: Call, query: dict[str, Any]) -> dict[str, Any]:
    """One query's daily sums, a value for every day from StartDate to EndDate."""
    if query.get("Namespace") != "VDM":
        raise bad_request("Namespace must be VDM.")
    metric = query.get("Metric")
    if metric not in METRICS:
        raise bad_request(f"Metric {metric!r} is not one of {', '.join(METRICS)}.")
    wanted = dict(query.get("Dimensions") or {})
    unknown = sorted(set(wanted) - set(DIMENSIONS))
    if unknown:
        raise bad_request(f"Dimension {unknown[0]} is not one of {', '.join(DIMENSIONS)}.")
    start, end = _day(query["StartDate"]), _day(query["EndDate"])
    if end < start:
        raise bad_request("EndDate must not be before StartDate.")
    kept = call.kept(VDM)
    timestamps, values = [], []
    day = start
    while day <= end:
        counts = kept.get(day.isoformat(), {})
        values.append(sum(int(n) for k, n in counts.items() if _matches(k, metric, wanted)))
        timestamps.append(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        day += timedelta(days=1)
    return {"Id": query["Id"], "Timestamps": timestamps, "Values": values}


def _matches(key: str, metric: str, wanted: dict[str, str]) -> bool:
    name, *values = key.split("\t")
    if name != metric:
        return False
    return all(
        wanted[d] == value or (wanted[d] == "*" and value != "")
        for d, value in zip(DIMENSIONS, values, strict=True)
        if d in wanted
    )


def _day(value: Any) -> date:
    """A request timestamp (epoch seconds, as botocore sends them in JSON) as a UTC date."""
    try:
        return datetime.fromtimestamp(float(value), UTC).date()
    except (TypeError, ValueError, OverflowError):
        raise bad_request(f"Not a timestamp: {value!r}") from None


HANDLERS = {"BatchGetMetricData": batch_get}
KIND = Kind(__name__, HANDLERS)

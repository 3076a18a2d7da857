"""Event publishing: SES's event records, and their delivery to a configuration set's
destinations through moto's SNS, EventBridge, Firehose and CloudWatch in the same server.

The record (developer guide, "Contents of event data that Amazon SES publishes" and "Examples
of event data that Amazon SES publishes"): a top-level `eventType` — Send, Delivery, Bounce,
Complaint, Reject, "Rendering Failure", DeliveryDelay, Open, Click, Subscription — a `mail`
object (timestamp, source, sourceArn, sendingAccountId, messageId, destination,
headersTruncated, headers, commonHeaders, tags), and one object named for the type (`send`,
`delivery`, `bounce`, `complaint`, `reject`, `failure`, `deliveryDelay`, `open`, `click`).
Tags are lists of strings, with SES's automatic ones: ses:configuration-set, ses:source-ip,
ses:from-domain, ses:caller-identity, and ses:outgoing-ip on deliveries ("Monitor email
sending using Amazon SES event publishing"). Events flow only for a message sent with a
configuration set, named in the call or the sender identity's default ("Event publishing";
"Default configuration sets"), to each enabled destination whose MatchingEventTypes hold the
event's type.

Per destination:
- SNS: the record as the notification's Message; the Subject "Amazon SES Email Event
  Notification" is what captured notifications carry (not written in the guide).
- EventBridge, default bus only: source `aws.ses`, detail-type "Email Sent", "Email
  Delivered", "Email Bounced", "Email Complaint Received", "Email Rejected", "Email Rendering
  Failed", "Email Delivery Delayed", "Email Opened", "Email Clicked" (EventBridge's event
  reference for SES), the record as the detail.
- Kinesis Data Firehose: the record followed by a newline ("Contents of event data that Amazon
  SES publishes to Firehose").
- CloudWatch: namespace AWS/SES, one datapoint of 1 (Count) under the event's metric name
  (Send, Delivery, Bounce, Complaint, Reject, Open, Click, RenderingFailure; DeliveryDelay is
  inferred), with exactly the destination's dimensions: the value of the message tag, email
  header or link tag it names, else its default value ("CloudWatchDimensionConfiguration").

Differences: events are published when the call is answered, not seconds later; a destination
SES could not reach (a topic, stream or bus gone) drops the event, as SES would after its
retries, and the emulator logs it; Pinpoint destinations are kept but receive nothing; SES
signs nothing here, and moto writes the SNS envelope with its own formatting.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]

from .mailboxes import bare
from .state import Call

log = logging.getLogger(__name__)

# MatchingEventTypes value → (eventType, the record's member, EventBridge detail-type, metric)
TYPES: dict[str, tuple[str, str, str, str]] = {
    "SEND": ("Send", "send", "Email Sent", "Send"),
    "REJECT": ("Reject", "reject", "Email Rejected", "Reject"),
    "BOUNCE": ("Bounce", "bounce", "Email Bounced", "Bounce"),
    "COMPLAINT": ("Complaint", "complaint", "Email Complaint Received", "Complaint"),
    "DELIVERY": ("Delivery", "delivery", "Email Delivered", "Delivery"),
    "OPEN": ("Open", "open", "Email Opened", "Open"),
    "CLICK": ("Click", "click", "Email Clicked", "Click"),
    "RENDERING_FAILURE": (
        "Rendering Failure",
        "failure",
        "Email Rendering Failed",
        "RenderingFailure",
    ),
    "DELIVERY_DELAY": ("DeliveryDelay", "deliveryDelay", "Email Delivery Delayed", "DeliveryDelay"),
}
SNS_SUBJECT = "Amazon SES Email Event Notification"
NAMESPACE = "AWS/SES"
SOURCE_IP = "127.0.0.1"
OUTGOING_IP = "192.0.2.10"  # a documentation address (RFC 5737): mail goes nowhere
CALLER = "sesctl-emulator"


def now() -> str:
    """A timestamp as SES writes them: ISO 8601 in UTC, with milliseconds."""
    return stamp(datetime.now(UTC))


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sent_at(message_id: str) -> float:
    """When a message was accepted: its id carries the milliseconds (sending._message_id)."""
    try:
        return int(message_id[4:16], 16) / 1000
    except ValueError:
        return 0.0


def feedback_id() -> str:
    return f"0100{uuid.uuid4().hex[:12]}-{uuid.uuid4()}-000000"


class Publisher:
    """One message's events, published to its configuration set's enabled destinations."""

    def __init__(
        self,
        call: Call,
        mail: Callable[[], dict[str, Any]],
        destinations: list[dict[str, Any]],
    ) -> None:
        self.call, self.destinations = call, destinations
        self._mail = mail
        self._made: dict[str, Any] | None = None

    @property
    def mail(self) -> dict[str, Any]:
        """The `mail` member, made once and only when an event is published."""
        if self._made is None:
            self._made = self._mail()
        return self._made

    def __call__(self, kind: str, detail: dict[str, Any], extra_tags: Any = None) -> None:
        """Publish one event of `kind` (a MatchingEventTypes value) to every matching one."""
        chosen = [d for d in self.destinations if kind in d.get("MatchingEventTypes", [])]
        if not chosen:
            return
        event_type, member, _, _ = TYPES[kind]
        mail = self.mail
        if extra_tags:
            mail = {**mail, "tags": {**mail["tags"], **extra_tags}}
        record = {"eventType": event_type, "mail": mail, member: detail}
        for destination in chosen:
            self.call.later.append(_delivery(self.call.region, kind, record, destination))


def mail_object(
    call: Call, message: Any, identity: str | None, subject: str | None
) -> dict[str, Any]:
    """The `mail` member every event of a message carries."""
    sender = message.sender or ""
    recipients = [*message.to, *message.cc, *message.bcc]
    tags: dict[str, list[str]] = {
        "ses:source-ip": [SOURCE_IP],
        "ses:from-domain": [bare(sender).rpartition("@")[2]],
        "ses:caller-identity": [CALLER],
    }
    if message.configuration_set:
        tags["ses:configuration-set"] = [message.configuration_set]
    tags.update({k: [v] for k, v in json.loads(message.tags).items()})
    headers = [{"name": "From", "value": sender}]
    headers += [{"name": "To", "value": ", ".join(message.to)}] if message.to else []
    headers += [{"name": "Subject", "value": subject}] if subject is not None else []
    common: dict[str, Any] = {"from": [sender], "to": list(message.to)}
    common["messageId"] = message.message_id
    if subject is not None:
        common["subject"] = subject
    return {
        "timestamp": stamp(datetime.fromtimestamp(sent_at(message.message_id), UTC)),
        "source": sender,
        "sourceArn": call.arn("identity", identity) if identity else "",
        "sendingAccountId": DEFAULT_ACCOUNT_ID,
        "messageId": message.message_id,
        "destination": recipients,
        "headersTruncated": False,
        "headers": headers,
        "commonHeaders": common,
        "tags": tags,
    }


def _delivery(
    region: str, kind: str, record: dict[str, Any], destination: dict[str, Any]
) -> Callable[[], None]:
    """The action that hands one record to one destination (run outside the server's lock)."""

    def deliver() -> None:
        try:
            _send(region, kind, record, destination)
        except Exception as exc:  # a destination SES cannot reach drops the event
            name = destination.get("Name", "?")
            if (name, str(exc)) not in _WARNED:  # once per destination and cause, not per event
                _WARNED.add((name, str(exc)))
                log.warning("emulator: events to destination %s are dropped: %s", name, exc)

    return deliver


_WARNED: set[tuple[str, str]] = set()
# Datapoints are updated after the calls that caused them are answered, several at once (a
# bulk sender has calls in flight side by side): one at a time, or counts would be lost.
METRICS = threading.Lock()


def _send(region: str, kind: str, record: dict[str, Any], destination: dict[str, Any]) -> None:
    text = json.dumps(record)
    if "SnsDestination" in destination:
        from moto.sns.models import sns_backends

        arn = destination["SnsDestination"]["TopicArn"]
        account, where = _account_region(arn, region)
        sns_backends[account][where].publish(text, arn=arn, subject=SNS_SUBJECT)
    elif "EventBridgeDestination" in destination:
        from moto.events.models import events_backends

        arn = destination["EventBridgeDestination"]["EventBusArn"]
        account, where = _account_region(arn, region)
        entry = {
            "Source": "aws.ses",
            "DetailType": TYPES[kind][2],
            "Detail": text,
            "EventBusName": "default",
            "Resources": [],
        }
        answers = events_backends[account][where].put_events([entry])
        failed = [r for r in answers if "ErrorCode" in r]
        if failed:
            raise RuntimeError(failed[0].get("ErrorMessage", failed[0]["ErrorCode"]))
    elif "KinesisFirehoseDestination" in destination:
        from moto.firehose.models import firehose_backends

        arn = destination["KinesisFirehoseDestination"]["DeliveryStreamArn"]
        account, where = _account_region(arn, region)
        stream = arn.rsplit("/", 1)[-1]
        firehose_backends[account][where].put_record(stream, {"Data": (text + "\n").encode()})
    elif "CloudWatchDestination" in destination:
        _metric(region, kind, record, destination["CloudWatchDestination"])


def _metric(region: str, kind: str, record: dict[str, Any], cloudwatch: dict[str, Any]) -> None:
    """One datapoint under the event's metric name, with the destination's dimensions."""
    dimensions = [
        {"Name": d["DimensionName"], "Value": dimension_value(record, d)}
        for d in cloudwatch.get("DimensionConfigurations") or []
    ]
    count_metric(region, TYPES[kind][3], dimensions)


def count_metric(region: str, name: str, dimensions: list[dict[str, str]]) -> None:
    """One more event in this minute's datapoint of the series: a large send keeps one
    datapoint a minute per series in moto's CloudWatch and in the state file."""
    with METRICS:
        datum = _this_minute(region, name, "Count", dimensions)
        datum.sum += 1.0
        datum.sample_count += 1.0
        datum.min = datum.max = 1.0


def set_metric(region: str, name: str, value: float) -> None:
    """A rate, as this minute's datapoint of a dimensionless series: a later value in the same
    minute replaces the earlier one, as SES publishes one rate a period. Hold METRICS."""
    datum = _this_minute(region, name, "None", [])
    datum.sum = datum.min = datum.max = value
    datum.sample_count = 1.0


def _this_minute(region: str, name: str, unit: str, dimensions: list[dict[str, str]]) -> Any:
    """This minute's datapoint of a series in moto's CloudWatch, made empty on first use
    (CloudWatch keeps standard metrics at one-minute resolution); the index lives on the
    backend, so a reset forgets it with the datapoints."""
    from moto.cloudwatch.models import cloudwatch_backends

    backend = cloudwatch_backends[DEFAULT_ACCOUNT_ID][region]
    minute = datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0)
    key = (name, tuple(sorted((d["Name"], d["Value"]) for d in dimensions)), minute)
    minutes: dict[Any, Any] = backend.__dict__.setdefault("sesctl_minutes", {})
    if key not in minutes:
        empty = {"Sum": 0.0, "Minimum": 0.0, "Maximum": 0.0, "SampleCount": 0.0}
        backend.put_metric_data(
            NAMESPACE,
            [{"MetricName": name, "Unit": unit, "Dimensions": dimensions,
              "Timestamp": minute, "StatisticValues": empty}],
        )  # fmt: skip
        minutes[key] = backend.metric_data[-1]
    return minutes[key]


def dimension_value(record: dict[str, Any], dimension: dict[str, Any]) -> str:
    """The dimension's value for this event: from a message tag, a header or a link tag."""
    name, source = dimension["DimensionName"], dimension.get("DimensionValueSource")
    found: Any = None
    if source == "MESSAGE_TAG":
        found = record["mail"]["tags"].get(name)
    elif source == "EMAIL_HEADER":
        found = [h["value"] for h in record["mail"]["headers"] if h["name"].lower() == name.lower()]
    elif source == "LINK_TAG":
        found = (record.get("click") or {}).get("linkTags", {}).get(name)
    if found:
        return str(found[0])
    return str(dimension.get("DefaultDimensionValue", ""))


def _account_region(arn: str, default_region: str) -> tuple[str, str]:
    """The account and region an ARN names (moto looks a resource up in its own region)."""
    parts = arn.split(":")
    if len(parts) < 6:
        raise ValueError(f"not an ARN: {arn}")
    return parts[4] or DEFAULT_ACCOUNT_ID, parts[3] or default_region

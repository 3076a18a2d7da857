"""After SES accepts a message: the mailbox simulator, ordinary recipients' outcomes, event
records and their destinations, suppression entries, VDM metrics and reputation, as the
developer guide and API reference describe them (sources in delivery.py, events.py,
mailboxes.py and metrics.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.emulator.test_fidelity import SIMPLE, World, emulator, refused, world

__all__ = ["emulator", "world"]  # the fixtures these tests use

ALL_TYPES = [
    "SEND",
    "REJECT",
    "DELIVERY",
    "BOUNCE",
    "COMPLAINT",
    "DELIVERY_DELAY",
    "RENDERING_FAILURE",
    "OPEN",
    "CLICK",
]
# The members each record type carries ("Contents of event data that Amazon SES publishes").
MAIL = {
    "timestamp",
    "source",
    "sourceArn",
    "sendingAccountId",
    "messageId",
    "destination",
    "headersTruncated",
    "headers",
    "commonHeaders",
    "tags",
}
MEMBERS = {
    "Send": ("send", set()),
    "Delivery": (
        "delivery",
        {"timestamp", "processingTimeMillis", "recipients", "smtpResponse", "reportingMTA"},
    ),
    "Bounce": (
        "bounce",
        {"bounceType", "bounceSubType", "bouncedRecipients", "timestamp", "feedbackId"},
    ),
    "Complaint": ("complaint", {"complainedRecipients", "timestamp", "feedbackId"}),
    "DeliveryDelay": (
        "deliveryDelay",
        {"timestamp", "delayType", "expirationTime", "delayedRecipients"},
    ),
    "Rendering Failure": ("failure", {"errorMessage", "templateName"}),
    "Reject": ("reject", {"reason"}),
    "Open": ("open", {"ipAddress", "timestamp", "userAgent"}),
    "Click": ("click", {"ipAddress", "link", "linkTags", "timestamp", "userAgent"}),
}


class Events:
    """A world with a configuration set whose SNS destination feeds an SQS queue."""

    def __init__(self, world: World, types: list[str] = ALL_TYPES) -> None:
        self.world, self.ses = world, world.ses
        self.sns = world._client("sns", None)
        self.sqs = world._client("sqs", None)
        world.verified("example.com")
        topic = self.sns.create_topic(Name="ses-events")["TopicArn"]
        self.queue = self.sqs.create_queue(QueueName="events")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])
        self.sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )
        self.ses.create_configuration_set(ConfigurationSetName="tracked")
        self.destination("to-sns", types, {"SnsDestination": {"TopicArn": topic}})

    def destination(self, name: str, types: list[str], where: dict[str, Any]) -> None:
        self.ses.create_configuration_set_event_destination(
            ConfigurationSetName="tracked",
            EventDestinationName=name,
            EventDestination={"Enabled": True, "MatchingEventTypes": types, **where},
        )

    def send(self, *to: str, tags: dict[str, str] | None = None, **more: Any) -> str:
        answer = self.ses.send_email(
            FromEmailAddress="news@example.com",
            Destination={"ToAddresses": list(to)},
            Content=more.pop("Content", SIMPLE),
            ConfigurationSetName=more.pop("ConfigurationSetName", "tracked"),
            EmailTags=[{"Name": k, "Value": v} for k, v in (tags or {}).items()],
            **more,
        )
        return str(answer["MessageId"])

    def received(self) -> list[dict[str, Any]]:
        """Every record the queue holds, in order (and removed from it)."""
        found = []
        while True:
            answer = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10)
            if not answer.get("Messages"):
                return found
            for message in answer["Messages"]:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])

    def kinds(self) -> list[tuple[str, str]]:
        """(eventType, the recipient it is about) of every record received."""
        return [(r["eventType"], _about(r)) for r in self.received()]

    def outcome(self, outcome: str, *addresses: str) -> None:
        self.world.control("/_sesctl/mailboxes", {"addresses": list(addresses), "outcome": outcome})

    def suppressed(self) -> dict[str, str]:
        summaries = self.ses.list_suppressed_destinations()["SuppressedDestinationSummaries"]
        return {s["EmailAddress"]: s["Reason"] for s in summaries}

    def vdm(self, metric: str, **dimensions: str) -> int:
        now = datetime.now(UTC)
        query: dict[str, Any] = {
            "Id": "q",
            "Namespace": "VDM",
            "Metric": metric,
            "StartDate": now - timedelta(days=1),
            "EndDate": now,
        }
        if dimensions:
            query["Dimensions"] = dimensions
        result = self.ses.batch_get_metric_data(Queries=[query])["Results"][0]
        return int(sum(result["Values"]))

    def enable_vdm(self) -> None:
        self.ses.put_account_vdm_attributes(VdmAttributes={"VdmEnabled": "ENABLED"})

    def engage(self, message_id: str, event: str, **more: Any) -> Any:
        return self.world.control(
            "/_sesctl/engagement", {"message_id": message_id, "event": event, **more}
        )


def _about(record: dict[str, Any]) -> str:
    detail = record[MEMBERS[record["eventType"]][0]]
    for member, key in (
        ("recipients", None),
        ("bouncedRecipients", "emailAddress"),
        ("complainedRecipients", "emailAddress"),
        ("delayedRecipients", "emailAddress"),
    ):
        if member in detail:
            first = detail[member][0]
            return str(first if key is None else first[key])
    return str(record["mail"]["destination"][0])


# The EICAR test file: harmless, and found by every virus scanner, SES's too.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
WITH_EICAR = {
    "Simple": {
        **SIMPLE["Simple"],
        "Attachments": [{"FileName": "eicar.com", "RawContent": EICAR}],
    }
}


@pytest.fixture
def events(world: World) -> Events:
    return Events(world)


SIMULATOR = "@simulator.amazonses.com"


def test_the_mailbox_simulator_answers_as_the_guide_says(events: Events) -> None:
    for local in ("success", "bounce+campaign-7", "ooto", "complaint", "suppressionlist"):
        events.send(local + SIMULATOR)
    records = events.received()
    assert [(r["eventType"], _about(r).split("@")[0]) for r in records] == [
        ("Send", "success"),
        ("Delivery", "success"),
        ("Send", "bounce+campaign-7"),
        ("Bounce", "bounce+campaign-7"),
        ("Send", "ooto"),
        ("Delivery", "ooto"),
        ("Send", "complaint"),
        ("Delivery", "complaint"),
        ("Complaint", "complaint"),
        ("Send", "suppressionlist"),
        ("Bounce", "suppressionlist"),
    ]
    bounces = [r["bounce"] for r in records if r["eventType"] == "Bounce"]
    assert [(b["bounceType"], b["bounceSubType"]) for b in bounces] == [
        ("Permanent", "General"),
        ("Permanent", "Suppressed"),
    ]
    assert bounces[0]["bouncedRecipients"][0]["status"] == "5.1.1"


def test_simulator_traffic_adds_no_suppression_and_counts_in_no_metric(events: Events) -> None:
    events.enable_vdm()
    for local in ("bounce", "complaint", "success"):
        events.send(local + SIMULATOR)
    assert events.suppressed() == {}
    for metric in ("SEND", "DELIVERY", "PERMANENT_BOUNCE", "COMPLAINT"):
        assert events.vdm(metric) == 0, metric
    assert events.ses.get_account()["SendQuota"]["SentLast24Hours"] == 0


def test_ordinary_recipients_bounce_and_complain_as_their_providers_say(events: Events) -> None:
    events.outcome("bounce", "gone@example.net")
    events.outcome("soft_bounce", "full@example.net")
    events.outcome("complaint", "angry@example.net")
    for to in ("ok@example.net", "gone@example.net", "full@example.net", "angry@example.net"):
        events.send(to)
    assert events.kinds() == [
        ("Send", "ok@example.net"),
        ("Delivery", "ok@example.net"),
        ("Send", "gone@example.net"),
        ("Bounce", "gone@example.net"),
        ("Send", "full@example.net"),
        ("DeliveryDelay", "full@example.net"),
        ("Bounce", "full@example.net"),
        ("Send", "angry@example.net"),
        ("Delivery", "angry@example.net"),
        ("Complaint", "angry@example.net"),
    ]
    assert events.suppressed() == {"gone@example.net": "BOUNCE", "angry@example.net": "COMPLAINT"}
    events.outcome("deliver", "gone@example.net")
    events.ses.delete_suppressed_destination(EmailAddress="gone@example.net")
    events.send("gone@example.net")
    assert [k for k, _ in events.kinds()] == ["Send", "Delivery"]


def test_a_configuration_set_override_decides_what_is_suppressed(events: Events) -> None:
    events.outcome("bounce", "gone@example.net")
    events.outcome("complaint", "angry@example.net")
    events.ses.put_configuration_set_suppression_options(
        ConfigurationSetName="tracked", SuppressedReasons=["COMPLAINT"]
    )
    events.send("gone@example.net")
    events.send("angry@example.net")
    assert events.suppressed() == {"angry@example.net": "COMPLAINT"}
    events.ses.put_configuration_set_suppression_options(
        ConfigurationSetName="tracked", SuppressedReasons=[]
    )
    events.outcome("bounce", "other@example.net")
    events.send("other@example.net")
    assert "other@example.net" not in events.suppressed()


def test_a_suppressed_address_is_not_sent_and_counts_only_as_a_send(events: Events) -> None:
    events.enable_vdm()
    events.ses.put_suppressed_destination(EmailAddress="listed@example.net", Reason="BOUNCE")
    events.ses.put_suppressed_destination(EmailAddress="hater@example.net", Reason="COMPLAINT")
    events.send("listed@example.net")
    events.send("hater@example.net")
    records = events.received()
    assert [r["eventType"] for r in records] == ["Send", "Bounce", "Send", "Complaint"]
    assert records[1]["bounce"]["bounceSubType"] == "OnAccountSuppressionList"
    assert records[3]["complaint"]["complaintSubType"] == "OnAccountSuppressionList"
    assert (events.vdm("SEND"), events.vdm("PERMANENT_BOUNCE"), events.vdm("COMPLAINT")) == (
        2,
        0,
        0,
    )
    assert events.ses.get_account()["SendQuota"]["SentLast24Hours"] == 2


def test_every_record_carries_the_documented_members(events: Events) -> None:
    events.outcome("bounce", "gone@example.net")
    events.outcome("soft_bounce", "full@example.net")
    events.outcome("complaint", "angry@example.net")
    events.ses.create_email_template(
        TemplateName="hello",
        TemplateContent={"Subject": "Hi {{name}}", "Text": "Hello {{name}}"},
    )
    delivered = events.send("ok@example.net", tags={"campaign": "nov"})
    for to in ("gone@example.net", "full@example.net", "angry@example.net"):
        events.send(to)
    templated = {"Template": {"TemplateName": "hello", "TemplateData": "{}"}}
    events.send("ok@example.net", Content=templated)
    events.send("ok@example.net", Content=WITH_EICAR)
    events.engage(delivered, "open")
    events.engage(delivered, "click", link="https://example.com/a", link_tags={"cta": "top"})
    records = events.received()
    assert {r["eventType"] for r in records} == set(MEMBERS)
    for record in records:
        member, required = MEMBERS[record["eventType"]]
        assert set(record) == {"eventType", "mail", member}, record
        assert required <= set(record[member]), record
        assert set(record["mail"]) == MAIL
        assert record["mail"]["sendingAccountId"] == "123456789012"
        assert record["mail"]["sourceArn"].endswith(":identity/example.com")
        assert record["mail"]["tags"]["ses:configuration-set"] == ["tracked"]
        assert record["mail"]["timestamp"].endswith("Z")
    first = [r for r in records if r["mail"]["messageId"] == delivered]
    assert [r["eventType"] for r in first] == ["Send", "Delivery", "Open", "Click"]
    assert all(r["mail"]["tags"]["campaign"] == ["nov"] for r in first)
    assert first[3]["click"]["linkTags"] == {"cta": ["top"]}
    failure = next(r for r in records if r["eventType"] == "Rendering Failure")
    assert failure["failure"] == {
        "errorMessage": "Attribute 'name' is not present in the rendering data.",
        "templateName": "hello",
    }


def test_only_enabled_destinations_whose_types_match_receive(events: Events) -> None:
    events.ses.update_configuration_set_event_destination(
        ConfigurationSetName="tracked",
        EventDestinationName="to-sns",
        EventDestination={
            "Enabled": True,
            "MatchingEventTypes": ["BOUNCE"],
            "SnsDestination": events.ses.get_configuration_set_event_destinations(
                ConfigurationSetName="tracked"
            )["EventDestinations"][0]["SnsDestination"],
        },
    )
    events.outcome("bounce", "gone@example.net")
    events.send("ok@example.net")
    events.send("gone@example.net")
    assert events.kinds() == [("Bounce", "gone@example.net")]
    destination = events.ses.get_configuration_set_event_destinations(
        ConfigurationSetName="tracked"
    )["EventDestinations"][0]
    events.ses.update_configuration_set_event_destination(
        ConfigurationSetName="tracked",
        EventDestinationName="to-sns",
        EventDestination={
            **{k: v for k, v in destination.items() if k != "Name"},
            "Enabled": False,
        },
    )
    events.send("gone@example.net")
    assert events.kinds() == []


def test_events_flow_with_the_identity_default_set_and_not_without_a_set(events: Events) -> None:
    events.ses.send_email(
        FromEmailAddress="news@example.com",
        Destination={"ToAddresses": ["ok@example.net"]},
        Content=SIMPLE,
    )
    assert events.kinds() == []
    events.ses.put_email_identity_configuration_set_attributes(
        EmailIdentity="example.com", ConfigurationSetName="tracked"
    )
    events.ses.send_email(
        FromEmailAddress="news@example.com",
        Destination={"ToAddresses": ["ok@example.net"]},
        Content=SIMPLE,
    )
    assert [k for k, _ in events.kinds()] == ["Send", "Delivery"]


def test_eventbridge_gets_ses_detail_types_on_the_default_bus(events: Events) -> None:
    bridge = events.world._client("events", None)
    queue = events.sqs.create_queue(QueueName="bridge")["QueueUrl"]
    arn = events.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    bridge.put_rule(Name="ses", EventPattern=json.dumps({"source": ["aws.ses"]}))
    bridge.put_targets(Rule="ses", Targets=[{"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}])
    bus = "arn:aws:events:us-east-1:123456789012:event-bus/default"
    events.destination("to-bus", ["SEND", "DELIVERY", "BOUNCE"], {
        "EventBridgeDestination": {"EventBusArn": bus}
    })  # fmt: skip
    events.outcome("bounce", "gone@example.net")
    events.send("ok@example.net")
    events.send("gone@example.net")
    bodies = [
        json.loads(m["Body"])
        for m in events.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    ]
    assert [(b["source"], b["detail-type"]) for b in bodies] == [
        ("aws.ses", "Email Sent"),
        ("aws.ses", "Email Delivered"),
        ("aws.ses", "Email Sent"),
        ("aws.ses", "Email Bounced"),
    ]
    assert bodies[3]["detail"]["bounce"]["bounceType"] == "Permanent"


def test_firehose_records_end_with_a_newline(events: Events) -> None:
    firehose = events.world._client("firehose", None)
    s3 = events.world._client("s3", None)
    s3.create_bucket(Bucket="ses-events")
    stream = firehose.create_delivery_stream(
        DeliveryStreamName="ses",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "BucketARN": "arn:aws:s3:::ses-events",
        },
    )["DeliveryStreamARN"]
    role = "arn:aws:iam::123456789012:role/ses-firehose"
    events.destination("to-firehose", ["SEND"], {
        "KinesisFirehoseDestination": {"DeliveryStreamArn": stream, "IamRoleArn": role}
    })  # fmt: skip
    sent = events.send("ok@example.net")
    objects = s3.list_objects_v2(Bucket="ses-events")["Contents"]
    body = s3.get_object(Bucket="ses-events", Key=objects[0]["Key"])["Body"].read().decode()
    assert body.endswith("\n")
    assert json.loads(body)["mail"]["messageId"] == sent


def test_cloudwatch_gets_a_datapoint_per_event_with_the_destination_dimensions(
    events: Events,
) -> None:
    cloudwatch = events.world._client("cloudwatch", None)
    dimensions = [
        {"DimensionName": "campaign", "DimensionValueSource": "MESSAGE_TAG",
         "DefaultDimensionValue": "none"},
        {"DimensionName": "cta", "DimensionValueSource": "LINK_TAG",
         "DefaultDimensionValue": "no-link"},
    ]  # fmt: skip
    events.destination("to-cloudwatch", ["SEND", "CLICK"], {
        "CloudWatchDestination": {"DimensionConfigurations": dimensions}
    })  # fmt: skip
    tagged = events.send("a@example.net", tags={"campaign": "nov"})
    events.send("b@example.net")
    events.engage(tagged, "click", link="https://example.com", link_tags={"cta": "top"})
    listed = cloudwatch.list_metrics(Namespace="AWS/SES")["Metrics"]
    series = {
        (m["MetricName"], tuple((d["Name"], d["Value"]) for d in m["Dimensions"]))
        for m in listed
        if m["Dimensions"]
    }
    assert series == {
        ("Send", (("campaign", "nov"), ("cta", "no-link"))),
        ("Send", (("campaign", "none"), ("cta", "no-link"))),
        ("Click", (("campaign", "nov"), ("cta", "top"))),
    }


def test_vdm_counts_as_the_model_defines(events: Events) -> None:
    events.outcome("bounce", "gone@gmail.com")
    events.send("before@example.net")  # VDM off: not counted
    events.enable_vdm()
    events.outcome("soft_bounce", "full@example.net")
    opened = events.send("ok@gmail.com")
    events.send("gone@gmail.com")
    events.send("full@example.net")
    events.send("one@example.net", "two@example.net")  # two recipients: not counted
    events.send("success" + SIMULATOR)
    events.engage(opened, "open")
    events.engage(opened, "open")  # unique: counted once
    assert events.vdm("SEND") == 3
    assert events.vdm("DELIVERY") == 1
    assert events.vdm("PERMANENT_BOUNCE") == 1
    assert events.vdm("TRANSIENT_BOUNCE") == 1
    assert events.vdm("OPEN") == 1
    assert events.vdm("DELIVERY_OPEN") == 1
    assert events.vdm("SEND", ISP="Gmail") == 2
    assert events.vdm("SEND", CONFIGURATION_SET="tracked") == 3
    assert events.vdm("SEND", CONFIGURATION_SET="other") == 0
    assert events.vdm("SEND", EMAIL_IDENTITY="example.com") == 3


def test_batch_get_metric_data_refuses_what_the_model_refuses(events: Events) -> None:
    now = datetime.now(UTC)
    query = {"Id": "q", "Namespace": "VDM", "Metric": "SEND", "StartDate": now, "EndDate": now}
    assert refused(lambda: events.ses.batch_get_metric_data(Queries=[query] * 11))[:2] == (
        400,
        "BadRequestException",
    )
    answer = events.ses.batch_get_metric_data(Queries=[query])
    assert answer["Results"] == [{"Id": "q", "Timestamps": [answer["Results"][0]["Timestamps"][0]],
                                  "Values": [0]}]  # fmt: skip
    assert answer["Errors"] == []


def test_opens_count_only_for_tracked_delivered_messages(events: Events) -> None:
    events.outcome("bounce", "gone@example.net")
    bounced = events.send("gone@example.net")
    request = {"message_id": bounced, "event": "open"}
    status = _status(events, "/_sesctl/engagement", request)
    assert status == 409
    events.ses.create_configuration_set(ConfigurationSetName="quiet")
    untracked = events.send("ok@example.net", ConfigurationSetName="quiet")
    assert events.engage(untracked, "open") == {"tracked": False}


def _status(events: Events, path: str, body: dict[str, Any]) -> int:
    import urllib.error

    try:
        events.world.control(path, body)
    except urllib.error.HTTPError as error:
        return error.code
    return 200


def test_reputation_rates_reach_cloudwatch_without_simulator_or_own_identities(
    events: Events,
) -> None:
    cloudwatch = events.world._client("cloudwatch", None)
    events.outcome("bounce", "gone@example.net")
    events.outcome("complaint", "angry@example.net")
    for to in ("gone@example.net", "angry@example.net", "a@example.net", "b@example.net"):
        events.send(to)
    events.send("bounce" + SIMULATOR)
    events.send("news@example.com")  # the account's own verified domain: not counted
    minute = datetime.now(UTC).replace(second=0, microsecond=0)  # buckets on whole minutes
    latest = {}
    for name in ("Reputation.BounceRate", "Reputation.ComplaintRate"):
        answer = cloudwatch.get_metric_data(
            MetricDataQueries=[{
                "Id": "r",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/SES", "MetricName": name},
                    "Period": 60,
                    "Stat": "Average",
                },
            }],
            StartTime=minute - timedelta(minutes=4),
            EndTime=minute + timedelta(minutes=2),
            ScanBy="TimestampDescending",
        )  # fmt: skip
        latest[name] = answer["MetricDataResults"][0]["Values"][0]
    assert latest == {"Reputation.BounceRate": 0.25, "Reputation.ComplaintRate": 0.25}


def test_a_message_carrying_a_virus_is_rejected_and_still_counts_against_the_quota(
    events: Events,
) -> None:
    clean = {"Simple": {**SIMPLE["Simple"], "Attachments": [
        {"FileName": "a.txt", "RawContent": b"hello"}]}}  # fmt: skip
    events.send("ok@example.net", Content=clean)
    rejected = events.send("ok@example.net", Content=WITH_EICAR)
    records = events.received()
    assert [(r["eventType"], r["mail"]["messageId"] == rejected) for r in records] == [
        ("Send", False),
        ("Delivery", False),
        ("Send", True),
        ("Reject", True),
    ]
    assert records[3]["reject"] == {"reason": "Bad content"}
    assert events.ses.get_account()["SendQuota"]["SentLast24Hours"] == 2
    assert _status(events, "/_sesctl/engagement", {"message_id": rejected, "event": "open"}) == 409


def test_events_of_a_minute_sum_into_one_datapoint_a_series_and_survive_a_restart(
    events: Events,
) -> None:
    from reconciler.emulator import persist

    campaign = {
        "DimensionName": "campaign",
        "DimensionValueSource": "MESSAGE_TAG",
        "DefaultDimensionValue": "none",
    }
    events.destination(
        "to-cloudwatch",
        ["SEND"],
        {"CloudWatchDestination": {"DimensionConfigurations": [campaign]}},
    )
    for i in range(5):
        events.send(f"r{i}@example.net", tags={"campaign": "nov"})
    rows = _send_rows(persist.snapshot())
    assert sum(row[1] for row in rows) == 5
    assert len({(row[0], row[4] // 60) for row in rows}) == len(rows)  # one a minute
    document = json.loads(persist.dumps())
    persist.restore(document)
    assert sum(row[1] for row in _send_rows(persist.snapshot())) == 5
    assert _sum_of_sends(events) == 5


def _send_rows(document: dict[str, Any]) -> list[list[Any]]:
    region = document["accounts"]["123456789012"]["us-east-1"]
    return [row for row in region["cloudwatch"] if row[0] == "Send"]


def _sum_of_sends(events: Events) -> float:
    cloudwatch = events.world._client("cloudwatch", None)
    now = datetime.now(UTC)
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[{"Id": "s", "MetricStat": {"Metric": {
            "Namespace": "AWS/SES", "MetricName": "Send",
            "Dimensions": [{"Name": "campaign", "Value": "nov"}]},
            "Period": 86400, "Stat": "Sum"}}],
        StartTime=now - timedelta(days=1), EndTime=now + timedelta(minutes=5),
    )  # fmt: skip
    return float(sum(answer["MetricDataResults"][0]["Values"]))


def test_rates_published_out_of_order_end_with_the_latest(world: World) -> None:
    """Calls answered side by side publish after their answers, in any order: the rates the
    last publish writes are the counts as they stand, never an earlier call's."""
    from reconciler.emulator import metrics
    from reconciler.emulator.state import Call

    first, second = Call("SendEmail", "us-east-1", {}), Call("SendEmail", "us-east-1", {})
    metrics.reputation(first, sends=1, bounces=1)
    metrics.publish_reputation(first)
    metrics.reputation(second, sends=3)
    metrics.publish_reputation(second)
    for action in [*second.later, *first.later]:  # the first call's publish lands last
        action()
    rates = {name: _latest(world, name) for name in ("Reputation.BounceRate",)}
    assert rates == {"Reputation.BounceRate": 0.25}


def _latest(world: World, name: str) -> float:
    cloudwatch = world._client("cloudwatch", None)
    minute = datetime.now(UTC).replace(second=0, microsecond=0)
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[{"Id": "r", "MetricStat": {"Metric": {
            "Namespace": "AWS/SES", "MetricName": name}, "Period": 60, "Stat": "Average"}}],
        StartTime=minute - timedelta(minutes=5), EndTime=minute + timedelta(minutes=2),
        ScanBy="TimestampDescending",
    )  # fmt: skip
    return float(answer["MetricDataResults"][0]["Values"][0])

"""After sending, end to end: a set publishing to SNS (a queue subscribed), EventBridge and
CloudWatch; an A/B send-bulk to ordinary recipients — some bouncing, one complaining — and to
the mailbox simulator; opens and clicks; then what the queue holds, what the suppression list
holds, and what `sesctl stats` counts, as SES counts each."""

from __future__ import annotations

import collections
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from reconciler.variants import Split

from .conftest import Env

TOPIC = "arn:aws:sns:us-east-1:123456789012:ses-events"
BUS = "arn:aws:events:us-east-1:123456789012:event-bus/default"
CONFIG = f"""\
version: 1
stack: campaigns
region: us-east-1
account:
  suppression_attributes: {{suppressed_reasons: [BOUNCE, COMPLAINT]}}
  vdm_attributes: {{vdm_enabled: ENABLED, dashboard_attributes: {{engagement_metrics: ENABLED}}}}
configuration_sets:
  campaigns:
    event_destinations:
      to-sns:
        enabled: true
        matching_event_types: [SEND, DELIVERY, BOUNCE, COMPLAINT, OPEN, CLICK]
        sns_destination: {{topic_arn: "{TOPIC}"}}
      to-bus:
        enabled: true
        matching_event_types: [BOUNCE, COMPLAINT]
        event_bridge_destination: {{event_bus_arn: "{BUS}"}}
      metrics:
        enabled: true
        matching_event_types: [SEND, DELIVERY, BOUNCE, COMPLAINT, OPEN, CLICK]
        cloud_watch_destination:
          dimension_configurations:
            - {{dimension_name: ab-variant, dimension_value_source: MESSAGE_TAG,
                default_dimension_value: none}}
identities:
  example.com: {{configuration_set_name: campaigns}}
templates:
  welcome-a: {{subject: "Welcome {{{{name}}}}", text: "Hi {{{{name}}}}"}}
  welcome-b: {{subject: "Ready, {{{{name}}}}?", text: "Hello {{{{name}}}}"}}
"""
DELIVERED = [f"reader{i}@example.net" for i in range(12)]
BOUNCING = ["gone1@example.net", "gone2@example.net"]
COMPLAINING = ["angry@example.net"]
SIMULATOR = [f"{n}@simulator.amazonses.com" for n in ("success", "bounce", "complaint")]
EVERYONE = DELIVERED + BOUNCING + COMPLAINING + SIMULATOR
SPLIT = Split.of(["welcome-a", "welcome-b"])


class Aws:
    """Clients of the other services on the emulator's server."""

    def __init__(self, url: str) -> None:
        def client(service: str) -> Any:
            return boto3.client(service, endpoint_url=url, region_name="us-east-1")

        self.sns, self.sqs, self.events = client("sns"), client("sqs"), client("events")

    def queue(self, name: str) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        found = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return url, found["Attributes"]["QueueArn"]

    def drain(self, url: str) -> list[dict[str, Any]]:
        bodies = []
        while messages := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages"
        ):
            for message in messages:
                bodies.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return bodies


@pytest.fixture
def sent(env: Env) -> dict[str, Any]:
    """The whole flow up to the sending, and what it produced."""
    aws = Aws(env.url)
    topic = aws.sns.create_topic(Name="ses-events")["TopicArn"]
    sns_queue, sns_queue_arn = aws.queue("ses-events")
    aws.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sns_queue_arn)
    bus_queue, bus_queue_arn = aws.queue("bus-events")
    aws.events.put_rule(Name="ses", EventPattern=json.dumps({"source": ["aws.ses"]}))
    aws.events.put_targets(Rule="ses", Targets=[{"Id": "q", "Arn": bus_queue_arn}])
    config = env.write(CONFIG)
    assert env.sesctl("apply", config, "--auto-approve").exit_code == 0
    env.control("POST", "/_sesctl/verify", {"identities": ["example.com"]})
    env.control("POST", "/_sesctl/send-quota", {"max_send_rate": 5000})
    for outcome, addresses in (("bounce", BOUNCING), ("complaint", COMPLAINING)):
        simulated = env.sesctl("simulate", "mailbox", "--outcome", outcome, *addresses)
        assert simulated.exit_code == 0, simulated.output
    recipients = env.tmp / "people.csv"
    recipients.write_text("email,name\n" + "".join(f"{a},N{i}\n" for i, a in enumerate(EVERYONE)))
    results = env.tmp / "sent.jsonl"
    bulk = env.sesctl(
        "send-bulk", "--from", "news@example.com", "--recipients", str(recipients),
        "--template", "welcome-a", "--template", "welcome-b", "--rate", "1000",
        "--results", str(results),
    )  # fmt: skip
    assert bulk.exit_code == 0, bulk.output
    day = datetime.now(UTC).date().isoformat()
    ids = {r["email"]: r["message_id"] for r in map(json.loads, results.read_text().splitlines())}
    opened, clicked = DELIVERED[:6], DELIVERED[:2]
    for address in opened:
        assert env.sesctl("simulate", "open", ids[address]).exit_code == 0
    env.sesctl("simulate", "open", ids[opened[0]])  # a second open: unique in VDM
    for address in clicked:
        click = env.sesctl("simulate", "click", ids[address], "--link", "https://example.com/go")
        assert click.exit_code == 0, click.output
    return {
        "aws": aws,
        "sns_queue": sns_queue,
        "bus_queue": bus_queue,
        "opened": opened,
        "clicked": clicked,
        "ids": ids,
        "config": config,
        "day": day,
    }


def variant(address: str) -> str:
    return SPLIT.choose(address)


def test_the_queue_holds_every_event_in_ses_format_with_its_tags(
    env: Env, sent: dict[str, Any]
) -> None:
    aws: Aws = sent["aws"]
    envelopes = aws.drain(sent["sns_queue"])
    assert {e["Type"] for e in envelopes} == {"Notification"}
    records = [json.loads(e["Message"]) for e in envelopes]
    kinds = collections.Counter(r["eventType"] for r in records)
    delivered = len(DELIVERED) + len(COMPLAINING) + 2  # success@ and complaint@ are delivered
    assert kinds == {
        "Send": len(EVERYONE),
        "Delivery": delivered,
        "Bounce": len(BOUNCING) + 1,  # bounce@
        "Complaint": len(COMPLAINING) + 1,  # complaint@
        "Open": len(sent["opened"]) + 1,  # every open is an event, the repeated one too
        "Click": len(sent["clicked"]),
    }
    for record in records:
        to = record["mail"]["destination"][0]
        assert record["mail"]["tags"]["ab-variant"] == [variant(to)], record
        assert record["mail"]["tags"]["ses:configuration-set"] == ["campaigns"]
        assert record["mail"]["messageId"] == sent["ids"][to]
    bus = aws.drain(sent["bus_queue"])
    assert collections.Counter(b["detail-type"] for b in bus) == {
        "Email Bounced": len(BOUNCING) + 1,
        "Email Complaint Received": len(COMPLAINING) + 1,
    }


def test_ordinary_hard_bounces_and_complaints_are_suppressed_the_simulator_is_not(
    env: Env, sent: dict[str, Any]
) -> None:
    entries = env.ses().list_suppressed_destinations()["SuppressedDestinationSummaries"]
    assert {e["EmailAddress"]: e["Reason"] for e in entries} == {
        **dict.fromkeys(BOUNCING, "BOUNCE"),
        **dict.fromkeys(COMPLAINING, "COMPLAINT"),
    }


def stats(env: Env, *args: str) -> tuple[int, Any, str]:
    result = env.sesctl("stats", "--format", "json", *args)
    return result.exit_code, json.loads(result.stdout) if result.stdout else None, result.stderr


def test_stats_count_the_account_as_ses_does(env: Env, sent: dict[str, Any]) -> None:
    code, document, _ = stats(env, "--since", "1d")
    assert code == 0
    ordinary = len(DELIVERED) + len(BOUNCING) + len(COMPLAINING)
    (total,) = document["totals"]
    counts = {k: total[k] for k in ("sends", "deliveries", "hard_bounces", "complaints")}
    assert counts == {
        "sends": ordinary,  # the simulator is left out
        "deliveries": len(DELIVERED) + len(COMPLAINING),
        "hard_bounces": len(BOUNCING),
        "complaints": len(COMPLAINING),
    }
    assert (total["opens"], total["clicks"]) == (len(sent["opened"]), len(sent["clicked"]))
    assert total["bounce_rate"] == pytest.approx(len(BOUNCING) / ordinary)
    assert total["complaint_rate"] == pytest.approx(len(COMPLAINING) / ordinary)
    days = [r for r in document["rows"] if r["sends"]]
    assert [(r["start"][:10], r["sends"]) for r in days] == [(sent["day"], ordinary)]
    assert document["quota"]["sent_last_24_hours"] == ordinary


def test_stats_compare_the_variants_from_what_cloudwatch_received(
    env: Env, sent: dict[str, Any]
) -> None:
    code, document, _ = stats(env, "--since", "1d", "--by", "tag:ab-variant")
    assert code == 0
    totals = {t["group"]: t for t in document["totals"]}
    for name in SPLIT.names:
        mine = [a for a in EVERYONE if variant(a) == name]
        delivered = [a for a in mine if a in DELIVERED + COMPLAINING or "success" in a]
        delivered += [a for a in mine if a.startswith("complaint@")]
        expected = {
            "sends": len(mine),  # CloudWatch counts the events SES publishes, simulator too
            "deliveries": len(delivered),
            "bounces": len([a for a in mine if a in BOUNCING or a.startswith("bounce@")]),
            "complaints": len([a for a in mine if a in COMPLAINING or a.startswith("complaint@")]),
            "opens": len([a for a in sent["opened"] if variant(a) == name])
            + (variant(sent["opened"][0]) == name),
            "clicks": len([a for a in sent["clicked"] if variant(a) == name]),
        }
        assert {k: totals[name][k] for k in expected} == expected, name
        days = [r for r in document["rows"] if r["group"] == name]
        assert [(r["start"][:10], r["sends"]) for r in days] == [(sent["day"], len(mine))]
    comparison = document["comparison"]
    assert comparison["tested"] == list(SPLIT.names)
    assert {t["verdict"] for t in comparison["tests"]} <= {
        "significant at 95%",
        "not significant",
        "not enough data yet",
    }


def test_fail_on_exits_2_past_the_bounce_threshold_and_0_below_it(
    env: Env, sent: dict[str, Any]
) -> None:
    code, document, err = stats(env, "--since", "1d", "--fail-on", "bounce_rate>5%")
    assert code == 2
    assert "bounce_rate" in err
    assert [a["figure"] for a in document["alerts"]] == ["bounce_rate"]
    code, document, _ = stats(env, "--since", "1d", "--fail-on", "bounce_rate>20%")
    assert code == 0
    assert document["alerts"] == []


def test_the_config_still_plans_clean_after_sending(env: Env, sent: dict[str, Any]) -> None:
    result = env.sesctl("plan", sent["config"], "--detailed-exitcode")
    assert result.exit_code == 0, result.output


def test_doctor_judges_the_rates_ses_published_a_moment_ago(env: Env, sent: dict[str, Any]) -> None:
    result = env.sesctl("doctor")
    ordinary = len(DELIVERED) + len(BOUNCING) + len(COMPLAINING)
    lines = result.stdout.splitlines()
    bounce = f"{len(BOUNCING) / ordinary:.2%}".replace(".00%", "%")
    assert any(line.startswith(f"✗ bounce rate: {bounce} ") for line in lines), lines
    assert any(line.startswith("✗ complaint rate: ") for line in lines), lines
    assert result.exit_code == 1

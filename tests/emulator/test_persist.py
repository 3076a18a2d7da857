"""Emulator state survives a restart whole, as JSON; a state file is data and never code.

The round trip fills an emulator over HTTP with every kind of state the handlers keep, stops
it with a state file, forgets everything, starts a new emulator on the file and compares every
Get and List answer as it came on the wire (the JSON bodies: request IDs travel in headers).
"""

from __future__ import annotations

import copy
import json
import os
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.core.base_backend import BackendDict
from moto.ses.models import ses_backends

from reconciler.emulator import Emulator, persist
from reconciler.emulator.persist import FORMAT, VERSION, StateError
from reconciler.errors import SesctlError
from tests.e2e.test_emulator_command import hostile_pickle
from tests.keys import byodkim_key

OTHER_REGION = "eu-west-1"


class Wire:
    """boto3 clients on one emulator that keep each call's raw JSON answer."""

    def __init__(self, url: str, region: str = "us-east-1") -> None:
        self.url, self.region = url, region
        self.last: Any = None
        keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        self.ses = boto3.client("sesv2", endpoint_url=url, region_name=region, **keys)
        self.tagging = boto3.client(
            "resourcegroupstaggingapi", endpoint_url=url, region_name=region, **keys
        )
        for client in (self.ses, self.tagging):
            client.meta.events.register("after-call", self._keep)

    def _keep(self, http_response: Any, **_: Any) -> None:
        self.last = json.loads(http_response.content or b"{}")

    def raw(self, operation: str, **params: Any) -> Any:
        """Call an SES v2 operation (snake_case name); its answer as it came on the wire."""
        getattr(self.ses, operation)(**params)
        return self.last

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps({"region": self.region, **(body or {})}).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")


@pytest.fixture
def fresh() -> Iterator[None]:
    """moto's backends are the process's: each test starts and ends with none."""
    BackendDict.reset()
    yield
    BackendDict.reset()


def fill(wire: Wire) -> None:
    """Every kind of state the handlers keep, through the API and the control endpoints."""
    ses = wire.ses
    tags = [{"Key": "team", "Value": "mail"}, {"Key": "stack", "Value": "prod"}]
    ses.create_dedicated_ip_pool(PoolName="pool-a", Tags=tags)
    ses.create_dedicated_ip_pool(PoolName="pool-m", ScalingMode="STANDARD")
    ses.put_dedicated_ip_pool_scaling_attributes(PoolName="pool-m", ScalingMode="MANAGED")
    wire.control("POST", "/_sesctl/dedicated-ips", {"ips": ["192.0.2.1", "192.0.2.2"]})
    ses.put_dedicated_ip_in_pool(Ip="192.0.2.1", DestinationPoolName="pool-a")
    ses.put_dedicated_ip_warmup_attributes(Ip="192.0.2.2", WarmupPercentage=100)

    ses.create_configuration_set(ConfigurationSetName="plain")
    ses.create_email_identity(EmailIdentity="example.com", Tags=tags)
    ses.create_email_identity(EmailIdentity="track.example.com")
    ses.create_email_identity(EmailIdentity="sender@example.org", ConfigurationSetName="plain")
    ses.create_email_identity(
        EmailIdentity="byo.example.net",
        DkimSigningAttributes={
            "DomainSigningSelector": "sel1",
            "DomainSigningPrivateKey": byodkim_key(),
        },
    )
    ses.create_email_identity(
        EmailIdentity="broken.example.net",
        DkimSigningAttributes={"DomainSigningSelector": "s", "DomainSigningPrivateKey": "AAAA"},
    )
    wire.control(
        "POST",
        "/_sesctl/verify",
        {"identities": ["example.com", "track.example.com", "broken.example.net"]},
    )
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    ses.create_email_identity_policy(EmailIdentity="example.com", PolicyName="p1", Policy=policy)
    ses.create_email_identity_policy(EmailIdentity="example.com", PolicyName="p2", Policy=policy)
    ses.put_email_identity_mail_from_attributes(
        EmailIdentity="example.com",
        MailFromDomain="bounce.example.com",
        BehaviorOnMxFailure="REJECT_MESSAGE",
    )
    ses.put_email_identity_feedback_attributes(
        EmailIdentity="example.com", EmailForwardingEnabled=False
    )
    ses.put_email_identity_dkim_attributes(EmailIdentity="byo.example.net", SigningEnabled=False)
    ses.put_email_identity_dkim_signing_attributes(
        EmailIdentity="track.example.com",
        SigningAttributesOrigin="AWS_SES",
        SigningAttributes={"NextSigningKeyLength": "RSA_1024_BIT"},
    )

    ses.create_configuration_set(
        ConfigurationSetName="full",
        TrackingOptions={"CustomRedirectDomain": "track.example.com", "HttpsPolicy": "REQUIRE"},
        DeliveryOptions={
            "TlsPolicy": "REQUIRE",
            "SendingPoolName": "pool-a",
            "MaxDeliverySeconds": 600,
        },
        ReputationOptions={"ReputationMetricsEnabled": True},
        SendingOptions={"SendingEnabled": True},
        SuppressionOptions={"SuppressedReasons": ["BOUNCE"]},
        VdmOptions={
            "DashboardOptions": {"EngagementMetrics": "ENABLED"},
            "GuardianOptions": {"OptimizedSharedDelivery": "DISABLED"},
        },
        ArchivingOptions={"ArchiveArn": "arn:aws:ses:us-east-1:123456789012:mailmanager-archive/a"},
        Tags=tags,
    )
    ses.put_configuration_set_sending_options(ConfigurationSetName="plain", SendingEnabled=False)
    ses.put_email_identity_configuration_set_attributes(
        EmailIdentity="example.com", ConfigurationSetName="full"
    )
    destinations: dict[str, dict[str, Any]] = {
        "sns": {"SnsDestination": {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t"}},
        "cw": {
            "CloudWatchDestination": {
                "DimensionConfigurations": [
                    {
                        "DimensionName": "d",
                        "DimensionValueSource": "MESSAGE_TAG",
                        "DefaultDimensionValue": "x",
                    }
                ]
            }
        },
        "bus": {
            "EventBridgeDestination": {
                "EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/default"
            }
        },
        "hose": {
            "KinesisFirehoseDestination": {
                "IamRoleArn": "arn:aws:iam::123456789012:role/r",
                "DeliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
            }
        },
        "pin": {"PinpointDestination": {"ApplicationArn": "arn:aws:mobiletargeting:::apps/a"}},
    }
    for name, definition in destinations.items():
        ses.create_configuration_set_event_destination(
            ConfigurationSetName="full",
            EventDestinationName=name,
            EventDestination={**definition, "MatchingEventTypes": ["BOUNCE", "SEND"]},
        )
    ses.update_configuration_set_event_destination(
        ConfigurationSetName="full",
        EventDestinationName="sns",
        EventDestination={**destinations["sns"], "MatchingEventTypes": ["SEND"], "Enabled": True},
    )

    topic = {"TopicName": "news", "DisplayName": "News", "DefaultSubscriptionStatus": "OPT_IN"}
    ses.create_contact_list(ContactListName="readers", Topics=[topic], Tags=tags)
    ses.update_contact_list(
        ContactListName="readers",
        Topics=[topic, {**topic, "TopicName": "offers", "DefaultSubscriptionStatus": "OPT_OUT"}],
        Description="Everyone who reads",
    )
    out = [{"TopicName": "offers", "SubscriptionStatus": "OPT_IN"}]
    ses.create_contact(
        ContactListName="readers", EmailAddress="ada@example.net", UnsubscribeAll=True
    )
    ses.create_contact(
        ContactListName="readers",
        EmailAddress="bob@example.net",
        TopicPreferences=out,
        AttributesData='{"plan": "pro"}',
    )

    ses.create_email_template(
        TemplateName="welcome",
        TemplateContent={"Subject": "Hi {{name}}", "Text": "Hello {{name}}", "Html": "<p>Hi</p>"},
        Tags=tags,
    )
    ses.create_email_template(TemplateName="bye", TemplateContent={"Subject": "Bye"})
    ses.update_email_template(TemplateName="bye", TemplateContent={"Subject": "Bye {{name}}"})

    ses.put_suppressed_destination(EmailAddress="gone@example.net", Reason="BOUNCE")
    ses.put_suppressed_destination(EmailAddress="angry@example.net", Reason="COMPLAINT")
    entries = {f"user{i}@example.net": "BOUNCE" for i in range(1500)}
    wire.control("POST", "/_sesctl/suppressions", {"entries": entries})

    ses.put_account_sending_attributes(SendingEnabled=True)
    ses.put_account_suppression_attributes(SuppressedReasons=["COMPLAINT"])
    ses.put_account_vdm_attributes(
        VdmAttributes={
            "VdmEnabled": "ENABLED",
            "DashboardAttributes": {"EngagementMetrics": "ENABLED"},
        }
    )
    ses.put_account_dedicated_ip_warmup_attributes(AutoWarmupEnabled=True)
    ses.put_account_details(
        MailType="TRANSACTIONAL",
        WebsiteURL="https://example.com",
        ContactLanguage="EN",
        UseCaseDescription="receipts",
        AdditionalContactEmailAddresses=["ops@example.com"],
    )
    wire.control("POST", "/_sesctl/send-quota", {"max_send_rate": 1000})

    arn = "arn:aws:ses:us-east-1:123456789012:template/bye"
    ses.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": ""}])
    ses.untag_resource(ResourceArn=arn, TagKeys=["a"])

    ses.send_email(
        FromEmailAddress="Me <me@example.com>",
        Destination={"ToAddresses": ["a@example.net"], "CcAddresses": ["b@example.net"]},
        Content={
            "Simple": {
                "Subject": {"Data": "Plain"},
                "Body": {"Text": {"Data": "text"}},
                "Attachments": [{"FileName": "a.txt", "RawContent": b"hi"}],
            }
        },
        ConfigurationSetName="full",
    )
    ses.send_email(
        FromEmailAddress="me@example.com",
        Destination={"BccAddresses": ["c@example.net"]},
        Content={"Template": {"TemplateName": "welcome", "TemplateData": '{"name": "Ann"}'}},
    )
    ses.send_email(
        FromEmailAddress="me@example.com",
        Destination={"ToAddresses": ["d@example.net"]},
        Content={"Template": {"TemplateName": "welcome", "TemplateData": "{}"}},
    )  # a rendering failure: kept, not delivered
    ses.send_bulk_email(
        FromEmailAddress="me@example.com",
        DefaultContent={"Template": {"TemplateName": "bye", "TemplateData": '{"name": "x"}'}},
        BulkEmailEntries=[
            {"Destination": {"ToAddresses": ["e@example.net"]}},
            {
                "Destination": {"ToAddresses": ["f@example.net"]},
                "ReplacementEmailContent": {
                    "ReplacementTemplate": {"ReplacementTemplateData": '{"name": "F"}'}
                },
            },
        ],
    )

    ses.create_custom_verification_email_template(
        TemplateName="verify",
        FromEmailAddress="hello@example.com",
        TemplateSubject="Confirm",
        TemplateContent="<p>Hello</p>",
        SuccessRedirectionURL="https://example.com/ok",
        FailureRedirectionURL="https://example.com/failed",
        Tags=tags,
    )

    other = Wire(wire.url, OTHER_REGION)
    other.ses.create_email_template(TemplateName="elsewhere", TemplateContent={"Subject": "s"})
    other.control("POST", "/_sesctl/sandbox", {"sandbox": True})


def read_all(wire: Wire) -> dict[str, Any]:
    """Every Get and List answer over the state `fill` made, as raw JSON, by call."""
    raw, answers = wire.raw, {}
    answers["ListEmailIdentities"] = found = raw("list_email_identities", PageSize=1000)
    for item in found["EmailIdentities"]:
        name = item["IdentityName"]
        answers[f"GetEmailIdentity {name}"] = raw("get_email_identity", EmailIdentity=name)
        policies = raw("get_email_identity_policies", EmailIdentity=name)
        answers[f"GetEmailIdentityPolicies {name}"] = policies
    answers["ListConfigurationSets"] = found = raw("list_configuration_sets", PageSize=1000)
    for name in found["ConfigurationSets"]:
        answers[f"GetConfigurationSet {name}"] = raw(
            "get_configuration_set", ConfigurationSetName=name
        )
        answers[f"GetConfigurationSetEventDestinations {name}"] = raw(
            "get_configuration_set_event_destinations", ConfigurationSetName=name
        )
    answers["ListDedicatedIpPools"] = found = raw("list_dedicated_ip_pools")
    for name in found["DedicatedIpPools"]:
        answers[f"GetDedicatedIpPool {name}"] = raw("get_dedicated_ip_pool", PoolName=name)
        answers[f"GetDedicatedIps {name}"] = raw("get_dedicated_ips", PoolName=name)
    answers["GetDedicatedIps"] = found = raw("get_dedicated_ips")
    for ip in found["DedicatedIps"]:
        answers[f"GetDedicatedIp {ip['Ip']}"] = raw("get_dedicated_ip", Ip=ip["Ip"])
    answers["ListContactLists"] = found = raw("list_contact_lists")
    for item in found["ContactLists"]:
        name = item["ContactListName"]
        answers[f"GetContactList {name}"] = raw("get_contact_list", ContactListName=name)
        answers[f"ListContacts {name}"] = found_contacts = raw(
            "list_contacts", ContactListName=name
        )
        for contact in found_contacts["Contacts"]:
            address = contact["EmailAddress"]
            answers[f"GetContact {address}"] = raw(
                "get_contact", ContactListName=name, EmailAddress=address
            )
    answers["ListEmailTemplates"] = found = raw("list_email_templates", PageSize=100)
    for item in found["TemplatesMetadata"]:
        name = item["TemplateName"]
        answers[f"GetEmailTemplate {name}"] = raw("get_email_template", TemplateName=name)
    answers["ListCustomVerificationEmailTemplates"] = found = raw(
        "list_custom_verification_email_templates"
    )
    for item in found["CustomVerificationEmailTemplates"]:
        name = item["TemplateName"]
        answers[f"GetCustomVerificationEmailTemplate {name}"] = raw(
            "get_custom_verification_email_template", TemplateName=name
        )
    answers["ListSuppressedDestinations"] = pages = [raw("list_suppressed_destinations")]
    while "NextToken" in pages[-1]:
        pages.append(raw("list_suppressed_destinations", NextToken=pages[-1]["NextToken"]))
    for reason in ("BOUNCE", "COMPLAINT"):
        answers[f"ListSuppressedDestinations {reason}"] = raw(
            "list_suppressed_destinations", Reasons=[reason], PageSize=10
        )
    for address in ("gone@example.net", "angry@example.net", "user1499@example.net"):
        answers[f"GetSuppressedDestination {address}"] = raw(
            "get_suppressed_destination", EmailAddress=address
        )
    answers["GetAccount"] = raw("get_account")
    resources = wire.tagging.get_resources(ResourceTypeFilters=["ses"])
    answers["GetResources"] = wire.last
    for resource in resources["ResourceTagMappingList"]:
        arn = resource["ResourceARN"]
        answers[f"ListTagsForResource {arn}"] = raw("list_tags_for_resource", ResourceArn=arn)
    answers["messages"] = wire.control("GET", "/_sesctl/messages")
    other = Wire(wire.url, OTHER_REGION)
    answers[f"ListEmailTemplates {OTHER_REGION}"] = other.raw("list_email_templates")
    answers[f"GetAccount {OTHER_REGION}"] = other.raw("get_account")
    return _without_volatile(answers)


def _without_volatile(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers without members that have no state behind them: contact_lists.py answers
    the time of the call for a list's CreatedTimestamp and ListContactLists' timestamps."""
    kept = copy.deepcopy(answers)
    for item in kept["ListContactLists"]["ContactLists"]:
        item.pop("LastUpdatedTimestamp")
    for label, answer in kept.items():
        if label.startswith("GetContactList "):
            answer.pop("CreatedTimestamp")
    return kept


def test_every_answer_is_the_same_after_a_restart_on_the_state_file(
    tmp_path: Path, fresh: None
) -> None:
    state = tmp_path / "state.json"
    first = Emulator(port=0, state_file=state).start()
    try:
        fill(Wire(first.url))
        before = read_all(Wire(first.url))
    finally:
        first.stop()
    BackendDict.reset()  # what the new emulator serves comes from the file alone
    second = Emulator(port=0, state_file=state).start()
    try:
        after = read_all(Wire(second.url))
    finally:
        second.stop()
    assert after == before
    # the fill reached every kind, so the comparison covers it
    assert len(before["GetResources"]["ResourceTagMappingList"]) == 7
    assert len(before["messages"]["messages"]) == 5
    assert before["GetEmailIdentity broken.example.net"]["VerificationStatus"] == "FAILED"
    assert before["GetAccount"]["VdmAttributes"]["VdmEnabled"] == "ENABLED"
    assert before[f"GetAccount {OTHER_REGION}"]["ProductionAccessEnabled"] is False
    assert before["GetContactList readers"]["LastUpdatedTimestamp"]


def test_the_state_file_is_a_versioned_json_document(tmp_path: Path, fresh: None) -> None:
    state = tmp_path / "state.json"
    emulator = Emulator(port=0, state_file=state).start()
    try:
        Wire(emulator.url).ses.create_email_template(
            TemplateName="t", TemplateContent={"Subject": "s"}
        )
    finally:
        emulator.stop()
    document = json.loads(state.read_text())
    assert (document["format"], document["version"]) == (FORMAT, VERSION) == (FORMAT, 1)
    region = document["accounts"]["123456789012"]["us-east-1"]
    assert region["extras"]["templates"]["t"]["content"] == {"Subject": "s"}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary file left


def test_snapshot_and_restore_are_symmetric(fresh: None) -> None:
    emulator = Emulator(port=0).start()
    try:
        fill(Wire(emulator.url))
        document = json.loads(persist.dumps())
        persist.restore(json.loads(json.dumps(document)))
        assert _same(json.loads(persist.dumps()), document)
        persist.restore(persist.snapshot())  # straight, without JSON between
        assert _same(json.loads(persist.dumps()), document)
    finally:
        emulator.stop()


def _same(one: dict[str, Any], other: dict[str, Any]) -> bool:
    """Equal documents, rate-window times to the millisecond: they are written on the wall
    clock and read back on the monotonic one, which drift apart by microseconds."""
    one, other = copy.deepcopy(one), copy.deepcopy(other)
    one_rates, other_rates = _rate_times(one), _rate_times(other)
    return one == other and one_rates == pytest.approx(other_rates, abs=1e-3)


def _rate_times(document: dict[str, Any]) -> list[float]:
    """Take the rate windows' times out of the document (zeroed), and answer them."""
    times = []
    for regions in document["accounts"].values():
        for region in regions.values():
            for pair in (region["extras"] or {}).get("rate_window", []):
                times.append(pair[0])
                pair[0] = 0
    return times


def test_the_rate_window_keeps_its_moment_across_processes(fresh: None) -> None:
    """Recipients sent just before a restart still count against the rate after it."""
    emulator = Emulator(port=0).start()
    try:
        ses = Wire(emulator.url).ses
        ses.create_email_identity(EmailIdentity="me@example.com")
        Wire(emulator.url).control("POST", "/_sesctl/verify", {"identities": ["me@example.com"]})
        ses.send_email(
            FromEmailAddress="me@example.com",
            Destination={"ToAddresses": ["a@example.net"]},
            Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}},
        )
        document = json.loads(persist.dumps())
    finally:
        emulator.stop()
    extras = document["accounts"]["123456789012"]["us-east-1"]["extras"]
    [[at, recipients]] = extras["rate_window"]
    assert recipients == 1
    assert abs(at - time.time()) < 5  # the wall clock, not the monotonic one
    persist.restore(document)
    backend = ses_backends["123456789012"]["us-east-1"]
    [(moment, _)] = backend.sesctl_extras.rate_window.entries
    assert abs(moment - time.monotonic()) < 5


# --- hostile and broken state files ------------------------------------------------------------


def test_a_pickle_is_refused_and_never_run(tmp_path: Path, fresh: None) -> None:
    state, marker = tmp_path / "state.json", tmp_path / "pwned"
    state.write_bytes(hostile_pickle(marker))
    before = state.read_bytes()
    emulator = Emulator(port=0, state_file=state)
    with pytest.raises(SesctlError) as refused:
        emulator.start()
    emulator.stop()  # a file that did not load is not overwritten on the way out
    assert not marker.exists()
    assert state.read_bytes() == before
    message = str(refused.value)
    assert message.startswith(f"emulator state file {state}: a Python pickle")
    assert "\n" not in message


@pytest.fixture(scope="module")
def valid() -> dict[str, Any]:
    """A state document with one of each kind, as the emulator writes it (made once)."""
    BackendDict.reset()
    emulator = Emulator(port=0).start()
    try:
        fill(Wire(emulator.url))
        return json.loads(persist.dumps())
    finally:
        emulator.stop()
        BackendDict.reset()


REGION = "/accounts/123456789012/us-east-1"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "not valid JSON (Expecting property name enclosed in double quotes: line 1"),
        ("", "not valid JSON (Expecting value: line 1 column 1)"),
        ("\udcff", "not valid JSON"),
        ("[" * 100000 + "]" * 100000, "not valid JSON (nested too deeply)"),
        ("[]", "the document should be an object, not an array"),
        ("null", "the document should be an object, not null"),
        ('{"version": 1}', 'not a sesctl emulator state: its "format" is null'),
        (
            '{"format": "terraform"}',
            'not a sesctl emulator state: its "format" is "terraform", not "sesctl-emulator-state"',
        ),
        (
            '{"format": "sesctl-emulator-state", "version": 2, "accounts": {}}',
            "state version 2: this sesctl reads version 1 only",
        ),
        (
            '{"format": "sesctl-emulator-state", "version": true, "accounts": {}}',
            "state version true",
        ),
        (
            '{"format": "sesctl-emulator-state", "version": 1}',
            "the document lacks accounts",
        ),
        (
            '{"format": "sesctl-emulator-state", "version": 1, "accounts": {"me": {}}}',
            "/accounts/me is not a 12-digit account ID",
        ),
        (
            '{"format": "sesctl-emulator-state", "version": 1, '
            '"accounts": {"123456789012": {"mars-north-1": {}}}}',
            "/accounts/123456789012/mars-north-1: mars-north-1 is not an SES region",
        ),
    ],
)
def test_a_file_that_is_not_a_state_document_is_one_plain_error(
    tmp_path: Path, text: str, problem: str, fresh: None
) -> None:
    state = tmp_path / "state.json"
    state.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(StateError) as refused:
        persist.load(state)
    assert str(refused.value).startswith(f"emulator state file {state}: {problem}")


def _replace(document: Any, path: tuple[str, ...], value: Any) -> None:
    """Put `value` at the member `path` names (array members by index)."""
    *parents, last = path
    for part in parents:
        document = document[int(part) if isinstance(document, list) else part]
    document[int(last) if isinstance(document, list) else last] = value


@pytest.mark.parametrize(
    ("pointer", "value", "problem"),
    [
        (
            "/identities/example.com/verified",
            "yes",
            "/identities/example.com/verified should be true or false, not a string",
        ),
        (
            "/identities/example.com/policies/p1",
            {},
            "/identities/example.com/policies/p1 should be a string, not an object",
        ),
        (
            "/identities/example.com/mail_from",
            {"MailFromDomain": "x"},
            "/identities/example.com/mail_from lacks BehaviorOnMxFailure",
        ),
        ("/identities/example.com/extra", 1, "/identities/example.com has unknown extra"),
        ("/configuration_sets/0", 7, "/configuration_sets/0 should be a string, not a number"),
        ("/dedicated_ip_pools/pool-a/scaling_mode", None, "should be a string, not null"),
        ("/contact_lists/readers/topics", {}, "topics should be an array, not an object"),
        (
            "/contact_lists/readers/contacts/ada@example.net/UnsubscribeAll",
            "yes",
            "ada@example.net/UnsubscribeAll should be true or false, not a string",
        ),
        (
            "/contact_lists/readers/contacts/bob@example.net/TopicPreferences/0/TopicName",
            None,
            "TopicPreferences/0/TopicName should be a string, not null",
        ),
        ("/tags/arn:aws:ses:x", {"k": 1}, "/tags/arn:aws:ses:x/k should be a string or null"),
        ("/extras/templates/welcome/content/Subject", [], "should be a string, not an array"),
        ("/extras/account/SendQuota/MaxSendRate", "1", "MaxSendRate should be a number"),
        ("/extras/groups/full/SendingOptions", True, "SendingOptions should be an object"),
        (
            "/extras/suppressed/gone@example.net/Reason",
            None,
            "/extras/suppressed/gone@example.net/Reason should be a string, not null",
        ),
        ("/extras/rate_window", [[1, -1]], "/extras/rate_window/0/1 should be a count"),
        ("/messages/0", ["id"], "/messages/0 should be an array of 13 members"),
        ("/messages/0/12", "{not json", "/messages/0/12 should be JSON text, not a string"),
        ("/messages/1/6", "{not json", "/messages/1/6 should be JSON text or null"),
        ("/messages/0/8", 1, "/messages/0/8 should be true or false, not a number"),
        ("/extras", [], "/extras should be an object, not an array"),
        ("/extras/kept", [], "/extras/kept should be an object, not an array"),
        ("/extras/kept/store", {"a": 1}, "/extras/kept/store/a should be an object"),
    ],
)
def test_a_state_document_of_the_wrong_shape_is_one_plain_error(
    tmp_path: Path, pointer: str, value: Any, problem: str, valid: dict[str, Any], fresh: None
) -> None:
    document = copy.deepcopy(valid)
    region = document["accounts"]["123456789012"]["us-east-1"]
    _replace(region, tuple(pointer.strip("/").split("/")), value)
    state = tmp_path / "state.json"
    state.write_text(json.dumps(document))
    with pytest.raises(StateError) as refused:
        persist.load(state)
    assert str(refused.value).startswith(f"emulator state file {state}: {REGION}"), refused.value
    assert problem in str(refused.value)


def test_what_a_kind_keeps_of_its_own_comes_back_and_older_files_load(
    valid: dict[str, Any], fresh: None
) -> None:
    """A handler's own store (Call.kept) is saved and restored without persist.py naming
    it; a file written before stores existed (no `kept`) still loads."""
    document = copy.deepcopy(valid)
    extras = document["accounts"]["123456789012"]["us-east-1"]["extras"]
    extras["kept"] = {"store": {"one": {"Name": "one", "Size": 2}}}
    persist.restore(copy.deepcopy(document))
    backend = ses_backends["123456789012"]["us-east-1"]
    assert backend.sesctl_extras.kept == {"store": {"one": {"Name": "one", "Size": 2}}}
    assert _same(json.loads(persist.dumps()), document)
    del extras["kept"]
    persist.restore(copy.deepcopy(document))
    assert ses_backends["123456789012"]["us-east-1"].sesctl_extras.kept == {}


def test_contacts_come_back_and_files_without_them_load(valid: dict[str, Any], fresh: None) -> None:
    """A list's contacts are kept on it; a file written before contacts were kept loads with
    none."""
    document = copy.deepcopy(valid)
    readers = document["accounts"]["123456789012"]["us-east-1"]["contact_lists"]["readers"]
    persist.restore(copy.deepcopy(document))
    found = ses_backends["123456789012"]["us-east-1"].contacts_lists["readers"].contacts
    assert sorted(found) == ["ada@example.net", "bob@example.net"]
    assert found["bob@example.net"]["AttributesData"] == '{"plan": "pro"}'
    del readers["contacts"]
    persist.restore(copy.deepcopy(document))
    assert ses_backends["123456789012"]["us-east-1"].contacts_lists["readers"].contacts == {}


def _paths(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every member (of the first two of an array's)."""
    yield path
    if isinstance(value, dict):
        for key, member in value.items():
            yield from _paths(member, (*path, key))
    elif isinstance(value, list):
        for i, member in enumerate(value[:2]):
            yield from _paths(member, (*path, str(i)))


def test_no_wrong_value_anywhere_gets_past_as_anything_but_a_plain_error(
    valid: dict[str, Any], fresh: None
) -> None:
    """Every member of a document, replaced by a value of each other JSON type: the restore
    either takes it (members only echoed) or refuses it with StateError, nothing else."""
    document = copy.deepcopy(valid)
    document["accounts"]["123456789012"]["us-east-1"]["extras"]["suppressed"] = {
        "gone@example.net": {"Reason": "BOUNCE", "LastUpdateTime": 1.0}
    }
    values = (None, True, 2, -1.5, "x", [], {}, [1], {"x": 1})
    paths = list(_paths(document))
    refused = 0
    for path in paths:
        for value in values:
            broken = copy.deepcopy(document) if path else value
            if path:
                _replace(broken, path, value)
            try:
                persist.restore(broken)
            except StateError:
                refused += 1
    assert 0 < refused < len(paths) * len(values)


def test_a_refused_document_leaves_the_state_as_it_was(valid: dict[str, Any], fresh: None) -> None:
    document = copy.deepcopy(valid)
    persist.restore(copy.deepcopy(document))
    broken = copy.deepcopy(document)
    broken["accounts"]["123456789012"]["us-east-1"]["messages"].append("not a message")
    with pytest.raises(StateError):
        persist.restore(broken)
    assert _same(json.loads(persist.dumps()), document)


def test_a_failed_write_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state.json"
    state.write_bytes(b"old")

    def full_disk(*_: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(StateError, match=r"cannot be written: \[Errno 28\] No space left"):
        persist.write(state, b"new")
    assert state.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_message_keeps_its_set_and_tags_and_older_messages_load(
    valid: dict[str, Any], fresh: None
) -> None:
    """Messages carry the configuration set and tags their later events need; a message
    saved before they did (11 members) loads with neither."""
    document = copy.deepcopy(valid)
    messages = document["accounts"]["123456789012"]["us-east-1"]["messages"]
    messages[0] = [*messages[0][:11], "tracked", '{"campaign": "nov"}']
    persist.restore(copy.deepcopy(document))
    kept = ses_backends["123456789012"]["us-east-1"].sesctl_messages[0]
    assert (kept.configuration_set, kept.tags) == ("tracked", '{"campaign": "nov"}')
    messages[0] = messages[0][:11]
    persist.restore(copy.deepcopy(document))
    kept = ses_backends["123456789012"]["us-east-1"].sesctl_messages[0]
    assert (kept.configuration_set, kept.tags) == (None, "{}")

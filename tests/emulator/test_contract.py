"""The emulator answers exactly as botocore's sesv2 model says SES answers.

Every response of every operation sesctl uses is checked twice: the raw JSON on the wire has
no member the output shape lacks, and the parsed answer passes botocore's own validator
against that shape. Requests are checked by the real client's parameter validation.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.model import Shape
from botocore.validate import ParamValidator

from reconciler.emulator import Emulator

SEEN: dict[str, int] = {}
# Where live SES answers outside botocore's model, the emulator follows SES (FIDELITY.md):
# an identity without a MAIL FROM domain has MailFromAttributes with BehaviorOnMxFailure only,
# though the model marks the domain and its status required (a live answer quoted in moto's
# issue tracker, and another emulator's check against SES across fresh and cleared states).
OUTSIDE_THE_MODEL = {
    ("GetEmailIdentity", 'Missing required parameter in MailFromAttributes: "MailFromDomain"'),
    (
        "GetEmailIdentity",
        'Missing required parameter in MailFromAttributes: "MailFromDomainStatus"',
    ),
}


def unknown_members(value: Any, shape: Shape, path: str = "") -> list[str]:
    """Keys in a raw JSON answer that the shape does not define, recursively."""
    if shape.type_name == "structure" and isinstance(value, dict):
        problems = []
        for key, item in value.items():
            if key not in shape.members:
                problems.append(f"{path}.{key}")
            else:
                problems += unknown_members(item, shape.members[key], f"{path}.{key}")
        return problems
    if shape.type_name == "list" and isinstance(value, list):
        return [
            p for i, v in enumerate(value) for p in unknown_members(v, shape.member, f"{path}[{i}]")
        ]
    if shape.type_name == "map" and isinstance(value, dict):
        return [p for k, v in value.items() for p in unknown_members(v, shape.value, f"{path}.{k}")]
    return []


def check_answer(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
    if http_response.status_code >= 300 or model.output_shape is None:
        return
    raw = json.loads(http_response.content or b"{}")
    assert unknown_members(raw, model.output_shape) == [], model.name
    answer = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    report = ParamValidator().validate(answer, model.output_shape)
    problems = [
        line
        for line in report.generate_report().splitlines()[1:]
        if (model.name, line.strip()) not in OUTSIDE_THE_MODEL
    ]
    assert not problems, f"{model.name}: {problems}"
    SEEN[model.name] = SEEN.get(model.name, 0) + 1


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    server = Emulator(port=0).start()
    yield server
    server.stop()


@pytest.fixture
def clients(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    urllib.request.urlopen(urllib.request.Request(f"{emulator.url}/_sesctl/reset", method="POST"))
    ses = boto3.client("sesv2", endpoint_url=emulator.url, region_name="us-east-1")
    tagging = boto3.client(
        "resourcegroupstaggingapi", endpoint_url=emulator.url, region_name="us-east-1"
    )
    for client in (ses, tagging):
        client.meta.events.register("after-call", check_answer)
    return ses, tagging


def control(ses: Any, path: str, body: dict[str, Any]) -> Any:
    """POST to one of the emulator's control endpoints."""
    request = urllib.request.Request(
        ses.meta.endpoint_url + path, data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


def code(error: ClientError) -> str:
    return error.response["Error"]["Code"]


def test_every_operation_answers_in_shape(clients: tuple[Any, Any]) -> None:
    ses, tagging = clients
    stack = [{"Key": "sesctl:stack", "Value": "s"}]
    ses.create_dedicated_ip_pool(PoolName="p", ScalingMode="STANDARD", Tags=stack)
    ses.put_dedicated_ip_pool_scaling_attributes(PoolName="p", ScalingMode="MANAGED")
    assert ses.get_dedicated_ip_pool(PoolName="p")["DedicatedIpPool"]["ScalingMode"] == "MANAGED"
    assert ses.list_dedicated_ip_pools()["DedicatedIpPools"] == ["p"]

    ses.create_configuration_set(
        ConfigurationSetName="cs",
        DeliveryOptions={"TlsPolicy": "REQUIRE", "SendingPoolName": "p"},
        ArchivingOptions={"ArchiveArn": "arn:aws:ses:us-east-1:1:mailmanager-archive/a"},
        Tags=stack,
    )
    ses.put_configuration_set_reputation_options(
        ConfigurationSetName="cs", ReputationMetricsEnabled=True
    )
    ses.put_configuration_set_sending_options(ConfigurationSetName="cs", SendingEnabled=False)
    ses.put_configuration_set_suppression_options(
        ConfigurationSetName="cs", SuppressedReasons=["BOUNCE"]
    )
    ses.create_email_identity(EmailIdentity="c.example.com")
    control(ses, "/_sesctl/verify", {"identities": ["c.example.com"]})
    ses.put_configuration_set_tracking_options(
        ConfigurationSetName="cs", CustomRedirectDomain="c.example.com"
    )
    ses.put_configuration_set_vdm_options(
        ConfigurationSetName="cs", VdmOptions={"DashboardOptions": {"EngagementMetrics": "ENABLED"}}
    )
    ses.put_configuration_set_delivery_options(ConfigurationSetName="cs", TlsPolicy="OPTIONAL")
    ses.put_configuration_set_archiving_options(ConfigurationSetName="cs")
    answer = ses.get_configuration_set(ConfigurationSetName="cs")
    assert answer["SendingOptions"] == {"SendingEnabled": False}
    assert answer["DeliveryOptions"] == {"TlsPolicy": "OPTIONAL"}
    assert "ArchivingOptions" not in answer
    assert ses.list_configuration_sets()["ConfigurationSets"] == ["cs"]

    destination = {
        "MatchingEventTypes": ["SEND"],
        "SnsDestination": {"TopicArn": "arn:aws:sns:us-east-1:1:t"},
    }
    ses.create_configuration_set_event_destination(
        ConfigurationSetName="cs", EventDestinationName="d", EventDestination=destination
    )
    ses.update_configuration_set_event_destination(
        ConfigurationSetName="cs",
        EventDestinationName="d",
        EventDestination={**destination, "Enabled": True},
    )
    (found,) = ses.get_configuration_set_event_destinations(ConfigurationSetName="cs")[
        "EventDestinations"
    ]
    assert found["Name"] == "d" and found["Enabled"] is True
    ses.delete_configuration_set_event_destination(
        ConfigurationSetName="cs", EventDestinationName="d"
    )

    ses.create_email_identity(EmailIdentity="example.com", ConfigurationSetName="cs", Tags=stack)
    ses.create_email_identity(EmailIdentity="a@example.net")
    ses.put_email_identity_configuration_set_attributes(
        EmailIdentity="a@example.net", ConfigurationSetName="cs"
    )
    ses.create_email_identity_policy(EmailIdentity="example.com", PolicyName="p", Policy="{}")
    ses.update_email_identity_policy(EmailIdentity="example.com", PolicyName="p", Policy='{"a":1}')
    assert ses.get_email_identity_policies(EmailIdentity="example.com")["Policies"] == {
        "p": '{"a":1}'
    }
    identity = ses.get_email_identity(EmailIdentity="example.com")
    assert len(identity["DkimAttributes"]["Tokens"]) == 3
    assert identity["ConfigurationSetName"] == "cs"
    ses.delete_email_identity_policy(EmailIdentity="example.com", PolicyName="p")
    ses.put_email_identity_dkim_attributes(EmailIdentity="example.com", SigningEnabled=False)
    signed = ses.put_email_identity_dkim_signing_attributes(
        EmailIdentity="example.com", SigningAttributesOrigin="AWS_SES_EU_WEST_1"
    )
    assert len(signed["DkimTokens"]) == 3
    ses.put_email_identity_mail_from_attributes(
        EmailIdentity="example.com", MailFromDomain="m.example.com"
    )
    ses.put_email_identity_feedback_attributes(
        EmailIdentity="example.com", EmailForwardingEnabled=False
    )
    identity = ses.get_email_identity(EmailIdentity="example.com")
    assert identity["MailFromAttributes"]["MailFromDomain"] == "m.example.com"
    assert identity["DkimAttributes"]["SigningAttributesOrigin"] == "AWS_SES_EU_WEST_1"
    assert identity["FeedbackForwardingStatus"] is False
    names = [i["IdentityName"] for i in ses.list_email_identities()["EmailIdentities"]]
    assert names == ["a@example.net", "c.example.com", "example.com"]

    ses.create_email_template(
        TemplateName="t", TemplateContent={"Subject": "s", "Text": "x"}, Tags=stack
    )
    ses.update_email_template(TemplateName="t", TemplateContent={"Subject": "s2", "Html": "<p/>"})
    assert ses.get_email_template(TemplateName="t")["TemplateContent"] == {
        "Subject": "s2",
        "Html": "<p/>",
    }
    assert [t["TemplateName"] for t in ses.list_email_templates()["TemplatesMetadata"]] == ["t"]

    arn = "arn:aws:ses:us-east-1:123456789012:template/t"
    ses.tag_resource(
        ResourceArn=arn, Tags=[{"Key": "team", "Value": "1"}, {"Key": "tier", "Value": "2"}]
    )
    ses.untag_resource(ResourceArn=arn, TagKeys=["team", "tier"])
    assert ses.list_tags_for_resource(ResourceArn=arn)["Tags"] == stack

    owned = tagging.get_resources(TagFilters=[{"Key": "sesctl:stack"}], ResourceTypeFilters=["ses"])
    arns = sorted(r["ResourceARN"].split(":")[-1] for r in owned["ResourceTagMappingList"])
    assert arns == [
        "configuration-set/cs",
        "dedicated-ip-pool/p",
        "identity/example.com",
        "template/t",
    ]

    ses.put_account_sending_attributes(SendingEnabled=False)
    ses.put_account_suppression_attributes(SuppressedReasons=["COMPLAINT"])
    ses.put_account_vdm_attributes(VdmAttributes={"VdmEnabled": "ENABLED"})
    ses.put_account_dedicated_ip_warmup_attributes(AutoWarmupEnabled=True)
    ses.put_account_details(MailType="MARKETING", WebsiteURL="https://example.com")
    account = ses.get_account()
    assert account["SendingEnabled"] is False and account["Details"]["MailType"] == "MARKETING"

    topic = {"TopicName": "w", "DisplayName": "W", "DefaultSubscriptionStatus": "OPT_IN"}
    ses.create_contact_list(ContactListName="c", Topics=[topic], Tags=stack)
    ses.update_contact_list(ContactListName="c", Topics=[], Description="d")
    assert ses.get_contact_list(ContactListName="c")["Description"] == "d"
    assert [c["ContactListName"] for c in ses.list_contact_lists()["ContactLists"]] == ["c"]
    with pytest.raises(ClientError) as info:
        ses.create_contact_list(ContactListName="second")
    assert code(info.value) == "BadRequestException"
    assert info.value.response["Error"]["Message"] == "A maximum of 1 Lists allowed per account."
    ses.delete_contact_list(ContactListName="c")

    control(ses, "/_sesctl/dedicated-ips", {"ips": ["198.51.100.7"]})
    ses.create_dedicated_ip_pool(PoolName="standard")
    ses.put_dedicated_ip_in_pool(Ip="198.51.100.7", DestinationPoolName="standard")
    ses.put_dedicated_ip_warmup_attributes(Ip="198.51.100.7", WarmupPercentage=100)
    assert ses.get_dedicated_ip(Ip="198.51.100.7")["DedicatedIp"]["WarmupStatus"] == "DONE"
    assert [i["Ip"] for i in ses.get_dedicated_ips(PoolName="standard")["DedicatedIps"]] == [
        "198.51.100.7"
    ]

    ses.put_suppressed_destination(EmailAddress="x@example.com", Reason="BOUNCE")
    got = ses.get_suppressed_destination(EmailAddress="x@example.com")["SuppressedDestination"]
    assert got["Reason"] == "BOUNCE"
    summaries = ses.list_suppressed_destinations(PageSize=10)["SuppressedDestinationSummaries"]
    assert [s["EmailAddress"] for s in summaries] == ["x@example.com"]
    ses.delete_suppressed_destination(EmailAddress="x@example.com")

    ses.put_account_sending_attributes(SendingEnabled=True)
    ses.create_email_identity(EmailIdentity="sender.example.com")
    control(ses, "/_sesctl/verify", {"identities": ["sender.example.com"]})
    sent = ses.send_email(
        FromEmailAddress="a@sender.example.com",
        Destination={"ToAddresses": ["b@example.net"]},
        Content={"Template": {"TemplateName": "t", "TemplateData": "{}"}},
    )
    assert sent["MessageId"]
    bulk = ses.send_bulk_email(
        FromEmailAddress="a@sender.example.com",
        DefaultContent={"Template": {"TemplateName": "t", "TemplateData": "{}"}},
        BulkEmailEntries=[
            {"Destination": {"ToAddresses": [f"r{i}@example.net"]}} for i in range(3)
        ],
    )
    assert [r["Status"] for r in bulk["BulkEmailEntryResults"]] == ["SUCCESS"] * 3
    now = datetime.now(UTC)
    metrics = ses.batch_get_metric_data(
        Queries=[
            {"Id": "sends", "Namespace": "VDM", "Metric": "SEND", "StartDate": now,
             "EndDate": now, "Dimensions": {"ISP": "Gmail"}},
        ]
    )  # fmt: skip
    assert [r["Id"] for r in metrics["Results"]] == ["sends"]

    ses.delete_email_template(TemplateName="t")
    ses.delete_email_identity(EmailIdentity="example.com")
    ses.delete_email_identity(EmailIdentity="sender.example.com")
    ses.delete_email_identity(EmailIdentity="c.example.com")
    ses.delete_configuration_set(ConfigurationSetName="cs")
    ses.delete_dedicated_ip_pool(PoolName="p")
    ses.put_dedicated_ip_in_pool(
        Ip="198.51.100.7", DestinationPoolName="ses-default-dedicated-pool"
    )
    ses.delete_dedicated_ip_pool(PoolName="standard")
    assert tagging.get_resources(ResourceTypeFilters=["ses"])["ResourceTagMappingList"] == []
    assert len(SEEN) >= 59


def test_contact_operations_answer_in_shape(clients: tuple[Any, Any]) -> None:
    ses, _ = clients
    topic = {"TopicName": "w", "DisplayName": "W", "DefaultSubscriptionStatus": "OPT_IN"}
    ses.create_contact_list(ContactListName="c", Topics=[topic])
    out = [{"TopicName": "w", "SubscriptionStatus": "OPT_OUT"}]
    ses.create_contact(ContactListName="c", EmailAddress="a@example.com", TopicPreferences=out)
    ses.create_contact(
        ContactListName="c", EmailAddress="b@example.com", UnsubscribeAll=True, AttributesData="{}"
    )
    ses.update_contact(ContactListName="c", EmailAddress="a@example.com", UnsubscribeAll=True)
    got = ses.get_contact(ContactListName="c", EmailAddress="b@example.com")
    assert got["AttributesData"] == "{}" and got["TopicDefaultPreferences"][0]["TopicName"] == "w"
    listed = ses.list_contacts(ContactListName="c", PageSize=1)
    assert len(listed["Contacts"]) == 1 and listed["NextToken"]
    ses.delete_contact(ContactListName="c", EmailAddress="a@example.com")
    assert {"CreateContact", "GetContact", "UpdateContact", "DeleteContact", "ListContacts"} <= set(
        SEEN
    )


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda ses: ses.get_email_identity(EmailIdentity="nope.example.com"), "NotFoundException"),
        (lambda ses: ses.get_configuration_set(ConfigurationSetName="nope"), "NotFoundException"),
        (lambda ses: ses.get_email_template(TemplateName="nope"), "NotFoundException"),
        (lambda ses: ses.get_dedicated_ip_pool(PoolName="nope"), "NotFoundException"),
        (
            lambda ses: ses.delete_email_identity(EmailIdentity="nope.example.com"),
            "NotFoundException",
        ),
        (
            lambda ses: ses.list_tags_for_resource(
                ResourceArn="arn:aws:ses:us-east-1:123456789012:template/x"
            ),
            "NotFoundException",
        ),
    ],
)
def test_missing_resources_are_not_found(
    clients: tuple[Any, Any], call: Any, expected: str
) -> None:
    with pytest.raises(ClientError) as info:
        call(clients[0])
    assert code(info.value) == expected


def test_duplicates_and_invalid_changes_are_refused(clients: tuple[Any, Any]) -> None:
    ses, _ = clients
    ses.create_configuration_set(ConfigurationSetName="cs")
    ses.create_dedicated_ip_pool(PoolName="p", ScalingMode="MANAGED")
    ses.create_email_template(TemplateName="t", TemplateContent={"Subject": "s"})
    ses.create_email_identity(EmailIdentity="example.com")
    for duplicate in (
        lambda: ses.create_configuration_set(ConfigurationSetName="cs"),
        lambda: ses.create_dedicated_ip_pool(PoolName="p"),
        lambda: ses.create_email_template(TemplateName="t", TemplateContent={"Subject": "s"}),
        lambda: ses.create_email_identity(EmailIdentity="example.com"),
    ):
        with pytest.raises(ClientError) as info:
            duplicate()
        assert code(info.value) == "AlreadyExistsException"
    with pytest.raises(ClientError) as info:
        ses.put_dedicated_ip_pool_scaling_attributes(PoolName="p", ScalingMode="STANDARD")
    assert code(info.value) == "BadRequestException"
    with pytest.raises(ClientError) as info:
        ses.create_configuration_set_event_destination(
            ConfigurationSetName="cs",
            EventDestinationName="d",
            EventDestination={"MatchingEventTypes": ["SEND"]},
        )
    assert code(info.value) == "BadRequestException"


def test_new_configuration_set_has_ses_defaults(clients: tuple[Any, Any]) -> None:
    ses, _ = clients
    ses.create_configuration_set(ConfigurationSetName="cs")
    answer = ses.get_configuration_set(ConfigurationSetName="cs")
    assert answer["SendingOptions"] == {"SendingEnabled": True}
    assert answer["ReputationOptions"] == {"ReputationMetricsEnabled": False}


def test_state_survives_a_restart_with_a_state_file(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.core.base_backend import BackendDict

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    state = tmp_path / "state.json"
    first = Emulator(port=0, state_file=state).start()
    urllib.request.urlopen(urllib.request.Request(f"{first.url}/_sesctl/reset", method="POST"))
    boto3.client("sesv2", endpoint_url=first.url, region_name="us-east-1").create_email_template(
        TemplateName="kept", TemplateContent={"Subject": "s"}
    )
    first.stop()
    assert json.loads(state.read_text())["format"] == "sesctl-emulator-state"
    BackendDict.reset()  # the process's backends are shared: the file alone must bring it back
    second = Emulator(port=0, state_file=state).start()
    try:
        ses = boto3.client("sesv2", endpoint_url=second.url, region_name="us-east-1")
        assert ses.get_email_template(TemplateName="kept")["TemplateContent"] == {"Subject": "s"}
    finally:
        second.stop()


def test_maximum_send_rate_is_enforced_in_recipients(clients: tuple[Any, Any]) -> None:
    ses, _ = clients
    from botocore.config import Config

    strict = boto3.client(
        "sesv2",
        endpoint_url=ses.meta.endpoint_url,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    body = json.dumps({"max_send_rate": 2}).encode()
    url = ses.meta.endpoint_url + "/_sesctl/send-quota"
    urllib.request.urlopen(urllib.request.Request(url, data=body, method="POST"))
    ses.create_email_identity(EmailIdentity="x@example.com")
    verify = json.dumps({"identities": ["x@example.com"]}).encode()
    url = ses.meta.endpoint_url + "/_sesctl/verify"
    urllib.request.urlopen(urllib.request.Request(url, data=verify, method="POST"))
    simple = {"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}}
    to = {"ToAddresses": ["a@example.net", "b@example.net", "c@example.net"]}
    with pytest.raises(ClientError) as info:
        strict.send_email(FromEmailAddress="x@example.com", Destination=to, Content=simple)
    assert code(info.value) == "TooManyRequestsException"
    assert info.value.response["Error"]["Message"] == "Maximum sending rate exceeded."
    assert strict.get_account()["SendQuota"]["MaxSendRate"] == 2.0

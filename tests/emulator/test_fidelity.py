"""The emulator answers as live SES does, one behaviour a test, each with its source.

Sources are named in reconciler/emulator/FIDELITY.md; where live SES leaves botocore's model
(MailFromAttributes without a domain), the emulator follows SES.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from reconciler.emulator import Emulator
from tests.keys import byodkim_key

ACCOUNT = "123456789012"
SIMPLE = {"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    server = Emulator(port=0).start()
    yield server
    server.stop()


class World:
    """A fresh account on the emulator, a client that never retries, and the controls."""

    def __init__(self, url: str) -> None:
        self.url = url
        no_retries = Config(retries={"mode": "standard", "total_max_attempts": 1})
        self.ses = self._client("sesv2", no_retries)
        self.tagging = self._client("resourcegroupstaggingapi", None)

    def _client(self, service: str, config: Config | None) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="t",
            aws_secret_access_key="t",
            config=config,
        )

    def control(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            self.url + path, data=json.dumps(body).encode(), method="POST"
        )
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read() or b"null")

    def verified(self, *names: str) -> None:
        for name in names:
            self.ses.create_email_identity(EmailIdentity=name)
        self.control("/_sesctl/verify", {"identities": list(names)})


@pytest.fixture
def world(emulator: Emulator) -> World:
    found = World(emulator.url)
    found.control("/_sesctl/reset", {})
    found.control("/_sesctl/verification", {"after_seconds": None})
    return found


def refused(call: Callable[[], Any]) -> tuple[int, str, str]:
    """The status, code and message SES answers a call it refuses."""
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response
    return (
        error["ResponseMetadata"]["HTTPStatusCode"],
        error["Error"]["Code"],
        error["Error"].get("Message", ""),
    )


# --- 1. identity ARNs (IAM service authorization reference: identity/<name>) ------------------


def test_identity_arns_are_identity_slash_name(world: World) -> None:
    world.ses.create_email_identity(EmailIdentity="example.com")
    arn = f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/example.com"
    world.ses.tag_resource(ResourceArn=arn, Tags=[{"Key": "sesctl:stack", "Value": "s"}])
    found = world.tagging.get_resources(ResourceTypeFilters=["ses:identity"])
    assert [r["ResourceARN"] for r in found["ResourceTagMappingList"]] == [arn]
    moto_form = f"arn:aws:ses:us-east-1:{ACCOUNT}:email-identity/example.com"
    assert refused(lambda: world.ses.list_tags_for_resource(ResourceArn=moto_form))[1] == (
        "NotFoundException"
    )
    other_region = arn.replace("us-east-1", "eu-west-1")
    assert refused(lambda: world.ses.untag_resource(ResourceArn=other_region, TagKeys=["a"]))[
        :2
    ] == (404, "NotFoundException")


# --- 2. tracking domains (developer guide: the tracking domain must be verified) -------------


def test_an_unverified_tracking_domain_is_refused_until_verified(world: World) -> None:
    world.ses.create_configuration_set(ConfigurationSetName="cs")
    world.ses.create_email_identity(EmailIdentity="click.example.com")
    put = lambda: world.ses.put_configuration_set_tracking_options(  # noqa: E731
        ConfigurationSetName="cs", CustomRedirectDomain="click.example.com"
    )
    assert refused(put) == (
        400,
        "BadRequestException",
        "Domain <click.example.com> is not verified under this account.",
    )
    world.control("/_sesctl/verify", {"identities": ["click.example.com"]})
    put()
    tracking = world.ses.get_configuration_set(ConfigurationSetName="cs")["TrackingOptions"]
    assert tracking == {"CustomRedirectDomain": "click.example.com"}
    assert refused(
        lambda: world.ses.create_configuration_set(
            ConfigurationSetName="other",
            TrackingOptions={"CustomRedirectDomain": "elsewhere.example.com"},
        )
    )[1] == ("BadRequestException")


# --- 3. VDM attributes --------------------------------------------------------------------------


def test_vdm_attributes_are_absent_until_set_and_detailed_only_while_enabled(world: World) -> None:
    assert "VdmAttributes" not in world.ses.get_account()
    world.ses.put_account_vdm_attributes(
        VdmAttributes={
            "VdmEnabled": "ENABLED",
            "DashboardAttributes": {"EngagementMetrics": "ENABLED"},
        }
    )
    assert world.ses.get_account()["VdmAttributes"] == {
        "VdmEnabled": "ENABLED",
        "DashboardAttributes": {"EngagementMetrics": "ENABLED"},
        "GuardianAttributes": {"OptimizedSharedDelivery": "DISABLED"},
    }
    world.ses.put_account_vdm_attributes(
        VdmAttributes={
            "VdmEnabled": "DISABLED",
            "DashboardAttributes": {"EngagementMetrics": "ENABLED"},
        }
    )
    assert world.ses.get_account()["VdmAttributes"] == {"VdmEnabled": "DISABLED"}


# --- 4. sending rules -----------------------------------------------------------------------


def send(world: World, sender: str, *to: str) -> Any:
    return world.ses.send_email(
        FromEmailAddress=sender, Destination={"ToAddresses": list(to)}, Content=SIMPLE
    )


def test_an_unverified_sender_is_rejected_and_a_verified_domain_covers_its_subdomains(
    world: World,
) -> None:
    world.ses.create_email_identity(EmailIdentity="example.com")
    assert refused(lambda: send(world, "Ann <ann@example.com>", "b@example.net")) == (
        400,
        "MessageRejected",
        "Email address is not verified. The following identities failed the check in region "
        "US-EAST-1: Ann <ann@example.com>, ann@example.com",
    )
    world.control("/_sesctl/verify", {"identities": ["example.com"]})
    assert send(world, "Ann <ann@example.com>", "b@example.net")["MessageId"]
    assert send(world, "news@mail.example.com", "b@example.net")["MessageId"]


def test_the_sandbox_sends_only_to_verified_recipients_and_the_simulator(world: World) -> None:
    world.control("/_sesctl/sandbox", {"sandbox": True})
    account = world.ses.get_account()
    assert account["ProductionAccessEnabled"] is False
    assert account["SendQuota"] == {
        "Max24HourSend": 200.0,
        "MaxSendRate": 1.0,
        "SentLast24Hours": 0.0,
    }
    world.control("/_sesctl/send-quota", {"max_send_rate": 100})  # not the rate under test
    world.verified("example.com", "friend@example.org")
    message = refused(lambda: send(world, "a@example.com", "stranger@example.org"))[2]
    assert message.endswith("in region US-EAST-1: stranger@example.org")
    send(world, "a@example.com", "friend@example.org")
    send(world, "a@example.com", "bounce+x@simulator.amazonses.com")
    # the mailbox simulator counts against the rate, not the daily quota
    assert world.ses.get_account()["SendQuota"]["SentLast24Hours"] == 1.0


def test_send_email_counts_against_the_daily_quota(world: World) -> None:
    world.verified("example.com")
    world.control("/_sesctl/send-quota", {"max_24_hour_send": 3})
    send(world, "a@example.com", "x@example.net", "y@example.net")
    assert refused(lambda: send(world, "a@example.com", "x@example.net", "y@example.net")) == (
        429,
        "TooManyRequestsException",
        "Daily message quota exceeded.",
    )
    send(world, "a@example.com", "z@example.net")
    assert world.ses.get_account()["SendQuota"]["SentLast24Hours"] == 3.0


def test_paused_sending_and_unknown_sets_are_refused(world: World) -> None:
    world.verified("example.com")
    world.ses.create_configuration_set(
        ConfigurationSetName="paused", SendingOptions={"SendingEnabled": False}
    )
    with_set = lambda name: world.ses.send_email(  # noqa: E731
        FromEmailAddress="a@example.com",
        Destination={"ToAddresses": ["b@example.net"]},
        Content=SIMPLE,
        ConfigurationSetName=name,
    )
    assert refused(lambda: with_set("paused"))[:2] == (400, "SendingPausedException")
    assert refused(lambda: with_set("nope"))[:2] == (404, "NotFoundException")
    world.ses.put_account_sending_attributes(SendingEnabled=False)
    assert refused(lambda: send(world, "a@example.com", "b@example.net"))[1] == (
        "SendingPausedException"
    )


def test_identities_verify_after_the_configured_delay(world: World) -> None:
    world.control("/_sesctl/verification", {"after_seconds": 0})
    world.ses.create_email_identity(EmailIdentity="now.example.com")
    identity = world.ses.get_email_identity(EmailIdentity="now.example.com")
    assert identity["VerifiedForSendingStatus"] is True
    assert identity["DkimAttributes"]["Status"] == "SUCCESS"
    world.control("/_sesctl/verification", {"after_seconds": 3600})
    world.ses.create_email_identity(EmailIdentity="later.example.com")
    later = world.ses.get_email_identity(EmailIdentity="later.example.com")
    assert later["VerificationStatus"] == "PENDING"


# --- 5. what SES refuses ---------------------------------------------------------------------


def test_an_identity_with_an_unknown_set_is_not_created(world: World) -> None:
    assert refused(
        lambda: world.ses.create_email_identity(
            EmailIdentity="a.example.com", ConfigurationSetName="nope"
        )
    ) == (404, "NotFoundException", "Configuration set nope does not exist.")
    assert world.ses.list_email_identities()["EmailIdentities"] == []


def test_a_sending_pool_must_exist_or_be_built_in(world: World) -> None:
    create = lambda pool: world.ses.create_configuration_set(  # noqa: E731
        ConfigurationSetName=f"cs-{pool}", DeliveryOptions={"SendingPoolName": pool}
    )
    assert refused(lambda: create("nope")) == (
        400,
        "BadRequestException",
        "SendingPool nope doesn't exist",
    )
    create("ses-shared-pool")
    world.ses.create_configuration_set(ConfigurationSetName="cs")
    put = world.ses.put_configuration_set_delivery_options
    assert refused(lambda: put(ConfigurationSetName="cs", SendingPoolName="nope"))[1] == (
        "BadRequestException"
    )


def test_a_standard_pool_holding_ips_cannot_be_deleted(world: World) -> None:
    world.control("/_sesctl/dedicated-ips", {"ips": ["198.51.100.7"]})
    world.ses.create_dedicated_ip_pool(PoolName="standard")
    world.ses.create_dedicated_ip_pool(PoolName="managed", ScalingMode="MANAGED")
    world.ses.put_dedicated_ip_in_pool(Ip="198.51.100.7", DestinationPoolName="standard")
    assert refused(lambda: world.ses.delete_dedicated_ip_pool(PoolName="standard"))[1] == (
        "BadRequestException"
    )
    assert refused(
        lambda: world.ses.put_dedicated_ip_in_pool(Ip="198.51.100.7", DestinationPoolName="managed")
    )[1] == ("BadRequestException")
    world.ses.delete_dedicated_ip_pool(PoolName="managed")


def test_event_bridge_destinations_use_the_default_bus_only(world: World) -> None:
    world.ses.create_configuration_set(ConfigurationSetName="cs")
    bus = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/"
    create = lambda name, arn: world.ses.create_configuration_set_event_destination(  # noqa: E731
        ConfigurationSetName="cs",
        EventDestinationName=name,
        EventDestination={
            "MatchingEventTypes": ["BOUNCE"],
            "EventBridgeDestination": {"EventBusArn": arn},
        },
    )
    assert refused(lambda: create("mine", bus + "mine"))[1] == "BadRequestException"
    create("default", bus + "default")


def test_tags_past_fifty_or_with_the_aws_prefix_are_refused(world: World) -> None:
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    assert refused(
        lambda: world.ses.create_email_template(
            TemplateName="t", TemplateContent={"Subject": "s"}, Tags=many
        )
    )[1] == ("BadRequestException")
    world.ses.create_email_template(TemplateName="t", TemplateContent={"Subject": "s"})
    arn = f"arn:aws:ses:us-east-1:{ACCOUNT}:template/t"
    reserved = [{"Key": "aws:owner", "Value": "v"}]
    assert refused(lambda: world.ses.tag_resource(ResourceArn=arn, Tags=reserved))[1] == (
        "BadRequestException"
    )
    world.ses.tag_resource(ResourceArn=arn, Tags=many[:50])
    assert refused(lambda: world.ses.tag_resource(ResourceArn=arn, Tags=many[50:]))[1] == (
        "BadRequestException"
    )


def test_contact_lists_one_per_account_twenty_topics(world: World) -> None:
    topics = [
        {"TopicName": f"t{i}", "DisplayName": "T", "DefaultSubscriptionStatus": "OPT_IN"}
        for i in range(21)
    ]
    assert refused(lambda: world.ses.create_contact_list(ContactListName="a", Topics=topics)) == (
        400,
        "BadRequestException",
        "Maximum of <20> topics allowed per ContactList",
    )
    world.ses.create_contact_list(ContactListName="a", Topics=topics[:20])
    assert refused(lambda: world.ses.create_contact_list(ContactListName="b")) == (
        400,
        "BadRequestException",
        "A maximum of 1 Lists allowed per account.",
    )


def test_at_most_twenty_policies_an_identity(world: World) -> None:
    world.ses.create_email_identity(EmailIdentity="example.com")
    for i in range(20):
        world.ses.create_email_identity_policy(
            EmailIdentity="example.com", PolicyName=f"p{i}", Policy="{}"
        )
    assert refused(
        lambda: world.ses.create_email_identity_policy(
            EmailIdentity="example.com", PolicyName="p20", Policy="{}"
        )
    )[:2] == (400, "LimitExceededException")
    assert refused(
        lambda: world.ses.create_email_identity_policy(
            EmailIdentity="example.com", PolicyName="bad name", Policy="{}"
        )
    )[1] == ("BadRequestException")


@pytest.mark.parametrize(
    "create",
    [
        lambda ses: ses.create_configuration_set(ConfigurationSetName="has space"),
        lambda ses: ses.create_email_template(TemplateName="a/b", TemplateContent={"Subject": "s"}),
        lambda ses: ses.create_dedicated_ip_pool(PoolName="UpperCase"),
        lambda ses: ses.create_contact_list(ContactListName="x" * 65),
    ],
)
def test_names_ses_does_not_allow_are_refused(world: World, create: Any) -> None:
    assert refused(lambda: create(world.ses))[:2] == (400, "BadRequestException")


def test_a_byodkim_key_is_pattern_checked_and_an_unusable_one_never_verifies(
    world: World,
) -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----"
    signing = {"DomainSigningSelector": "s1", "DomainSigningPrivateKey": pem}
    assert refused(
        lambda: world.ses.create_email_identity(
            EmailIdentity="pem.example.com", DkimSigningAttributes=signing
        )
    )[1] == ("BadRequestException")
    garbage = {"DomainSigningSelector": "s1", "DomainSigningPrivateKey": "bm90IGEga2V5"}
    world.ses.create_email_identity(EmailIdentity="junk.example.com", DkimSigningAttributes=garbage)
    good = {"DomainSigningSelector": "s1", "DomainSigningPrivateKey": byodkim_key()}
    world.ses.create_email_identity(EmailIdentity="good.example.com", DkimSigningAttributes=good)
    world.control("/_sesctl/verify", {"identities": ["junk.example.com", "good.example.com"]})
    junk = world.ses.get_email_identity(EmailIdentity="junk.example.com")
    assert (junk["VerifiedForSendingStatus"], junk["DkimAttributes"]["Status"]) == (
        False,
        "FAILED",
    )
    fine = world.ses.get_email_identity(EmailIdentity="good.example.com")
    assert fine["DkimAttributes"]["Status"] == "SUCCESS"


# --- 6. templates -----------------------------------------------------------------------------


def test_the_unsubscribe_url_is_filled_in_with_list_management_only(world: World) -> None:
    world.verified("example.com")
    world.ses.create_contact_list(ContactListName="news")
    world.ses.create_email_template(
        TemplateName="t",
        TemplateContent={"Subject": "s", "Text": "Bye: {{amazonSESUnsubscribeUrl}}"},
    )
    template = {"Template": {"TemplateName": "t", "TemplateData": "{}"}}
    for options in ({}, {"ListManagementOptions": {"ContactListName": "news"}}):
        world.ses.send_email(
            FromEmailAddress="a@example.com",
            Destination={"ToAddresses": ["b@example.net"]},
            Content=template,
            **options,
        )
    with urllib.request.urlopen(world.url + "/_sesctl/messages") as response:
        messages = json.load(response)["messages"]
    assert [m["delivered"] for m in messages] == [False, True]


def test_inline_templates_take_simple_substitutions_only(world: World) -> None:
    world.verified("example.com")
    inline = {"Subject": "s", "Text": "{{#if a}}x{{/if}}"}
    assert refused(
        lambda: world.ses.send_email(
            FromEmailAddress="a@example.com",
            Destination={"ToAddresses": ["b@example.net"]},
            Content={"Template": {"TemplateContent": inline, "TemplateData": "{}"}},
        )
    ) == (400, "BadRequestException", "Template contains unsupported operations.")


# --- 7. defaults ------------------------------------------------------------------------------


def test_a_bare_configuration_set_has_ses_defaults_only(world: World) -> None:
    world.ses.create_configuration_set(ConfigurationSetName="cs")
    answer = world.ses.get_configuration_set(ConfigurationSetName="cs")
    answer.pop("ResponseMetadata")
    assert answer == {
        "ConfigurationSetName": "cs",
        "SendingOptions": {"SendingEnabled": True},
        "ReputationOptions": {"ReputationMetricsEnabled": False},
        "Tags": [],
    }
    world.ses.put_configuration_set_delivery_options(
        ConfigurationSetName="cs", MaxDeliverySeconds=600
    )
    world.ses.put_configuration_set_reputation_options(ConfigurationSetName="cs")
    again = world.ses.get_configuration_set(ConfigurationSetName="cs")
    assert again["DeliveryOptions"] == {"TlsPolicy": "OPTIONAL", "MaxDeliverySeconds": 600}
    assert again["ReputationOptions"] == {"ReputationMetricsEnabled": False}


def test_an_empty_suppression_group_on_create_is_a_server_error(world: World) -> None:
    assert refused(
        lambda: world.ses.create_configuration_set(ConfigurationSetName="cs", SuppressionOptions={})
    )[:2] == (500, "InternalFailure")
    assert world.ses.list_configuration_sets()["ConfigurationSets"] == []


def test_new_identities_answer_as_ses_does(world: World) -> None:
    created = world.ses.create_email_identity(EmailIdentity="a@example.com")
    created.pop("ResponseMetadata")
    assert created == {"IdentityType": "EMAIL_ADDRESS", "VerifiedForSendingStatus": False}
    address = world.ses.get_email_identity(EmailIdentity="a@example.com")
    address.pop("ResponseMetadata")
    assert address == {
        "IdentityType": "EMAIL_ADDRESS",
        "FeedbackForwardingStatus": True,
        "VerifiedForSendingStatus": False,
        "DkimAttributes": {
            "SigningEnabled": False,
            "Status": "NOT_STARTED",
            "SigningAttributesOrigin": "AWS_SES",
            "NextSigningKeyLength": "RSA_1024_BIT",
        },
        "MailFromAttributes": {"BehaviorOnMxFailure": "USE_DEFAULT_VALUE"},
        "Policies": {},
        "Tags": [],
        "VerificationStatus": "PENDING",
        "VerificationInfo": {},
    }
    world.ses.create_email_identity(EmailIdentity="example.com")
    dkim = world.ses.get_email_identity(EmailIdentity="example.com")["DkimAttributes"]
    assert (dkim["SigningEnabled"], dkim["Status"], len(dkim["Tokens"])) == (True, "PENDING", 3)
    assert dkim["CurrentSigningKeyLength"] == dkim["NextSigningKeyLength"] == "RSA_2048_BIT"


def test_a_new_account_has_no_details_and_no_vdm(world: World) -> None:
    account = world.ses.get_account()
    assert "Details" not in account and "VdmAttributes" not in account
    assert account["SuppressionAttributes"] == {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]}


# --- 8. errors --------------------------------------------------------------------------------


def test_attribute_calls_on_an_unknown_identity_answer_as_ses_does(world: World) -> None:
    name = "nope.example.com"
    ses = world.ses
    assert refused(lambda: ses.put_email_identity_dkim_attributes(EmailIdentity=name))[:2] == (
        400,
        "BadRequestException",
    )
    assert refused(lambda: ses.put_email_identity_mail_from_attributes(EmailIdentity=name))[:2] == (
        400,
        "BadRequestException",
    )
    assert refused(lambda: ses.put_email_identity_feedback_attributes(EmailIdentity=name))[:2] == (
        400,
        "BadRequestException",
    )
    assert refused(
        lambda: ses.put_email_identity_dkim_signing_attributes(
            EmailIdentity=name, SigningAttributesOrigin="AWS_SES"
        )
    )[:2] == (404, "NotFoundException")
    assert refused(lambda: ses.put_email_identity_configuration_set_attributes(EmailIdentity=name))[
        :2
    ] == (404, "NotFoundException")


def test_faults_include_the_400_throttling_form(world: World) -> None:
    world.control("/_sesctl/hardness", {"faults": 1.0, "seed": 3})
    seen = set()
    for _ in range(40):
        try:
            world.ses.list_configuration_sets()
        except ClientError as exc:
            seen.add(
                (exc.response["ResponseMetadata"]["HTTPStatusCode"], exc.response["Error"]["Code"])
            )
        except Exception:  # a cut connection
            seen.add((0, "cut"))
    assert (400, "ThrottlingException") in seen
    world.control("/_sesctl/hardness", {})

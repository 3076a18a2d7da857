"""Every null the file allows is an unset that lands in SES and then plans as no change."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.unit.test_null_semantics import CONVERGES, NULLS

from .conftest import Env

HEAD = "version: 1\nstack: s\nregion: us-east-1\n"
VALUE, AFTER_NULL = "@@", "##"  # markers: the field's value; what only the null file adds
SNS = "{topic_arn: 'arn:aws:sns:us-east-1:123456789012:t'}"
BUS = "{event_bus_arn: 'arn:aws:events:us-east-1:123456789012:event-bus/default'}"
DESTINATIONS = {
    "sns_destination": SNS,
    "cloud_watch_destination": "{dimension_configurations: [{dimension_name: d,"
    " dimension_value_source: MESSAGE_TAG, default_dimension_value: none}]}",
    "kinesis_firehose_destination": "{iam_role_arn: 'arn:aws:iam::123456789012:role/r',"
    " delivery_stream_arn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/s'}",
    "event_bridge_destination": BUS,
    "pinpoint_destination": "{application_arn: 'arn:aws:mobiletargeting:us-east-1:123456789012:"
    "apps/a'}",
}
POLICY = (
    "{Version: '2012-10-17', Statement: [{Effect: Allow, Action: 'ses:SendEmail',"
    " Resource: '*', Principal: {AWS: '123456789012'}}]}"
)
TOPIC = "{display_name: Weekly, default_subscription_status: OPT_OUT"
DETAILS = "{mail_type: MARKETING, website_url: 'https://a.example.com', "
VDM = "{dashboard_options: {engagement_metrics: ENABLED}, guardian_options: @@}"
ARCHIVE = "arn:aws:ses:us-east-1:123456789012:mailmanager-archive/a-1"


@dataclass
class Case:
    """A file with `@@` where the field goes: applied with a real value, then with null.

    `moves` are the plan's changes for the null file as (kind, name, field path, or the action
    for a create/delete); `unset` reads the live value through boto3 and says it is gone."""

    path: str
    text: str
    value: str
    moves: set[tuple[str, str, str]]
    unset: Callable[[Any], bool]
    setup: Callable[[Env], None] | None = None
    then: str = ""  # replaces `##` in the null file only (the other destination type)
    note: str = ""  # tells apart two cases of one path

    @property
    def id(self) -> str:
        return f"{self.path}{self.note}"

    def real(self) -> str:
        return HEAD + self.text.replace(VALUE, self.value).replace(AFTER_NULL, "")

    def null(self) -> str:
        return HEAD + self.text.replace(VALUE, "null").replace(AFTER_NULL, self.then)


def identity(ses: Any) -> dict[str, Any]:
    return ses.get_email_identity(EmailIdentity="a.example.com")


def cset(ses: Any) -> dict[str, Any]:
    return ses.get_configuration_set(ConfigurationSetName="cs")


def template(ses: Any) -> dict[str, Any]:
    return ses.get_email_template(TemplateName="t")["TemplateContent"]


def tag_keys(tags: list[dict[str, str]]) -> set[str]:
    return {t["Key"] for t in tags}


def pool_tags(ses: Any) -> set[str]:
    arn = "arn:aws:ses:us-east-1:123456789012:dedicated-ip-pool/p"
    return tag_keys(ses.list_tags_for_resource(ResourceArn=arn)["Tags"])


def verified_tracking_domain(env: Env) -> None:
    env.verified("c.example.com")  # SES takes a tracking domain only once it is verified


def body_files(env: Env) -> None:
    (env.tmp / "body.html").write_text("<p>Hello</p>")
    (env.tmp / "body.txt").write_text("Hello")


def api(member: str) -> str:
    """`sns_destination` → `SnsDestination`, as the API names the member."""
    return member.title().replace("_", "")


def destination_type_case(kind: str) -> Case:
    """Destination `d` sends to `kind`, then to another type with `kind` written null."""
    other = "event_bridge_destination" if kind == "sns_destination" else "sns_destination"

    def unset(ses: Any) -> bool:
        found = ses.get_configuration_set_event_destinations(ConfigurationSetName="cs")
        (destination,) = found["EventDestinations"]
        return api(kind) not in destination and api(other) in destination

    return Case(
        f"configuration_sets.*.event_destinations.*.{kind}",
        "configuration_sets: {cs: {event_destinations: {d: {matching_event_types: [SEND],"
        f" {kind}: @@##}}}}}}}}\n",
        DESTINATIONS[kind],
        {("event_destination", "cs/d", kind), ("event_destination", "cs/d", other)},
        unset,
        then=f", {other}: {DESTINATIONS[other]}",
    )


def verification_template(ses: Any) -> dict[str, Any]:
    return ses.get_custom_verification_email_template(TemplateName="welcome")


def verified_sender(env: Env) -> None:
    env.verified("example.com")


CVET = (
    "custom_verification_email_templates: {{welcome: {{from_email_address: verify@example.com,"
    " template_subject: Confirm, template_content: '<p>Hello</p>',"
    " success_redirection_url: 'https://example.com/ok',"
    " failure_redirection_url: 'https://example.com/failed', {}}}}}\n"
)
ID, CS, TPL, CV = "identity", "configuration_set", "template", "custom_verification_email_template"
POOL, LIST = "dedicated_ip_pool", "contact_list"
A = "a.example.com"
CASES = [
    # --- account details: PutAccountDetails without the member leaves it unset
    Case(
        "account.details.use_case_description",
        f"account: {{details: {DETAILS}use_case_description: @@}}}}\n",
        "Receipts",
        {("account", "account", "details.use_case_description")},
        lambda ses: "UseCaseDescription" not in ses.get_account()["Details"],
    ),
    Case(
        "account.details.contact_language",
        f"account: {{details: {DETAILS}contact_language: @@}}}}\n",
        "JA",
        {("account", "account", "details.contact_language")},
        lambda ses: "ContactLanguage" not in ses.get_account()["Details"],
    ),
    Case(
        "account.details.additional_contact_email_addresses",
        f"account: {{details: {DETAILS}additional_contact_email_addresses: @@}}}}\n",
        "[ops@example.com]",
        {("account", "account", "details.additional_contact_email_addresses")},
        lambda ses: not ses.get_account()["Details"].get("AdditionalContactEmailAddresses"),
    ),
    # --- identities
    Case(
        "identities.*.mail_from_attributes",
        "identities: {a.example.com: {mail_from_attributes: @@}}\n",
        "{mail_from_domain: m.a.example.com, behavior_on_mx_failure: REJECT_MESSAGE}",
        {(ID, A, "mail_from_attributes")},
        lambda ses: "MailFromDomain" not in identity(ses)["MailFromAttributes"],
    ),
    Case(
        "identities.*.configuration_set_name",
        "identities: {a.example.com: {configuration_set_name: @@}}\nconfiguration_sets: {cs: {}}\n",
        "cs",
        {(ID, A, "configuration_set_name")},
        lambda ses: "ConfigurationSetName" not in identity(ses),
    ),
    Case(
        "identities.*.policies",
        "identities: {a.example.com: {policies: @@}}\n",
        f"{{p: {POLICY}}}",
        {("identity_policy", f"{A}/p", "delete")},
        lambda ses: not identity(ses).get("Policies"),
    ),
    Case(
        "identities.*.protect",
        "identities: {a.example.com: {protect: @@}}\n",
        "true",
        {(ID, A, "tags.sesctl:protect")},
        lambda ses: "sesctl:protect" not in tag_keys(identity(ses)["Tags"]),
    ),
    Case(
        "identities.*.tags",
        "identities: {a.example.com: {tags: @@}}\n",
        "{team: mail}",
        {(ID, A, "tags.team")},
        lambda ses: tag_keys(identity(ses)["Tags"]) == {"sesctl:stack"},
    ),
    # --- configuration sets: delivery options keep their group, the rest go with their key
    Case(
        "configuration_sets.*.delivery_options.sending_pool_name",
        "dedicated_ip_pools: {p: {}}\n"
        "configuration_sets: {cs: {delivery_options: {sending_pool_name: @@}}}\n",
        "p",
        {(CS, "cs", "delivery_options.sending_pool_name")},
        lambda ses: "SendingPoolName" not in cset(ses)["DeliveryOptions"],
    ),
    Case(
        "configuration_sets.*.delivery_options.max_delivery_seconds",
        "configuration_sets: {cs: {delivery_options: {max_delivery_seconds: @@}}}\n",
        "900",
        {(CS, "cs", "delivery_options.max_delivery_seconds")},
        lambda ses: "MaxDeliverySeconds" not in cset(ses)["DeliveryOptions"],
    ),
    Case(
        "configuration_sets.*.suppression_options",
        "configuration_sets: {cs: {suppression_options: @@}}\n",
        "{suppressed_reasons: [BOUNCE]}",
        {(CS, "cs", "suppression_options")},
        lambda ses: "SuppressionOptions" not in cset(ses),
    ),
    Case(
        "configuration_sets.*.suppression_options.suppressed_reasons",
        "configuration_sets: {cs: {suppression_options: {suppressed_reasons: @@}}}\n",
        "[BOUNCE, COMPLAINT]",
        {(CS, "cs", "suppression_options")},
        lambda ses: "SuppressionOptions" not in cset(ses),
    ),
    Case(  # [] suppresses nothing; null falls back to the account's setting: not the same
        "configuration_sets.*.suppression_options.suppressed_reasons",
        "configuration_sets: {cs: {suppression_options: {suppressed_reasons: @@}}}\n",
        "[]",
        {(CS, "cs", "suppression_options")},
        lambda ses: "SuppressionOptions" not in cset(ses),
        note="=[]",
    ),
    Case(
        "configuration_sets.*.tracking_options",
        "configuration_sets: {cs: {tracking_options: @@}}\n",
        "{custom_redirect_domain: c.example.com, https_policy: REQUIRE}",
        {(CS, "cs", "tracking_options")},
        lambda ses: "TrackingOptions" not in cset(ses),
        verified_tracking_domain,
    ),
    Case(
        "configuration_sets.*.tracking_options.custom_redirect_domain",
        "configuration_sets: {cs: {tracking_options: {custom_redirect_domain: @@}}}\n",
        "c.example.com",
        {(CS, "cs", "tracking_options")},
        lambda ses: "TrackingOptions" not in cset(ses),
        verified_tracking_domain,
    ),
    Case(
        "configuration_sets.*.vdm_options",
        "configuration_sets: {cs: {vdm_options: @@}}\n",
        VDM.replace(VALUE, "{optimized_shared_delivery: ENABLED}"),
        {(CS, "cs", "vdm_options")},
        lambda ses: "VdmOptions" not in cset(ses),
    ),
    Case(
        "configuration_sets.*.vdm_options.dashboard_options",
        "configuration_sets: {cs: {vdm_options: {dashboard_options: @@,"
        " guardian_options: {optimized_shared_delivery: ENABLED}}}}\n",
        "{engagement_metrics: ENABLED}",
        {(CS, "cs", "vdm_options.dashboard_options")},
        lambda ses: (
            cset(ses)["VdmOptions"] == {"GuardianOptions": {"OptimizedSharedDelivery": "ENABLED"}}
        ),
    ),
    Case(
        "configuration_sets.*.vdm_options.guardian_options",
        f"configuration_sets: {{cs: {{vdm_options: {VDM}}}}}\n",
        "{optimized_shared_delivery: ENABLED}",
        {(CS, "cs", "vdm_options.guardian_options")},
        lambda ses: (
            cset(ses)["VdmOptions"] == {"DashboardOptions": {"EngagementMetrics": "ENABLED"}}
        ),
    ),
    Case(
        "configuration_sets.*.archiving_options",
        "configuration_sets: {cs: {archiving_options: @@}}\n",
        f"{{archive_arn: '{ARCHIVE}'}}",
        {(CS, "cs", "archiving_options")},
        lambda ses: "ArchivingOptions" not in cset(ses),
    ),
    Case(
        "configuration_sets.*.archiving_options.archive_arn",
        "configuration_sets: {cs: {archiving_options: {archive_arn: @@}}}\n",
        f"'{ARCHIVE}'",
        {(CS, "cs", "archiving_options")},
        lambda ses: "ArchivingOptions" not in cset(ses),
    ),
    Case(
        "configuration_sets.*.protect",
        "configuration_sets: {cs: {protect: @@}}\n",
        "true",
        {(CS, "cs", "tags.sesctl:protect")},
        lambda ses: "sesctl:protect" not in tag_keys(cset(ses)["Tags"]),
    ),
    Case(
        "configuration_sets.*.tags",
        "configuration_sets: {cs: {tags: @@}}\n",
        "{team: mail}",
        {(CS, "cs", "tags.team")},
        lambda ses: tag_keys(cset(ses)["Tags"]) == {"sesctl:stack"},
    ),
    Case(
        "configuration_sets.*.event_destinations",
        "configuration_sets: {cs: {event_destinations: @@}}\n",
        f"{{d: {{matching_event_types: [SEND], sns_destination: {SNS}}}}}",
        {("event_destination", "cs/d", "delete")},
        lambda ses: (
            not ses.get_configuration_set_event_destinations(ConfigurationSetName="cs")[
                "EventDestinations"
            ]
        ),
    ),
    # --- a destination type written null is replaced by another: SES holds exactly one
    *(destination_type_case(kind) for kind in DESTINATIONS),
    # --- templates: the content is replaced whole, so a null part is gone
    Case(
        "templates.*.html",
        "templates: {t: {subject: Hi, text: Hello, html: @@}}\n",
        "'<p>Hello</p>'",
        {(TPL, "t", "html")},
        lambda ses: "Html" not in template(ses),
    ),
    Case(
        "templates.*.text",
        "templates: {t: {subject: Hi, html: '<p>Hello</p>', text: @@}}\n",
        "Hello",
        {(TPL, "t", "text")},
        lambda ses: "Text" not in template(ses),
    ),
    Case(
        "templates.*.html_file",
        "templates: {t: {subject: Hi, text: Hello, html_file: @@}}\n",
        "body.html",
        {(TPL, "t", "html")},
        lambda ses: "Html" not in template(ses),
        body_files,
    ),
    Case(
        "templates.*.text_file",
        "templates: {t: {subject: Hi, html: '<p>Hello</p>', text_file: @@}}\n",
        "body.txt",
        {(TPL, "t", "text")},
        lambda ses: "Text" not in template(ses),
        body_files,
    ),
    Case(
        "templates.*.protect",
        "templates: {t: {subject: Hi, text: Hello, protect: @@}}\n",
        "true",
        {(TPL, "t", "tags.sesctl:protect")},
        lambda ses: (
            "sesctl:protect"
            not in tag_keys(ses.get_email_template(TemplateName="t").get("Tags", []))
        ),
    ),
    Case(
        "templates.*.tags",
        "templates: {t: {subject: Hi, text: Hello, tags: @@}}\n",
        "{team: mail}",
        {(TPL, "t", "tags.team")},
        lambda ses: (
            "team" not in tag_keys(ses.get_email_template(TemplateName="t").get("Tags", []))
        ),
    ),
    # --- custom verification email templates (SES takes them from a verified sender only)
    Case(
        "custom_verification_email_templates.*.protect",
        CVET.format("protect: @@"),
        "true",
        {(CV, "welcome", "tags.sesctl:protect")},
        lambda ses: "sesctl:protect" not in tag_keys(verification_template(ses)["Tags"]),
        verified_sender,
    ),
    Case(
        "custom_verification_email_templates.*.tags",
        CVET.format("tags: @@"),
        "{team: mail}",
        {(CV, "welcome", "tags.team")},
        lambda ses: "team" not in tag_keys(verification_template(ses)["Tags"]),
        verified_sender,
    ),
    # --- dedicated IP pools
    Case(
        "dedicated_ip_pools.*.protect",
        "dedicated_ip_pools: {p: {protect: @@}}\n",
        "true",
        {(POOL, "p", "tags.sesctl:protect")},
        lambda ses: "sesctl:protect" not in pool_tags(ses),
    ),
    Case(
        "dedicated_ip_pools.*.tags",
        "dedicated_ip_pools: {p: {tags: @@}}\n",
        "{team: mail}",
        {(POOL, "p", "tags.team")},
        lambda ses: pool_tags(ses) == {"sesctl:stack"},
    ),
    # --- contact lists: UpdateContactList writes description and topics whole
    Case(
        "contact_lists.*.description",
        "contact_lists: {news: {description: @@}}\n",
        "Product news",
        {(LIST, "news", "description")},
        lambda ses: not ses.get_contact_list(ContactListName="news").get("Description"),
    ),
    Case(
        "contact_lists.*.topics",
        "contact_lists: {news: {topics: @@}}\n",
        f"{{weekly: {TOPIC}}}}}",
        {(LIST, "news", "topics")},
        lambda ses: not ses.get_contact_list(ContactListName="news").get("Topics"),
    ),
    Case(
        "contact_lists.*.topics.*.description",
        f"contact_lists: {{news: {{topics: {{weekly: {TOPIC}, description: @@}}}}}}}}\n",
        "Every Monday",
        {(LIST, "news", "topics.weekly.description")},
        lambda ses: "Description" not in ses.get_contact_list(ContactListName="news")["Topics"][0],
    ),
    Case(
        "contact_lists.*.protect",
        "contact_lists: {news: {protect: @@}}\n",
        "true",
        {(LIST, "news", "tags.sesctl:protect")},
        lambda ses: (
            "sesctl:protect" not in tag_keys(ses.get_contact_list(ContactListName="news")["Tags"])
        ),
    ),
    Case(
        "contact_lists.*.tags",
        "contact_lists: {news: {tags: @@}}\n",
        "{team: mail}",
        {(LIST, "news", "tags.team")},
        lambda ses: (
            tag_keys(ses.get_contact_list(ContactListName="news")["Tags"]) == {"sesctl:stack"}
        ),
    ),
    Case(
        "contact_lists.*.contacts.addresses.*.topic_preferences",
        f"contact_lists: {{news: {{topics: {{weekly: {TOPIC}}}}}, contacts: {{addresses:"
        " {a@example.com: {topic_preferences: @@}}}}}\n",
        "{weekly: OPT_IN}",
        {("contact", "news/a@example.com", "topic_preferences.weekly")},
        lambda ses: (
            not ses.get_contact(ContactListName="news", EmailAddress="a@example.com")[
                "TopicPreferences"
            ]
        ),
    ),
]
# Allowed nulls that never reach SES as an unset, each tested on its own below: the region and
# the sections (null = left out), test_data (never sent), and a template's subject, which
# stays required: null there only picks the other spelling (subject or subject_file).
NOT_AN_UNSET = {
    "region",
    *(p for p in NULLS if "." not in p),
    "templates.*.test_data",
    "templates.*.subject",
    "templates.*.subject_file",
    "custom_verification_email_templates.*.template_content",
    "custom_verification_email_templates.*.template_content_file",
}


def plan_json(env: Env, config: str) -> dict[str, Any]:
    result = env.sesctl("plan", config, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def establish(env: Env, text: str) -> None:
    """Apply `text` and check the next plan is empty."""
    config = env.write(text)
    applied = env.sesctl("apply", config, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    again = env.sesctl("plan", config, "--detailed-exitcode")
    assert again.exit_code == 0, again.stdout


def converge(env: Env, text: str) -> dict[str, Any]:
    """Apply `text`, check the next plan is empty, and return the plan the apply made."""
    config = env.write(text)
    planned = plan_json(env, config)
    applied = env.sesctl("apply", config, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    again = env.sesctl("plan", config, "--detailed-exitcode")
    assert again.exit_code == 0, again.stdout
    return planned


def moves(planned: dict[str, Any]) -> set[tuple[str, str, str]]:
    """Each change as (kind, name, field path), or (kind, name, action) when not an update."""
    found = set()
    for change in planned["changes"]:
        kind, name = change["kind"], change["name"]
        if change["action"] != "update":
            found.add((kind, name, change["action"]))
        found.update((kind, name, field["path"]) for field in change.get("fields", []))
    return found


def test_every_allowed_null_that_reaches_ses_has_a_case() -> None:
    """A null the unit table allows is either unset end to end here or listed as not one."""
    allowed = {path for path, outcome in NULLS.items() if outcome == CONVERGES}
    assert {case.path for case in CASES} == allowed - NOT_AN_UNSET


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in CASES])
def test_null_unsets_and_converges(env: Env, case: Case) -> None:
    """Real value, then null: the plan shows the unset, SES drops it, the next plan is empty."""
    if case.setup:
        case.setup(env)
    establish(env, case.real())
    planned = converge(env, case.null())
    assert moves(planned) == case.moves
    assert case.unset(env.ses())


@pytest.mark.parametrize(
    ("real", "null"),
    [
        ("{subject: Hi, text: Hello}", "{subject: null, subject_file: subject.txt, text: Hello}"),
        (
            "{subject_file: subject.txt, text: Hello}",
            "{subject_file: null, subject: Hi, text: Hello}",
        ),
    ],
    ids=["subject", "subject_file"],
)
def test_null_template_subject_picks_the_other_spelling(env: Env, real: str, null: str) -> None:
    """A template keeps its subject: null one spelling, give the other, and nothing moves."""
    (env.tmp / "subject.txt").write_text("Hi")
    establish(env, HEAD + f"templates: {{t: {real}}}\n")
    assert converge(env, HEAD + f"templates: {{t: {null}}}\n")["changes"] == []
    assert template(env.ses())["Subject"] == "Hi"


@pytest.mark.parametrize(
    ("real", "null"),
    [
        ("template_content: '<p>Hi</p>'", "template_content: null, template_content_file: b.html"),
        (
            "template_content_file: b.html",
            "template_content_file: null, template_content: '<p>Hi</p>'",
        ),
    ],
    ids=["template_content", "template_content_file"],
)
def test_null_verification_content_picks_the_other_spelling(env: Env, real: str, null: str) -> None:
    """A custom verification template keeps its content: null one spelling, give the other."""
    env.verified("example.com")
    (env.tmp / "b.html").write_text("<p>Hi</p>")
    base = CVET.replace(" template_content: '<p>Hello</p>',", "")
    establish(env, HEAD + base.format(real))
    assert converge(env, HEAD + base.format(null))["changes"] == []
    assert verification_template(env.ses())["TemplateContent"] == "<p>Hi</p>"


def test_null_test_data_is_never_sent(env: Env) -> None:
    """test_data only feeds `validate`: nulling it changes nothing in SES."""
    establish(env, HEAD + "templates: {t: {subject: 'Hi {{n}}', text: a, test_data: {n: Ada}}}\n")
    planned = converge(
        env, HEAD + "templates: {t: {subject: 'Hi {{n}}', text: a, test_data: null}}\n"
    )
    assert planned["changes"] == []


def test_null_sections_and_region_plan_like_absent_ones(env: Env) -> None:
    """A section written null is not managed, as if left out: nothing is deleted or listed."""
    env.control("POST", "/_sesctl/dedicated-ips", {"ips": ["198.51.100.7"]})
    establish(
        env,
        HEAD
        + "account: {sending_enabled: false}\n"
        + "identities: {a.example.com: {}}\n"
        + "configuration_sets: {cs: {}}\n"
        + "templates: {t: {subject: Hi, text: Hello}}\n"
        + "dedicated_ip_pools: {p: {}}\n"
        + "dedicated_ips: {198.51.100.7: {pool: p}}\n"
        + "contact_lists: {news: {}}\n"
        + "suppressions: {addresses: {a@example.com: BOUNCE}}\n",
    )
    sections = [p for p in NULLS if "." not in p and p != "region"]
    absent = plan_json(env, env.write(HEAD, "absent.yaml"))
    del absent["metadata"]  # timings of the run
    nulls = "version: 1\nstack: s\nregion: null\n" + "".join(f"{s}: null\n" for s in sections)
    config = env.write(nulls, "nulls.yaml")
    assert {k: v for k, v in plan_json(env, config).items() if k != "metadata"} == absent
    assert absent["changes"] == [] and absent["unmanaged"] == []
    assert env.sesctl("plan", config, "--detailed-exitcode").exit_code == 0
    applied = env.sesctl("apply", config, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    ses = env.ses()
    assert ses.get_account()["SendingEnabled"] is False
    assert identity(ses) and cset(ses) and template(ses)
    assert ses.get_dedicated_ip(Ip="198.51.100.7")["DedicatedIp"]["PoolName"] == "p"
    assert ses.get_contact_list(ContactListName="news")
    assert ses.get_suppressed_destination(EmailAddress="a@example.com")

"""Pydantic models of the YAML contract (version 1): one class per resource kind.

Field names mirror the SES v2 API members in snake_case. A key left out of the file is not
managed; an explicit `null` means "must be unset". `model_fields_set` tells the two apart.
Where SES has no "unset" for a field (a Put that omits it writes false, or a default), null is
refused with file:line (`NotNull`) rather than guessed.

What SES refuses is refused here first, offline, so `validate` catches it with file:line:
names (`name`), counts (`at_most`), tag rules (`Tags`), the EventBridge bus. Sources: the SES
v2 API reference (data types Tag, EventBridgeDestination, CreateConfigurationSet…), the
developer guide ("Service quotas", "Using list management", "Sending authorization policy
anatomy") and, where AWS documents a rule only for CloudFormation, its SES resource pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sized
from functools import cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from .limits import DEFAULTS


def _upper(value: Any) -> Any:
    """Enum values are case-insensitive in the file; SES spells them in upper case."""
    return value.upper() if isinstance(value, str) else value


# Enum values are case-insensitive in the file: `Annotated[Literal[...], Upper]`.
Upper = BeforeValidator(_upper)


def _no_null(schema: dict[str, Any]) -> None:
    """JSON Schema of a NotNull field: the null branch pydantic adds for `X | None` goes."""
    branches = [b for b in schema.pop("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches
    schema.pop("default", None)


def NotNull(hint: str) -> Any:
    """A field the file may leave out (not managed) but not set to null: SES cannot unset it
    (a Put without it writes false or a default), so null would never converge."""

    def refuse(value: Any) -> Any:
        if value is None:
            raise ValueError(f"null is not allowed here: SES cannot unset it; {hint}")
        return value

    return [BeforeValidator(refuse), Field(json_schema_extra=_no_null)]


def name(what: str, pattern: str, rule: str) -> list[Any]:
    """A name SES accepts for `what`, checked with a plain message (editors get the pattern)."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{what} {value!r}: {rule}; SES refuses it")
        return value

    return [AfterValidator(check), Field(json_schema_extra={"pattern": pattern})]


def at_most(limit: int, what: str) -> Any:
    """A collection SES caps at `limit` members."""

    def check(value: Sized | None) -> Any:
        if value is not None and len(value) > limit:
            raise ValueError(f"{len(value)} {what}: SES allows at most {limit}")
        return value

    return AfterValidator(check)


STACK = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"  # a stack name, as a tag value takes it
SIMPLE = r"[A-Za-z0-9_-]{1,64}"
SIMPLE_RULE = "use 1 to 64 letters, digits, '_' or '-'"
SetName = Annotated[str, *name("configuration set name", SIMPLE, SIMPLE_RULE)]
TemplateName = Annotated[str, *name("template name", SIMPLE, SIMPLE_RULE)]
# CloudFormation documents pool names as lower case only (AWS::SES::DedicatedIpPool).
PoolName = Annotated[
    str,
    *name("pool name", r"[a-z0-9_-]{1,64}", "use 1 to 64 lower-case letters, digits, '_' or '-'"),
]
ContactListName = Annotated[str, *name("contact list name", SIMPLE, SIMPLE_RULE)]
TopicName = Annotated[str, *name("topic name", SIMPLE, SIMPLE_RULE)]
DestinationName = Annotated[str, *name("event destination name", SIMPLE, SIMPLE_RULE)]
PolicyName = Annotated[str, *name("policy name", SIMPLE, SIMPLE_RULE)]
IdentityName = Annotated[
    str,
    *name(
        "identity",
        r"(?=.{1,320}$)([^@\s]{1,64}@)?(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
        r"[A-Za-z0-9-]{2,63}",
        "an identity is a domain (example.com) or an email address (a@example.com)",
    ),
]
Selector = Annotated[
    str,
    *name(
        "DKIM selector",
        r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
        "use 1 to 63 letters, digits or '-', not at either end",
    ),
]
# SES's two built-in pools: a configuration set may send from them, no file defines them.
DEFAULT_POOL = "ses-default-dedicated-pool"  # where a leased IP in no pool of its own sends
BUILT_IN_POOLS = frozenset({DEFAULT_POOL, "ses-shared-pool"})


def _tag_text(limit: int, what: str, empty: bool) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value.lower().startswith("aws:"):
            raise ValueError(f"tag {what} {value!r}: the aws: prefix is reserved by AWS")
        if not (0 if empty else 1) <= len(value) <= limit:
            raise ValueError(f"tag {what} {value!r}: {'0' if empty else '1'} to {limit} characters")
        return value

    return check


# Tag data type (SES v2 API reference): at most 50 tags a resource, keys 1-128 characters,
# values up to 256, and `aws:` reserved in both. config.py counts tags per resource, with the
# file-wide ones and sesctl's own.
TagKey = Annotated[str, AfterValidator(_tag_text(128, "key", empty=False))]
TagValue = Annotated[str, AfterValidator(_tag_text(256, "value", empty=True))]
Tags = dict[TagKey, TagValue]
MAX_TAGS = 50
EnabledDisabled = Annotated[Literal["ENABLED", "DISABLED"], Upper]
EventType = Annotated[
    Literal[
        "SEND",
        "REJECT",
        "BOUNCE",
        "COMPLAINT",
        "DELIVERY",
        "OPEN",
        "CLICK",
        "RENDERING_FAILURE",
        "DELIVERY_DELAY",
        "SUBSCRIPTION",
    ],
    Upper,
]
SuppressionReason = Annotated[Literal["BOUNCE", "COMPLAINT"], Upper]


Protect = Annotated[
    bool | None,
    Field(
        description="true: apply refuses to delete or replace it; stamped on it as the tag "
        "sesctl:protect, so removing the block does not remove the protection"
    ),
]


class Strict(BaseModel):
    """Unknown keys are errors: a typo must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)


# --- configuration sets ------------------------------------------------------------------


class DeliveryOptions(Strict):
    tls_policy: Annotated[
        Annotated[Literal["REQUIRE", "OPTIONAL"], Upper] | None,
        *NotNull("write OPTIONAL (its default)"),
    ] = None
    sending_pool_name: str | None = Field(
        default=None, description="a pool of the file or the account, or an SES built-in pool"
    )
    max_delivery_seconds: Annotated[int, Field(ge=300, le=50400)] | None = None


class ReputationOptions(Strict):
    reputation_metrics_enabled: Annotated[bool | None, *NotNull("write true or false")] = None


class SendingOptions(Strict):
    sending_enabled: Annotated[bool | None, *NotNull("write true or false")] = None


class SuppressionOptions(Strict):
    suppressed_reasons: list[SuppressionReason] | None = Field(
        default=None, description="[] suppresses nothing; null falls back to the account setting"
    )


class TrackingOptions(Strict):
    """Open and click tracking; without a custom domain SES keeps no tracking options."""

    custom_redirect_domain: str | None = Field(
        default=None,
        description="SES needs this domain verified as an identity of its own; until it is, "
        "plan shows the tracking options as waiting and apply leaves them for a later run",
    )
    https_policy: Annotated[
        Annotated[Literal["REQUIRE", "REQUIRE_OPEN_ONLY", "OPTIONAL"], Upper] | None,
        *NotNull("write OPTIONAL (its default)"),
    ] = None

    @model_validator(mode="after")
    def _domain_for_policy(self) -> TrackingOptions:
        unset = (
            "custom_redirect_domain" in self.model_fields_set and not self.custom_redirect_domain
        )
        if unset and self.https_policy:
            raise ValueError(
                "https_policy needs custom_redirect_domain: without it SES keeps no tracking "
                "options (write tracking_options: null to remove them)"
            )
        return self


class DashboardOptions(Strict):
    engagement_metrics: Annotated[EnabledDisabled | None, *NotNull("write ENABLED or DISABLED")] = (
        None
    )


class GuardianOptions(Strict):
    optimized_shared_delivery: Annotated[
        EnabledDisabled | None, *NotNull("write ENABLED or DISABLED")
    ] = None


class VdmOptions(Strict):
    dashboard_options: DashboardOptions | None = None
    guardian_options: GuardianOptions | None = None


class ArchivingOptions(Strict):
    archive_arn: str | None = None


class SnsDestination(Strict):
    topic_arn: str


class DimensionConfiguration(Strict):
    dimension_name: str
    dimension_value_source: Annotated[Literal["MESSAGE_TAG", "EMAIL_HEADER", "LINK_TAG"], Upper]
    default_dimension_value: str


class CloudWatchDestination(Strict):
    dimension_configurations: Annotated[
        list[DimensionConfiguration], Field(min_length=1), at_most(10, "dimensions")
    ]


class KinesisFirehoseDestination(Strict):
    iam_role_arn: str
    delivery_stream_arn: str


def _default_bus(arn: str) -> str:
    """SES publishes to the default event bus only (EventBridgeDestination, API reference)."""
    if not re.fullmatch(r"arn:aws[a-z0-9-]*:events:[a-z0-9-]+:\d{12}:event-bus/default", arn):
        raise ValueError(
            f"{arn!r}: SES sends events to the account's default event bus only "
            "(arn:aws:events:<region>:<account>:event-bus/default)"
        )
    return arn


class EventBridgeDestination(Strict):
    event_bus_arn: Annotated[str, AfterValidator(_default_bus)]


class PinpointDestination(Strict):
    application_arn: str


DESTINATION_TYPES = (
    "sns_destination",
    "cloud_watch_destination",
    "kinesis_firehose_destination",
    "event_bridge_destination",
    "pinpoint_destination",
)


class EventDestination(Strict):
    """One event destination of a configuration set; exactly one destination type."""

    enabled: bool = Field(
        default=True,
        description="default true: a declared destination is meant to receive events "
        "(SES itself defaults to false)",
    )
    matching_event_types: Annotated[list[EventType], Field(min_length=1)]
    sns_destination: SnsDestination | None = None
    cloud_watch_destination: CloudWatchDestination | None = None
    kinesis_firehose_destination: KinesisFirehoseDestination | None = None
    event_bridge_destination: EventBridgeDestination | None = None
    pinpoint_destination: PinpointDestination | None = None

    @model_validator(mode="after")
    def _one_destination(self) -> EventDestination:
        chosen = [name for name in DESTINATION_TYPES if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise ValueError(
                "an event destination needs exactly one of " + ", ".join(DESTINATION_TYPES)
            )
        return self


class ConfigurationSet(Strict):
    delivery_options: Annotated[
        DeliveryOptions | None,
        *NotNull("to drop the pool write sending_pool_name: null, and tls_policy: OPTIONAL"),
    ] = None
    reputation_options: Annotated[
        ReputationOptions | None, *NotNull("write reputation_metrics_enabled: true or false")
    ] = None
    sending_options: Annotated[
        SendingOptions | None, *NotNull("write sending_enabled: true or false")
    ] = None
    suppression_options: SuppressionOptions | None = None
    tracking_options: TrackingOptions | None = None
    vdm_options: VdmOptions | None = None
    archiving_options: ArchivingOptions | None = None
    protect: Protect = None
    tags: Tags | None = None
    event_destinations: Annotated[
        dict[DestinationName, EventDestination] | None, at_most(10, "event destinations")
    ] = None


# --- identities, templates, pools ---------------------------------------------------------


@cache
def signing_origins() -> tuple[str, ...]:
    """Easy DKIM origins as botocore's model lists them: AWS_SES and AWS_SES_<REGION>. Read
    when first needed, not when this module loads: loading it makes no botocore call."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("sesv2")
    enum = model.shape_for("DkimSigningAttributesOrigin").enum
    return tuple(origin for origin in enum if origin.startswith("AWS_SES"))


def _signing_origin(value: str) -> str:
    if value not in signing_origins():
        raise ValueError(f"Input should be one of {', '.join(signing_origins())}")
    return value


def _origin_schema(schema: dict[str, Any]) -> None:
    schema["enum"] = list(signing_origins())


class DkimSigningAttributes(Strict):
    """Easy DKIM (key length, or a deterministic key from a region: AWS_SES_<REGION>), or
    BYODKIM (a selector and your own private key; write-only, never printed)."""

    next_signing_key_length: Annotated[
        Annotated[Literal["RSA_1024_BIT", "RSA_2048_BIT"], Upper] | None,
        *NotNull("leave the key out"),
    ] = None
    domain_signing_attributes_origin: Annotated[
        Annotated[
            str,
            Upper,
            AfterValidator(_signing_origin),
            Field(json_schema_extra=_origin_schema),
        ]
        | None,
        *NotNull("write AWS_SES (its default)"),
    ] = None
    domain_signing_selector: Selector | None = None
    domain_signing_private_key: str | None = Field(
        default=None,
        description="BYODKIM: a 1024- or 2048-bit RSA key (PKCS #1 or #8), base64 without the "
        "PEM header and footer lines; use a ${env:}/${file:}/${ssm:} reference",
    )

    @model_validator(mode="after")
    def _easy_or_byo(self) -> DkimSigningAttributes:
        byo = (self.domain_signing_selector, self.domain_signing_private_key)
        if any(v is not None for v in byo):
            if None in byo:
                raise ValueError(
                    "BYODKIM needs both domain_signing_selector and domain_signing_private_key"
                )
            if self.next_signing_key_length or self.domain_signing_attributes_origin:
                raise ValueError("BYODKIM (selector and key) excludes Easy DKIM settings")
        return self

    @property
    def byodkim(self) -> bool:
        return self.domain_signing_private_key is not None


class MailFromAttributes(Strict):
    mail_from_domain: str
    behavior_on_mx_failure: Annotated[
        Annotated[Literal["USE_DEFAULT_VALUE", "REJECT_MESSAGE"], Upper] | None,
        *NotNull("write USE_DEFAULT_VALUE (its default)"),
    ] = None


class Identity(Strict):
    """A domain or email address identity; the key in the file is its name."""

    dkim_signing_attributes: Annotated[
        DkimSigningAttributes | None, *NotNull("leave the key out to keep the live DKIM keys")
    ] = None
    dkim_signing_enabled: Annotated[bool | None, *NotNull("write true or false")] = None
    mail_from_attributes: MailFromAttributes | None = Field(
        default=None, description="null resets to SES's own MAIL FROM domain"
    )
    email_forwarding_enabled: Annotated[
        bool | None, *NotNull("write true (its default) or false")
    ] = None
    configuration_set_name: str | None = None
    policies: Annotated[
        dict[PolicyName, dict[str, Any] | str] | None, at_most(20, "policies on one identity")
    ] = None
    protect: Protect = None
    tags: Tags | None = None


class Template(Strict):
    """An email template: each part inline or from a file beside the YAML."""

    subject: str | None = None
    subject_file: str | None = None
    html: str | None = None
    html_file: str | None = None
    text: str | None = None
    text_file: str | None = None
    test_data: dict[str, Any] | None = Field(
        default=None, description="rendered by `sesctl validate`; never sent to SES"
    )
    protect: Protect = None
    tags: Tags | None = None

    @model_validator(mode="after")
    def _one_source_per_part(self) -> Template:
        for part in ("subject", "html", "text"):
            if getattr(self, part) is not None and getattr(self, f"{part}_file") is not None:
                raise ValueError(f"give {part} or {part}_file, not both")
        if self.subject is None and self.subject_file is None:
            raise ValueError("a template needs a subject (subject or subject_file)")
        if not any(
            getattr(self, p) is not None for p in ("html", "html_file", "text", "text_file")
        ):
            raise ValueError("a template needs a body: html, html_file, text or text_file")
        return self


# A bare address: SES takes no display name as a custom verification email's sender.
SenderAddress = Annotated[
    str,
    *name(
        "sender address",
        r"(?=.{1,320}$)[^@\s<>\"]{1,64}@(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
        r"[A-Za-z0-9-]{2,63}",
        "write a bare address (verify@example.com), no display name",
    ),
]


def _redirect_url(value: str) -> str:
    """Where SES sends the recipient after the link: an http(s) URL with a host."""
    url = urlsplit(value)
    if url.scheme not in ("http", "https") or not url.netloc:
        raise ValueError(f"{value!r} is not an http(s) URL; SES refuses it")
    return value


CvTemplateName = Annotated[
    str, *name("custom verification email template name", SIMPLE, SIMPLE_RULE)
]
RedirectUrl = Annotated[str, AfterValidator(_redirect_url)]


class CustomVerificationEmailTemplate(Strict):
    """The email SES sends to verify a new address; SES appends the link itself."""

    from_email_address: SenderAddress
    template_subject: Annotated[str, Field(min_length=1)]
    template_content: str | None = None
    template_content_file: str | None = None
    success_redirection_url: RedirectUrl
    failure_redirection_url: RedirectUrl
    protect: Protect = None
    tags: Tags | None = None

    @model_validator(mode="after")
    def _one_content(self) -> CustomVerificationEmailTemplate:
        if (self.template_content is None) == (self.template_content_file is None):
            raise ValueError("give template_content or template_content_file (one of them)")
        return self


class DedicatedIp(Strict):
    """A leased IP (the key): which pool it sends from and how far it is warmed up."""

    pool: Annotated[str | None, *NotNull("a leased IP is always in a pool")] = None
    warmup_percentage: Annotated[
        Annotated[int, Field(ge=0, le=100)] | None, *NotNull("write a percentage")
    ] = None


class DedicatedIpPool(Strict):
    scaling_mode: Annotated[Literal["STANDARD", "MANAGED"], Upper] = "STANDARD"
    protect: Protect = None
    tags: Tags | None = None


SubscriptionStatus = Annotated[Literal["OPT_IN", "OPT_OUT"], Upper]


class Topic(Strict):
    display_name: Annotated[str, Field(max_length=128)]
    description: str | None = None
    default_subscription_status: SubscriptionStatus


# A contact's address as SES checks it (one @, no spaces, a dot in the domain); kept as
# written: SES documents no case folding of contact addresses.
ContactAddress = Annotated[
    str,
    *name(
        "contact address",
        r"(?=.{1,320}$)[^@\s]{1,64}@[^@\s]+\.[^@\s]+",
        "write an email address (ada@example.com)",
    ),
]


class Contact(Strict):
    """A contact of a contact list: only the fields the file names are managed."""

    unsubscribe_all: Annotated[
        bool | None, *NotNull("leave the key out to keep what the contact chose")
    ] = None
    topic_preferences: dict[TopicName, SubscriptionStatus] | None = Field(
        default=None,
        description="the contact's explicit preferences, all of them (null: none); "
        "topics left out follow the topic's default",
    )


class Contacts(Strict):
    """The contacts of a list the file manages, keyed by address."""

    prune: bool = Field(
        default=False,
        description="true deletes live contacts the file does not list (they carry no tags)",
    )
    addresses: dict[ContactAddress, Contact | None] = Field(default_factory=dict)


class ContactList(Strict):
    """A contact list (SES allows one per account), its subscription topics and contacts."""

    description: Annotated[str, Field(max_length=500)] | None = None
    topics: Annotated[dict[TopicName, Topic] | None, at_most(20, "topics in one contact list")] = (
        None
    )
    contacts: Annotated[
        Contacts | None, *NotNull("leave the key out when the file does not manage contacts")
    ] = None
    protect: Protect = None
    tags: Tags | None = None


class Suppressions(Strict):
    """The account-level suppression list: entries keyed by address, with their reason."""

    prune: bool = Field(
        default=False,
        description="true deletes live entries the file does not list (SES adds its own!)",
    )
    addresses: dict[str, SuppressionReason] = Field(default_factory=dict)


# --- the account ------------------------------------------------------------------------------


class AccountSuppressionAttributes(Strict):
    suppressed_reasons: list[SuppressionReason]


class DashboardAttributes(Strict):
    engagement_metrics: Annotated[EnabledDisabled | None, *NotNull("write ENABLED or DISABLED")] = (
        None
    )


class GuardianAttributes(Strict):
    optimized_shared_delivery: Annotated[
        EnabledDisabled | None, *NotNull("write ENABLED or DISABLED")
    ] = None


class VdmAttributes(Strict):
    """GetAccount shows the dashboard and guardian attributes only while VDM is enabled, so
    the file names them only with `vdm_enabled: ENABLED` (else they could never converge)."""

    vdm_enabled: Annotated[EnabledDisabled | None, *NotNull("write ENABLED or DISABLED")] = None
    dashboard_attributes: Annotated[DashboardAttributes | None, *NotNull("leave the key out")] = (
        None
    )
    guardian_attributes: Annotated[GuardianAttributes | None, *NotNull("leave the key out")] = None

    @model_validator(mode="after")
    def _enabled_for_details(self) -> VdmAttributes:
        details = [
            key for key in ("dashboard_attributes", "guardian_attributes") if getattr(self, key)
        ]
        if details and self.vdm_enabled != "ENABLED":
            raise ValueError(
                f"{' and '.join(details)} need vdm_enabled: ENABLED in the file: SES keeps them "
                "only while VDM is enabled"
            )
        return self


class AccountDetails(Strict):
    """PutAccountDetails: what SES reviews for production access; it requires both first keys."""

    mail_type: Annotated[Literal["MARKETING", "TRANSACTIONAL"], Upper]
    website_url: str
    use_case_description: str | None = None
    contact_language: Annotated[Literal["EN", "JA"], Upper] | None = None
    additional_contact_email_addresses: list[str] | None = None


class Account(Strict):
    """The account-level settings: a singleton; only the fields the file names are managed."""

    sending_enabled: Annotated[bool | None, *NotNull("write true or false")] = None
    suppression_attributes: Annotated[
        AccountSuppressionAttributes | None,
        *NotNull("write suppressed_reasons: [] to suppress nothing"),
    ] = None
    vdm_attributes: Annotated[
        VdmAttributes | None, *NotNull("write vdm_enabled: DISABLED to turn VDM off")
    ] = None
    dedicated_ip_auto_warmup_enabled: Annotated[bool | None, *NotNull("write true or false")] = None
    details: Annotated[AccountDetails | None, *NotNull("account details stay once given")] = None


# --- the file -------------------------------------------------------------------------------


class Guards(Strict):
    """Thresholds of the too-much-change guards; apply refuses past them unless --force."""

    max_delete_percent: Annotated[float, Field(ge=0, le=100)] = DEFAULTS.max_delete_percent
    max_update_percent: Annotated[float, Field(ge=0, le=100)] = DEFAULTS.max_update_percent
    min_existing: Annotated[int, Field(ge=0)] = Field(
        default=DEFAULTS.min_existing,
        description="the percent guards judge kinds with at least this many managed resources",
    )
    max_suppressions_pruned: Annotated[int, Field(ge=0)] = DEFAULTS.max_suppressions_pruned


class Config(Strict):
    """The whole file. Sections left out are not managed at all."""

    model_config = ConfigDict(
        extra="forbid",
        title="sesctl configuration (version 1)",
        json_schema_extra={"$id": "https://sesctl.dev/schemas/config.v1.json"},
    )

    version: Literal[1]
    stack: Annotated[str, Field(pattern=f"^{STACK}$")]
    region: str | None = None
    tags: Tags = Field(default_factory=dict, description="added to every taggable resource")
    account: Account | None = None
    identities: dict[IdentityName, Identity] | None = None
    configuration_sets: dict[SetName, ConfigurationSet] | None = None
    templates: dict[TemplateName, Template] | None = None
    custom_verification_email_templates: Annotated[
        dict[CvTemplateName, CustomVerificationEmailTemplate] | None,
        at_most(50, "custom verification email templates (50 per account)"),
    ] = None
    dedicated_ip_pools: dict[PoolName, DedicatedIpPool] | None = None
    dedicated_ips: dict[str, DedicatedIp] | None = None
    contact_lists: Annotated[
        dict[ContactListName, ContactList] | None,
        at_most(1, "contact lists (one per account)"),
    ] = None
    suppressions: Suppressions | None = None
    guards: Guards = Field(default_factory=Guards)

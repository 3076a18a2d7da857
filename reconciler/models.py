"""Pydantic models of the YAML contract (version 1): one class per resource kind.

Field names mirror the SES v2 API members in snake_case. A key left out of the file is not
managed; an explicit `null` means "must be unset". `model_fields_set` tells the two apart.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import botocore.session
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .plan import Limits


def _upper(value: Any) -> Any:
    """Enum values are case-insensitive in the file; SES spells them in upper case."""
    return value.upper() if isinstance(value, str) else value


def Enum(*values: str) -> Any:
    """A case-insensitive string enum, normalised to SES's upper case."""
    return Annotated[Literal[values], BeforeValidator(_upper)]  # type: ignore[valid-type]


Tags = dict[str, str]
EnabledDisabled = Enum("ENABLED", "DISABLED")
EventType = Enum(
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
)
SuppressionReason = Enum("BOUNCE", "COMPLAINT")


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
    tls_policy: Enum("REQUIRE", "OPTIONAL") | None = None
    sending_pool_name: str | None = None
    max_delivery_seconds: Annotated[int, Field(ge=300, le=50400)] | None = None


class ReputationOptions(Strict):
    reputation_metrics_enabled: bool | None = None


class SendingOptions(Strict):
    sending_enabled: bool | None = None


class SuppressionOptions(Strict):
    suppressed_reasons: list[SuppressionReason] | None = Field(
        default=None, description="[] suppresses nothing; null falls back to the account setting"
    )


class TrackingOptions(Strict):
    custom_redirect_domain: str | None = None
    https_policy: Enum("REQUIRE", "REQUIRE_OPEN_ONLY", "OPTIONAL") | None = None


class DashboardOptions(Strict):
    engagement_metrics: EnabledDisabled | None = None


class GuardianOptions(Strict):
    optimized_shared_delivery: EnabledDisabled | None = None


class VdmOptions(Strict):
    dashboard_options: DashboardOptions | None = None
    guardian_options: GuardianOptions | None = None


class ArchivingOptions(Strict):
    archive_arn: str | None = None


class SnsDestination(Strict):
    topic_arn: str


class DimensionConfiguration(Strict):
    dimension_name: str
    dimension_value_source: Enum("MESSAGE_TAG", "EMAIL_HEADER", "LINK_TAG")
    default_dimension_value: str


class CloudWatchDestination(Strict):
    dimension_configurations: list[DimensionConfiguration]


class KinesisFirehoseDestination(Strict):
    iam_role_arn: str
    delivery_stream_arn: str


class EventBridgeDestination(Strict):
    event_bus_arn: str


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
    delivery_options: DeliveryOptions | None = None
    reputation_options: ReputationOptions | None = None
    sending_options: SendingOptions | None = None
    suppression_options: SuppressionOptions | None = None
    tracking_options: TrackingOptions | None = None
    vdm_options: VdmOptions | None = None
    archiving_options: ArchivingOptions | None = None
    protect: Protect = None
    tags: Tags | None = None
    event_destinations: dict[str, EventDestination] | None = None


# --- identities, templates, pools ---------------------------------------------------------


def _signing_origins() -> tuple[str, ...]:
    """Easy DKIM origins as botocore's model lists them: AWS_SES and AWS_SES_<REGION>."""
    shape = (
        botocore.session.get_session()
        .get_service_model("sesv2")
        .shape_for("DkimSigningAttributesOrigin")
    )
    return tuple(origin for origin in shape.enum if origin.startswith("AWS_SES"))


SIGNING_ORIGINS = _signing_origins()


class DkimSigningAttributes(Strict):
    """Easy DKIM (key length, or a deterministic key from a region: AWS_SES_<REGION>), or
    BYODKIM (a selector and your own private key; write-only, never printed)."""

    next_signing_key_length: Enum("RSA_1024_BIT", "RSA_2048_BIT") | None = None
    domain_signing_attributes_origin: Enum(*SIGNING_ORIGINS) | None = None
    domain_signing_selector: str | None = None
    domain_signing_private_key: str | None = Field(
        default=None,
        description="BYODKIM: base64 RSA key; use a ${env:}/${file:}/${ssm:} reference",
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
    behavior_on_mx_failure: Enum("USE_DEFAULT_VALUE", "REJECT_MESSAGE") | None = None


class Identity(Strict):
    """A domain or email address identity; the key in the file is its name."""

    dkim_signing_attributes: DkimSigningAttributes | None = None
    dkim_signing_enabled: bool | None = None
    mail_from_attributes: MailFromAttributes | None = Field(
        default=None, description="null resets to SES's own MAIL FROM domain"
    )
    email_forwarding_enabled: bool | None = None
    configuration_set_name: str | None = None
    policies: dict[str, dict[str, Any] | str] | None = None
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


class DedicatedIp(Strict):
    """A leased IP (the key): which pool it sends from and how far it is warmed up."""

    pool: str | None = None
    warmup_percentage: Annotated[int, Field(ge=0, le=100)] | None = None


class DedicatedIpPool(Strict):
    scaling_mode: Enum("STANDARD", "MANAGED") = "STANDARD"
    protect: Protect = None
    tags: Tags | None = None


class Topic(Strict):
    display_name: str
    description: str | None = None
    default_subscription_status: Enum("OPT_IN", "OPT_OUT")


class ContactList(Strict):
    """A contact list (SES allows one per account) and its subscription topics."""

    description: str | None = None
    topics: dict[str, Topic] | None = None
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
    engagement_metrics: EnabledDisabled | None = None


class GuardianAttributes(Strict):
    optimized_shared_delivery: EnabledDisabled | None = None


class VdmAttributes(Strict):
    vdm_enabled: EnabledDisabled | None = None
    dashboard_attributes: DashboardAttributes | None = None
    guardian_attributes: GuardianAttributes | None = None


class AccountDetails(Strict):
    """PutAccountDetails: what SES reviews for production access; it requires both first keys."""

    mail_type: Enum("MARKETING", "TRANSACTIONAL")
    website_url: str
    use_case_description: str | None = None
    contact_language: Enum("EN", "JA") | None = None
    additional_contact_email_addresses: list[str] | None = None


class Account(Strict):
    """The account-level settings: a singleton; only the fields the file names are managed."""

    sending_enabled: bool | None = None
    suppression_attributes: AccountSuppressionAttributes | None = None
    vdm_attributes: VdmAttributes | None = None
    dedicated_ip_auto_warmup_enabled: bool | None = None
    details: AccountDetails | None = None


# --- the file -------------------------------------------------------------------------------


class Guards(Strict):
    """Thresholds of the too-much-change guards; apply refuses past them unless --force."""

    max_delete_percent: Annotated[float, Field(ge=0, le=100)] = Limits.max_delete_percent
    max_update_percent: Annotated[float, Field(ge=0, le=100)] = Limits.max_update_percent
    min_existing: Annotated[int, Field(ge=0)] = Field(
        default=Limits.min_existing,
        description="the percent guards judge kinds with at least this many managed resources",
    )
    max_suppressions_pruned: Annotated[int, Field(ge=0)] = Limits.max_suppressions_pruned


class Config(Strict):
    """The whole file. Sections left out are not managed at all."""

    model_config = ConfigDict(
        extra="forbid",
        title="sesctl configuration (version 1)",
        json_schema_extra={"$id": "https://sesctl.dev/schemas/config.v1.json"},
    )

    version: Literal[1]
    stack: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    region: str | None = None
    tags: Tags = Field(default_factory=dict, description="added to every taggable resource")
    account: Account | None = None
    identities: dict[str, Identity] | None = None
    configuration_sets: dict[str, ConfigurationSet] | None = None
    templates: dict[str, Template] | None = None
    dedicated_ip_pools: dict[str, DedicatedIpPool] | None = None
    dedicated_ips: dict[str, DedicatedIp] | None = None
    contact_lists: dict[str, ContactList] | None = None
    suppressions: Suppressions | None = None
    guards: Guards = Field(default_factory=Guards)

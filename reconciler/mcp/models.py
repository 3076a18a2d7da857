"""The MCP tools' inputs and outputs as pydantic models: the SDK derives each tool's JSON
Schemas from them, so an agent sees exactly what a call takes and gives back. Argument names
follow the shapes agents already use for SES tools (camelCase, as the SES API's JSON)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Model(BaseModel):
    """Unknown members are refused: a misspelt argument is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Destination(Model):
    to: str = Field(description="The recipient's address.")
    replacementData: dict[str, Any] = Field(
        default_factory=dict, description="Template data for this recipient."
    )


class Recipient(Model):
    to: str
    status: Literal["sent", "failed", "unknown", "would send", "cannot render"]
    messageId: str | None = None
    subject: str | None = Field(default=None, description="The rendered subject (dry run).")
    error: str | None = None


class SendResult(Model):
    dryRun: bool
    sent: int
    failed: int
    unknown: int
    recipients: list[Recipient]


class TemplateContent(Model):
    templateName: str
    subject: str | None = None
    htmlContent: str | None = None
    textContent: str | None = None


class ChangeSummary(Model):
    action: str
    kind: str
    name: str


class PlanSummary(Model):
    changes: int = Field(description="How many changes the plan holds.")
    summary: list[ChangeSummary]
    text: str = Field(description="The plan as sesctl prints it for people.")
    refused: str | None = Field(
        default=None, description="Why a safety guard refuses it, if one does."
    )


class EditResult(Model):
    edit: str = Field(description="What changed in the configuration file.")
    plan: PlanSummary
    applied: bool = Field(description="Whether the changes reached SES (--allow-apply).")
    appliedChanges: list[ChangeSummary] = Field(default_factory=list)
    planAfterApply: int | None = Field(
        default=None,
        description="Changes left after applying: 0 when the account matches the file.",
    )
    note: str | None = None


class TemplateResult(Model):
    action: str
    templates: list[str] | None = None
    template: TemplateContent | None = None
    result: EditResult | None = None


class DestinationConfig(Model):
    type: Literal["cloudwatch", "sns", "kinesis", "eventbridge", "pinpoint"]
    config: dict[str, Any] = Field(
        default_factory=dict,
        description="cloudwatch: {dimensionConfigurations: [{dimensionName, "
        "dimensionValueSource, defaultDimensionValue}]}; sns: {topicArn}; kinesis: "
        "{deliveryStreamArn, iamRoleArn}; eventbridge: {eventBusArn}; pinpoint: "
        "{applicationArn}.",
    )


class EventDestination(Model):
    name: str
    enabled: bool = True
    eventTypes: list[str] = Field(
        description="SEND, REJECT, BOUNCE, COMPLAINT, DELIVERY, OPEN, CLICK, "
        "RENDERING_FAILURE, DELIVERY_DELAY, SUBSCRIPTION."
    )
    destination: DestinationConfig


class Quota(Model):
    max24HourSend: float | None = Field(description="None: no limit.")
    maxSendRate: float
    sentLast24Hours: float
    sendingEnabled: bool
    productionAccessEnabled: bool


class Check(Model):
    verdict: Literal["ok", "warn", "fail"]
    what: str
    detail: str


class Validation(Model):
    valid: bool
    summary: str | None = None
    problems: list[str] = Field(default_factory=list)

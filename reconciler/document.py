"""The plan document: what `plan --format json` prints and `plan --out` saves, as models.

`schemas/plan.v1.json` is generated from `PlanDocument`; a saved plan is read back through it,
so a file written by someone else is checked member by member, with the place of the first
problem in the message.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .plan import Action

SAVED_VERSION = 2
State = dict[str, Any] | None


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldChangeDocument(Closed):
    path: str = Field(description="dotted: `delivery_options.tls_policy`")
    before: Any
    after: Any


class ChangeDocument(Closed):
    action: Action
    kind: str
    name: str = Field(
        description="event destinations: <set>/<destination>; policies: <identity>/<policy>"
    )
    before: State
    after: State
    fields: list[FieldChangeDocument] | None = None
    reason: str | None = None
    write_only: list[str] | None = Field(
        default=None,
        description="write-only values apply takes from the config (names only; values are "
        "never written)",
    )
    waiting: dict[str, str] | None = Field(
        default=None,
        description="parts SES cannot take yet (a tracking domain whose identity is not "
        "verified), by key: apply leaves them for a later run",
    )
    waits: bool | None = Field(
        default=None,
        description="true: nothing of the change runs until what `waiting` names is ready "
        "(a create SES refuses before its sender is verified)",
    )


class UnmanagedDocument(Closed):
    kind: str
    name: str
    owner: str | None = None


class GuardDocument(Closed):
    guard: str
    message: str
    changes: list[str]
    allowed_by: str | None
    blocking: bool


class Summary(Closed):
    create: int = Field(ge=0)
    update: int = Field(ge=0)
    delete: int = Field(ge=0)
    replace: int = Field(ge=0)


class ConfigSource(Closed):
    path: str
    sha256: str


class SecretDigest(Closed):
    salt: str = Field(pattern=r"^([0-9a-f]{2})+$")
    sha256: str


class Saved(Closed):
    """What `plan --out` adds so that `apply PLAN.json` can check the plan later."""

    version: Literal[2]
    sesctl_version: str | None = None
    created_at: str | None = Field(default=None, json_schema_extra={"format": "date-time"})
    config: ConfigSource
    account: str = Field(description="the AWS account the plan was made for")
    targets: list[str]
    allow_takeover: bool
    secrets: SecretDigest = Field(
        description="a salted digest of the secret values behind the plan's (sensitive) marks"
    )


class PlanDocument(Closed):
    """sesctl plan (format version 1)."""

    model_config = ConfigDict(
        extra="forbid",
        title="sesctl plan (format version 1)",
        json_schema_extra={"$id": "https://sesctl.dev/schemas/plan.v1.json"},
    )

    format_version: Literal[1]
    stack: str
    region: str
    summary: Summary
    changes: list[ChangeDocument]
    unmanaged: list[UnmanagedDocument]
    warnings: list[str] = Field(default_factory=list)
    guards: list[GuardDocument] | None = Field(
        default=None,
        description="safety guards the plan trips; blocking ones make apply exit 3",
    )
    metadata: dict[str, Any] | None = Field(
        default=None,
        description="about the run that made the plan: `run` holds API calls per operation, "
        "retries, throttles and wall time",
    )
    saved: Saved | None = None

"""What the emulator keeps beside moto's own SES objects, and the helpers handlers share.

Identities, configuration sets and dedicated IP pools stay moto's objects in moto's SES
backend (so moto's tagging API and tagger see them); what moto does not model — templates,
event destinations, option groups as SES returns them — lives in an `Extras` object hung on
that same backend, so it is reset and persisted with it.

Each handler module declares what it serves as a `Kind` (with a `Taggable` when SES tags its
resources); kinds.py lists them.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
from moto.ses.models import ses_backends


class ApiFailure(Exception):
    """An SES error answer: HTTP status, error code, message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def not_found(what: str) -> ApiFailure:
    return ApiFailure(404, "NotFoundException", f"{what} does not exist.")


def already_exists(what: str) -> ApiFailure:
    return ApiFailure(400, "AlreadyExistsException", f"{what} already exists.")


def bad_request(message: str) -> ApiFailure:
    return ApiFailure(400, "BadRequestException", message)


# Names SES accepts for sets, templates, contact lists, topics, destinations and policies: up
# to 64 letters, digits, '_' and '-' (API reference, CreateConfigurationSet; developer guide,
# "Service quotas"). Pools: lower case only (CloudFormation's AWS::SES::DedicatedIpPool).
NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
POOL_NAME = re.compile(r"[a-z0-9_-]{1,64}")


def check_name(what: str, value: str, pattern: re.Pattern[str] = NAME) -> str:
    if not pattern.fullmatch(value):
        raise bad_request(
            f"{what} can contain up to 64 characters. Only alphanumeric characters, "
            "underscores(_) and hyphens(-) are allowed."
        )
    return value


@dataclass
class Template:
    content: dict[str, str]
    created: float = field(default_factory=time.time)


@dataclass
class Window:
    """Recipients counted over the last `span` seconds of a clock, with a running total."""

    span: float
    entries: deque[tuple[float, int]] = field(default_factory=deque)
    total: int = 0

    def count(self, now: float) -> int:
        while self.entries and self.entries[0][0] <= now - self.span:
            self.total -= self.entries.popleft()[1]
        return self.total

    def add(self, now: float, recipients: int) -> None:
        if recipients:
            self.entries.append((now, recipients))
            self.total += recipients


@dataclass
class Settings:
    """How the emulator stands in for what SES learns outside the API: whether a new account
    is in the sandbox, and when an identity's DNS records (or confirmation link) are seen."""

    sandbox: bool = False
    # Seconds from CreateEmailIdentity to verified, as if its DNS records were published at
    # once; None: identities verify only through POST /_sesctl/verify.
    verify_after: float | None = None


@dataclass
class Extras:
    """Per-account, per-region state moto's SES backend does not hold."""

    templates: dict[str, Template] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # set → option groups
    destinations: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    account: dict[str, Any] = field(default_factory=lambda: new_account(sandbox=False))
    ips: dict[str, dict[str, Any]] = field(default_factory=dict)  # leased dedicated IPs
    suppressed: dict[str, dict[str, Any]] = field(default_factory=dict)  # suppression list
    # What a kind keeps as JSON objects of its own, by store then name (Call.kept): saved
    # and restored with the rest without persist.py knowing the kind.
    kept: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # Recipients of the last second (monotonic clock: the rate) and of the last 24 hours
    # (wall clock: the daily quota, kept across restarts of --local).
    rate_window: Window = field(default_factory=lambda: Window(1.0))
    day_window: Window = field(default_factory=lambda: Window(24 * 3600.0))


# Quotas: a sandbox account sends 200 messages a day at 1 a second; production access
# starts at 50,000 a day and 14 a second (developer guide, "Service quotas" and "Request
# production access").
SANDBOX_QUOTA = {"Max24HourSend": 200.0, "MaxSendRate": 1.0}
PRODUCTION_QUOTA = {"Max24HourSend": 50000.0, "MaxSendRate": 14.0}


def new_account(sandbox: bool) -> dict[str, Any]:
    """GetAccount of a new account. VdmAttributes are absent until VDM is configured."""
    quota = SANDBOX_QUOTA if sandbox else PRODUCTION_QUOTA
    return {
        "DedicatedIpAutoWarmupEnabled": False,
        "EnforcementStatus": "HEALTHY",
        "ProductionAccessEnabled": not sandbox,
        "SendQuota": {**quota, "SentLast24Hours": 0.0},
        "SendingEnabled": True,
        "SuppressionAttributes": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
    }


@dataclass
class Call:
    """One request routed to a handler."""

    operation: str
    region: str
    params: dict[str, Any]
    settings: Settings = field(default_factory=Settings)
    # What the call set in motion outside SES (events to destinations, metrics): the server
    # runs it after answering, outside its lock, as SES publishes after accepting.
    later: list[Callable[[], None]] = field(default_factory=list)

    @property
    def backend(self) -> Any:
        return ses_backends[DEFAULT_ACCOUNT_ID][self.region]

    @property
    def extras(self) -> Extras:
        backend = self.backend
        if not hasattr(backend, "sesctl_extras"):
            backend.sesctl_extras = Extras(account=new_account(self.settings.sandbox))
        return backend.sesctl_extras

    def kept(self, store: str) -> dict[str, dict[str, Any]]:
        """A kind's own resources, name → JSON object; persisted as they are (only checked
        to be objects when read back), so a handler reads them defensively."""
        return self.extras.kept.setdefault(store, {})

    def arn(self, resource_type: str, name: str) -> str:
        return f"arn:aws:ses:{self.region}:{DEFAULT_ACCOUNT_ID}:{resource_type}/{name}"

    def tags(self, resource_type: str, name: str) -> list[dict[str, str]]:
        found = self.backend.tagger.list_tags_for_resource(self.arn(resource_type, name))
        return sorted(found.get("Tags", []), key=lambda t: t["Key"])

    def set_tags(self, resource_type: str, name: str, tags: list[dict[str, str]] | None) -> None:
        """Tags given at creation: the create handler checks them first (check_tags)."""
        if tags:
            self.backend.tagger.tag_resource(self.arn(resource_type, name), tags)

    def drop_tags(self, resource_type: str, name: str) -> None:
        self.backend.tagger.delete_all_tags_for_resource(self.arn(resource_type, name))


Handler = Callable[[Call], dict[str, Any]]


@dataclass(frozen=True)
class Taggable:
    """A kind SES tags: its ARN type, and the names of its resources in a call's account."""

    arn_type: str
    names: Callable[[Call], Iterable[str]]


@dataclass(frozen=True)
class Kind:
    """What one handler module serves: its SES v2 operations, and its ARNs if SES tags them."""

    module: str
    handlers: Mapping[str, Handler]
    taggable: Taggable | None = None


def page(
    names: list[str], params: dict[str, Any], default_size: int = 100, maximum: int = 1000
) -> tuple[list[str], str | None]:
    """One page of sorted names; the token is the index of the next name.

    A PageSize past the operation's maximum is refused, as SES refuses it (the maxima are in
    each operation's reference page: 1,000 identities or sets, 100 templates).
    """
    start = int(params.get("NextToken") or 0)
    size = int(params.get("PageSize") or default_size)
    if size > maximum:
        raise bad_request(f"PageSize must be at most {maximum}.")
    ordered = sorted(names)
    chunk = ordered[start : start + size]
    token = str(start + size) if start + size < len(ordered) else None
    return chunk, token

"""What the emulator keeps beside moto's own SES objects, and the helpers handlers share.

Identities, configuration sets and dedicated IP pools stay moto's objects in moto's SES
backend (so moto's tagging API and tagger see them); what moto does not model — templates,
event destinations, option groups as SES returns them — lives in an `Extras` object hung on
that same backend, so it is reset and persisted with it.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
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


@dataclass
class Template:
    content: dict[str, str]
    created: float = field(default_factory=time.time)


@dataclass
class Extras:
    """Per-account, per-region state moto's SES backend does not hold."""

    templates: dict[str, Template] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # set → option groups
    destinations: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    account: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(NEW_ACCOUNT))
    ips: dict[str, dict[str, Any]] = field(default_factory=dict)  # leased dedicated IPs
    suppressed: dict[str, dict[str, Any]] = field(default_factory=dict)  # suppression list
    sent_window: list[tuple[float, int]] = field(default_factory=list)  # (time, recipients)


# A new account as SES answers GetAccount once out of the sandbox, with SES's default
# production quotas (50,000 a day, 14 recipients a second).
NEW_ACCOUNT: dict[str, Any] = {
    "DedicatedIpAutoWarmupEnabled": False,
    "EnforcementStatus": "HEALTHY",
    "ProductionAccessEnabled": True,
    "SendQuota": {"Max24HourSend": 50000.0, "MaxSendRate": 14.0, "SentLast24Hours": 0.0},
    "SendingEnabled": True,
    "SuppressionAttributes": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
    "VdmAttributes": {"VdmEnabled": "DISABLED"},
}


@dataclass
class Call:
    """One request routed to a handler."""

    operation: str
    region: str
    params: dict[str, Any]

    @property
    def backend(self) -> Any:
        return ses_backends[DEFAULT_ACCOUNT_ID][self.region]

    @property
    def extras(self) -> Extras:
        backend = self.backend
        if not hasattr(backend, "sesctl_extras"):
            backend.sesctl_extras = Extras()
        return backend.sesctl_extras

    def arn(self, resource_type: str, name: str) -> str:
        return f"arn:aws:ses:{self.region}:{DEFAULT_ACCOUNT_ID}:{resource_type}/{name}"

    def tags(self, resource_type: str, name: str) -> list[dict[str, str]]:
        found = self.backend.tagger.list_tags_for_resource(self.arn(resource_type, name))
        return sorted(found.get("Tags", []), key=lambda t: t["Key"])

    def set_tags(self, resource_type: str, name: str, tags: list[dict[str, str]] | None) -> None:
        if tags:
            self.backend.tagger.tag_resource(self.arn(resource_type, name), tags)

    def drop_tags(self, resource_type: str, name: str) -> None:
        self.backend.tagger.delete_all_tags_for_resource(self.arn(resource_type, name))


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

"""Email identities (domains and addresses): default configuration set and tags.

Their sending-authorization policies are changes of their own (identity_policies.py).
"""

from __future__ import annotations

from typing import Any

from ..client import Sesv2
from ..models import Identity
from ..plan import Change
from . import identity_policies
from .base import (
    Context,
    apply_tags,
    desired_tags,
    lifecycle,
    read_or_none,
    tags_from_api,
    tags_to_api,
)

KIND = "identity"


class Identities:
    section = "identities"
    kind = KIND
    arn_type = "email-identity"

    def list_names(self, client: Sesv2) -> list[str]:
        items = client.pages("ListEmailIdentities", "EmailIdentities")
        return [item["IdentityName"] for item in items]

    def read(self, client: Sesv2, name: str, tags: dict[str, str] | None) -> dict[str, Any] | None:
        answer = read_or_none(client, "GetEmailIdentity", EmailIdentity=name)
        if answer is None:
            return None
        return {
            "configuration_set_name": answer.get("ConfigurationSetName"),
            "tags": tags_from_api(answer.get("Tags")),
            "policies": {
                policy: identity_policies.canonical(document)
                for policy, document in (answer.get("Policies") or {}).items()
            },
        }

    def desired(self, model: Identity, ctx: Context) -> dict[str, Any]:
        want: dict[str, Any] = {"tags": desired_tags(ctx, model.tags)}
        if "configuration_set_name" in model.model_fields_set:
            want["configuration_set_name"] = model.configuration_set_name
        return want

    def diff(
        self, name: str, model: Identity | None, live: dict[str, Any] | None, ctx: Context
    ) -> list[Change]:
        own = _own(live) if live is not None else None
        if model is None:
            return lifecycle(KIND, name, None, own, ctx, False)
        return [
            *lifecycle(KIND, name, self.desired(model, ctx), own, ctx, model.tags is not None),
            *identity_policies.diff(name, model.policies, live["policies"] if live else {}),
        ]

    def apply(self, client: Sesv2, change: Change) -> None:
        name, before, after = change.name, change.before or {}, change.after or {}
        if change.action == "delete":
            client.call("DeleteEmailIdentity", EmailIdentity=name)
            return
        if change.action == "create":
            extra = {}
            if after.get("configuration_set_name"):
                extra["ConfigurationSetName"] = after["configuration_set_name"]
            client.call(
                "CreateEmailIdentity", EmailIdentity=name, Tags=tags_to_api(after["tags"]), **extra
            )
            return
        if before.get("configuration_set_name") != after.get("configuration_set_name"):
            value = after.get("configuration_set_name")
            client.call(
                "PutEmailIdentityConfigurationSetAttributes",
                EmailIdentity=name,
                **({"ConfigurationSetName": value} if value else {}),
            )
        apply_tags(client, client.arn(self.arn_type, name), before["tags"], after["tags"])


def _own(live: dict[str, Any]) -> dict[str, Any]:
    """The identity's own state, without its policies (they are changes of their own)."""
    return {k: v for k, v in live.items() if k != "policies"}

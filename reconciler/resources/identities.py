"""Email identities (domains and addresses) and their attributes.

Managed here: Easy DKIM signing attributes (key length, or a deterministic key from another
region) and whether DKIM signs, the custom MAIL FROM domain, feedback forwarding, the default
configuration set, and tags. Each attribute has its own Put…Attributes call. Sending-
authorization policies are changes of their own (identity_policies.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..client import Sesv2
from ..models import Identity
from ..plan import Change
from . import identity_policies
from .base import (
    Context,
    apply_tags,
    desired_tags,
    field_changes,
    lifecycle,
    managed,
    read_or_none,
    tags_from_api,
    tags_to_api,
    to_api,
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
        dkim = answer.get("DkimAttributes") or {}
        mail_from = answer.get("MailFromAttributes")
        return {
            "dkim_signing_attributes": {
                "next_signing_key_length": dkim.get("NextSigningKeyLength"),
                "domain_signing_attributes_origin": dkim.get("SigningAttributesOrigin"),
            },
            "dkim_signing_enabled": dkim.get("SigningEnabled"),
            "mail_from_attributes": {
                "mail_from_domain": mail_from["MailFromDomain"],
                "behavior_on_mx_failure": mail_from.get("BehaviorOnMxFailure"),
            }
            if mail_from and mail_from.get("MailFromDomain")
            else None,
            "email_forwarding_enabled": answer.get("FeedbackForwardingStatus"),
            "configuration_set_name": answer.get("ConfigurationSetName"),
            "tags": tags_from_api(answer.get("Tags")),
            "policies": {
                policy: identity_policies.canonical(document)
                for policy, document in (answer.get("Policies") or {}).items()
            },
        }

    def desired(self, model: Identity, ctx: Context) -> dict[str, Any]:
        want = {k: v for k, v in managed(model).items() if k in ATTRIBUTES}
        want["tags"] = desired_tags(ctx, model.tags)
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
            signing = after.get("dkim_signing_attributes") or {}
            if signing.get("next_signing_key_length"):
                key_length = signing["next_signing_key_length"]
                extra["DkimSigningAttributes"] = {"NextSigningKeyLength": key_length}
            client.call(
                "CreateEmailIdentity", EmailIdentity=name, Tags=tags_to_api(after["tags"]), **extra
            )
            before = {
                "tags": after["tags"],
                "configuration_set_name": after.get("configuration_set_name"),
            }
            if extra.get("DkimSigningAttributes"):
                before["dkim_signing_attributes"] = {"next_signing_key_length": key_length}
        for attribute, put in PUTS.items():
            if attribute in after and field_changes(before.get(attribute), after.get(attribute)):
                put(client, name, after[attribute])
        if change.action == "update":
            apply_tags(client, client.arn(self.arn_type, name), before["tags"], after["tags"])


def _put_signing(client: Sesv2, name: str, value: dict[str, Any] | None) -> None:
    value = value or {}
    origin = value.get("domain_signing_attributes_origin") or "AWS_SES"
    attributes = {}
    if origin == "AWS_SES" and value.get("next_signing_key_length"):
        attributes["NextSigningKeyLength"] = value["next_signing_key_length"]
    client.call(
        "PutEmailIdentityDkimSigningAttributes",
        EmailIdentity=name,
        SigningAttributesOrigin=origin,
        **({"SigningAttributes": attributes} if attributes else {}),
    )


def _put_signing_enabled(client: Sesv2, name: str, value: bool | None) -> None:
    client.call("PutEmailIdentityDkimAttributes", EmailIdentity=name, SigningEnabled=bool(value))


def _put_mail_from(client: Sesv2, name: str, value: dict[str, Any] | None) -> None:
    client.call("PutEmailIdentityMailFromAttributes", EmailIdentity=name, **to_api(value or {}))


def _put_forwarding(client: Sesv2, name: str, value: bool | None) -> None:
    enabled = True if value is None else value  # unset = SES's default, forwarding on
    client.call(
        "PutEmailIdentityFeedbackAttributes", EmailIdentity=name, EmailForwardingEnabled=enabled
    )


def _put_configuration_set(client: Sesv2, name: str, value: str | None) -> None:
    client.call(
        "PutEmailIdentityConfigurationSetAttributes",
        EmailIdentity=name,
        **({"ConfigurationSetName": value} if value else {}),
    )


# attribute → the call that writes it; in this order (signing keys before signing on)
PUTS: dict[str, Callable[[Sesv2, str, Any], None]] = {
    "dkim_signing_attributes": _put_signing,
    "dkim_signing_enabled": _put_signing_enabled,
    "mail_from_attributes": _put_mail_from,
    "email_forwarding_enabled": _put_forwarding,
    "configuration_set_name": _put_configuration_set,
}
ATTRIBUTES = frozenset(PUTS)


def _own(live: dict[str, Any]) -> dict[str, Any]:
    """The identity's own state, without its policies (they are changes of their own)."""
    return {k: v for k, v in live.items() if k != "policies"}

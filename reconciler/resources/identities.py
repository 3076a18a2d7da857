"""Email identities (domains and addresses) and their attributes.

Managed here: Easy DKIM signing attributes (key length, or a deterministic key from another
region) and whether DKIM signs, the custom MAIL FROM domain, feedback forwarding, the default
configuration set, and tags. Each attribute has its own Put…Attributes call. Sending-
authorization policies are changes of their own (identity_policies.py).

A BYODKIM private key is write-only in SES: sesctl stamps its SHA-256 on the identity as the
tag `sesctl:dkim-key-sha256`, so an unchanged key plans as nothing and a rotated key plans as
an update of that tag, which apply turns into a new PutEmailIdentityDkimSigningAttributes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from ..client import Sesv2
from ..errors import ApiError, SesctlError
from ..models import Identity
from ..plan import Change
from . import identity_policies
from .base import (
    Context,
    apply_tags,
    authoritative,
    create,
    desired_tags,
    field_changes,
    lifecycle,
    listed,
    managed,
    read_or_none,
    tags_from_api,
    tags_to_api,
    to_api,
)

WriteOnly = dict[str, str]
KIND = "identity"
KEY_TAG = "sesctl:dkim-key-sha256"


class Identities:
    section = "identities"
    kind = KIND
    arn_type = "identity"  # arn:aws:ses:<region>:<account>:identity/<name>
    # child kind → the key of the state that holds its members
    children = {identity_policies.KIND: "policies"}

    def list_names(self, client: Sesv2) -> list[str]:
        items = client.pages("ListEmailIdentities", "EmailIdentities", PageSize=1000)
        return [item["IdentityName"] for item in items]

    def read(self, client: Sesv2, name: str, tags: dict[str, str] | None) -> dict[str, Any] | None:
        answer = read_or_none(client, "GetEmailIdentity", EmailIdentity=name)
        if answer is None:
            return None
        dkim = answer.get("DkimAttributes") or {}
        mail_from = answer.get("MailFromAttributes")
        origin = dkim.get("SigningAttributesOrigin")
        external = origin == "EXTERNAL"
        return {
            "dkim_signing_attributes": {
                "next_signing_key_length": None if external else dkim.get("NextSigningKeyLength"),
                "domain_signing_attributes_origin": origin,
                "domain_signing_selector": (dkim.get("Tokens") or [None])[0] if external else None,
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
        want["tags"] = desired_tags(ctx, model)
        signing = model.dkim_signing_attributes
        if signing is not None and signing.byodkim:
            want["dkim_signing_attributes"] = {
                "domain_signing_attributes_origin": "EXTERNAL",
                "domain_signing_selector": signing.domain_signing_selector,
            }
            want["tags"][KEY_TAG] = fingerprint(signing.domain_signing_private_key or "")
        return want

    def diff(
        self, name: str, model: Identity | None, live: dict[str, Any] | None, ctx: Context
    ) -> list[Change]:
        own = _own(live) if live is not None else None
        if model is None:
            return lifecycle(KIND, name, None, own, ctx)
        changes = lifecycle(
            KIND, name, self.desired(model, ctx), own, ctx, authoritative(model, "tags")
        )
        signing = model.dkim_signing_attributes
        for change in changes:
            if signing is not None and signing.domain_signing_private_key:
                change.write_only["domain_signing_private_key"] = signing.domain_signing_private_key
                if any(f.path == ("tags", KEY_TAG) for f in change.fields) and own:
                    change.reason = change.reason or "BYODKIM private key rotated"
        return [
            *changes,
            *identity_policies.diff(
                name, listed(model, "policies"), live["policies"] if live else {}
            ),
        ]

    def apply(self, client: Sesv2, change: Change) -> None:
        name, before, after = change.name, change.before or {}, change.after or {}
        if change.action == "delete":
            client.call("DeleteEmailIdentity", EmailIdentity=name)
            return
        if change.action == "create":
            before = _create(client, name, after, change.write_only)
        rotated = before["tags"].get(KEY_TAG) != after["tags"].get(KEY_TAG)
        for attribute, put in PUTS.items():
            if attribute not in after:
                continue
            moved = bool(field_changes(before.get(attribute), after.get(attribute)))
            if moved or (rotated and attribute == "dkim_signing_attributes"):
                try:
                    put(client, name, after[attribute], change.write_only)
                except ApiError as exc:
                    raise _gone_or(client, name, exc) from None
        if change.action == "update":
            apply_tags(client, client.arn(self.arn_type, name), before["tags"], after["tags"])


def _create(
    client: Sesv2, name: str, after: dict[str, Any], write_only: WriteOnly
) -> dict[str, Any]:
    """CreateEmailIdentity with what it takes at once; returns the state it leaves."""
    extra: dict[str, Any] = {}
    state: dict[str, Any] = {"tags": after["tags"]}
    if after.get("configuration_set_name"):
        extra["ConfigurationSetName"] = state["configuration_set_name"] = after[
            "configuration_set_name"
        ]
    signing = after.get("dkim_signing_attributes") or {}
    if write_only.get("domain_signing_private_key"):
        extra["DkimSigningAttributes"] = {
            "DomainSigningSelector": signing["domain_signing_selector"],
            "DomainSigningPrivateKey": write_only["domain_signing_private_key"],
        }
        state["dkim_signing_attributes"] = signing
    elif signing.get("next_signing_key_length") and not signing.get(
        "domain_signing_attributes_origin"
    ):
        extra["DkimSigningAttributes"] = {
            "NextSigningKeyLength": signing["next_signing_key_length"]
        }
        state["dkim_signing_attributes"] = signing
    tags = tags_to_api(after["tags"])
    resource = (Identities.arn_type, name)
    create(client, "CreateEmailIdentity", resource, EmailIdentity=name, Tags=tags, **extra)
    return state


def _gone_or(client: Sesv2, name: str, error: ApiError) -> SesctlError:
    """An attribute call that failed because the identity is gone says so: SES answers those
    calls on an unknown identity with 400 BadRequestException (DKIM, MAIL FROM, feedback) or
    404, not one NotFoundException, so the code alone cannot tell."""
    if error.code not in ("BadRequestException", "NotFoundException"):
        return error
    if read_or_none(client, "GetEmailIdentity", EmailIdentity=name) is not None:
        return error
    return SesctlError(
        f"identity {name} no longer exists (deleted since the plan was made); run plan again"
    )


def fingerprint(private_key: str) -> str:
    """What sesctl can read back of a write-only BYODKIM key: its SHA-256."""
    return hashlib.sha256(private_key.strip().encode()).hexdigest()


def _put_signing(
    client: Sesv2, name: str, value: dict[str, Any] | None, write_only: WriteOnly
) -> None:
    value = value or {}
    origin = value.get("domain_signing_attributes_origin") or "AWS_SES"
    attributes = {}
    if origin == "EXTERNAL":
        attributes = {
            "DomainSigningSelector": value["domain_signing_selector"],
            "DomainSigningPrivateKey": write_only["domain_signing_private_key"],
        }
    elif origin == "AWS_SES" and value.get("next_signing_key_length"):
        attributes["NextSigningKeyLength"] = value["next_signing_key_length"]
    client.call(
        "PutEmailIdentityDkimSigningAttributes",
        EmailIdentity=name,
        SigningAttributesOrigin=origin,
        **({"SigningAttributes": attributes} if attributes else {}),
    )


def _put_signing_enabled(client: Sesv2, name: str, value: bool | None, _: WriteOnly) -> None:
    client.call("PutEmailIdentityDkimAttributes", EmailIdentity=name, SigningEnabled=bool(value))


def _put_mail_from(client: Sesv2, name: str, value: dict[str, Any] | None, _: WriteOnly) -> None:
    client.call("PutEmailIdentityMailFromAttributes", EmailIdentity=name, **to_api(value or {}))


def _put_forwarding(client: Sesv2, name: str, value: bool | None, _: WriteOnly) -> None:
    enabled = True if value is None else value  # unset = SES's default, forwarding on
    client.call(
        "PutEmailIdentityFeedbackAttributes", EmailIdentity=name, EmailForwardingEnabled=enabled
    )


def _put_configuration_set(client: Sesv2, name: str, value: str | None, _: WriteOnly) -> None:
    client.call(
        "PutEmailIdentityConfigurationSetAttributes",
        EmailIdentity=name,
        **({"ConfigurationSetName": value} if value else {}),
    )


# attribute → the call that writes it; in this order (signing keys before signing on)
PUTS: dict[str, Callable[[Sesv2, str, Any, WriteOnly], None]] = {
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

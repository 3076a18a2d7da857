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

import base64
import hashlib
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..client import Sesv2
from ..errors import ApiError, ConfigError, SesctlError
from ..guards import ALLOW_IDENTITY_DELETION
from ..models import Identity
from ..plan import Change
from ..secrets import REFERENCE, SECRETS, Secret
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
from .kind import Child, ListedKind, Refers

if TYPE_CHECKING:
    from ..config import LoadedConfig

WriteOnly = dict[str, str]
KIND = "identity"
KEY_TAG = "sesctl:dkim-key-sha256"
# Sending authorization policies are at most 4 KB ("Sending authorization policy anatomy").
MAX_POLICY_BYTES = 4096


class Identities(ListedKind):
    section = "identities"
    kind = KIND
    arn_type = "identity"  # arn:aws:ses:<region>:<account>:identity/<name>
    order = 40
    model = Identity
    comment = "identities: DKIM, MAIL FROM, feedback forwarding, default set, policies"
    children = (Child(identity_policies.KIND, "policies", 50, identity_policies.apply),)
    refers = (Refers(("configuration_set_name",), "configuration_set"),)
    deletion_flag = ALLOW_IDENTITY_DELETION
    deletion_reason = "loses its verification and DKIM keys (DNS work to undo)"

    def check(self, loaded: LoadedConfig) -> None:
        """What SES refuses of an identity, with file:line; policies given as JSON become
        mappings; a BYODKIM key is typed secret even when written in the file."""
        for name, identity in (loaded.section(self.section) or {}).items():
            _check_attributes(loaded, name, identity)
            _parse_policies(loaded, name, identity)

    def tag_stamps(self, entry: Any) -> int:
        """Protection, and a BYODKIM identity's key fingerprint."""
        signing = entry.dkim_signing_attributes
        return super().tag_stamps(entry) + int(bool(signing and signing.byodkim))

    def imported(self, name: str, state: dict[str, Any]) -> dict[str, Any]:
        """Easy DKIM as its key length or origin, BYODKIM as a selector and a key reference
        (SES never returns a private key); no DKIM settings on an address."""
        data = dict(state)
        signing = data.pop("dkim_signing_attributes", None) or {}
        origin = signing.get("domain_signing_attributes_origin", "AWS_SES")
        if "@" in name:
            data.pop("dkim_signing_enabled", None)
        elif origin == "EXTERNAL":
            variable = "BYODKIM_KEY_" + re.sub(r"\W", "_", name).upper()
            data["dkim_signing_attributes"] = {
                "domain_signing_selector": signing.get("domain_signing_selector"),
                "domain_signing_private_key": f"${{env:{variable}}}",
            }
        elif origin != "AWS_SES":
            data["dkim_signing_attributes"] = {"domain_signing_attributes_origin": origin}
        elif signing.get("next_signing_key_length"):
            length = signing["next_signing_key_length"]
            data["dkim_signing_attributes"] = {"next_signing_key_length": length}
        return super().imported(name, data)

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


def _check_attributes(loaded: LoadedConfig, name: str, identity: Identity) -> None:
    """DKIM settings belong to domains; a MAIL FROM domain lies under the identity's; a BYODKIM
    key SES cannot use is refused (SES would take it and never verify)."""
    signing = identity.dkim_signing_attributes
    key = signing.domain_signing_private_key if signing else None
    if signing is not None and key:
        SECRETS.add(key)  # write-only: never printed, even written in the file itself
        signing.__dict__["domain_signing_private_key"] = Secret(key)
    for field in ("dkim_signing_attributes", "dkim_signing_enabled"):
        if "@" in name and field in identity.model_fields_set:
            raise ConfigError(
                f"{loaded.mark('identities', name, field)}: identities.{name}.{field}: "
                "DKIM settings belong to domain identities (an address signs with its domain's)"
            )
    mail_from = identity.mail_from_attributes
    parent = name.rpartition("@")[2].lower()
    if mail_from and not mail_from.mail_from_domain.lower().endswith(f".{parent}"):
        path = ("identities", name, "mail_from_attributes", "mail_from_domain")
        raise ConfigError(
            f"{loaded.value_mark(*path)}: {'.'.join(path)}: SES takes a MAIL FROM domain only "
            f"under the identity's domain ({mail_from.mail_from_domain} is not under {parent})"
        )
    if key is not None and not REFERENCE.search(key) and (problem := byodkim_problem(key)):
        path = ("identities", name, "dkim_signing_attributes", "domain_signing_private_key")
        raise ConfigError(f"{loaded.value_mark(*path)}: {'.'.join(path)}: {problem}")


def byodkim_problem(key: str) -> str | None:
    """Why SES cannot sign with this BYODKIM key, or None. SES wants a 1024- to 2048-bit RSA
    key, PKCS #1 or #8, as one line of base64 without the PEM lines (API reference,
    DkimSigningAttributes; developer guide, "Provide your own DKIM authentication token").
    The message never holds the key."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    if "-----" in key:
        return "give the key as base64 without its PEM header and footer lines"
    if not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", key):
        return "the key must be one line of base64 (remove line breaks and spaces)"
    try:
        parsed = load_der_private_key(base64.b64decode(key), password=None)
    except (ValueError, TypeError):
        return "the key is not a base64 DER RSA private key (PKCS #1 or PKCS #8)"
    if not isinstance(parsed, rsa.RSAPrivateKey) or not 1024 <= parsed.key_size <= 2048:
        return "SES signs with 1024- to 2048-bit RSA keys only"
    return None


def _parse_policies(loaded: LoadedConfig, name: str, identity: Identity) -> None:
    """Policies may be YAML mappings or JSON strings; both become mappings of at most 4 KB.
    A policy written as a secret keeps every string of it secret."""
    for policy, document in (identity.policies or {}).items():
        where = ("identities", name, "policies", policy)
        if not isinstance(document, dict):
            try:
                parsed = json.loads(document)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"{loaded.value_mark(*where)}: {'.'.join(where)}: not valid JSON: {exc.msg}"
                ) from None
            if not isinstance(parsed, dict):
                raise ConfigError(f"{loaded.mark(*where)}: a policy must be a JSON object")
            document = _as_secrets(parsed) if isinstance(document, Secret) else parsed
            identity.policies[policy] = document  # type: ignore[index]
        size = len(json.dumps(document, separators=(",", ":")).encode())
        if size > MAX_POLICY_BYTES:
            raise ConfigError(
                f"{loaded.mark(*where)}: {'.'.join(where)}: {size} bytes as JSON: SES allows "
                "policies of at most 4 KB"
            )


def _as_secrets(document: Any) -> Any:
    """Every string of a document parsed from a secret, itself a Secret."""
    if isinstance(document, dict):
        return {k: _as_secrets(v) for k, v in document.items()}
    if isinstance(document, list):
        return [_as_secrets(v) for v in document]
    return Secret(document) if isinstance(document, str) else document


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

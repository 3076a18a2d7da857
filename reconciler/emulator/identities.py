"""Email identities and their policies, on moto's EmailIdentity objects.

Known differences from SES (moto 5.2.1 is fixed here where it was wrong): an identity is
deleted whatever its verification state, with its tags; GetEmailIdentity reads tags from the
tagger, not from creation time. Domains get three DKIM tokens derived from their name
(stable across runs, so DNS output is testable) and stay PENDING; nothing is ever verified.
MAIL FROM attributes are omitted until set, as SES does for a new identity; a MAIL FROM
domain stays PENDING. Feedback forwarding is on by default, as in SES. A deterministic Easy
DKIM origin (AWS_SES_<REGION>) gets tokens derived from the name and that origin. BYODKIM
(origin EXTERNAL) lists the selector as its token, as SES does; the private key is not kept.
"""

from __future__ import annotations

import hashlib
from typing import Any

from moto.ses.models import EmailIdentity

from .state import Call, already_exists, bad_request, not_found, page

ARN_TYPE = "email-identity"


def _identity(call: Call) -> Any:
    name = call.params["EmailIdentity"]
    identity = call.backend.email_identities.get(name)
    if identity is None:
        raise not_found(f"Email identity {name}")
    return identity


def _dkim(name: str, origin: str = "AWS_SES") -> dict[str, Any]:
    if "@" in name:
        return {
            "SigningEnabled": False,
            "Status": "NOT_STARTED",
            "SigningAttributesOrigin": "AWS_SES",
        }
    seed = name.lower() if origin == "AWS_SES" else f"{name.lower()}/{origin}"
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return {
        "SigningEnabled": True,
        "Status": "PENDING",
        "Tokens": [digest[i : i + 32] for i in (0, 16, 32)],
        "SigningAttributesOrigin": origin,
        "NextSigningKeyLength": "RSA_2048_BIT",
    }


def _external(signing: dict[str, Any], enabled: bool) -> dict[str, Any]:
    """BYODKIM: SES lists the selector as the only token; the key is write-only (not kept)."""
    return {
        "SigningEnabled": enabled,
        "Status": "PENDING",
        "Tokens": [signing["DomainSigningSelector"]],
        "SigningAttributesOrigin": "EXTERNAL",
    }


def create(call: Call) -> dict[str, Any]:
    name = call.params["EmailIdentity"]
    if name in call.backend.email_identities:
        raise already_exists(f"Email identity {name}")
    identity = EmailIdentity(name, None, None, call.params.get("ConfigurationSetName"))
    identity.dkim_attributes = _dkim(name)
    signing = call.params.get("DkimSigningAttributes") or {}
    if signing.get("NextSigningKeyLength") and "@" not in name:
        identity.dkim_attributes["NextSigningKeyLength"] = signing["NextSigningKeyLength"]
    if signing.get("DomainSigningSelector") and "@" not in name:
        identity.dkim_attributes = _external(signing, True)
    identity.policies = {}
    identity.mail_from = None
    identity.feedback_forwarding = True
    call.backend.email_identities[name] = identity
    call.set_tags(ARN_TYPE, name, call.params.get("Tags"))
    return {
        "IdentityType": identity.identity_type,
        "VerifiedForSendingStatus": False,
        "DkimAttributes": identity.dkim_attributes,
    }


def get(call: Call) -> dict[str, Any]:
    identity = _identity(call)
    answer = {
        "IdentityType": identity.identity_type,
        "FeedbackForwardingStatus": getattr(identity, "feedback_forwarding", True),
        "VerifiedForSendingStatus": getattr(identity, "verified", False),
        "DkimAttributes": identity.dkim_attributes,
        "Policies": dict(identity.policies),
        "Tags": call.tags(ARN_TYPE, identity.email_identity),
        "VerificationStatus": "SUCCESS" if getattr(identity, "verified", False) else "PENDING",
    }
    if identity.configuration_set_name:
        answer["ConfigurationSetName"] = identity.configuration_set_name
    if getattr(identity, "mail_from", None):
        answer["MailFromAttributes"] = {**identity.mail_from, "MailFromDomainStatus": "PENDING"}
    return answer


def verify(call: Call, names: list[str]) -> None:
    """What publishing the DNS records (or clicking the link) does in SES: the identity is
    verified, and a domain's Easy DKIM records are found, so its DKIM status is SUCCESS."""
    for name in names:
        identity = call.backend.email_identities.get(name)
        if identity is None:
            raise not_found(f"Email identity {name}")
        identity.verified = True
        if "@" not in name:
            identity.dkim_attributes = {**identity.dkim_attributes, "Status": "SUCCESS"}


def delete(call: Call) -> dict[str, Any]:
    identity = _identity(call)
    del call.backend.email_identities[identity.email_identity]
    call.drop_tags(ARN_TYPE, identity.email_identity)
    return {}


def list_all(call: Call) -> dict[str, Any]:
    identities = call.backend.email_identities
    names, token = page(list(identities), call.params, maximum=1000)
    items = [
        {
            "IdentityType": identities[n].identity_type,
            "IdentityName": n,
            "SendingEnabled": False,
            "VerificationStatus": "PENDING",
        }
        for n in names
    ]
    return {"EmailIdentities": items, **({"NextToken": token} if token else {})}


def put_configuration_set(call: Call) -> dict[str, Any]:
    _identity(call).configuration_set_name = call.params.get("ConfigurationSetName")
    return {}


def put_dkim(call: Call) -> dict[str, Any]:
    identity = _identity(call)
    identity.dkim_attributes["SigningEnabled"] = bool(call.params.get("SigningEnabled"))
    return {}


def put_dkim_signing(call: Call) -> dict[str, Any]:
    identity, origin = _identity(call), call.params["SigningAttributesOrigin"]
    if "@" in identity.email_identity:
        raise bad_request("DKIM signing attributes apply to domain identities only.")
    attributes = call.params.get("SigningAttributes") or {}
    enabled = identity.dkim_attributes.get("SigningEnabled", True)
    length = attributes.get("NextSigningKeyLength") or identity.dkim_attributes.get(
        "NextSigningKeyLength", "RSA_2048_BIT"
    )
    if origin == "EXTERNAL":
        if not attributes.get("DomainSigningSelector") or not attributes.get(
            "DomainSigningPrivateKey"
        ):
            raise bad_request("BYODKIM needs DomainSigningSelector and DomainSigningPrivateKey.")
        identity.dkim_attributes = _external(attributes, enabled)
    else:
        identity.dkim_attributes = _dkim(identity.email_identity, origin)
        identity.dkim_attributes.update(SigningEnabled=enabled, NextSigningKeyLength=length)
    dkim = identity.dkim_attributes
    return {"DkimStatus": dkim["Status"], "DkimTokens": dkim["Tokens"]}


def put_mail_from(call: Call) -> dict[str, Any]:
    identity, domain = _identity(call), call.params.get("MailFromDomain")
    behavior = call.params.get("BehaviorOnMxFailure") or "USE_DEFAULT_VALUE"
    identity.mail_from = (
        {"MailFromDomain": domain, "BehaviorOnMxFailure": behavior} if domain else None
    )
    return {}


def put_feedback(call: Call) -> dict[str, Any]:
    _identity(call).feedback_forwarding = bool(call.params.get("EmailForwardingEnabled"))
    return {}


def create_policy(call: Call) -> dict[str, Any]:
    identity, name = _identity(call), call.params["PolicyName"]
    if name in identity.policies:
        raise already_exists(f"Policy {name}")
    identity.policies[name] = call.params["Policy"]
    return {}


def update_policy(call: Call) -> dict[str, Any]:
    identity, name = _identity(call), call.params["PolicyName"]
    if name not in identity.policies:
        raise not_found(f"Policy {name}")
    identity.policies[name] = call.params["Policy"]
    return {}


def delete_policy(call: Call) -> dict[str, Any]:
    identity, name = _identity(call), call.params["PolicyName"]
    if name not in identity.policies:
        raise not_found(f"Policy {name}")
    del identity.policies[name]
    return {}


def get_policies(call: Call) -> dict[str, Any]:
    return {"Policies": dict(_identity(call).policies)}


HANDLERS = {
    "CreateEmailIdentity": create,
    "GetEmailIdentity": get,
    "DeleteEmailIdentity": delete,
    "ListEmailIdentities": list_all,
    "PutEmailIdentityConfigurationSetAttributes": put_configuration_set,
    "PutEmailIdentityDkimAttributes": put_dkim,
    "PutEmailIdentityDkimSigningAttributes": put_dkim_signing,
    "PutEmailIdentityMailFromAttributes": put_mail_from,
    "PutEmailIdentityFeedbackAttributes": put_feedback,
    "CreateEmailIdentityPolicy": create_policy,
    "UpdateEmailIdentityPolicy": update_policy,
    "DeleteEmailIdentityPolicy": delete_policy,
    "GetEmailIdentityPolicies": get_policies,
}

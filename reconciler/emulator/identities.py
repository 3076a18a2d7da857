"""Email identities and their policies, on moto's EmailIdentity objects.

Known differences from SES (moto 5.2.1 is fixed here where it was wrong): an identity is
deleted whatever its verification state, with its tags; GetEmailIdentity reads tags from the
tagger, not from creation time. Domains get three DKIM tokens derived from their name
(stable across runs, so DNS output is testable) and stay PENDING; nothing is ever verified.
MAIL FROM attributes are omitted until set, as SES does for a new identity.
"""

from __future__ import annotations

import hashlib
from typing import Any

from moto.ses.models import EmailIdentity

from .state import Call, already_exists, not_found, page

ARN_TYPE = "email-identity"


def _identity(call: Call) -> Any:
    name = call.params["EmailIdentity"]
    identity = call.backend.email_identities.get(name)
    if identity is None:
        raise not_found(f"Email identity {name}")
    return identity


def _dkim(name: str) -> dict[str, Any]:
    if "@" in name:
        return {
            "SigningEnabled": False,
            "Status": "NOT_STARTED",
            "SigningAttributesOrigin": "AWS_SES",
        }
    digest = hashlib.sha256(name.lower().encode()).hexdigest()
    return {
        "SigningEnabled": True,
        "Status": "PENDING",
        "Tokens": [digest[i : i + 32] for i in (0, 16, 32)],
        "SigningAttributesOrigin": "AWS_SES",
        "NextSigningKeyLength": "RSA_2048_BIT",
    }


def create(call: Call) -> dict[str, Any]:
    name = call.params["EmailIdentity"]
    if name in call.backend.email_identities:
        raise already_exists(f"Email identity {name}")
    identity = EmailIdentity(name, None, None, call.params.get("ConfigurationSetName"))
    identity.dkim_attributes = _dkim(name)
    identity.policies = {}
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
        "FeedbackForwardingStatus": True,
        "VerifiedForSendingStatus": False,
        "DkimAttributes": identity.dkim_attributes,
        "Policies": dict(identity.policies),
        "Tags": call.tags(ARN_TYPE, identity.email_identity),
        "VerificationStatus": "PENDING",
    }
    if identity.configuration_set_name:
        answer["ConfigurationSetName"] = identity.configuration_set_name
    return answer


def delete(call: Call) -> dict[str, Any]:
    identity = _identity(call)
    del call.backend.email_identities[identity.email_identity]
    call.drop_tags(ARN_TYPE, identity.email_identity)
    return {}


def list_all(call: Call) -> dict[str, Any]:
    identities = call.backend.email_identities
    names, token = page(list(identities), call.params)
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
    "CreateEmailIdentityPolicy": create_policy,
    "UpdateEmailIdentityPolicy": update_policy,
    "DeleteEmailIdentityPolicy": delete_policy,
    "GetEmailIdentityPolicies": get_policies,
}

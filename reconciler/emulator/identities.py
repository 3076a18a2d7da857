"""Email identities and their policies, on moto's EmailIdentity objects.

What SES answers, and so does this (SES v2 API reference unless said otherwise):
- GetEmailIdentity of a new email address: DKIM NOT_STARTED and off, origin AWS_SES, next key
  RSA_1024_BIT, no tokens; of a new domain: Easy DKIM on, PENDING, three tokens, current and
  next key RSA_2048_BIT. Both: feedback forwarding on, MailFromAttributes with only
  BehaviorOnMxFailure until a MAIL FROM domain is set, Policies {}, VerificationStatus PENDING,
  VerificationInfo {} (real answers quoted in moto's issue tracker; Terraform's
  aws_sesv2_email_identity acceptance tests). CreateEmailIdentity answers an address without
  DkimAttributes.
- An identity is verified when its DNS records are seen (a domain) or its link is clicked (an
  address). Here: POST /_sesctl/verify, or `verify_after` seconds after creation (Settings).
  Verified, a domain's DKIM and MAIL FROM statuses read SUCCESS. A BYODKIM key SES cannot use
  is taken without complaint and the domain never verifies (Terraform issue 29729; the SES
  documentation's own issue tracker): here its DKIM status turns FAILED when verified.
- CreateEmailIdentity with an unknown ConfigurationSetName: 404 "Configuration set <n> does
  not exist." and nothing created. The attribute calls on an unknown identity answer as SES
  does (another emulator's authors checked each against live SES): DKIM signing on/off and
  MAIL FROM with 400 BadRequestException, DKIM signing attributes and the default set with 404.
- At most 20 policies an identity, 64-character names of letters, digits, '-' and '_', 4 KB
  a policy (developer guide, "Sending authorization policy anatomy").
Domains get three DKIM tokens derived from their name (stable across runs, so DNS output is
testable). BYODKIM (origin EXTERNAL) lists the selector as its token; the key is not kept.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from typing import Any

from moto.ses.models import EmailIdentity

from .state import ApiFailure, Call, Kind, Taggable, already_exists, bad_request, not_found, page
from .tags import check_tags

# SES names an identity `arn:aws:ses:<region>:<account>:identity/<name>` (IAM service
# authorization reference for Amazon SES, resource type "identity"; developer guide, "Providing
# the delegate sender with the identity information"). moto says `email-identity/`: not SES.
ARN_TYPE = "identity"
MAX_POLICIES = 20
MAX_POLICY_BYTES = 4096
SIGNING_ZONE = "dkim.amazonses.com"
PRIVATE_KEY = re.compile(r"[a-zA-Z0-9+/]+={0,2}")
SELECTOR = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?")
IDENTITY = re.compile(
    r"([^@\s]{1,64}@)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}"
)


def _identity(call: Call) -> Any:
    name = call.params["EmailIdentity"]
    identity = call.backend.email_identities.get(name)
    if identity is None:
        raise not_found(f"Email identity {name}")
    return identity


def _easy(name: str, origin: str = "AWS_SES", length: str = "RSA_2048_BIT") -> dict[str, Any]:
    """Easy DKIM of a domain: three tokens derived from the name (and a non-default origin)."""
    seed = name.lower() if origin == "AWS_SES" else f"{name.lower()}/{origin}"
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return {
        "SigningEnabled": True,
        "Tokens": [digest[i : i + 32] for i in (0, 16, 32)],
        "SigningAttributesOrigin": origin,
        "CurrentSigningKeyLength": length,
        "NextSigningKeyLength": length,
        "LastKeyGenerationTimestamp": time.time(),
        "SigningHostedZone": SIGNING_ZONE,
    }


def _external(selector: str, enabled: bool) -> dict[str, Any]:
    """BYODKIM: SES lists the selector as the only token; the key is write-only (not kept)."""
    return {"SigningEnabled": enabled, "Tokens": [selector], "SigningAttributesOrigin": "EXTERNAL"}


def usable_key(key: str) -> bool:
    """Whether SES could sign with a BYODKIM key: a 1024- to 2048-bit RSA key, DER, base64."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    try:
        parsed = load_der_private_key(base64.b64decode(key), password=None)
    except (ValueError, TypeError):
        return False
    return isinstance(parsed, rsa.RSAPrivateKey) and 1024 <= parsed.key_size <= 2048


def _byodkim(identity: Any, attributes: dict[str, Any], enabled: bool) -> None:
    """Take a BYODKIM selector and key as SES does: the pattern is checked, the key is not."""
    selector = attributes.get("DomainSigningSelector") or ""
    key = attributes.get("DomainSigningPrivateKey") or ""
    if not SELECTOR.fullmatch(selector) or len(selector) > 63:
        raise bad_request(
            "1 validation error detected: Value at 'signingAttributes.domainSigningSelector' "
            "failed to satisfy constraint: Member must satisfy regular expression pattern"
        )
    if not PRIVATE_KEY.fullmatch(key) or len(key) > 20480:
        raise bad_request(
            "1 validation error detected: Value at 'signingAttributes.domainSigningPrivateKey' "
            "failed to satisfy constraint: Member must satisfy regular expression pattern: "
            "^[a-zA-Z0-9+\\/]+={0,2}$"
        )
    identity.dkim_attributes = _external(selector, enabled)
    identity.key_usable = usable_key(key)


def create(call: Call) -> dict[str, Any]:
    name = call.params["EmailIdentity"]
    if not IDENTITY.fullmatch(name) or len(name) > 320:
        raise bad_request(f"Invalid email address or domain: {name}.")
    if name in call.backend.email_identities:
        raise already_exists(f"Email identity {name}")
    check_tags(call.params.get("Tags") or [])
    configuration_set = call.params.get("ConfigurationSetName")
    if configuration_set and configuration_set not in call.backend.config_sets:
        raise not_found(f"Configuration set {configuration_set}")
    signing = call.params.get("DkimSigningAttributes") or {}
    if signing and "@" in name:
        raise bad_request("The EmailIdentity value must be a valid domain.")
    identity: Any = EmailIdentity(name, None, None, configuration_set)
    if "@" in name:
        identity.dkim_attributes = {"SigningEnabled": False, "SigningAttributesOrigin": "AWS_SES"}
    elif signing.get("DomainSigningSelector") or signing.get("DomainSigningPrivateKey"):
        _byodkim(identity, signing, enabled=True)
    else:
        identity.dkim_attributes = _easy(
            name, length=signing.get("NextSigningKeyLength") or "RSA_2048_BIT"
        )
    identity.policies = {}
    identity.mail_from = None
    identity.feedback_forwarding = True
    identity.created = time.time()
    call.backend.email_identities[name] = identity
    call.set_tags(ARN_TYPE, name, call.params.get("Tags"))
    answer: dict[str, Any] = {
        "IdentityType": identity.identity_type,
        "VerifiedForSendingStatus": False,
    }
    if "@" not in name:
        answer["DkimAttributes"] = {**identity.dkim_attributes, "Status": "NOT_STARTED"}
    return answer


def _dkim(call: Call, identity: Any) -> dict[str, Any]:
    """DKIM attributes as GetEmailIdentity shows them, status by what DNS would show."""
    dkim = dict(identity.dkim_attributes)
    if "@" in identity.email_identity:
        return {**dkim, "Status": "NOT_STARTED", "NextSigningKeyLength": "RSA_1024_BIT"}
    if getattr(identity, "verified", False) and not getattr(identity, "key_usable", True):
        return {**dkim, "Status": "FAILED"}
    return {**dkim, "Status": "SUCCESS" if verified(call, identity) else "PENDING"}


def get(call: Call) -> dict[str, Any]:
    identity = _identity(call)
    ok = verified(call, identity)
    mail_from: dict[str, Any] = {"BehaviorOnMxFailure": "USE_DEFAULT_VALUE"}
    if getattr(identity, "mail_from", None):
        mail_from = {**identity.mail_from, "MailFromDomainStatus": "SUCCESS" if ok else "PENDING"}
    failed = getattr(identity, "verified", False) and not ok
    answer = {
        "IdentityType": identity.identity_type,
        "FeedbackForwardingStatus": getattr(identity, "feedback_forwarding", True),
        "VerifiedForSendingStatus": ok,
        "DkimAttributes": _dkim(call, identity),
        "MailFromAttributes": mail_from,
        "Policies": dict(identity.policies),
        "Tags": call.tags(ARN_TYPE, identity.email_identity),
        "VerificationStatus": "SUCCESS" if ok else "FAILED" if failed else "PENDING",
        "VerificationInfo": {},
    }
    if identity.configuration_set_name:
        answer["ConfigurationSetName"] = identity.configuration_set_name
    return answer


def verified(call: Call, identity: Any) -> bool:
    """Whether SES has seen the identity's DNS records (a domain) or its link clicked (an
    address): set by POST /_sesctl/verify, or `verify_after` seconds after creation. A domain
    whose BYODKIM key SES cannot use never verifies."""
    if not getattr(identity, "key_usable", True):
        return False
    if getattr(identity, "verified", False):
        return True
    after, created = call.settings.verify_after, getattr(identity, "created", None)
    return after is not None and created is not None and time.time() >= created + after


def covering(call: Call, name: str) -> Any:
    """The verified identity that lets `name` (an address or a domain) be used: the address
    itself, its domain, or a parent domain. "When you verify a domain identity, you can send
    email from any subdomain or email address of the verified domain" (developer guide,
    "Creating and verifying identities"). None when no verified identity covers it."""
    identities = call.backend.email_identities
    found = identities.get(name)
    if found is not None and verified(call, found):
        return found
    labels = name.rpartition("@")[2].lower().split(".")
    for i in range(len(labels) - 1):
        domain = identities.get(".".join(labels[i:]))
        if domain is not None and verified(call, domain):
            return domain
    return None


def verify(call: Call, names: list[str]) -> None:
    """What publishing the DNS records (or clicking the link) does in SES."""
    for name in names:
        identity = call.backend.email_identities.get(name)
        if identity is None:
            raise not_found(f"Email identity {name}")
        identity.verified = True


def delete(call: Call) -> dict[str, Any]:
    identity = _identity(call)
    del call.backend.email_identities[identity.email_identity]
    call.drop_tags(ARN_TYPE, identity.email_identity)
    return {}


def list_all(call: Call) -> dict[str, Any]:
    identities = call.backend.email_identities
    names, token = page(list(identities), call.params, maximum=1000)
    items = []
    for name in names:
        ok = verified(call, identities[name])
        items.append(
            {
                "IdentityType": identities[name].identity_type,
                "IdentityName": name,
                "SendingEnabled": ok,
                "VerificationStatus": "SUCCESS" if ok else "PENDING",
            }
        )
    return {"EmailIdentities": items, **({"NextToken": token} if token else {})}


def _invalid(call: Call) -> ApiFailure:
    name = call.params["EmailIdentity"]
    return bad_request(f"Identity {name} is invalid. Must be a verified email address or domain.")


def put_configuration_set(call: Call) -> dict[str, Any]:
    name = call.params["EmailIdentity"]
    identity = call.backend.email_identities.get(name)
    if identity is None:
        raise not_found(f"Identity <{name}>")
    configuration_set = call.params.get("ConfigurationSetName")
    if configuration_set and configuration_set not in call.backend.config_sets:
        raise not_found(f"Configuration set {configuration_set}")
    identity.configuration_set_name = configuration_set or None
    return {}


def put_dkim(call: Call) -> dict[str, Any]:
    name = call.params["EmailIdentity"]
    identity = call.backend.email_identities.get(name)
    if (
        identity is None
        and "@" in name
        and name.rpartition("@")[2] in call.backend.email_identities
    ):
        return {}  # an address under a domain identity: its DKIM is the domain's
    if identity is None:
        raise bad_request(f"Domain {name} is not verified for DKIM signing.")
    if "@" not in name:
        identity.dkim_attributes["SigningEnabled"] = bool(call.params.get("SigningEnabled"))
    return {}


def put_dkim_signing(call: Call) -> dict[str, Any]:
    identity, origin = _identity(call), call.params["SigningAttributesOrigin"]
    if "@" in identity.email_identity:
        raise bad_request("The EmailIdentity value must be a valid domain.")
    attributes = call.params.get("SigningAttributes") or {}
    enabled = identity.dkim_attributes.get("SigningEnabled", True)
    if origin == "EXTERNAL":
        _byodkim(identity, attributes, enabled)
    else:
        length = attributes.get("NextSigningKeyLength") or identity.dkim_attributes.get(
            "NextSigningKeyLength", "RSA_2048_BIT"
        )
        identity.dkim_attributes = {
            **_easy(identity.email_identity, origin, length),
            "SigningEnabled": enabled,
        }
        identity.key_usable = True
    dkim = _dkim(call, identity)
    return {"DkimStatus": dkim["Status"], "DkimTokens": dkim["Tokens"]}


def put_mail_from(call: Call) -> dict[str, Any]:
    identity = call.backend.email_identities.get(call.params["EmailIdentity"])
    if identity is None:
        raise _invalid(call)
    domain = call.params.get("MailFromDomain")
    parent = identity.email_identity.rpartition("@")[2].lower()
    if domain and not domain.lower().endswith(f".{parent}"):
        raise bad_request(f"MAIL FROM domain {domain} must be a subdomain of {parent}.")
    behavior = call.params.get("BehaviorOnMxFailure") or "USE_DEFAULT_VALUE"
    identity.mail_from = (
        {"MailFromDomain": domain, "BehaviorOnMxFailure": behavior} if domain else None
    )
    return {}


def put_feedback(call: Call) -> dict[str, Any]:
    identity = call.backend.email_identities.get(call.params["EmailIdentity"])
    if identity is None:
        raise _invalid(call)
    identity.feedback_forwarding = bool(call.params.get("EmailForwardingEnabled"))
    return {}


def _policy(call: Call) -> tuple[Any, str]:
    identity, name = _identity(call), call.params["PolicyName"]
    if len(name) > 64:
        raise bad_request(
            "1 validation error detected: Value at 'policyName' failed to satisfy constraint: "
            "Member must have length less than or equal to 64"
        )
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise bad_request(
            "PolicyName is invalid. Policy names must only include alpha-numeric characters, "
            "dashes, and underscores."
        )
    return identity, name


def _document(call: Call) -> str:
    document = call.params["Policy"]
    if len(document.encode()) > MAX_POLICY_BYTES:
        raise bad_request("Policy exceeds the maximum size of 4 KB.")
    try:
        json.loads(document)
    except ValueError:
        raise bad_request("Policy is not valid JSON.") from None
    return str(document)


def create_policy(call: Call) -> dict[str, Any]:
    identity, name = _policy(call)
    if name in identity.policies:
        raise already_exists(f"Policy {name}")
    if len(identity.policies) >= MAX_POLICIES:
        raise ApiFailure(
            400,
            "LimitExceededException",
            f"Number of policies for {identity.email_identity} exceeds max allowed number of "
            "policies per resource",
        )
    identity.policies[name] = _document(call)
    return {}


def update_policy(call: Call) -> dict[str, Any]:
    identity, name = _policy(call)
    if name not in identity.policies:
        raise not_found(f"Policy {name}")
    identity.policies[name] = _document(call)
    return {}


def delete_policy(call: Call) -> dict[str, Any]:
    identity, name = _policy(call)
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
KIND = Kind(__name__, HANDLERS, Taggable(ARN_TYPE, lambda call: call.backend.email_identities))

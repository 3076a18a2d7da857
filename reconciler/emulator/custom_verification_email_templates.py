"""Custom verification email templates, which moto 5.2.1 does not serve, kept as JSON.

What SES does, and where it says so:
- Create and Update take all five members, each required (API reference, both operations);
  tags come only with Create, Get answers them, TagResource takes the ARN type
  `custom-verification-email-template` (IAM service authorization reference).
- An account holds at most 50 (developer guide, "Custom verification email frequently asked
  questions"): the 51st is LimitExceededException. Content is under 10 MB (API reference).
- The sender must be verified, the address or a domain above it (the guide's table of
  inputs). SES v1 answered FromEmailAddressNotVerified; v2 names no such error, and lists
  NotFoundException for both operations, which is answered here (message ours).
- ListCustomVerificationEmailTemplates pages 1 to 50 at a time; its items carry no content
  and no tags (API reference, CustomVerificationEmailTemplateMetadata).

The FAQ's allowlist of HTML tags is not enforced: SES v2 documents no error for it, so any
content is stored (sesctl's validate refuses what the list leaves out).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from . import identities
from .state import (
    ApiFailure,
    Call,
    Kind,
    Taggable,
    already_exists,
    bad_request,
    check_name,
    not_found,
    page,
)
from .tags import check_tags

ARN_TYPE = "custom-verification-email-template"
STORE = "custom_verification_email_templates"
MAX_TEMPLATES = 50
MAX_CONTENT_BYTES = 10 * 1024 * 1024
MEMBERS = (
    "FromEmailAddress",
    "TemplateSubject",
    "TemplateContent",
    "SuccessRedirectionURL",
    "FailureRedirectionURL",
)
LISTED = ("TemplateName", "FromEmailAddress", "TemplateSubject", "SuccessRedirectionURL",
          "FailureRedirectionURL")  # fmt: skip


def _templates(call: Call) -> dict[str, dict[str, Any]]:
    return call.kept(STORE)


def _found(call: Call) -> dict[str, Any]:
    name = call.params["TemplateName"]
    found = _templates(call).get(name)
    if found is None:
        raise not_found(f"Custom verification email template {name}")
    return found


def _members(call: Call) -> dict[str, str]:
    """The five members of a create or update, checked as SES checks them."""
    members: dict[str, str] = {}
    for member in MEMBERS:
        value = call.params.get(member)
        if not isinstance(value, str) or not value:
            raise bad_request(f"{member} is required.")
        members[member] = value
    if len(members["TemplateContent"].encode()) >= MAX_CONTENT_BYTES:
        raise bad_request("The custom verification email template content must be under 10 MB.")
    for member, word in (
        ("SuccessRedirectionURL", "success"),
        ("FailureRedirectionURL", "failure"),
    ):
        url = urlsplit(members[member])
        if url.scheme not in ("http", "https") or not url.netloc:
            raise bad_request(f"The {word} redirection URL is invalid.")
    sender = members["FromEmailAddress"]
    if "@" not in sender or identities.covering(call, sender) is None:
        raise ApiFailure(
            404, "NotFoundException", f"The from email address {sender} is not verified."
        )
    return members


def create(call: Call) -> dict[str, Any]:
    name = check_name("TemplateName", call.params["TemplateName"])
    templates = _templates(call)
    if name in templates:
        raise already_exists(f"Custom verification email template {name}")
    if len(templates) >= MAX_TEMPLATES:
        raise ApiFailure(
            400,
            "LimitExceededException",
            f"An account can have at most {MAX_TEMPLATES} custom verification email templates.",
        )
    check_tags(call.params.get("Tags") or [])
    templates[name] = {"TemplateName": name, **_members(call)}
    call.set_tags(ARN_TYPE, name, call.params.get("Tags"))
    return {}


def get(call: Call) -> dict[str, Any]:
    found = _found(call)
    answer = {k: found[k] for k in ("TemplateName", *MEMBERS) if k in found}
    return {**answer, "Tags": call.tags(ARN_TYPE, call.params["TemplateName"])}


def update(call: Call) -> dict[str, Any]:
    found = _found(call)
    found.update(_members(call))
    return {}


def delete(call: Call) -> dict[str, Any]:
    _found(call)
    name = call.params["TemplateName"]
    del _templates(call)[name]
    call.drop_tags(ARN_TYPE, name)
    return {}


def list_all(call: Call) -> dict[str, Any]:
    templates = _templates(call)
    names, token = page(list(templates), call.params, default_size=50, maximum=50)
    items = [{k: templates[n][k] for k in LISTED if k in templates[n]} for n in names]
    return {"CustomVerificationEmailTemplates": items, **({"NextToken": token} if token else {})}


HANDLERS = {
    "CreateCustomVerificationEmailTemplate": create,
    "GetCustomVerificationEmailTemplate": get,
    "UpdateCustomVerificationEmailTemplate": update,
    "DeleteCustomVerificationEmailTemplate": delete,
    "ListCustomVerificationEmailTemplates": list_all,
}
KIND = Kind(__name__, HANDLERS, Taggable(ARN_TYPE, lambda call: _templates(call)))

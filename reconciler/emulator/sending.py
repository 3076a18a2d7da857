"""SendEmail (moto 5.2.1 refuses templated content): simple, raw and templated messages.

Templated sends render with SES's rules: a variable the data lacks makes the message a
rendering failure — SES still answers with a MessageId but never delivers it, so it is kept
with `delivered: false`. No identity verification or sandbox limits are applied. Tests read
every accepted message at GET /_sesctl/messages.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from ..handlebars import MissingVariableError, TemplateSyntaxError, parse, render
from .state import ApiFailure, Call, bad_request, not_found


def _messages(call: Call) -> list[dict[str, Any]]:
    if not hasattr(call.backend, "sesctl_messages"):
        call.backend.sesctl_messages = []
    messages: list[dict[str, Any]] = call.backend.sesctl_messages
    return messages


def all_messages(call: Call) -> list[dict[str, Any]]:
    return list(_messages(call))


def _template(call: Call, spec: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    if spec.get("TemplateContent"):
        return None, spec["TemplateContent"]
    name = spec.get("TemplateName") or (spec.get("TemplateArn") or "").rsplit("/", 1)[-1]
    template = call.extras.templates.get(name)
    if template is None:
        raise not_found(f"Template {name}")
    return name, template.content


def _render(content: dict[str, str], data: dict[str, Any]) -> tuple[str, bool]:
    """The rendered subject, and whether every part rendered (else: a rendering failure)."""
    try:
        parts = {k: render(parse(v), data) for k, v in content.items() if v}
    except (MissingVariableError, TemplateSyntaxError):
        return content.get("Subject", ""), False
    return parts.get("Subject", ""), True


def send_email(call: Call) -> dict[str, Any]:
    content, destination = call.params["Content"], call.params.get("Destination") or {}
    recipients = sum(
        len(destination.get(k) or []) for k in ("ToAddresses", "CcAddresses", "BccAddresses")
    )
    if recipients > 50:
        raise ApiFailure(400, "MessageRejected", "Recipient count exceeds 50.")
    message: dict[str, Any] = {
        "message_id": str(uuid.uuid4()),
        "from": call.params.get("FromEmailAddress"),
        "to": destination.get("ToAddresses", []),
        "cc": destination.get("CcAddresses", []),
        "bcc": destination.get("BccAddresses", []),
        "template": None,
        "template_data": None,
        "subject": None,
        "delivered": True,
        "attachments": [],
    }
    if "Template" in content:
        spec = content["Template"]
        name, template = _template(call, spec)
        try:
            data = json.loads(spec.get("TemplateData") or "{}")
        except json.JSONDecodeError:
            raise bad_request("TemplateData is not valid JSON.") from None
        message["template"], message["template_data"] = name, data
        message["subject"], message["delivered"] = _render(template, data)
        message["attachments"] = [a["FileName"] for a in spec.get("Attachments") or []]
    elif "Simple" in content:
        message["subject"] = content["Simple"]["Subject"]["Data"]
        message["attachments"] = [a["FileName"] for a in content["Simple"].get("Attachments") or []]
    elif "Raw" in content:
        message["subject"] = None
    else:
        raise bad_request("Content needs Simple, Raw or Template.")
    _messages(call).append(message)
    return {"MessageId": message["message_id"]}


HANDLERS = {"SendEmail": send_email}

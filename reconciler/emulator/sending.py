"""SendEmail and SendBulkEmail (moto 5.2.1 has neither for templated content).

Templated sends render with SES's rules: a variable the data lacks makes the message a
rendering failure — SES still answers with a MessageId but never delivers it, so it is kept
with `delivered: false`. No identity verification is applied. Bulk entries past the 24-hour
quota are answered ACCOUNT_DAILY_QUOTA_EXCEEDED, entry by entry, as SES does. A maximum send
rate (`sesctl emulator --max-send-rate N` or POST /_sesctl/send-quota) is enforced strictly — SES
tolerates short bursts, the emulator does not: a call that would exceed N recipients in the last
second is answered TooManyRequestsException "Maximum sending rate exceeded." as SES does.
Tests read every accepted message at GET /_sesctl/messages, each with `accepted_at` (the
emulator's monotonic clock, in seconds) to check the rate.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from functools import lru_cache
from typing import Any

from ..handlebars import MissingVariableError, TemplateSyntaxError, parse, render
from .state import ApiFailure, Call, bad_request, not_found

_RUN = os.urandom(8).hex()
_SERIAL = itertools.count(1)


def _message_id() -> str:
    """Unique ids shaped like SES's (`<16 hex>-<run>-<serial>-000000`), cheap to make."""
    return f"0100{int(time.time() * 1000):012x}-{_RUN}-{next(_SERIAL):012x}-000000"


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


@lru_cache(maxsize=64)
def _parsed(source: str) -> Any:
    """Templates are parsed once, not once per recipient."""
    return parse(source)


def _render(content: dict[str, str], data: dict[str, Any]) -> tuple[str, bool]:
    """The rendered subject, and whether every part rendered (else: a rendering failure)."""
    try:
        parts = {k: render(_parsed(v), data) for k, v in content.items() if v}
    except (MissingVariableError, TemplateSyntaxError):
        return content.get("Subject", ""), False
    return parts.get("Subject", ""), True


def _count(destination: dict[str, Any]) -> int:
    return sum(
        len(destination.get(k) or []) for k in ("ToAddresses", "CcAddresses", "BccAddresses")
    )


class SendRate:
    """Recipients accepted in the last second, against the account's maximum send rate."""

    def __init__(self) -> None:
        self.window: list[tuple[float, int]] = []

    def take(self, call: Call, recipients: int) -> float:
        """Count the recipients in, or answer 429; the monotonic time they were accepted."""
        quota = call.extras.account["SendQuota"]
        now = time.monotonic()
        self.window = [(t, n) for t, n in self.window if now - t < 1.0]
        limit = quota["MaxSendRate"]
        if limit > 0 and sum(n for _, n in self.window) + recipients > limit:
            raise ApiFailure(429, "TooManyRequestsException", "Maximum sending rate exceeded.")
        self.window.append((now, recipients))
        quota["SentLast24Hours"] += recipients
        return now


RATE = SendRate()


def send_email(call: Call) -> dict[str, Any]:
    content, destination = call.params["Content"], call.params.get("Destination") or {}
    recipients = _count(destination)
    if recipients > 50:
        raise ApiFailure(400, "MessageRejected", "Recipient count exceeds 50.")
    accepted = RATE.take(call, recipients)
    message: dict[str, Any] = {
        "message_id": _message_id(),
        "from": call.params.get("FromEmailAddress"),
        "to": destination.get("ToAddresses", []),
        "cc": destination.get("CcAddresses", []),
        "bcc": destination.get("BccAddresses", []),
        "template": None,
        "template_data": None,
        "subject": None,
        "delivered": True,
        "attachments": [],
        "accepted_at": accepted,
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


def send_bulk_email(call: Call) -> dict[str, Any]:
    entries = call.params["BulkEmailEntries"]
    if not 1 <= len(entries) <= 50:
        raise bad_request("BulkEmailEntries takes 1 to 50 entries.")
    spec = (call.params.get("DefaultContent") or {}).get("Template") or {}
    name, template = _template(call, spec)
    default = json.loads(spec.get("TemplateData") or "{}")
    counts = [_count(e.get("Destination") or {}) for e in entries]
    accepted = RATE.take(call, sum(counts))
    quota = call.extras.account["SendQuota"]
    sent_before = quota["SentLast24Hours"] - sum(counts)
    messages, results = _messages(call), []
    for entry, recipients in zip(entries, counts, strict=True):
        destination = entry.get("Destination") or {}
        sent_before += recipients
        if 0 <= quota["Max24HourSend"] < sent_before:
            error = "Daily message quota exceeded."
            results.append({"Status": "ACCOUNT_DAILY_QUOTA_EXCEEDED", "Error": error})
            continue
        replacement = (entry.get("ReplacementEmailContent") or {}).get("ReplacementTemplate") or {}
        data = {**default, **json.loads(replacement.get("ReplacementTemplateData") or "{}")}
        subject, delivered = _render(template, data)
        message = {
            "message_id": _message_id(),
            "from": call.params.get("FromEmailAddress"),
            "to": destination.get("ToAddresses", []),
            "cc": destination.get("CcAddresses", []),
            "bcc": destination.get("BccAddresses", []),
            "template": name,
            "template_data": data,
            "subject": subject,
            "delivered": delivered,
            "attachments": [],
            "accepted_at": accepted,
        }
        messages.append(message)
        results.append({"Status": "SUCCESS", "MessageId": message["message_id"]})
    return {"BulkEmailEntryResults": results}


def set_quota(call: Call, request: dict[str, Any]) -> None:
    quota = call.extras.account["SendQuota"]
    if "max_send_rate" in request:
        quota["MaxSendRate"] = float(request["max_send_rate"])
    if "max_24_hour_send" in request:
        quota["Max24HourSend"] = float(request["max_24_hour_send"])


HANDLERS = {"SendEmail": send_email, "SendBulkEmail": send_bulk_email}

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
from typing import Any, NamedTuple

from ..handlebars import MissingVariableError, TemplateSyntaxError, parse, render
from .state import ApiFailure, Call, bad_request, not_found

_RUN = os.urandom(8).hex()
_SERIAL = itertools.count(1)


def _message_id() -> str:
    """Unique ids shaped like SES's (`<16 hex>-<run>-<serial>-000000`), cheap to make."""
    return f"0100{int(time.time() * 1000):012x}-{_RUN}-{next(_SERIAL):012x}-000000"


class Message(NamedTuple):
    """One accepted message, kept as a tuple of plain values (template data as JSON text) so
    that a million of them stay small and out of the garbage collector's way."""

    message_id: str
    sender: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    template: str | None
    template_data: str | None
    subject: str | None
    delivered: bool
    attachments: tuple[str, ...]
    accepted_at: float

    def as_json(self) -> dict[str, Any]:
        data = self.template_data
        return {
            "message_id": self.message_id,
            "from": self.sender,
            "to": list(self.to),
            "cc": list(self.cc),
            "bcc": list(self.bcc),
            "template": self.template,
            "template_data": json.loads(data) if data is not None else None,
            "subject": self.subject,
            "delivered": self.delivered,
            "attachments": list(self.attachments),
            "accepted_at": self.accepted_at,
        }


def _messages(call: Call) -> list[Message]:
    if not hasattr(call.backend, "sesctl_messages"):
        call.backend.sesctl_messages = []
    messages: list[Message] = call.backend.sesctl_messages
    return messages


def all_messages(call: Call) -> list[dict[str, Any]]:
    # State saved by older versions holds dicts.
    return [m.as_json() if isinstance(m, Message) else m for m in _messages(call)]


def _addresses(destination: dict[str, Any]) -> tuple[tuple[str, ...], ...]:
    return tuple(
        tuple(destination.get(k) or ()) for k in ("ToAddresses", "CcAddresses", "BccAddresses")
    )


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


def _take(call: Call, recipients: int) -> float:
    """Count recipients against the maximum send rate (the last second) or answer 429.

    Returns the monotonic time they were accepted.
    """
    quota = call.extras.account["SendQuota"]
    now = time.monotonic()
    recent = getattr(call.extras, "sent_window", [])  # absent in state saved by older versions
    window = [(t, n) for t, n in recent if now - t < 1.0]
    limit = quota["MaxSendRate"]
    if limit > 0 and sum(n for _, n in window) + recipients > limit:
        call.extras.sent_window = window
        raise ApiFailure(429, "TooManyRequestsException", "Maximum sending rate exceeded.")
    call.extras.sent_window = [*window, (now, recipients)]
    quota["SentLast24Hours"] += recipients
    return now


def send_email(call: Call) -> dict[str, Any]:
    content, destination = call.params["Content"], call.params.get("Destination") or {}
    recipients = _count(destination)
    if recipients > 50:
        raise ApiFailure(400, "MessageRejected", "Recipient count exceeds 50.")
    accepted = _take(call, recipients)
    name = data = subject = None
    delivered, attachments = True, []
    if "Template" in content:
        spec = content["Template"]
        name, template = _template(call, spec)
        data = spec.get("TemplateData") or "{}"
        try:
            subject, delivered = _render(template, json.loads(data))
        except json.JSONDecodeError:
            raise bad_request("TemplateData is not valid JSON.") from None
        attachments = spec.get("Attachments") or []
    elif "Simple" in content:
        subject = content["Simple"]["Subject"]["Data"]
        attachments = content["Simple"].get("Attachments") or []
    elif "Raw" not in content:
        raise bad_request("Content needs Simple, Raw or Template.")
    message = Message(
        _message_id(), call.params.get("FromEmailAddress"), *_addresses(destination), name, data,
        subject, delivered, tuple(a["FileName"] for a in attachments), accepted,
    )  # fmt: skip
    _messages(call).append(message)
    return {"MessageId": message.message_id}


def send_bulk_email(call: Call) -> dict[str, Any]:
    entries = call.params["BulkEmailEntries"]
    if not 1 <= len(entries) <= 50:
        raise bad_request("BulkEmailEntries takes 1 to 50 entries.")
    spec = (call.params.get("DefaultContent") or {}).get("Template") or {}
    name, template = _template(call, spec)
    default = json.loads(spec.get("TemplateData") or "{}")
    counts = [_count(e.get("Destination") or {}) for e in entries]
    accepted = _take(call, sum(counts))
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
        text = replacement.get("ReplacementTemplateData") or "{}"
        data = {**default, **json.loads(text)}
        subject, delivered = _render(template, data)
        message = Message(
            _message_id(), call.params.get("FromEmailAddress"), *_addresses(destination), name,
            json.dumps(data) if default else text, subject, delivered, (), accepted,
        )  # fmt: skip
        messages.append(message)
        results.append({"Status": "SUCCESS", "MessageId": message.message_id})
    return {"BulkEmailEntryResults": results}


def set_quota(call: Call, request: dict[str, Any]) -> None:
    quota = call.extras.account["SendQuota"]
    if "max_send_rate" in request:
        quota["MaxSendRate"] = float(request["max_send_rate"])
    if "max_24_hour_send" in request:
        quota["Max24HourSend"] = float(request["max_24_hour_send"])


HANDLERS = {"SendEmail": send_email, "SendBulkEmail": send_bulk_email}

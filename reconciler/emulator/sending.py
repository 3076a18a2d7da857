"""SendEmail and SendBulkEmail (moto 5.2.1 has neither for templated content).

What SES checks before it accepts a message, in this order (developer guide, "Amazon SES
sandbox", "Managing your sending quotas", "Troubleshooting error messages"; SES v2 API
reference, SendEmail errors):
- the sender (its address, its domain or a parent domain) is a verified identity, else 400
  MessageRejected "Email address is not verified. The following identities failed the check
  in region US-EAST-1: …";
- in the sandbox, so is every recipient, except the mailbox simulator's addresses;
- sending is enabled for the account and the configuration set (400 SendingPausedException),
  and the configuration set exists (404 NotFoundException);
- the account's maximum send rate and 24-hour quota count recipients, not messages; past
  either, TooManyRequestsException "Maximum sending rate exceeded." / "Daily message quota
  exceeded." (SendBulkEmail answers the daily quota entry by entry, as SES does). Mail to the
  mailbox simulator counts against the rate, not the daily quota.

Templated sends render with SES's rules: a variable the data lacks makes the message a
rendering failure — SES still answers with a MessageId but never delivers it, so it is kept
with `delivered: false`. The maximum send rate (`sesctl emulator --max-send-rate N` or POST
/_sesctl/send-quota) is enforced strictly — SES tolerates short bursts, the emulator does not.
Tests read every accepted message at GET /_sesctl/messages, each with `accepted_at` (the
emulator's monotonic clock, in seconds) to check the rate, its configuration set (named, or
the sender identity's default) and its message tags. What follows acceptance — outcomes,
events, suppression entries, metrics — is delivery.py's.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import os
import time
from email.utils import parseaddr
from functools import lru_cache
from typing import Any, NamedTuple

from ..handlebars import (
    Block,
    MissingVariableError,
    PartialCall,
    TemplateSyntaxError,
    parse,
    render,
)
from . import account, delivery, identities, metrics
from .state import ApiFailure, Call, Kind, bad_request, not_found

SIMULATOR = "@simulator.amazonses.com"
EICAR = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"
DAY = 24 * 3600.0

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
    configuration_set: str | None = None  # the one it was sent with (named, or the default)
    tags: str = "{}"  # its message tags, name → value, as JSON text

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
            "configuration_set": self.configuration_set,
            "tags": json.loads(self.tags),
        }


def _messages(call: Call) -> list[Message]:
    if not hasattr(call.backend, "sesctl_messages"):
        call.backend.sesctl_messages = []
    messages: list[Message] = call.backend.sesctl_messages
    return messages


def all_messages(call: Call) -> list[dict[str, Any]]:
    return [m.as_json() for m in _messages(call)]


def find(call: Call, message_id: str) -> Message:
    """An accepted message by its id, newest first (controls only: a linear search)."""
    for message in reversed(_messages(call)):
        if message.message_id == message_id:
            return message
    raise not_found(f"Message {message_id}")


Addresses = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def _addresses(destination: dict[str, Any]) -> Addresses:
    """To, Cc and Bcc of a destination."""
    get = destination.get
    return (
        tuple(get("ToAddresses") or ()),
        tuple(get("CcAddresses") or ()),
        tuple(get("BccAddresses") or ()),
    )


def _template(call: Call, spec: dict[str, Any]) -> tuple[str | None, dict[str, str]]:
    if spec.get("TemplateContent"):
        _only_substitutions(spec["TemplateContent"])
        return None, spec["TemplateContent"]
    name = spec.get("TemplateName") or (spec.get("TemplateArn") or "").rsplit("/", 1)[-1]
    template = call.extras.templates.get(name)
    if template is None:
        raise not_found(f"Template {name}")
    return name, template.content


def _only_substitutions(content: dict[str, str]) -> None:
    """A template given inline "supports only simple substitutions" (API reference,
    EmailTemplateContent in a send); SES answers the rest with 400 (seen in the AWS SDK for
    JavaScript's issue tracker: "Template contains unsupported operations.")."""
    for source in content.values():
        try:
            parsed = _parsed(source)
        except TemplateSyntaxError:
            continue  # a rendering failure, as for a stored template
        if parsed.partials or any(isinstance(n, Block | PartialCall) for n in parsed.body):
            raise bad_request("Template contains unsupported operations.")


@lru_cache(maxsize=64)
def _parsed(source: str) -> Any:
    """Templates are parsed once, not once per recipient."""
    return parse(source)


def _render(
    content: dict[str, str], data: dict[str, Any], supplied: dict[str, str] | None = None
) -> tuple[str, str | None]:
    """The rendered subject, and why the message is a rendering failure (None: it rendered)."""
    try:
        parts = {k: render(_parsed(v), data, supplied=supplied) for k, v in content.items() if v}
    except MissingVariableError as missing:  # SES's wording ("Examples of event data")
        return content.get("Subject", ""), (
            f"Attribute '{missing.path}' is not present in the rendering data."
        )
    except TemplateSyntaxError as error:
        return content.get("Subject", ""), str(error)
    return parts.get("Subject", ""), None


def _take(call: Call, recipients: int) -> float:
    """Count recipients against the maximum send rate (the last second) or answer 429.

    Returns the monotonic time they were accepted.
    """
    limit = call.extras.account["SendQuota"]["MaxSendRate"]
    window, now = call.extras.rate_window, time.monotonic()
    if limit > 0 and window.count(now) + recipients > limit:
        raise ApiFailure(429, "TooManyRequestsException", "Maximum sending rate exceeded.")
    window.add(now, recipients)
    return now


def sent_last_24_hours(call: Call) -> float:
    """Recipients counted against the daily quota over the last 24 hours (a rolling window)."""
    return float(call.extras.day_window.count(time.time()))


def _quota_left(call: Call) -> float:
    """How many more recipients the 24-hour quota allows (-1 as Max24HourSend: no limit)."""
    maximum = call.extras.account["SendQuota"]["Max24HourSend"]
    return float("inf") if maximum < 0 else maximum - sent_last_24_hours(call)


def _counted(addresses: tuple[str, ...]) -> int:
    """Recipients that count against the daily quota: all but the mailbox simulator's."""
    return sum(not _bare(a).lower().endswith(SIMULATOR) for a in addresses)


def _bare(address: str) -> str:
    return parseaddr(address)[1] or address


def _unverified(call: Call, addresses: list[str]) -> ApiFailure:
    failed = []
    for address in addresses:
        failed += [address] if _bare(address) == address else [address, _bare(address)]
    region = call.region.upper()
    return ApiFailure(
        400,
        "MessageRejected",
        "Email address is not verified. The following identities failed the check in region "
        f"{region}: {', '.join(failed)}",
    )


def _check_sender(call: Call) -> None:
    """The sender must be verified, sending enabled, and the configuration set must exist."""
    sender = call.params.get("FromEmailAddress") or ""
    if identities.covering(call, _bare(sender)) is None:
        raise _unverified(call, [sender])
    if not call.extras.account.get("SendingEnabled", True):
        raise ApiFailure(400, "SendingPausedException", "Sending is paused for this account.")
    name = call.params.get("ConfigurationSetName")
    if name:
        if name not in call.backend.config_sets:
            raise not_found(f"Configuration set {name}")
        sending = call.extras.groups.get(name, {}).get("SendingOptions") or {}
        if not sending.get("SendingEnabled", True):
            raise ApiFailure(
                400, "SendingPausedException", f"Sending is paused for configuration set {name}."
            )


def _unverified_recipients(call: Call, addresses: tuple[str, ...]) -> list[str]:
    """In the sandbox, recipients that are neither verified nor the mailbox simulator."""
    if not account.in_sandbox(call):
        return []
    return [
        a
        for a in addresses
        if not _bare(a).lower().endswith(SIMULATOR) and identities.covering(call, _bare(a)) is None
    ]


def _list_management(call: Call) -> dict[str, str] | None:
    """What SES fills in when a send names a contact list: {{amazonSESUnsubscribeUrl}}
    ("Using list management", developer guide; SendBulkEmail has no list management)."""
    options = call.params.get("ListManagementOptions")
    if not options:
        return None
    name = options["ContactListName"]
    if name not in call.backend.contacts_lists:
        raise ApiFailure(404, "NotFoundException", f"List with name: {name} doesn't exist.")
    topic = options.get("TopicName") or ""
    url = f"https://unsubscribe.emulator.invalid/{call.region}/{name}/{topic}"
    return {"amazonSESUnsubscribeUrl": url}


def send_email(call: Call) -> dict[str, Any]:
    content = call.params["Content"]
    groups = _addresses(call.params.get("Destination") or {})
    everyone = tuple(a for group in groups for a in group)
    recipients = len(everyone)
    if recipients > 50:
        raise ApiFailure(400, "MessageRejected", "Recipient count exceeds 50.")
    _check_sender(call)
    refused = _unverified_recipients(call, everyone)
    if refused:
        raise _unverified(call, refused)
    counted = _counted(everyone)
    if counted > _quota_left(call):
        raise ApiFailure(429, "TooManyRequestsException", "Daily message quota exceeded.")
    accepted = _take(call, recipients)
    call.extras.day_window.add(time.time(), counted)
    name = data = subject = failure = None
    attachments = list[dict[str, Any]]()
    if "Template" in content:
        spec = content["Template"]
        name, template = _template(call, spec)
        data = spec.get("TemplateData") or "{}"
        try:
            subject, failure = _render(template, json.loads(data), _list_management(call))
        except json.JSONDecodeError:
            raise bad_request("TemplateData is not valid JSON.") from None
        attachments = spec.get("Attachments") or []
    elif "Simple" in content:
        subject = content["Simple"]["Subject"]["Data"]
        attachments = content["Simple"].get("Attachments") or []
    elif "Raw" not in content:
        raise bad_request("Content needs Simple, Raw or Template.")
    sending = delivery.Sending.of(call)
    virus = _virus(content, attachments)
    message = Message(
        _message_id(), call.params.get("FromEmailAddress"), *groups, name, data, subject,
        failure is None and not virus, tuple(a["FileName"] for a in attachments), accepted,
        sending.set_name, delivery.tags_json(call.params),
    )  # fmt: skip
    _messages(call).append(message)
    delivery.accepted(sending, message, subject, failure, rejected=virus)
    metrics.publish_reputation(call)
    return {"MessageId": message.message_id}


def _virus(content: dict[str, Any], attachments: list[dict[str, Any]]) -> bool:
    """Whether the message carries the EICAR test file, which SES's virus scan finds: the
    developer guide's way to see a Reject event ("Testing email sending using the mailbox
    simulator": the simulator has no address for rejects)."""
    blobs = [str(a.get("RawContent") or "") for a in attachments]
    blobs.append(str((content.get("Raw") or {}).get("Data") or ""))
    return any(EICAR in _decoded(blob) for blob in blobs)


def _decoded(blob: str) -> bytes:
    """A blob as botocore sends it in JSON (base64), decoded; text that is not base64 as is."""
    try:
        return base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return blob.encode(errors="replace")


def send_bulk_email(call: Call) -> dict[str, Any]:
    entries = call.params["BulkEmailEntries"]
    if not 1 <= len(entries) <= 50:
        raise bad_request("BulkEmailEntries takes 1 to 50 entries.")
    spec = (call.params.get("DefaultContent") or {}).get("Template") or {}
    name, template = _template(call, spec)
    default = json.loads(spec.get("TemplateData") or "{}")
    _check_sender(call)
    destinations = [_addresses(e.get("Destination") or {}) for e in entries]
    accepted = _take(call, sum(len(a) for groups in destinations for a in groups))
    left = _quota_left(call)
    day = 0
    messages, results = _messages(call), []
    sender = call.params.get("FromEmailAddress")
    sending = delivery.Sending.of(call)
    default_tags = delivery.tags(call.params.get("DefaultEmailTags"))
    for entry, groups in zip(entries, destinations, strict=True):
        everyone = tuple(a for group in groups for a in group)
        refused = _unverified_recipients(call, everyone)
        if refused:
            error = _unverified(call, refused).message
            results.append({"Status": "MESSAGE_REJECTED", "Error": error})
            continue
        counted = _counted(everyone)
        if counted > left:
            error = "Daily message quota exceeded."
            results.append({"Status": "ACCOUNT_DAILY_QUOTA_EXCEEDED", "Error": error})
            continue
        left -= counted
        day += counted
        replacement = (entry.get("ReplacementEmailContent") or {}).get("ReplacementTemplate") or {}
        text = replacement.get("ReplacementTemplateData") or "{}"
        data = {**default, **json.loads(text)}
        subject, failure = _render(template, data)
        tags = {**default_tags, **delivery.tags(entry.get("ReplacementTags"))}
        message = Message(
            _message_id(), sender, *groups, name, json.dumps(data) if default else text,
            subject, failure is None, (), accepted, sending.set_name, json.dumps(tags),
        )  # fmt: skip
        messages.append(message)
        delivery.accepted(sending, message, subject, failure)
        results.append({"Status": "SUCCESS", "MessageId": message.message_id})
    call.extras.day_window.add(time.time(), day)
    metrics.publish_reputation(call)
    return {"BulkEmailEntryResults": results}


def set_quota(call: Call, request: dict[str, Any]) -> None:
    quota = call.extras.account["SendQuota"]
    if "max_send_rate" in request:
        quota["MaxSendRate"] = float(request["max_send_rate"])
    if "max_24_hour_send" in request:
        quota["Max24HourSend"] = float(request["max_24_hour_send"])


HANDLERS = {"SendEmail": send_email, "SendBulkEmail": send_bulk_email}
KIND = Kind(__name__, HANDLERS)

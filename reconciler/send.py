"""`sesctl send`: one message — simple or templated, with attachments — through SendEmail.

Everything is checked before the call: address syntax (RFC 5321/5322 addr-spec, display
names allowed), at most 50 recipients, readable files, JSON template data, and a templated
message's data against the live template (SES accepts a message whose data lacks a variable,
then drops it as a rendering failure). Attachments use SES v2's own Attachments (RawContent,
FileName, MIME type from the file name).

Only a call SES surely did not accept is made again — throttled, or answered with a server
error — never one whose answer was lost, so a message never goes out twice.
"""

from __future__ import annotations

import json
import mimetypes
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from .client import THROTTLED, Sesv2, is_not_found
from .errors import ApiError, Interrupted, NotConnected, SesctlError
from .handlebars import (
    SES_SUPPLIED,
    SUPPLIED,
    MissingVariableError,
    Template,
    TemplateSyntaxError,
    parse,
    render,
)

MAX_RECIPIENTS = 50
MAX_ADDRESS = 998  # RFC 5322's line limit: longer is no address, and parseaddr recurses on it
# A whole call SES answered with a server error was not sent: made again, as botocore would.
SERVER_ERRORS = frozenset(
    {"InternalServiceErrorException", "InternalFailure", "ServiceUnavailable"}
)
PARTS = ("Subject", "Html", "Text")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDR_SPEC = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+$")


def is_addr_spec(text: str) -> bool:
    """Whether `text` is a bare address (no display name) RFC 5321 allows: 64 characters
    before the @ at most, 254 in all."""
    return ADDR_SPEC.match(text) is not None and len(text) <= 254 and text.index("@") <= 64


def check_address(text: str, role: str) -> str:
    """The address as given, when its addr-spec is valid; else a SesctlError naming it."""
    if is_addr_spec(text):
        return text  # the common case, without parsing display names
    try:
        name, address = parseaddr(text) if len(text) <= MAX_ADDRESS else ("", "")
    except RecursionError:  # deeply nested (comments)
        name, address = "", ""
    valid = (
        bool(address)
        and is_addr_spec(address)
        and (name or address == text.strip() or f"<{address}>" in text)
    )
    if not valid:
        shown = repr(text) if len(text) <= 80 else f"{text[:60]!r}… ({len(text)} characters)"
        raise SesctlError(f"{role}: {shown} is not a valid email address")
    return text.strip()


def key_values(pairs: tuple[str, ...], option: str) -> dict[str, str]:
    """`--tag a=b` style options as a mapping."""
    result = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SesctlError(f"{option}: {pair!r} is not NAME=VALUE")
        result[key] = value
    return result


def read_text(path: str, option: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise SesctlError(f"{option}: cannot read {path}: {why}") from None


def attachment(path: str) -> dict[str, Any]:
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise SesctlError(f"--attach: cannot read {path}: {exc.strerror}") from None
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return {
        "RawContent": raw,
        "FileName": file.name,
        "ContentType": content_type,
        "ContentDisposition": "ATTACHMENT",
        "ContentTransferEncoding": "BASE64",
    }


@dataclass
class Message:
    sender: str
    to: list[str]
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    template: str | None = None
    data: dict[str, Any] | None = None
    attachments: list[str] = field(default_factory=list)
    configuration_set: str | None = None
    contact_list: str | None = None  # LIST or LIST/TOPIC: SES's list management
    tags: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def check(self) -> None:
        """Every problem SES would refuse the message for, before any call."""
        check_address(self.sender, "--from")
        for role, addresses in (("--to", self.to), ("--cc", self.cc), ("--bcc", self.bcc)):
            for address in addresses:
                check_address(address, role)
        for address in self.reply_to:
            check_address(address, "--reply-to")
        count = len(self.to) + len(self.cc) + len(self.bcc)
        if count > MAX_RECIPIENTS:
            raise SesctlError(f"{count} recipients: SES takes at most {MAX_RECIPIENTS} per message")
        if self.template is None and (
            self.subject is None or (self.text is None and self.html is None)
        ):
            raise SesctlError("a message needs --subject and --text/--html, or --template")

    def request(self) -> dict[str, Any]:
        """The SendEmail parameters."""
        destination = {"ToAddresses": self.to}
        if self.cc:
            destination["CcAddresses"] = self.cc
        if self.bcc:
            destination["BccAddresses"] = self.bcc
        extras: dict[str, Any] = {}
        if self.headers:
            extras["Headers"] = [{"Name": k, "Value": v} for k, v in self.headers.items()]
        if self.attachments:
            extras["Attachments"] = [attachment(path) for path in self.attachments]
        if self.template is not None:
            data = json.dumps(self.data or {})
            content = {"Template": {"TemplateName": self.template, "TemplateData": data, **extras}}
        else:
            body = {k: {"Data": v} for k, v in (("Text", self.text), ("Html", self.html)) if v}
            simple = {"Subject": {"Data": self.subject}, "Body": body, **extras}
            content = {"Simple": simple}
        params: dict[str, Any] = {
            "FromEmailAddress": self.sender,
            "Destination": destination,
            "Content": content,
        }
        if self.reply_to:
            params["ReplyToAddresses"] = self.reply_to
        if self.configuration_set:
            params["ConfigurationSetName"] = self.configuration_set
        if self.contact_list:
            name, _, topic = self.contact_list.partition("/")
            params["ListManagementOptions"] = {
                "ContactListName": name,
                **({"TopicName": topic} if topic else {}),
            }
        if self.tags:
            params["EmailTags"] = [{"Name": k, "Value": v} for k, v in self.tags.items()]
        return params


class LiveTemplate:
    """A template as SES holds it, parsed once, to find the variable a message's data lacks."""

    def __init__(self, client: Sesv2, name: str) -> None:
        try:
            answer = client.call("GetEmailTemplate", TemplateName=name)
        except ApiError as exc:
            if is_not_found(exc):
                raise SesctlError(f"template {name} does not exist in SES") from None
            raise
        content = answer.get("TemplateContent") or {}
        self.name = name
        try:
            self.parts = {k: parse(content[k]) for k in PARTS if content.get(k)}
        except TemplateSyntaxError as exc:
            raise SesctlError(f"template {name} as SES holds it does not parse: {exc}") from None

    def missing(
        self, data: Mapping[str, Any], supplied: Mapping[str, str] | None = None
    ) -> str | None:
        """The first variable the data lacks (SES would drop the message), or None."""
        try:
            for part in self.parts.values():
                render(part, data, supplied=supplied)
        except MissingVariableError as exc:
            return exc.path
        except RecursionError:
            return "(data nested too deeply to render)"
        return None

    def subject(self, data: Mapping[str, Any]) -> str:
        """The subject rendered with data that has every variable."""
        part: Template | None = self.parts.get("Subject")
        return "" if part is None else render(part, data)


def unsubscribe_note(variable: str, remedy: str) -> str:
    """Why SES leaves a name it fills in itself empty, when that is the one missing, and what
    would have it filled in (`remedy`)."""
    if variable in SES_SUPPLIED:
        return f" (SES fills in {{{{{variable}}}}} only under list management{remedy})"
    return ""


def check_template_data(client: Sesv2, message: Message) -> None:
    """Refuse a templated message the live template cannot render with its data."""
    assert message.template is not None
    template = LiveTemplate(client, message.template)
    listed = message.contact_list is not None
    missing = template.missing(message.data or {}, SUPPLIED if listed else None)
    if missing is not None:
        raise SesctlError(
            f"template {message.template} uses {{{{{missing}}}}} but the template data has no "
            f"{missing!r}{unsubscribe_note(missing, ': --contact-list')}: SES would "
            "accept the message and then drop it as a rendering failure; nothing was sent"
        )


def send(client: Sesv2, message: Message) -> str:
    """Send one message; its MessageId."""
    message.check()
    if message.template is not None:
        check_template_data(client, message)
    return deliver(client, message.request())


def refused_unsent(exc: ApiError) -> bool:
    """SES refused the whole call without sending (throttled or a server error): retryable."""
    return exc.code in THROTTLED or exc.code in SERVER_ERRORS


def deliver(client: Sesv2, params: dict[str, Any]) -> str:
    """SendEmail, made again only while SES says it did not send (throttled, server error);
    its MessageId. An answer lost on the way means the message may have gone out: never
    sent again."""
    once, attempts, delay = client.single_attempt(), max(1, client.max_attempts), 0.1
    attempt = 1
    while True:
        try:
            return _send_once(once, params)
        except ApiError as exc:
            if not refused_unsent(exc):
                raise
            if attempt == attempts:
                raise ApiError(
                    f"SendEmail: SES still refused after {attempts} attempts ({exc.code}); "
                    "nothing was sent, try again later",
                    exc.code,
                ) from None
        time.sleep(delay)
        delay, attempt = next_delay(delay), attempt + 1


def next_delay(delay: float) -> float:
    """The wait after `delay` between attempts SES refused: doubled, at most 5 s."""
    return min(delay * 2, 5.0)


def _send_once(client: Sesv2, params: dict[str, Any]) -> str:
    """One SendEmail attempt; a lost answer becomes the error that says so."""
    try:
        return str(client.call("SendEmail", **params)["MessageId"])
    except (ApiError, Interrupted, NotConnected):
        raise
    except SesctlError as exc:
        raise SesctlError(
            f"SendEmail got no answer ({exc.message}): the message may or may not have been "
            "sent, and was not sent again; check before sending it again"
        ) from None

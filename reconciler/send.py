"""`sesctl send`: one message — simple or templated, with attachments — through SendEmail.

Everything is checked before the call: address syntax (RFC 5321/5322 addr-spec, display
names allowed), at most 50 recipients, readable files, JSON template data. Attachments use
SES v2's own Attachments (RawContent, FileName, MIME type from the file name).
"""

from __future__ import annotations

import json
import mimetypes
import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from .client import Sesv2
from .errors import SesctlError

MAX_RECIPIENTS = 50
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
ADDR_SPEC = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+$")


def check_address(text: str, role: str) -> str:
    """The address as given, when its addr-spec is valid; else a SesctlError naming it."""
    bare = ADDR_SPEC.match(text)
    if bare is not None and len(text) <= 254 and text.index("@") <= 64:
        return text  # the common case, without parsing display names
    name, address = parseaddr(text)
    local = address.rpartition("@")[0]
    valid = (
        bool(address)
        and ADDR_SPEC.match(address) is not None
        and len(local) <= 64
        and len(address) <= 254
        and (name or address == text.strip() or f"<{address}>" in text)
    )
    if not valid:
        raise SesctlError(f"{role}: {text!r} is not a valid email address")
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


def send(client: Sesv2, message: Message) -> str:
    """Send one message; its MessageId."""
    message.check()
    return str(client.call("SendEmail", **message.request())["MessageId"])

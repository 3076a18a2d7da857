"""A SendGrid account as sesctl reads it: typed values, the same from the v3 API or from files.

Both sources are input sesctl did not write, so every member is checked for its type as it
is parsed, and a wrong one is an error naming where it was (an API path and item, or a file
and line). Shapes follow SendGrid's v3 API reference: "Retrieve a single transactional
template" (versions with subject, html_content, plain_content, active 0|1), "Retrieve a
specific transactional template version" (the same, and test_data), "Retrieve all
suppression groups associated with the user", the suppression lists ("Retrieve all
bounces", "…blocks", "…spam reports", "…invalid emails", "…global suppressions": items with
email, created and, for some, reason), "Get All Verified Senders" and "List all
authenticated domains".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import SesctlError
from ..files import shown
from ..recipients import MAX_DEPTH, depth


class SourceError(SesctlError):
    """A SendGrid answer or export file that does not hold what its kind holds."""


@dataclass(frozen=True)
class Version:
    """A template version: what SES's template is made from."""

    name: str
    subject: str
    html: str
    text: str
    test_data: str | None


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    generation: str  # "dynamic" (Handlebars) or "legacy" (substitution tags)
    active: Version | None
    versions: int


@dataclass(frozen=True)
class Group:
    """A suppression (unsubscribe) group: a topic recipients can leave on its own."""

    id: int
    name: str
    description: str
    is_default: bool


@dataclass(frozen=True)
class Entry:
    """An address on one of SendGrid's suppression lists, with its reason when it has one."""

    email: str
    reason: str = ""


@dataclass(frozen=True)
class Sender:
    email: str
    verified: bool


@dataclass(frozen=True)
class Domain:
    domain: str
    valid: bool


LISTS = ("bounces", "blocks", "spam_reports", "invalid_emails", "unsubscribes")


@dataclass
class Account:
    """Everything migrate reads; a list absent from the source is empty."""

    templates: list[Template] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    group_unsubscribes: dict[int, list[str]] = field(default_factory=dict)
    bounces: list[Entry] = field(default_factory=list)
    blocks: list[Entry] = field(default_factory=list)
    spam_reports: list[Entry] = field(default_factory=list)
    invalid_emails: list[Entry] = field(default_factory=list)
    unsubscribes: list[Entry] = field(default_factory=list)
    senders: list[Sender] = field(default_factory=list)
    domains: list[Domain] = field(default_factory=list)


def _member(obj: Any, key: str, kind: type | tuple[type, ...], where: str, default: Any) -> Any:
    if not isinstance(obj, dict):
        raise SourceError(f"{where}: expected an object, found {type(obj).__name__}")
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _types(kind)):
        raise SourceError(f"{where}: {key} must be {_name(kind)}, found {shown(repr(value))}")
    return value


def _types(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", bool: "true or false", list: "a list"}
    return " or ".join(names.get(k, k.__name__) for k in _types(kind))


def _text(obj: Any, key: str, where: str, required: bool = False) -> str:
    value = _member(obj, key, str, where, "")
    if required and not value:
        raise SourceError(f"{where}: {key} is missing")
    return str(value)


def version(obj: Any, where: str) -> Version:
    data = _member(obj, "test_data", (str, dict), where, None) if isinstance(obj, dict) else None
    if isinstance(data, dict):  # an export may hold the sample data as an object
        if depth(data) > MAX_DEPTH:
            raise SourceError(f"{where}: test_data nests deeper than {MAX_DEPTH} levels")
        data = json.dumps(data)
    return Version(
        name=_text(obj, "name", where),
        subject=_text(obj, "subject", where),
        html=_text(obj, "html_content", where),
        text=_text(obj, "plain_content", where),
        test_data=data or None,
    )


def template(obj: Any, where: str, detail: Any = None) -> Template:
    """A template as "Retrieve a single transactional template" answers it; `detail`, the
    active version as "Retrieve a specific transactional template version" answers it (the
    one that documents test_data), replaces that version when given."""
    found = _active(obj, where)
    active = None
    if found is not None:
        item, at = found
        active = version(item if detail is None else detail, at)
    return Template(
        id=_text(obj, "id", where, required=True),
        name=_text(obj, "name", where),
        generation=_text(obj, "generation", where) or "legacy",
        active=active,
        versions=len(_member(obj, "versions", list, where, [])),
    )


def active_version_id(obj: Any, where: str) -> str | None:
    """The id of the template's active version, if one is."""
    found = _active(obj, where)
    return None if found is None else _text(found[0], "id", found[1], required=True)


def _active(obj: Any, where: str) -> tuple[Any, str] | None:
    """The template's active version (SendGrid keeps one) and where it sits."""
    for i, item in enumerate(_member(obj, "versions", list, where, [])):
        at = f"{where} version {i + 1}"
        if _member(item, "active", (int, bool), at, 0) == 1:
            return item, at
    return None


def group(obj: Any, where: str) -> Group:
    ident = _member(obj, "id", int, where, None)
    if ident is None:
        raise SourceError(f"{where}: id is missing")
    return Group(
        id=ident,
        name=_text(obj, "name", where, required=True),
        description=_text(obj, "description", where),
        is_default=bool(_member(obj, "is_default", bool, where, False)),
    )


def entry(obj: Any, where: str) -> Entry:
    return Entry(_text(obj, "email", where, required=True).strip(), _text(obj, "reason", where))


def sender(obj: Any, where: str) -> Sender:
    email = _text(obj, "from_email", where, required=True).strip()
    return Sender(email, bool(_member(obj, "verified", bool, where, False)))


def domain(obj: Any, where: str) -> Domain:
    name = _text(obj, "domain", where, required=True).strip()
    return Domain(name, bool(_member(obj, "valid", bool, where, False)))


def addresses(obj: Any, where: str) -> list[str]:
    """A list of addresses, as "Retrieve all suppressions for a suppression group" answers."""
    if not isinstance(obj, list) or not all(isinstance(a, str) for a in obj):
        raise SourceError(f"{where}: expected a list of email addresses")
    return [a.strip() for a in obj]

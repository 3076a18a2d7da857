"""A SendGrid account as a sesctl config: what maps, what changes on the way, what cannot.

Pure: an Account in, a Migration out (the config as data, the template files, and one Item per
thing read, saying what became of it and why). The mapping:
- dynamic templates: the active version, converted by `templates.convert`; the subject, HTML and
  text go to files beside the config, the sample data to test_data when it renders;
- bounces, blocks and invalid emails: suppression entries with reason BOUNCE; spam reports:
  COMPLAINT (an address on both is kept as COMPLAINT, the stronger signal);
- suppression groups: topics of one contact list (SES allows one per account, with 20 topics);
  a group unsubscribe: the contact's topic preference OPT_OUT; a global unsubscribe: the
  contact's unsubscribe_all;
- authenticated domains and verified single senders: identities (a sender whose domain is
  itself an identity needs none of its own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from ..errors import SesctlError
from ..models import IdentityName
from ..recipients import MAX_DEPTH, depth, parse_json
from ..resources.templates import source_problems
from ..secrets import REFERENCE
from ..send import is_addr_spec
from .source import Account, Template
from .templates import convert

Outcome = Literal["converted", "changed", "left out"]
MAX_TOPICS = 20
_IDENTITY: TypeAdapter[str] = TypeAdapter(IdentityName)
PARTS = (("subject", "Subject", ""), ("html", "HTML", ".html"), ("text", "text", ".txt"))


@dataclass(frozen=True)
class Item:
    """One thing read from SendGrid and what became of it."""

    section: str
    source: str
    outcome: Outcome
    target: str = ""
    reason: str = ""


@dataclass
class Migration:
    config: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)  # path beside the config → text
    items: list[Item] = field(default_factory=list)


def migrate(account: Account, stack: str, contact_list: str | None) -> Migration:
    """The config, files and items for `account`; `contact_list` None reports unsubscribes."""
    config: dict[str, Any] = {"version": 1, "stack": stack}
    out = Migration(config)
    identities = _identities(account, out)
    templates = _templates(account, out)
    lists = _contact_lists(account, contact_list, out)
    suppressed = _suppressions(account, out)
    for key, value in (
        ("identities", identities),
        ("templates", templates),
        ("contact_lists", lists),
        ("suppressions", {"prune": False, "addresses": suppressed} if suppressed else None),
    ):
        if value:
            config[key] = value
    reference = next(_references(config), None)
    if reference is not None:  # each source of text is guarded above: this is a bug
        raise SesctlError(f"migrate wrote a secret reference into {reference}; nothing written")
    return out


def _references(data: Any, path: str = "") -> Any:
    """The paths of string values the loader would read as ${…} secret references."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _references(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _references(value, f"{path}[{i}]")
    elif isinstance(data, str) and REFERENCE.search(data):
        yield path


def _is_identity(name: str) -> bool:
    """Whether the config takes `name` as an identity (the model's own rule)."""
    try:
        _IDENTITY.validate_python(name)
    except ValidationError:
        return False
    return True


def slug(text: str, taken: set[str], fallback: str) -> str:
    """A name SES accepts (letters, digits, _ and -, at most 64), unique among `taken`."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:60] or fallback
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base[: 60 - len(str(n))]}-{n}"
    taken.add(name.lower())
    return name


def _templates(account: Account, out: Migration) -> dict[str, Any]:
    found: dict[str, Any] = {}
    taken: set[str] = set()
    for template in account.templates:
        what = f'template "{template.name}" ({template.id})'
        entry = _template(template, what, taken, out)
        if entry is not None:
            found[entry[0]] = entry[1]
    return found


def _template(
    template: Template, what: str, taken: set[str], out: Migration
) -> tuple[str, dict[str, Any]] | None:
    def left_out(reason: str) -> None:
        out.items.append(Item("Templates", what, "left out", "", reason))

    if template.generation != "dynamic":
        left_out("a legacy template: its -tags- are not Handlebars; remake it as a dynamic one")
        return None
    version = template.active
    if version is None:
        left_out(f"none of its {template.versions} versions is active")
        return None
    if not version.html and not version.text:
        left_out(f'its active version "{version.name}" has no content')
        return None
    name = slug(template.name, taken, "template")
    entry: dict[str, Any] = {}
    changes: list[str] = []
    for part, label, suffix in PARTS:
        text = getattr(version, part)
        if part == "subject" and not text.strip():
            text = "{{subject}}"
            changes.append(
                "it had no subject (the app set one a message): the subject is now "
                "{{subject}}, so the template data must carry it"
            )
        if not text:
            continue
        try:
            result = convert(text, f"{label}")
        except SesctlError as exc:
            left_out(f"its {label} is not Handlebars SendGrid or SES reads: {exc.message}")
            taken.discard(name.lower())
            return None
        changes += [
            f"{label} line {n.line}, column {n.column}: {{{{{n.helper}}}}} {n.action}: {n.reason}"
            for n in result.notes
        ]
        if part == "subject" and REFERENCE.search(result.text):
            suffix = ".subject.txt"  # a file's text is never read for ${…} references
            changes.append("its subject holds ${…}: kept in a file, where sesctl reads it as text")
        if suffix:
            entry[f"{part}_file"] = f"templates/{name}{suffix}"
            out.files[entry[f"{part}_file"]] = result.text
        else:
            entry[part] = result.text
    _test_data(version.test_data, entry, out, changes)
    target = f"templates.{name}"
    if name != template.name:
        changes.insert(0, f"named {name}: SES names hold only letters, digits, _ and -")
    for change in changes:
        out.items.append(Item("Templates", what, "changed", target, change))
    reason = f'active version "{version.name}"' + ("" if changes else ", unchanged")
    out.items.append(Item("Templates", what, "converted", target, reason))
    return name, entry


def _test_data(raw: str | None, entry: dict[str, Any], out: Migration, changes: list[str]) -> None:
    """The sample data as test_data, when it is a JSON object every part renders with."""
    if raw is None:
        changes.append("no sample data: add test_data so validate renders it")
        return
    try:
        data = parse_json("sample data", raw, lines=True)
    except SesctlError:
        changes.append("its sample data is not JSON: test_data left out")
        return
    if not isinstance(data, dict):
        changes.append("its sample data is not a JSON object: test_data left out")
        return
    if depth(data) > MAX_DEPTH:
        changes.append(f"its sample data nests deeper than {MAX_DEPTH} levels: test_data left out")
        return
    if next(_references(data), None) is not None:
        changes.append(
            "its sample data holds ${…}, which sesctl reads as a secret reference in "
            "the config: test_data left out"
        )
        return
    problems = [
        p
        for part, label, suffix in PARTS
        for p in source_problems(
            out.files.get(entry.get(f"{part}_file", "")) or entry.get(part), data, label
        )
    ]
    if problems:
        changes.append(f"its sample data does not render ({problems[0]}): test_data left out")
        return
    entry["test_data"] = data


def _identities(account: Account, out: Migration) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for domain in account.domains:
        name = domain.domain.rstrip(".").lower()
        what = f"authenticated domain {name}"
        if "@" in name or not _is_identity(name):
            out.items.append(Item("Identities", what, "left out", "", "not a domain SES takes"))
        elif name in found:
            out.items.append(Item("Identities", what, "left out", "", "listed twice"))
        else:
            found[name] = {}
            note = "" if domain.valid else "; SendGrid never validated its DNS records"
            target = f"identities.{name}"
            out.items.append(Item("Identities", what, "converted", target, f"Easy DKIM{note}"))
    for sender in account.senders:
        what = f"verified sender {sender.email}"
        own = sender.email.rpartition("@")[2].lower()
        if not sender.verified:
            out.items.append(Item("Identities", what, "left out", "", "never verified"))
        elif not (is_addr_spec(sender.email) and _is_identity(sender.email)):
            out.items.append(Item("Identities", what, "left out", "", "not an address SES takes"))
        elif own in found:
            reason = f"its domain {own} is an identity, which verifies every address in it"
            out.items.append(Item("Identities", what, "left out", f"identities.{own}", reason))
        elif sender.email.lower() not in {n.lower() for n in found}:
            found[sender.email] = {}
            reason = "SES mails it a verification link on apply"
            out.items.append(
                Item("Identities", what, "converted", f"identities.{sender.email}", reason)
            )
    return found


def _suppressions(account: Account, out: Migration) -> dict[str, str]:
    found: dict[str, str] = {}
    sources = (
        ("bounce", account.bounces, "BOUNCE"),
        ("block", account.blocks, "BOUNCE"),
        ("invalid email", account.invalid_emails, "BOUNCE"),
        ("spam report", account.spam_reports, "COMPLAINT"),
    )
    for label, entries, reason in sources:
        for entry in entries:
            what = f"{label} {entry.email}"
            if not is_addr_spec(entry.email):
                why = "not an address SES takes"
                out.items.append(Item("Suppressions", what, "left out", "", why))
                continue
            before = found.get(entry.email)
            if before is not None and before != reason:
                why = f"also a bounce, block or invalid email: kept once, as {reason}"
                target = f"suppressions.{entry.email}"
                out.items.append(Item("Suppressions", what, "changed", target, why))
            found[entry.email] = reason
    for reason, labels in (
        ("BOUNCE", "bounces, blocks and invalid emails"),
        ("COMPLAINT", "spam reports"),
    ):
        number = sum(1 for r in found.values() if r == reason)
        if number:
            why = f"{number} {'address' if number == 1 else 'addresses'} with reason {reason}"
            out.items.append(Item("Suppressions", labels, "converted", "suppressions", why))
    return found


def _contact_lists(account: Account, name: str | None, out: Migration) -> dict[str, Any]:
    unsubscribed = sum(len(v) for v in account.group_unsubscribes.values())
    if not account.groups and not account.unsubscribes and not unsubscribed:
        return {}
    if name is None:
        reason = "no contact list (--no-contact-list): SES will send to them"
        for group in account.groups:
            what = f'suppression group "{group.name}" ({group.id})'
            out.items.append(Item("Unsubscribes", what, "left out", "", reason))
        for address in sorted({e.email for e in account.unsubscribes}):
            out.items.append(
                Item("Unsubscribes", f"global unsubscribe {address}", "left out", "", reason)
            )
        for group_id, addresses in account.group_unsubscribes.items():
            for address in addresses:
                what = f"unsubscribe {address} from group {group_id}"
                out.items.append(Item("Unsubscribes", what, "left out", "", reason))
        return {}
    why = "SES allows one contact list per account: if yours has one, run again naming it"
    out.items.append(
        Item("Unsubscribes", "unsubscribe groups", "converted", f"contact_lists.{name}", why)
    )
    topics, by_group = _topics(account, name, out)
    contacts = _contacts(account, name, by_group, out)
    entry: dict[str, Any] = {"description": "Carried over from SendGrid's unsubscribe groups"}
    if topics:
        entry["topics"] = topics
    if contacts:
        entry["contacts"] = {"prune": False, "addresses": contacts}
    return {name: entry}


def _topics(account: Account, name: str, out: Migration) -> tuple[dict[str, Any], dict[int, str]]:
    topics: dict[str, Any] = {}
    by_group: dict[int, str] = {}
    taken: set[str] = set()
    for group in account.groups:
        what = f'suppression group "{group.name}" ({group.id})'
        if len(topics) == MAX_TOPICS:
            reason = f"SES allows {MAX_TOPICS} topics in a contact list"
            out.items.append(Item("Unsubscribes", what, "left out", "", reason))
            continue
        topic = slug(group.name, taken, f"group-{group.id}")
        by_group[group.id] = topic
        target = f"contact_lists.{name}.topics.{topic}"
        display = group.name[:128]
        if REFERENCE.search(display):
            display = f"Group {group.id}"
            why = "its name holds ${…}, which sesctl reads as a secret reference: named by number"
            out.items.append(Item("Unsubscribes", what, "changed", target, why))
        topics[topic] = {"display_name": display, "default_subscription_status": "OPT_IN"}
        if group.description and not REFERENCE.search(group.description):
            topics[topic]["description"] = group.description
        elif group.description:
            why = "its description holds ${…}, which sesctl reads as a secret reference: left out"
            out.items.append(Item("Unsubscribes", what, "changed", target, why))
        reason = "a topic everyone is in until they opt out"
        if group.is_default:
            reason += "; it was SendGrid's default group: name the topic when you send"
        out.items.append(Item("Unsubscribes", what, "converted", target, reason))
    return topics, by_group


def _contacts(
    account: Account, name: str, by_group: dict[int, str], out: Migration
) -> dict[str, Any]:
    contacts: dict[str, dict[str, Any]] = {}

    def contact(address: str, what: str) -> dict[str, Any] | None:
        if not is_addr_spec(address):
            out.items.append(Item("Unsubscribes", what, "left out", "", "not an address SES takes"))
            return None
        return contacts.setdefault(address, {})

    for entry in account.unsubscribes:
        found = contact(entry.email, f"global unsubscribe {entry.email}")
        if found is not None:
            found["unsubscribe_all"] = True
    for group_id, addresses in account.group_unsubscribes.items():
        topic = by_group.get(group_id)
        for address in addresses:
            what = f"unsubscribe {address} from group {group_id}"
            if topic is None:
                out.items.append(
                    Item("Unsubscribes", what, "left out", "", "its group has no topic")
                )
                continue
            found = contact(address, what)
            if found is not None:
                found.setdefault("topic_preferences", {})[topic] = "OPT_OUT"
    target = f"contact_lists.{name}.contacts"
    everyone = sum(1 for c in contacts.values() if c.get("unsubscribe_all"))
    by_topic = sum(1 for c in contacts.values() if c.get("topic_preferences"))
    for number, what, reason in (
        (
            everyone,
            "global unsubscribes",
            "unsubscribe_all: SES honours it for mail naming the list",
        ),
        (by_topic, "group unsubscribes", "topic preferences OPT_OUT"),
    ):
        if number:
            counted = f"{number} {'address' if number == 1 else 'addresses'}: {reason}"
            out.items.append(Item("Unsubscribes", what, "converted", target, counted))
    return contacts

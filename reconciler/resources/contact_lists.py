"""Contact lists: description, subscription topics (authoritative when listed), and tags.

UpdateContactList writes description and topics together, so apply sends both from the
state it leaves. SES allows one contact list per account. Its contacts are changes of their
own (contacts.py), read only when the file's entry manages them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..client import Sesv2
from ..errors import ConfigError
from ..models import ContactList
from ..plan import Change
from . import contacts
from .base import (
    Calls,
    Context,
    authoritative,
    desired_tags,
    field_changes,
    lifecycle,
    located,
    managed,
    read_or_none,
    tags_from_api,
)
from .kind import Child, ListedKind

if TYPE_CHECKING:
    from ..config import LoadedConfig

KIND = "contact_list"
CALLS = Calls("CreateContactList", "UpdateContactList", "DeleteContactList", "ContactListName")


def _topics_from_api(topics: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    return {
        t["TopicName"]: {
            "display_name": t.get("DisplayName"),
            "description": t.get("Description"),
            "default_subscription_status": t.get("DefaultSubscriptionStatus"),
        }
        for t in topics or []
    }


def _topics_to_api(topics: dict[str, dict[str, Any]] | None) -> list[dict[str, Any]]:
    result = []
    for name, topic in sorted((topics or {}).items()):
        item = {
            "TopicName": name,
            "DisplayName": topic["display_name"],
            "DefaultSubscriptionStatus": topic["default_subscription_status"],
        }
        if topic.get("description"):
            item["Description"] = topic["description"]
        result.append(item)
    return result


class ContactLists(ListedKind):
    section = "contact_lists"
    kind = KIND
    arn_type = "contact-list"
    order = 70
    model = ContactList
    comment = "contact lists, their topics and contacts"
    children = (Child(contacts.KIND, "contacts", 75, contacts.apply),)

    def check(self, loaded: LoadedConfig) -> None:
        """A topic a contact's preferences name must be one of the list's, when the file
        lists them (else plan checks it against the live list's)."""
        for name, entry in (loaded.section(self.section) or {}).items():
            if entry.contacts is None or "topics" not in entry.model_fields_set:
                continue
            topics = set(entry.topics or {})
            for address, contact in entry.contacts.addresses.items():
                for topic in (contact.topic_preferences or {}) if contact else {}:
                    if topic not in topics:
                        place = (self.section, name, "contacts", "addresses", address)
                        where = located(loaded, *place, "topic_preferences", topic)
                        raise ConfigError(
                            f"{where}: contact list {name} has no topic {topic!r} "
                            f"(its topics: {', '.join(sorted(topics)) or 'none'})"
                        )

    def list_names(self, client: Sesv2) -> list[str]:
        items = client.pages("ListContactLists", "ContactLists")
        return [item["ContactListName"] for item in items]

    def read(self, client: Sesv2, name: str, tags: dict[str, str] | None) -> dict[str, Any] | None:
        answer = read_or_none(client, "GetContactList", ContactListName=name)
        if answer is None:
            return None
        return {
            "description": answer.get("Description"),
            "topics": _topics_from_api(answer.get("Topics")),
            "tags": tags_from_api(answer.get("Tags")),
        }

    def read_entry(
        self, client: Sesv2, name: str, tags: dict[str, str] | None, entry: Any
    ) -> dict[str, Any] | None:
        """The list, and the contacts its entry manages (none are read otherwise)."""
        state = self.read(client, name, tags)
        if state is not None and entry is not None and entry.contacts is not None:
            state["contacts"] = contacts.read(client, name, entry.contacts)
        return state

    def export(self, client: Sesv2) -> Any:
        """Each list with its contacts, when it has any (never pruned by the file)."""
        entries = super().export(client)
        for name, entry in entries.items():
            found = {address: _exported(state) for address, state in contacts.stream(client, name)}
            if found:
                entry["contacts"] = {"prune": False, "addresses": found}
        return entries

    def desired(self, model: ContactList, ctx: Context) -> dict[str, Any]:
        want = {k: v for k, v in managed(model).items() if k in ("description", "topics")}
        for topic in (want.get("topics") or {}).values():
            topic.setdefault("description", None)
        want["tags"] = desired_tags(ctx, model)
        return want

    def diff(
        self, name: str, model: ContactList | None, live: dict[str, Any] | None, ctx: Context
    ) -> list[Change]:
        own = None if live is None else {k: v for k, v in live.items() if k != "contacts"}
        want = self.desired(model, ctx) if model else None
        changes = lifecycle(KIND, name, want, own, ctx, authoritative(model, "tags", "topics"))
        if model is None or model.contacts is None:
            return changes
        # validate checked the topics a file lists; the live ones are checked here
        topics = None if "topics" in model.model_fields_set else (own or {}).get("topics", {})
        live_contacts = (live or {}).get("contacts") or {}
        return [*changes, *contacts.diff(name, model.contacts, live_contacts, topics)]

    def apply(self, client: Sesv2, change: Change) -> None:
        before, after = change.before or {}, change.after or {}
        content: dict[str, Any] = {"Topics": _topics_to_api(after.get("topics"))}
        if after.get("description"):
            content["Description"] = after["description"]
        own = ("description", "topics")
        moved = field_changes({k: before.get(k) for k in own}, {k: after.get(k) for k in own})
        CALLS.apply(client, change, self.arn_type, content, bool(moved))


def _exported(state: dict[str, Any]) -> dict[str, Any]:
    """A live contact as the file writes it: only what differs from a new contact's."""
    entry: dict[str, Any] = {}
    if state["unsubscribe_all"]:
        entry["unsubscribe_all"] = True
    if state["topic_preferences"]:
        entry["topic_preferences"] = state["topic_preferences"]
    return entry

"""Contact lists: description, subscription topics (authoritative when listed), and tags.

UpdateContactList writes description and topics together, so apply sends both from the
state it leaves. SES allows one contact list per account.
"""

from __future__ import annotations

from typing import Any

from ..client import Sesv2
from ..models import ContactList
from ..plan import Change
from .base import (
    Calls,
    Context,
    authoritative,
    desired_tags,
    field_changes,
    lifecycle,
    managed,
    read_or_none,
    tags_from_api,
)
from .kind import ListedKind

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
    comment = "contact lists and their topics"

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

    def desired(self, model: ContactList, ctx: Context) -> dict[str, Any]:
        want = {k: v for k, v in managed(model).items() if k in ("description", "topics")}
        for topic in (want.get("topics") or {}).values():
            topic.setdefault("description", None)
        want["tags"] = desired_tags(ctx, model)
        return want

    def diff(
        self, name: str, model: ContactList | None, live: dict[str, Any] | None, ctx: Context
    ) -> list[Change]:
        want = self.desired(model, ctx) if model else None
        return lifecycle(KIND, name, want, live, ctx, authoritative(model, "tags", "topics"))

    def apply(self, client: Sesv2, change: Change) -> None:
        before, after = change.before or {}, change.after or {}
        content: dict[str, Any] = {"Topics": _topics_to_api(after.get("topics"))}
        if after.get("description"):
            content["Description"] = after["description"]
        own = ("description", "topics")
        moved = field_changes({k: before.get(k) for k in own}, {k: after.get(k) for k in own})
        CALLS.apply(client, change, self.arn_type, content, bool(moved))

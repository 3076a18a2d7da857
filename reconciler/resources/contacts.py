"""Contacts of a contact list, each a change of its own (`list/address`).

Contacts carry no tags, so nothing marks them as this stack's: with `prune: false` (the
default) contacts the file does not list are never deleted. Per contact only the fields the
file names are managed; `topic_preferences`, when named, is the contact's whole set of
explicit preferences (UpdateContact replaces it: API reference, UpdateContact).

A list can hold many thousands of contacts, so they are read in pages of ListContacts, which
answers each contact's preferences and UnsubscribeAll; only a short, non-pruning file reads
its own addresses one GetContact each. AttributesData is not managed: ListContacts does not
answer it, and apply carries the live value through every update.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..client import Sesv2
from ..errors import ApiError, SesctlError
from ..models import Contact, Contacts
from ..plan import Change
from .base import create, field_changes, overlay, read_or_none

KIND = "contact"
# The reference sets no maximum PageSize for ListContacts; 1,000 is the largest any SES v2
# list takes. Should SES refuse it, the pages are read at SES's own size.
PAGE_SIZE = 1000
# Up to this many listed addresses, one GetContact each costs fewer calls than paging a
# list of a few thousand contacts.
PER_ADDRESS_LIMIT = 20

State = dict[str, Any]  # {"unsubscribe_all": bool, "topic_preferences": {topic: status}}


def from_api(answer: dict[str, Any]) -> State:
    """A ListContacts item or GetContact answer, normalised: explicit preferences only (the
    defaults follow the list's topics, which the contact list manages)."""
    preferences = answer.get("TopicPreferences") or []
    return {
        "unsubscribe_all": bool(answer.get("UnsubscribeAll", False)),
        "topic_preferences": {p["TopicName"]: p["SubscriptionStatus"] for p in preferences},
    }


def read(client: Sesv2, list_name: str, section: Contacts) -> dict[str, State]:
    """The live contacts the diff of `section` needs: its own addresses, or — for a long or
    pruning section — every contact of the list, read page by page."""
    if not section.prune and len(section.addresses) <= PER_ADDRESS_LIMIT:
        found = {a: _get(client, list_name, a) for a in sorted(section.addresses)}
        return {a: state for a, state in found.items() if state is not None}
    wanted = set(section.addresses)
    return {
        address: state
        for address, state in stream(client, list_name)
        if section.prune or address in wanted
    }


def _get(client: Sesv2, list_name: str, address: str) -> State | None:
    answer = read_or_none(client, "GetContact", ContactListName=list_name, EmailAddress=address)
    return None if answer is None else from_api(answer)


def stream(client: Sesv2, list_name: str) -> Iterator[tuple[str, State]]:
    """Every contact of the list, as (address, state), a page at a time."""
    try:
        yield from _pages(client, list_name, PageSize=PAGE_SIZE)
    except ApiError as exc:
        if exc.code != "BadRequestException" or "pagesize" not in exc.message.lower():
            raise
        yield from _pages(client, list_name)  # SES's own page size


def _pages(client: Sesv2, list_name: str, **params: Any) -> Iterator[tuple[str, State]]:
    for item in client.pages("ListContacts", "Contacts", ContactListName=list_name, **params):
        yield item["EmailAddress"], from_api(item)


def desired(model: Contact | None) -> State:
    """The fields the file names; `topic_preferences: null` names none."""
    if model is None:
        return {}
    want: State = {}
    if "unsubscribe_all" in model.model_fields_set:
        want["unsubscribe_all"] = model.unsubscribe_all
    if "topic_preferences" in model.model_fields_set:
        want["topic_preferences"] = dict(sorted((model.topic_preferences or {}).items()))
    return want


def diff(
    list_name: str,
    section: Contacts | None,
    live: dict[str, State],
    topics: dict[str, Any] | None = None,
) -> list[Change]:
    """Pure: create or update what the section lists; with `prune`, delete every other live
    contact. `topics`, the list's live topics when the file leaves them unmanaged, are what
    a preference may name (else validate has checked it against the file's)."""
    if section is None:
        return []
    changes: list[Change] = []
    for address in sorted(set(section.addresses) | set(live)):
        name = f"{list_name}/{address}"
        if address not in section.addresses:
            if section.prune:
                changes.append(Change("delete", KIND, name, before=live[address]))
            continue
        want = desired(section.addresses[address])
        _check_topics(name, want, topics)
        before = live.get(address)
        if before is None:
            changes.append(Change("create", KIND, name, after=want))
            continue
        after = overlay(before, want, frozenset({"topic_preferences"}))
        if fields := field_changes(before, after):
            changes.append(Change("update", KIND, name, before, after, fields))
    return changes


def _check_topics(name: str, want: State, topics: dict[str, Any] | None) -> None:
    unknown = sorted(set(want.get("topic_preferences") or {}) - set(topics or {}))
    if topics is not None and unknown:
        raise SesctlError(
            f"contact {name}: topic_preferences names {', '.join(unknown)}, which the contact "
            f"list does not have (its topics: {', '.join(sorted(topics)) or 'none'})"
        )


def preferences_to_api(preferences: dict[str, str]) -> list[dict[str, str]]:
    return [{"TopicName": t, "SubscriptionStatus": s} for t, s in sorted(preferences.items())]


def apply(client: Sesv2, change: Change) -> None:
    list_name, address = change.name.split("/", 1)
    target = {"ContactListName": list_name, "EmailAddress": address}
    after = change.after or {}
    if change.action == "delete":
        client.call("DeleteContact", **target)
    elif change.action == "create":
        fields: dict[str, Any] = {}
        if "unsubscribe_all" in after:
            fields["UnsubscribeAll"] = after["unsubscribe_all"]
        if "topic_preferences" in after:
            fields["TopicPreferences"] = preferences_to_api(after["topic_preferences"])
        create(client, "CreateContact", None, **target, **fields)
    else:
        _update(client, change, target)


def _update(client: Sesv2, change: Change, target: dict[str, str]) -> None:
    """Read-modify-write: UpdateContact writes preferences, UnsubscribeAll and AttributesData
    together, so what the plan does not move keeps its value as SES holds it now."""
    answer = client.call("GetContact", **target)
    state = from_api(answer)
    moved = {f.path[0] for f in change.fields}
    for key in moved:
        state[key] = (change.after or {})[key]
    params: dict[str, Any] = {
        "TopicPreferences": preferences_to_api(state["topic_preferences"]),
        "UnsubscribeAll": state["unsubscribe_all"],
    }
    if answer.get("AttributesData") is not None:
        params["AttributesData"] = answer["AttributesData"]
    client.call("UpdateContact", **target, **params)

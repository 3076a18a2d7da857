"""Contacts of a contact list, kept on the list (so deleting a list deletes its contacts).

moto 5.2.1 serves contacts its own way: an unknown topic is accepted, UpdateContact is
missing, TopicDefaultPreferences is always empty, and ListContacts neither pages nor
filters. What SES does instead, by operation (API reference, each operation's page and its
error list; developer guide, "Using list management"):

- CreateContact: NotFoundException for an unknown list, AlreadyExistsException for an address
  already in it, BadRequestException for a preference naming a topic the list lacks. The
  messages ("List: l doesn't contain Topic: t", "a@b.c already exists in List.") and the
  check of the address are another emulator's, recorded against live SES.
- GetContact answers TopicDefaultPreferences: each topic of the list the contact has no
  explicit preference for, with the topic's default status (that emulator's reading; the
  reference says only "the default topic preferences applied to the contact").
- UpdateContact replaces TopicPreferences whole (the reference: "You must specify all
  existing topic preferences … otherwise, all your existing preferences will be removed").
  UnsubscribeAll and AttributesData left out are reset (live SES, as that emulator recorded);
  it reports preferences merging by topic, which contradicts the reference: FIDELITY.md.
- ListContacts answers EmailAddress, TopicPreferences, TopicDefaultPreferences,
  UnsubscribeAll and LastUpdatedTimestamp (its Contact data type: no AttributesData), in
  pages of up to 1,000 (inferred: the reference sets no maximum), by address; the Filter
  keeps contacts whose status for TopicFilter's topic is FilteredStatus (its default when
  UseDefaultIfPreferenceUnavailable), or, without a topic, whose UnsubscribeAll matches
  OPT_OUT (inferred from "contacts unsubscribed from all topics", developer guide).
Addresses are kept as written: SES documents no case folding of contact addresses.
"""

from __future__ import annotations

import re
import time
from typing import Any

from .contact_lists import find as _list
from .state import ApiFailure, Call, Kind, bad_request, page

MAX_PAGE = 1000
STATUSES = ("OPT_OUT", "OPT_IN")
ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _address(call: Call) -> str:
    address = str(call.params.get("EmailAddress") or "")
    if not address:
        raise bad_request("EmailAddress can't be blank.")
    if not ADDRESS.fullmatch(address):
        raise bad_request(f"EmailAddress <{address}> is invalid")
    return address


def _preferences(call: Call, found: Any) -> list[dict[str, str]]:
    """The preferences of a create or update, checked against the list's topics."""
    preferences = [dict(p) for p in call.params.get("TopicPreferences") or []]
    for i, preference in enumerate(preferences, 1):
        if preference.get("SubscriptionStatus") not in STATUSES:
            raise bad_request(
                "1 validation error detected: Value at "
                f"'topicPreferences.{i}.member.subscriptionStatus' failed to satisfy "
                "constraint: Member must satisfy enum value set: [OPT_OUT, OPT_IN]"
            )
    topics = {t["TopicName"] for t in found.topics}
    for preference in preferences:
        if preference["TopicName"] not in topics:
            name = found.contact_list_name
            raise bad_request(f"List: {name} doesn't contain Topic: {preference['TopicName']}")
    return preferences


def _contact(call: Call) -> tuple[Any, str, dict[str, Any]]:
    found, address = _list(call), _address(call)
    contact = found.contacts.get(address)
    if contact is None:
        raise ApiFailure(404, "NotFoundException", f"{address} doesn't exist in List.")
    return found, address, contact


def _defaults(found: Any, contact: dict[str, Any]) -> list[dict[str, str]]:
    explicit = {p["TopicName"] for p in contact["TopicPreferences"]}
    return [
        {"TopicName": t["TopicName"], "SubscriptionStatus": t["DefaultSubscriptionStatus"]}
        for t in found.topics
        if t["TopicName"] not in explicit
    ]


def create(call: Call) -> dict[str, Any]:
    found, address = _list(call), _address(call)
    preferences = _preferences(call, found)
    if address in found.contacts:
        raise ApiFailure(400, "AlreadyExistsException", f"{address} already exists in List.")
    now = time.time()
    found.contacts[address] = {
        "TopicPreferences": preferences,
        "UnsubscribeAll": bool(call.params.get("UnsubscribeAll", False)),
        "AttributesData": call.params.get("AttributesData"),
        "CreatedTimestamp": now,
        "LastUpdatedTimestamp": now,
    }
    return {}


def get(call: Call) -> dict[str, Any]:
    found, address, contact = _contact(call)
    answer = {
        "ContactListName": found.contact_list_name,
        "EmailAddress": address,
        "TopicPreferences": contact["TopicPreferences"],
        "TopicDefaultPreferences": _defaults(found, contact),
        "UnsubscribeAll": contact["UnsubscribeAll"],
        "CreatedTimestamp": contact["CreatedTimestamp"],
        "LastUpdatedTimestamp": contact["LastUpdatedTimestamp"],
    }
    if contact.get("AttributesData") is not None:
        answer["AttributesData"] = contact["AttributesData"]
    return answer


def update(call: Call) -> dict[str, Any]:
    found, _, contact = _contact(call)
    contact["TopicPreferences"] = _preferences(call, found)
    contact["UnsubscribeAll"] = bool(call.params.get("UnsubscribeAll", False))
    contact["AttributesData"] = call.params.get("AttributesData")
    contact["LastUpdatedTimestamp"] = time.time()
    return {}


def delete(call: Call) -> dict[str, Any]:
    found, address, _ = _contact(call)
    del found.contacts[address]
    return {}


def _kept(found: Any, contact: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether the Filter keeps the contact."""
    status = wanted.get("FilteredStatus")
    topic = (wanted.get("TopicFilter") or {}).get("TopicName")
    if status is None:
        return True
    if topic is None:
        return bool(contact["UnsubscribeAll"]) == (status == "OPT_OUT")
    explicit = {p["TopicName"]: p["SubscriptionStatus"] for p in contact["TopicPreferences"]}
    if topic in explicit:
        return bool(explicit[topic] == status)
    if not (wanted.get("TopicFilter") or {}).get("UseDefaultIfPreferenceUnavailable"):
        return False
    defaults = {t["TopicName"]: t["DefaultSubscriptionStatus"] for t in found.topics}
    return defaults.get(topic) == status


def list_all(call: Call) -> dict[str, Any]:
    found = _list(call)
    wanted = call.params.get("Filter") or {}
    chosen = [a for a, c in found.contacts.items() if _kept(found, c, wanted)]
    addresses, token = page(chosen, call.params, maximum=MAX_PAGE)
    items = []
    for address in addresses:
        contact = found.contacts[address]
        items.append(
            {
                "EmailAddress": address,
                "TopicPreferences": contact["TopicPreferences"],
                "TopicDefaultPreferences": _defaults(found, contact),
                "UnsubscribeAll": contact["UnsubscribeAll"],
                "LastUpdatedTimestamp": contact["LastUpdatedTimestamp"],
            }
        )
    return {"Contacts": items, **({"NextToken": token} if token else {})}


HANDLERS = {
    "CreateContact": create,
    "GetContact": get,
    "UpdateContact": update,
    "DeleteContact": delete,
    "ListContacts": list_all,
}
KIND = Kind(__name__, HANDLERS)

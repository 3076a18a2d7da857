"""Contact lists and their topics, on moto's ContactList objects.

moto 5.2.1 has no UpdateContactList, stores the Description "None" when none is given, returns
creation-time tags, and allows any number of lists. SES allows one contact list per account
and 20 topics a list (developer guide, "Using list management"); a second list is answered
BadRequestException "A maximum of 1 Lists allowed per account." — not the LimitExceeded the
model lists — as another emulator's authors recorded against live SES, with the messages for
names, descriptions (500 characters) and display names (128) used here.
"""

from __future__ import annotations

import time
from typing import Any

from moto.ses.models import ContactList

from .state import ApiFailure, Call, Kind, Taggable, bad_request, check_name, page
from .tags import check_tags

MAX_TOPICS = 20

ARN_TYPE = "contact-list"


def find(call: Call) -> Any:
    """The call's ContactListName, or NotFoundException as SES answers it."""
    name = call.params["ContactListName"]
    found = call.backend.contacts_lists.get(name)
    if found is None:
        raise ApiFailure(404, "NotFoundException", f"List with name: {name} doesn't exist.")
    return found


def _topics(call: Call) -> list[dict[str, Any]]:
    """The topics of a create or update, checked as SES checks them."""
    topics = list(call.params.get("Topics") or [])
    if len(topics) > MAX_TOPICS:
        raise bad_request(f"Maximum of <{MAX_TOPICS}> topics allowed per ContactList")
    names = [check_name("TopicName", t["TopicName"]) for t in topics]
    if len(set(names)) != len(names):
        raise bad_request("Duplicate topic names are not allowed within a List.")
    if any(len(t.get("DisplayName", "")) > 128 for t in topics):
        raise bad_request("Topic DisplayName can contain up to <128> characters.")
    if len(call.params.get("Description") or "") > 500:
        raise bad_request("List description can contain up to 500 characters.")
    return topics


def create(call: Call) -> dict[str, Any]:
    name = check_name("ContactListName", call.params["ContactListName"])
    if call.backend.contacts_lists:  # the limit answers a same-named list too, as in SES
        raise bad_request("A maximum of 1 Lists allowed per account.")
    check_tags(call.params.get("Tags") or [])
    contact_list: Any = ContactList(name, "", _topics(call))
    contact_list.description = call.params.get("Description")
    contact_list.created = contact_list.updated = time.time()
    call.backend.contacts_lists[name] = contact_list
    call.set_tags(ARN_TYPE, name, call.params.get("Tags"))
    return {}


def get(call: Call) -> dict[str, Any]:
    found = find(call)
    answer = {
        "ContactListName": found.contact_list_name,
        "Topics": found.topics,
        "CreatedTimestamp": getattr(found, "created", time.time()),
        "LastUpdatedTimestamp": getattr(found, "updated", time.time()),
        "Tags": call.tags(ARN_TYPE, found.contact_list_name),
    }
    if found.description:
        answer["Description"] = found.description
    return answer


def update(call: Call) -> dict[str, Any]:
    found = find(call)
    found.topics = _topics(call)
    found.description = call.params.get("Description")
    found.updated = time.time()
    return {}


def delete(call: Call) -> dict[str, Any]:
    """The list, and its contacts with it (they are kept on it: contacts.py)."""
    found = find(call)
    del call.backend.contacts_lists[found.contact_list_name]
    call.drop_tags(ARN_TYPE, found.contact_list_name)
    return {}


def list_all(call: Call) -> dict[str, Any]:
    names, token = page(list(call.backend.contacts_lists), call.params)
    items = [{"ContactListName": n, "LastUpdatedTimestamp": time.time()} for n in names]
    return {"ContactLists": items, **({"NextToken": token} if token else {})}


HANDLERS = {
    "CreateContactList": create,
    "GetContactList": get,
    "UpdateContactList": update,
    "DeleteContactList": delete,
    "ListContactLists": list_all,
}
KIND = Kind(__name__, HANDLERS, Taggable(ARN_TYPE, lambda call: call.backend.contacts_lists))

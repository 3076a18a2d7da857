"""Contact lists and their topics, on moto's ContactList objects.

moto 5.2.1 has no UpdateContactList, stores the Description "None" when none is given, returns
creation-time tags, and allows any number of lists. SES allows one contact list per account:
a second CreateContactList is answered LimitExceededException, as SES documents.
"""

from __future__ import annotations

import time
from typing import Any

from moto.ses.models import ContactList

from .state import ApiFailure, Call, already_exists, not_found, page

ARN_TYPE = "contact-list"


def _list(call: Call) -> Any:
    name = call.params["ContactListName"]
    found = call.backend.contacts_lists.get(name)
    if found is None:
        raise not_found(f"Contact list {name}")
    return found


def create(call: Call) -> dict[str, Any]:
    name = call.params["ContactListName"]
    if name in call.backend.contacts_lists:
        raise already_exists(f"Contact list {name}")
    if call.backend.contacts_lists:
        raise ApiFailure(400, "LimitExceededException", "An account can have one contact list.")
    contact_list = ContactList(name, "", list(call.params.get("Topics") or []))
    contact_list.description = call.params.get("Description")
    call.backend.contacts_lists[name] = contact_list
    call.set_tags(ARN_TYPE, name, call.params.get("Tags"))
    return {}


def get(call: Call) -> dict[str, Any]:
    found = _list(call)
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
    found = _list(call)
    found.topics = list(call.params.get("Topics") or [])
    found.description = call.params.get("Description")
    found.updated = time.time()
    return {}


def delete(call: Call) -> dict[str, Any]:
    found = _list(call)
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

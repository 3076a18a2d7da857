"""The account-level suppression list: one change per address the file names.

Entries carry no tags, so nothing marks them as this stack's: with `prune: false` (the default)
entries SES added by itself are never deleted; `prune: true` deletes every unlisted entry.
The list can hold hundreds of thousands of entries, so it is never loaded whole: a short file
reads its own addresses one by one, and a long file or a pruning one streams the list page by
page, keeping only the entries that lead to a change.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..client import Sesv2
from ..models import Suppressions
from ..plan import Change
from .base import field_changes, read_or_none

KIND = "suppression"
PAGE_SIZE = 1000
# Up to this many listed addresses, reading each costs fewer calls than paging a large list.
PER_ADDRESS_LIMIT = 100


class SuppressionList:
    section = "suppressions"
    kind = KIND
    arn_type = "suppression"

    def changes(self, client: Sesv2, model: Suppressions) -> list[Change]:
        """The plan's changes for the list; never holds more than one page of it."""
        wanted = dict(model.addresses)
        found: dict[str, str] = {}
        changes: list[Change] = []
        if model.prune or len(wanted) > PER_ADDRESS_LIMIT:
            for address, reason in _stream(client):
                if address in wanted:
                    found[address] = reason
                elif model.prune:
                    changes.append(Change("delete", KIND, address, before={"reason": reason}))
        else:
            for address in wanted:
                entry = self.read(client, address, None)
                if entry is not None:
                    found[address] = entry["reason"]
        for address, reason in wanted.items():
            if address not in found:
                changes.append(Change("create", KIND, address, after={"reason": reason}))
            elif found[address] != reason:
                before, after = {"reason": found[address]}, {"reason": reason}
                fields = field_changes(before, after)
                changes.append(Change("update", KIND, address, before, after, fields))
        return changes

    def read(self, client: Sesv2, name: str, tags: dict[str, str] | None) -> dict[str, Any] | None:
        """One entry, as a change shows it: `{"reason": …}`; None when not listed."""
        answer = read_or_none(client, "GetSuppressedDestination", EmailAddress=name)
        return None if answer is None else {"reason": answer["SuppressedDestination"]["Reason"]}

    def read_many(self, client: Sesv2, names: set[str]) -> dict[str, dict[str, Any] | None]:
        """Several entries: one by one when few, else from one streamed pass over the list."""
        if len(names) <= PER_ADDRESS_LIMIT:
            return {name: self.read(client, name, None) for name in names}
        found: dict[str, dict[str, Any] | None] = dict.fromkeys(names)
        for address, reason in _stream(client):
            if address in found:
                found[address] = {"reason": reason}
        return found

    def apply(self, client: Sesv2, change: Change) -> None:
        if change.action == "delete":
            client.call("DeleteSuppressedDestination", EmailAddress=change.name)
        else:
            reason = (change.after or {})["reason"]
            client.call("PutSuppressedDestination", EmailAddress=change.name, Reason=reason)


def _stream(client: Sesv2) -> Iterator[tuple[str, str]]:
    pages = client.pages(
        "ListSuppressedDestinations", "SuppressedDestinationSummaries", PageSize=PAGE_SIZE
    )
    for item in pages:
        yield item["EmailAddress"], item["Reason"]

"""The account-level suppression list: one change per address the file names.

Entries carry no tags, so nothing marks them as this stack's: with `prune: false` (the default)
entries SES added by itself are never deleted; `prune: true` deletes every unlisted entry.
The list can hold hundreds of thousands of entries, so it is read as a whole section, not
listed and read one by one: a short file reads its own addresses, a long or pruning one
streams the list page by page and keeps only what its diff needs. The diff is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..client import Sesv2
from ..models import Suppressions
from ..plan import Change
from .base import field_changes, read_or_none
from .kind import SectionKind

KIND = "suppression"
PAGE_SIZE = 1000
# Up to this many listed addresses, reading each costs fewer calls than paging a large list.
PER_ADDRESS_LIMIT = 100


class SuppressionList(SectionKind):
    section = "suppressions"
    kind = KIND
    order = 80
    model = Suppressions
    label = "suppression"
    comment = "the account-level suppression list (prune: false never deletes entries)"
    prune_limited = True

    def read_section(self, client: Sesv2, section: Suppressions) -> Iterator[tuple[str, str]]:
        """The live entries the diff needs, as (address, reason), lazily: the file's own
        addresses, or — for a long or pruning file — the whole list streamed page by page."""
        wanted = set(section.addresses)
        if section.prune or len(wanted) > PER_ADDRESS_LIMIT:
            return _stream(client)
        found = ((address, _reason(client, address)) for address in wanted)
        return ((address, reason) for address, reason in found if reason is not None)

    def diff_section(self, section: Suppressions, live: Iterable[tuple[str, str]]) -> list[Change]:
        """Pure: create or update what the file lists; with `prune`, delete every other entry.
        Holds only the entries that lead to a change, however long the live list."""
        wanted = section.addresses
        found: dict[str, str] = {}
        changes: list[Change] = []
        for address, reason in live:
            if address in wanted:
                found[address] = reason
            elif section.prune:
                changes.append(Change("delete", KIND, address, before={"reason": reason}))
        for address, reason in wanted.items():
            before, after = found.get(address), {"reason": reason}
            if before is None:
                changes.append(Change("create", KIND, address, after=after))
            elif before != reason:
                old = {"reason": before}
                changes.append(
                    Change("update", KIND, address, old, after, field_changes(old, after))
                )
        return changes

    def apply(self, client: Sesv2, change: Change) -> None:
        if change.action == "delete":
            client.call("DeleteSuppressedDestination", EmailAddress=change.name)
        else:
            reason = (change.after or {})["reason"]
            client.call("PutSuppressedDestination", EmailAddress=change.name, Reason=reason)

    def export(self, client: Sesv2) -> Any:
        """The whole list, never pruned by the file import writes."""
        return {"prune": False, "addresses": dict(_stream(client))}


def _reason(client: Sesv2, address: str) -> str | None:
    """Why an address is listed; None when it is not."""
    answer = read_or_none(client, "GetSuppressedDestination", EmailAddress=address)
    return None if answer is None else str(answer["SuppressedDestination"]["Reason"])


def _stream(client: Sesv2) -> Iterator[tuple[str, str]]:
    pages = client.pages(
        "ListSuppressedDestinations", "SuppressedDestinationSummaries", PageSize=PAGE_SIZE
    )
    for item in pages:
        yield item["EmailAddress"], item["Reason"]

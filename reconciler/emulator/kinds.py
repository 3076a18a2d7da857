"""The kinds the emulator serves, one handler module each: the one list a new kind joins.

The server's operation table and the tagging operations are built from this list, so a module
listed here is routed, and tagged if it declares a `Taggable`; tests/emulator/test_kinds.py
fails for a handler module missing from it.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import (
    account,
    configuration_sets,
    contact_lists,
    contacts,
    custom_verification_email_templates,
    dedicated_ip_pools,
    dedicated_ips,
    identities,
    metrics,
    sending,
    suppressions,
    templates,
)
from .state import Handler, Kind
from .tags import Tagging

# GetResources lists taggable kinds in this order.
KINDS: tuple[Kind, ...] = (
    account.KIND,
    identities.KIND,
    configuration_sets.KIND,
    dedicated_ip_pools.KIND,
    dedicated_ips.KIND,
    templates.KIND,
    custom_verification_email_templates.KIND,
    contact_lists.KIND,
    contacts.KIND,
    suppressions.KIND,
    sending.KIND,
    metrics.KIND,
)
TAGGING = Tagging(tuple(k.taggable for k in KINDS if k.taggable is not None))


def handler_table(kinds: Iterable[Kind]) -> dict[str, Handler]:
    """Operation → handler over every kind; two kinds claiming one operation is refused, as
    one would silently shadow the other."""
    table: dict[str, Handler] = {}
    owners: dict[str, str] = {}
    for kind in kinds:
        for operation, handler in kind.handlers.items():
            if operation in owners:
                raise ValueError(
                    f"{operation} is claimed by both {owners[operation]} and {kind.module}"
                )
            table[operation], owners[operation] = handler, kind.module
    return table


HANDLERS = handler_table((*KINDS, TAGGING.kind))

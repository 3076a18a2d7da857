"""The account-level suppression list (moto 5.2.1 has none in SES v2).

Entries are kept in insertion order and listed by ListSuppressedDestinations, filtered by
reason (API reference), in pages of up to 1,000 (inferred: the reference sets no maximum
PageSize for this list; 1,000 is the largest any other SES v2 list takes). Tests and
benchmarks can fill it directly with the control endpoint POST /_sesctl/suppressions
{"entries": {"a@example.com": "BOUNCE"}, "region": "…"}.
"""

from __future__ import annotations

import time
from itertools import islice
from typing import Any

from .state import Call, Kind, bad_request, not_found

MAX_PAGE = 1000


def seed(call: Call, entries: dict[str, str]) -> None:
    now = time.time()
    for address, reason in entries.items():
        call.extras.suppressed[address] = {"Reason": reason, "LastUpdateTime": now}


def put(call: Call) -> dict[str, Any]:
    reason = call.params["Reason"]
    if reason not in ("BOUNCE", "COMPLAINT"):
        raise bad_request(f"Reason must be BOUNCE or COMPLAINT, not {reason}.")
    seed(call, {call.params["EmailAddress"]: reason})
    return {}


def get(call: Call) -> dict[str, Any]:
    address = call.params["EmailAddress"]
    entry = call.extras.suppressed.get(address)
    if entry is None:
        raise not_found(f"Suppressed destination {address}")
    return {"SuppressedDestination": {"EmailAddress": address, **entry}}


def delete(call: Call) -> dict[str, Any]:
    address = call.params["EmailAddress"]
    if call.extras.suppressed.pop(address, None) is None:
        raise not_found(f"Suppressed destination {address}")
    return {}


def list_all(call: Call) -> dict[str, Any]:
    reasons = call.params.get("Reasons")
    wanted = set(reasons) if reasons else None
    start = int(call.params.get("NextToken") or 0)
    size = min(int(call.params.get("PageSize") or MAX_PAGE), MAX_PAGE)
    entries = call.extras.suppressed
    chosen = [
        {"EmailAddress": a, **e}
        for a, e in islice(entries.items(), start, start + size)
        if wanted is None or e["Reason"] in wanted
    ]
    token = str(start + size) if start + size < len(entries) else None
    return {"SuppressedDestinationSummaries": chosen, **({"NextToken": token} if token else {})}


HANDLERS = {
    "PutSuppressedDestination": put,
    "GetSuppressedDestination": get,
    "DeleteSuppressedDestination": delete,
    "ListSuppressedDestinations": list_all,
}
KIND = Kind(__name__, HANDLERS)

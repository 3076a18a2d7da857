"""What happens to a message after SES accepts it: the mailbox simulator's scripted answers,
and how ordinary recipients' mailbox providers answer (a test's choice, delivered by default).

The mailbox simulator (developer guide, "Using the mailbox simulator"): mail to
`success@simulator.amazonses.com` is delivered; `bounce@` is a hard bounce (SMTP 550 5.1.1
"Unknown User"); `ooto@` is delivered and answered by an out-of-office reply; `complaint@` is
delivered and marked as spam; `suppressionlist@` is a hard bounce "as if the recipient's
address is on the global suppression list" (bounce type Permanent, subtype Suppressed: "Using
the global suppression list"). A `+label` after the local part changes nothing. Simulator mail
counts against the maximum send rate, not the daily quota; it is never added to the
suppression list (the guide says so of `bounce@`; inferred for the others), and it counts in
neither the reputation metrics nor VDM's ("don't impact your email deliverability or
reputation metrics", "nor do they affect Virtual Deliverability Manager metrics"). Its events
are published like any other message's (the guide's event publishing tutorials send to it).

Ordinary recipients are delivered unless POST /_sesctl/mailboxes {"region", "addresses",
"outcome"} says their provider answers otherwise: "bounce" (hard: 550 5.1.1), "soft_bounce"
(SES retries, reports a delivery delay, then gives up: a Transient bounce), "complaint"
(delivered, then marked as spam), or "deliver" again. The out-of-office reply itself (RFC 3834
mail to the sender) is not emulated; the delivery is.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any, Literal

from .state import Call, bad_request

Outcome = Literal["deliver", "bounce", "soft_bounce", "complaint", "ooto", "suppressed"]
CHOSEN: tuple[Outcome, ...] = ("deliver", "bounce", "soft_bounce", "complaint")
SIMULATOR_DOMAIN = "simulator.amazonses.com"
SIMULATED: dict[str, Outcome] = {
    "success": "deliver",
    "bounce": "bounce",
    "ooto": "ooto",
    "complaint": "complaint",
    "suppressionlist": "suppressed",
}
STORE = "mailboxes"


def bare(address: str) -> str:
    """The address without its display name."""
    return parseaddr(address)[1] or address


def simulated(address: str) -> bool:
    return bare(address).lower().endswith("@" + SIMULATOR_DOMAIN)


def outcome(call: Call, address: str) -> Outcome:
    """How the recipient's mailbox provider answers this message."""
    local, _, domain = bare(address).lower().rpartition("@")
    if domain == SIMULATOR_DOMAIN:
        return SIMULATED.get(local.split("+", 1)[0], "deliver")
    chosen = call.kept(STORE).get(bare(address).lower(), {}).get("outcome")
    return chosen if chosen in CHOSEN else "deliver"


def choose(call: Call, request: dict[str, Any]) -> dict[str, Any]:
    """POST /_sesctl/mailboxes: how these recipients' providers answer from now on."""
    chosen = request.get("outcome")
    addresses = request.get("addresses")
    if chosen not in CHOSEN:
        raise bad_request(f"outcome must be one of {', '.join(CHOSEN)}, not {chosen!r}")
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        raise bad_request("addresses must be a list of email addresses")
    kept = call.kept(STORE)
    for address in addresses:
        key = bare(address).lower()
        if chosen == "deliver":
            kept.pop(key, None)
        else:
            kept[key] = {"outcome": chosen}
    return {"addresses": len(addresses), "outcome": chosen}


# Mailbox providers VDM names (its ISP dimension; the API reference names Gmail, Hotmail, Yahoo
# and AOL among "several email providers"), by the recipient domains they serve (inferred).
ISPS = {
    "gmail.com": "Gmail",
    "googlemail.com": "Gmail",
    "hotmail.com": "Hotmail",
    "outlook.com": "Hotmail",
    "live.com": "Hotmail",
    "msn.com": "Hotmail",
    "yahoo.com": "Yahoo",
    "ymail.com": "Yahoo",
    "aol.com": "AOL",
}


def isp(address: str) -> str | None:
    """The mailbox provider VDM counts this recipient under, if it is one VDM names."""
    return ISPS.get(bare(address).rpartition("@")[2].lower())

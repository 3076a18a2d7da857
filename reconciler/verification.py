"""Which identities SES has verified, among those a setting needs verified.

SES takes some settings only once an identity is verified (a custom redirect domain, say):
the plan holds those back until then instead of failing halfway through apply (DESIGN §6).
"""

from __future__ import annotations

from collections.abc import Iterable

from .client import Sesv2
from .resources.base import read_or_none


def verified(client: Sesv2, names: Iterable[str]) -> frozenset[str]:
    """The names that are identities SES reports verified (one GetEmailIdentity each)."""
    found = set()
    for name in sorted(set(names)):
        answer = read_or_none(client, "GetEmailIdentity", EmailIdentity=name)
        if answer is not None and answer.get("VerificationStatus") == "SUCCESS":
            found.add(name)
    return frozenset(found)

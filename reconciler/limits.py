"""The thresholds sesctl judges by, with their defaults.

The too-much-change guards (DESIGN: 30 %, kinds of at least 10 managed resources, 100
suppression entries): the file's `guards:` sets them; plans carry them to the guards.

The reputation rates at which SES puts an account under review, and the higher ones at which
it may pause the account's sending (developer guide, "Reputation metrics messages"): `stats
--alerts` and `doctor` judge by the same numbers. SES counts hard bounces only.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Limits:
    max_delete_percent: float = 30
    max_update_percent: float = 30
    min_existing: int = 10
    max_suppressions_pruned: int = 100


DEFAULTS = Limits()

BOUNCE_RATE_REVIEW = Fraction(5, 100)
BOUNCE_RATE_PAUSE = Fraction(10, 100)
COMPLAINT_RATE_REVIEW = Fraction(1, 1000)
COMPLAINT_RATE_PAUSE = Fraction(5, 1000)

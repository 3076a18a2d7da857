"""The A/B comparison `sesctl stats --by tag:NAME` adds when the tag has two values or more.

The variants are the tag's values in name order, less `none` (untagged mail). For each of the
open, click, bounce and complaint rates it gives every variant's counts, and a pooled
two-proportion z-test (two-sided, 95%) between the first two variants' totals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .figures import Row
from .window import UNTAGGED, By

Z_95 = 1.96


@dataclass(frozen=True)
class ZTest:
    """A pooled two-proportion z-test of x1/n1 against x2/n2."""

    z: float | None
    p_value: float | None
    verdict: str


def z_test(x1: int, n1: int, x2: int, n2: int) -> ZTest:
    """Pooled two-proportion z-test, two-sided; `not enough data yet` unless each sample has
    at least 5 expected events and 5 expected non-events under the pooled rate."""
    if n1 <= 0 or n2 <= 0:
        return ZTest(None, None, "not enough data yet")
    pooled = (x1 + x2) / (n1 + n2)
    if min(n * p for n in (n1, n2) for p in (pooled, 1 - pooled)) < 5:
        return ZTest(None, None, "not enough data yet")
    error = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (x1 / n1 - x2 / n2) / error
    p_value = math.erfc(abs(z) / math.sqrt(2))
    return ZTest(z, p_value, "significant at 95%" if abs(z) >= Z_95 else "not significant")


def compare(totals: Sequence[Row], by: By) -> dict[str, Any] | None:
    """For `tag:NAME` with two variants or more: each rate's counts per variant, and a z-test
    between the first two (in name order); untagged messages are left out."""
    variants = [row for row in totals if row.group != UNTAGGED]
    if not by.tag or len(variants) < 2:
        return None
    first, second = variants[0], variants[1]
    tests = []
    for rate in ("open_rate", "click_rate", "bounce_rate", "complaint_rate"):
        terms = {row.group: row.terms(rate) for row in variants}
        (x1, n1), (x2, n2) = terms[first.group], terms[second.group]
        test = z_test(x1 or 0, n1, x2 or 0, n2)
        tests.append(
            {
                "rate": rate,
                "counts": {name: {"events": x, "of": n} for name, (x, n) in terms.items()},
                "z": test.z,
                "p_value": test.p_value,
                "verdict": test.verdict,
            }
        )
    return {
        "dimension": by.tag,
        "variants": [row.group for row in variants],
        "tested": [first.group, second.group],
        "tests": tests,
    }

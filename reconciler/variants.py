"""The A/B rule of `sesctl send-bulk`: which template each recipient gets, by what split.

An A/B test names several templates (`--template` repeated, at most 10) and their shares
(`--split`, whole percentages summing to 100; equal by default). A row's variant depends on
its To address alone: the address (its addr-spec, stripped and lower-cased) is hashed with
SHA-256, the first 8 bytes read big-endian as n place it at n * 10,000 / 2**64 in [0, 10,000),
and the row gets the first template whose cumulative share in basis points lies above that
point. So an address always gets the same template, and a resumed run chooses as the first
did. Every message of an A/B test is tagged `ab-variant=<template>`.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections.abc import Sequence
from email.utils import parseaddr
from itertools import accumulate, pairwise

from .errors import SesctlError
from .send import ADDR_SPEC

MAX_VARIANTS = 10
SCALE = 10_000  # the split's resolution: shares are in basis points
VARIANT_TAG = "ab-variant"
_PERCENT = re.compile(r"[0-9]{1,3}")


def bucket(address: str) -> int:
    """Where an address falls in [0, SCALE): the first 8 bytes of the SHA-256 of its addr-spec,
    stripped and lower-cased, scaled down, so that an address always falls in one place."""
    bare = address.strip()
    if ADDR_SPEC.match(bare) is None:  # a display name or a comment around it
        bare = parseaddr(bare)[1] or bare
    digest = hashlib.sha256(bare.lower().encode(errors="surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") * SCALE >> 64


class Split:
    """The templates of a send and each one's share in basis points (SCALE in all): one
    template has them all, several make an A/B test."""

    def __init__(self, names: Sequence[str], shares: Sequence[int]) -> None:
        self.names, self.shares = tuple(names), tuple(shares)
        self.edges = list(accumulate(self.shares))

    @classmethod
    def of(cls, names: Sequence[str], split: str | None = None) -> Split:
        """The --template and --split values, checked; an equal split when none is given."""
        _check_names(names)
        if split is None:
            edges = [SCALE * (i + 1) // len(names) for i in range(len(names))]
            return cls(names, [b - a for a, b in pairwise([0, *edges])])
        if len(names) == 1:
            raise SesctlError(
                "--split: one template has nothing to split; give --template once per variant"
            )
        return cls(names, [weight * SCALE // 100 for weight in _weights(split, len(names))])

    @property
    def ab(self) -> bool:
        """Whether this is an A/B test (several templates)."""
        return len(self.names) > 1

    @property
    def label(self) -> str:
        """The shares as percentages, as --split takes them (`50,50`)."""
        return ",".join(f"{share / (SCALE // 100):g}" for share in self.shares)

    def choose(self, address: str) -> str:
        """The template of the message to this To address (the module's rule)."""
        if len(self.names) == 1:
            return self.names[0]
        return self.names[bisect_right(self.edges, bucket(address))]


def _check_names(names: Sequence[str]) -> None:
    """One to MAX_VARIANTS templates, each named once."""
    if not 1 <= len(names) <= MAX_VARIANTS:
        raise SesctlError(
            f"--template: {len(names)} templates given; an A/B test takes 2 to {MAX_VARIANTS}"
        )
    for index, name in enumerate(names):
        if name in names[:index]:
            raise SesctlError(
                f"--template: {name!r} is given twice; each variant is a different template"
            )


def _weights(split: str, count: int) -> list[int]:
    """--split's whole percentages: one per template, summing to 100."""
    weights = [part.strip() for part in split.split(",")]
    if not all(_PERCENT.fullmatch(weight) for weight in weights):
        raise SesctlError(
            f"--split: {split!r} is not whole percentages separated by commas, like 50,50"
        )
    if len(weights) != count:
        raise SesctlError(
            f"--split: {len(weights)} weights for {count} templates; give one per --template, "
            "in the same order"
        )
    total = sum(int(weight) for weight in weights)
    if total != 100:
        raise SesctlError(f"--split: the weights add up to {total}, not 100")
    return [int(weight) for weight in weights]

"""The thresholds of the too-much-change guards, with their defaults (DESIGN: 30 %, kinds of at
least 10 managed resources, 100 suppression entries). The file's `guards:` sets them; plans
carry them to the guards."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_delete_percent: float = 30
    max_update_percent: float = 30
    min_existing: int = 10
    max_suppressions_pruned: int = 100


DEFAULTS = Limits()

"""The flows the commands run, returning values: the plan a file makes (targeted or not).

The CLI prints and picks exit codes; these functions only compute, so saved plans and other
callers re-derive a plan exactly as `sesctl plan` made it.
"""

from __future__ import annotations

from collections.abc import Sequence

from .client import Sesv2
from .config import LoadedConfig, load
from .engine import make_plan
from .plan import Plan
from .references import references
from .targets import parse, select


def with_ssm(loaded: LoadedConfig, client: Sesv2) -> LoadedConfig:
    """Load again, reading `${ssm:…}` references now that there is a client."""
    return load(loaded.path, ssm=client.parameter) if loaded.unresolved else loaded


def targeted_plan(
    loaded: LoadedConfig, client: Sesv2, allow_takeover: bool, targets: Sequence[str]
) -> Plan:
    """The plan for the file, cut down to the --target resources when any are given."""
    addresses = {target: parse(target) for target in targets}  # before any call
    the_plan = make_plan(with_ssm(loaded, client), client, allow_takeover)
    if not addresses:
        return the_plan
    return select(the_plan, addresses, references(loaded))

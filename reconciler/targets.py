"""`--target KIND/NAME`: plan and apply only some resources, with what they need.

A target takes its children with it (a configuration set its event destinations, an identity
its policies) and, as Terraform does, the resources it depends on (an identity's
configuration set, a set's or an IP's sending pool), so a targeted apply never fails for want
of a resource the full plan would have created first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from .errors import SesctlError
from .plan import Plan, owner_of
from .references import Reference
from .resources import BY_KIND, CHILDREN

Address = tuple[str, str]


def parse(target: str) -> Address:
    """`identity/example.com` → (identity, example.com); a singleton kind alone names itself
    (`account`)."""
    kind, _, name = target.partition("/")
    if kind not in BY_KIND and kind not in CHILDREN:
        kinds = ", ".join(sorted([*BY_KIND, *CHILDREN]))
        raise SesctlError(f"--target {target}: unknown kind {kind!r} (one of: {kinds})")
    singleton = kind in BY_KIND and BY_KIND[kind].singleton
    if not name and not singleton:
        raise SesctlError(f"--target {target}: name the resource as {kind}/NAME")
    return kind, name or kind


def wanted(targets: Iterable[Address], references: list[Reference]) -> set[Address]:
    """The targets and, transitively, everything they refer to."""
    found = set(targets)
    while True:
        more = {
            (ref.kind, name)
            for ref in references
            if (ref.referrer_kind, ref.referrer_name) in found
            for name in ref.candidates
        } - found
        if not more:
            return found
        found |= more


def select(plan: Plan, targets: dict[str, Address], references: list[Reference]) -> Plan:
    """The plan cut down to the targets (as given → parsed), their children and dependencies.

    A child target (`event_destination/<set>/<name>`) takes its parent's own change (the set
    must exist first) and what the parent depends on, but not its siblings."""
    children = {a for a in targets.values() if owner_of(*a) != a}
    parents = {owner_of(*a) for a in children}
    whole = wanted(set(targets.values()) - children, references)
    whole |= wanted(parents, references) - parents

    def kept(kind: str, name: str) -> bool:
        address = (kind, name)
        return address in children or address in parents or owner_of(kind, name) in whole

    chosen = replace(
        plan,
        changes=[c for c in plan.changes if kept(c.kind, c.name)],
        unmanaged=[u for u in plan.unmanaged if kept(u.kind, u.name)],
        warnings=list(plan.warnings),
    )
    for target, address in targets.items():
        found = (
            c for c in chosen.changes if address in ((c.kind, c.name), owner_of(c.kind, c.name))
        )
        if not any(found):
            chosen.warnings.append(f"--target {target}: no change to make")
    chosen.warnings.append(
        "Targeting is in effect: only "
        + ", ".join(targets)
        + " (with their children and what they depend on) were planned; "
        "the account may still differ from the file elsewhere."
    )
    return chosen

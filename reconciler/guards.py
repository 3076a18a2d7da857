"""Safety guards: the plans apply refuses (exit 3) unless a flag says the change is meant.

A guard looks only at the plan: its changes, how many managed resources of each kind existed
when it was made, and the thresholds the file set. So a saved plan is judged the same way
when it is applied as when it was made, with the flags given to `apply`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .plan import PROTECT_TAG, STACK_TAG, Change, Plan

FORCE = "--force"
ALLOW_IDENTITY_DELETION = "--allow-identity-deletion"


@dataclass(frozen=True)
class Refusal:
    """One guard that trips: which changes, why, and the flag that allows them (None: no flag)."""

    guard: str
    message: str
    addresses: tuple[str, ...]
    flag: str | None = None

    def allowed(self, flags: frozenset[str]) -> bool:
        return self.flag is not None and self.flag in flags

    def to_json(self, flags: frozenset[str]) -> dict[str, Any]:
        return {
            "guard": self.guard,
            "message": self.message,
            "changes": list(self.addresses),
            "allowed_by": self.flag,
            "blocking": not self.allowed(flags),
        }


@dataclass
class Verdict:
    """The refusals of a plan under the flags of this run."""

    refusals: list[Refusal] = field(default_factory=list)
    flags: frozenset[str] = frozenset()

    @property
    def blocking(self) -> list[Refusal]:
        return [r for r in self.refusals if not r.allowed(self.flags)]

    def marks(self) -> dict[str, str]:
        """Change address → the short mark a plan shows beside it."""
        out: dict[str, str] = {}
        for refusal in self.refusals:
            state = f"allowed by {refusal.flag}" if refusal.allowed(self.flags) else "refused"
            for address in refusal.addresses:
                out.setdefault(address, f"{state}: {refusal.guard}")
        return out

    def lines(self) -> list[str]:
        """One line per refusal, saying how to get past it."""
        out = []
        for refusal in self.refusals:
            if refusal.allowed(self.flags):
                out.append(f"allowed by {refusal.flag}: {refusal.message}")
            elif refusal.flag:
                out.append(f"refused: {refusal.message} (pass {refusal.flag} to apply it)")
            else:
                out.append(f"refused: {refusal.message}")
        return out


def judge(plan: Plan, flags: frozenset[str] = frozenset()) -> Verdict:
    """Every guard the plan trips, judged under `flags`."""
    return Verdict(
        [*_protected(plan), *_deletions(plan), *_too_much(plan), *_pruning(plan)],
        flags,
    )


def _tags(state: dict[str, Any] | None) -> dict[str, Any]:
    return (state or {}).get("tags") or {}


def _protected(plan: Plan) -> list[Refusal]:
    out = []
    for change in plan.changes:
        if change.action in ("delete", "replace") and _tags(change.before).get(PROTECT_TAG):
            out.append(
                Refusal(
                    "protected",
                    f"{change.kind} {change.name} is protected ({PROTECT_TAG}=true) and would "
                    f"be {'deleted' if change.action == 'delete' else 'replaced'}; "
                    "apply `protect: false` for it first",
                    (change.address,),
                )
            )
    return out


def _deletions(plan: Plan) -> list[Refusal]:
    """Deletes of a kind whose every delete needs a flag (identities: DNS work to undo)."""
    from .resources import KINDS  # the kinds (and pydantic) load only when a plan is judged

    out = []
    for kind in KINDS:
        if kind.deletion_flag is None:
            continue
        doomed = tuple(
            c.address for c in plan.changes if c.kind == kind.kind and c.action == "delete"
        )
        if not doomed:
            continue
        names = ", ".join(a.split(" ", 1)[1] for a in doomed[:3])
        if len(doomed) > 3:
            names += f" and {len(doomed) - 3} more"
        message = f"deleting {kind.words} {names} {kind.deletion_reason}"
        out.append(Refusal(f"{kind.words} deletion", message, doomed, kind.deletion_flag))
    return out


def _adoption_only(change: Change) -> bool:
    return all(f.path == ("tags", STACK_TAG) for f in change.fields)


def _too_much(plan: Plan) -> list[Refusal]:
    """Deletes (and replaces), or updates, of more than a share of a kind's managed resources."""
    limits, out = plan.limits, []
    for kind, existing in sorted(plan.existing.items()):
        if existing < limits.min_existing:
            continue
        of_kind = [c for c in plan.changes if c.kind == kind]
        groups = (
            ("deletes", limits.max_delete_percent, ("delete", "replace")),
            ("updates", limits.max_update_percent, ("update",)),
        )
        for word, percent, actions in groups:
            moved = [
                c
                for c in of_kind
                if c.action in actions
                and not (c.action == "update" and (_adoption_only(c) or c.waiting))
            ]
            if len(moved) * 100 > percent * existing:
                share = 100 * len(moved) / existing
                out.append(
                    Refusal(
                        f"too many {word}",
                        f"{len(moved)} of {existing} {kind} resources would be "
                        f"{'deleted' if word == 'deletes' else 'updated'} ({share:.0f}% > "
                        f"{percent:g}%, guards.max_{word[:-1]}_percent)",
                        tuple(c.address for c in moved),
                        FORCE,
                    )
                )
    return out


def _pruning(plan: Plan) -> list[Refusal]:
    """More deletes than `guards.max_suppressions_pruned` of a kind whose deletes are prunes
    (the suppression list: entries SES added itself, which no tag marks as this stack's)."""
    from .resources import KINDS

    out = []
    limit = plan.limits.max_suppressions_pruned
    for kind in KINDS:
        pruned = [c for c in plan.changes if c.kind == kind.kind and c.action == "delete"]
        if kind.prune_limited and len(pruned) > limit:
            out.append(
                Refusal(
                    f"{kind.words} prune",
                    f"{kind.section}.prune would remove {len(pruned)} entries "
                    f"(more than {limit}, guards.max_suppressions_pruned)",
                    tuple(c.address for c in pruned),
                    FORCE,
                )
            )
    return out

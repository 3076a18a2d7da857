"""Change and Plan: the value `plan` prints and saves and `apply` executes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Literal

from .limits import Limits

Action = Literal["create", "update", "delete", "replace"]
ACTIONS: tuple[Action, ...] = ("create", "update", "delete", "replace")
FORMAT_VERSION = 1
# Tags sesctl stamps: who owns a resource, and `protect: true`, kept on the resource itself so
# that a block deleted from the file stays protected.
STACK_TAG = "sesctl:stack"
PROTECT_TAG = "sesctl:protect"

# Each kind's place in apply (deletes run in reverse) and, for a kind that lives inside another
# (`set/destination`), its parent. Kinds register themselves (resources/__init__.py): this
# module names none, so a plan can be built, sorted and saved before any kind is known.
KIND_ORDER: dict[str, int] = {}
PARENT: dict[str, str] = {}


def register_kind(kind: str, order: int, parent: str | None = None) -> None:
    KIND_ORDER[kind] = order
    if parent is not None:
        PARENT[kind] = parent


def kind_order() -> dict[str, int]:
    """Every registered kind's place in apply (importing the kinds registers them)."""
    if not KIND_ORDER:
        import_module("reconciler.resources")
    return KIND_ORDER


def owner_of(kind: str, name: str) -> tuple[str, str]:
    """The top-level resource a change belongs to: its parent for `set/destination`."""
    kind_order()
    if kind in PARENT:
        return PARENT[kind], name.split("/", 1)[0]
    return kind, name


def strings(value: Any) -> Iterator[str]:
    """Every string inside a state (mapping values and list items, at any depth)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


@dataclass(frozen=True)
class FieldChange:
    """One leaf that moves: `delivery_options.tls_policy: OPTIONAL → REQUIRE`."""

    path: tuple[str, ...]
    before: Any
    after: Any

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass
class Change:
    """One resource to create, update, delete or replace.

    `before` is the live state as sesctl normalises it, `after` the state apply will leave
    (live overlaid with what the file manages); `fields` lists the leaves that differ.
    """

    action: Action
    kind: str
    name: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    fields: list[FieldChange] = field(default_factory=list)
    reason: str | None = None
    # Write-only values apply needs but no state shows (the BYODKIM key); never serialised.
    write_only: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # Parts of `after` SES cannot take yet (top-level key → why: a tracking domain waiting for
    # its identity's verification): apply leaves them for a later run.
    held: dict[str, str] = field(default_factory=dict)
    # The whole change waits for what `held` names (a create SES refuses until an identity is
    # verified): apply runs nothing of it.
    waits: bool = False

    @property
    def address(self) -> str:
        return f"{self.kind} {self.name}"

    @property
    def waiting(self) -> bool:
        """Nothing of it can be applied yet: it waits whole, or it is an update every moving
        field of which is held."""
        if self.waits:
            return True
        held = self.action == "update" and bool(self.held)
        return held and all(f.path[0] in self.held for f in self.fields)

    @property
    def order(self) -> tuple[int, int, str]:
        rank = kind_order().get(self.kind, 99)
        # Deletes run after everything else, in reverse dependency order.
        return (1, -rank, self.name) if self.action == "delete" else (0, rank, self.name)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "action": self.action,
            "kind": self.kind,
            "name": self.name,
            "before": self.before,
            "after": self.after,
        }
        if self.fields:
            data["fields"] = [
                {"path": f.dotted, "before": f.before, "after": f.after} for f in self.fields
            ]
        if self.reason:
            data["reason"] = self.reason
        if self.write_only:
            data["write_only"] = sorted(self.write_only)  # names only: values are never saved
        if self.held:
            data["waiting"] = dict(sorted(self.held.items()))
        if self.waits:
            data["waits"] = True
        return data


@dataclass(frozen=True)
class Unmanaged:
    """A live resource the file does not name and this stack does not own: never touched."""

    kind: str
    name: str
    owner: str | None = None


@dataclass
class Plan:
    """The changes, what was seen and left alone, and what the safety guards need to judge it:
    how many managed resources of each kind existed, and the file's thresholds."""

    stack: str
    region: str
    changes: list[Change] = field(default_factory=list)
    unmanaged: list[Unmanaged] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    existing: dict[str, int] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    metadata: dict[str, Any] = field(default_factory=dict)  # about the run: calls, wall time

    def __post_init__(self) -> None:
        self.sort()

    def sort(self) -> None:
        """Changes in apply order; unmanaged resources by kind, then name."""
        self.changes.sort(key=lambda c: c.order)
        self.unmanaged.sort(key=lambda u: (kind_order().get(u.kind, 99), u.name))

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def counts(self) -> dict[str, int]:
        return {action: sum(c.action == action for c in self.changes) for action in ACTIONS}

    @property
    def waiting(self) -> list[Change]:
        """Changes with parts SES cannot take yet (applied by a later run)."""
        return [c for c in self.changes if c.held]

    def counts_by_kind(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for change in self.changes:
            row = table.setdefault(change.kind, dict.fromkeys(ACTIONS, 0))
            row[change.action] += 1
        return dict(sorted(table.items(), key=lambda kv: kind_order().get(kv[0], 99)))

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "stack": self.stack,
            "region": self.region,
            "summary": self.counts(),
            "changes": [c.to_json() for c in self.changes],
            "unmanaged": [
                {"kind": u.kind, "name": u.name, **({"owner": u.owner} if u.owner else {})}
                for u in self.unmanaged
            ],
            "warnings": list(self.warnings),
            **({"metadata": self.metadata} if self.metadata else {}),
        }

"""What a resource kind declares: everything the rest of sesctl needs to know about it.

A kind is one module under `resources/` with one class, listed once in
`resources/__init__.py`: a `ListedKind` (listed, read and diffed one resource at a time) or
a `SectionKind` (too large for that: read and diffed as a whole section). The engine, apply,
validate, import, targets, guards and the plan's schema read these declarations; none of
them names a kind. A kind states:

- where it lives: `section` in the file, `kind` in plans, `arn_type` in its ARN (None when it
  carries no tags), `order` in apply (deletes run in reverse), `label` in messages;
- its shape: `model` (the pydantic class of one entry), `singleton`, `children` (kinds that
  live inside it, each a change of its own, e.g. a set's event destinations);
- what it names: `refers`, paths in an entry (and in its state: the keys are the same) that
  name another resource, which plan checks, targets follow and apply orders by (a `sender`
  address names an identity, itself or its domain);
- its guards: `deletion_flag` (a flag every delete of it needs), `prune_limited` (its deletes
  count against `guards.max_suppressions_pruned`);
- how it reads, diffs and writes: `list_names`, `read` (`read_entry` when what it reads
  depends on the file's entry) and `diff` (a `ListedKind`) or
  `read_section` and `diff_section` (a `SectionKind`), then `apply`;
- what it checks when the file loads (`check`), offline problems validate reports
  (`problems`), and how import writes it (`comment`, `imported`, `export`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from ..client import Sesv2
from ..plan import PROTECT_TAG, Change
from .base import Context

SESCTL_PREFIX = "sesctl:"  # the tags sesctl stamps: never written into an imported file

if TYPE_CHECKING:
    from ..config import LoadedConfig


def clean(value: Any) -> Any:
    """Drop unset values and empty mappings, recursively."""
    if isinstance(value, dict):
        cleaned = {k: clean(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in cleaned.items() if v != {}}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


@dataclass(frozen=True)
class Refers:
    """A member of an entry that names another resource (the same path in the state)."""

    path: tuple[str, ...]
    kind: str
    verified: bool = False  # SES needs the identity verified, not only present
    exempt: frozenset[str] = frozenset()  # names that need no definition (built-in pools)
    sender: bool = False  # an address, answered by its own identity or a domain's above it

    def names(self, value: str) -> tuple[str, ...]:
        """The names that answer a reference to `value`: a sender address is answered by its
        own identity, its domain's or a parent domain's ("when you verify a domain identity,
        you can send email from any subdomain or email address of the verified domain":
        developer guide, "Creating and verifying identities")."""
        if not (self.sender and "@" in value):
            return (value,)
        labels = value.rpartition("@")[2].lower().split(".")
        return (value, *(".".join(labels[i:]) for i in range(len(labels) - 1)))


@dataclass(frozen=True)
class Child:
    """A kind that lives inside another, each member a change of its own (`parent/name`)."""

    kind: str
    key: str  # the parent's state key that holds the members, by name
    order: int
    apply: Callable[[Sesv2, Change], None]


class Kind(ABC):
    """What every resource kind declares, and defaults for the optional parts."""

    section: ClassVar[str]
    kind: ClassVar[str]
    arn_type: ClassVar[str | None] = None
    order: ClassVar[int]
    model: ClassVar[type[BaseModel]]
    label: ClassVar[str] = ""
    comment: ClassVar[str] = ""
    singleton: ClassVar[bool] = False
    children: ClassVar[tuple[Child, ...]] = ()
    refers: ClassVar[tuple[Refers, ...]] = ()
    deletion_flag: ClassVar[str | None] = None
    deletion_reason: ClassVar[str] = ""
    prune_limited: ClassVar[bool] = False

    @property
    def words(self) -> str:
        """The kind as a message says it: `configuration set`, `dedicated IP`."""
        return self.label or self.kind.replace("_", " ")

    def entries(self, loaded: LoadedConfig) -> dict[str, Any]:
        """The file's entries by name; a singleton's section is one entry, named as the kind."""
        section = loaded.section(self.section)
        if self.singleton:
            return {} if section is None else {self.kind: section}
        return section or {}

    def place(self, name: str) -> tuple[str, ...]:
        """Where an entry sits in the file: under its section, or the section itself."""
        return (self.section,) if self.singleton else (self.section, name)

    @abstractmethod
    def apply(self, client: Sesv2, change: Change) -> None:
        """Make one change in SES."""

    def preconditions(self, client: Sesv2, changes: list[Change]) -> list[str]:
        """What SES would stop apply on that only the live account shows (read now, so that
        apply never fails halfway on what plan could have known)."""
        return []

    # --- the file -------------------------------------------------------------------------

    def check(self, loaded: LoadedConfig) -> None:
        """Raise ConfigError (file:line:column) for what SES would refuse; may prepare entries
        (read the files they name, parse what they hold)."""
        return None

    def problems(self, loaded: LoadedConfig) -> list[str]:
        """Offline problems validate, plan and apply report all at once (template syntax…)."""
        return []

    def tag_stamps(self, entry: Any) -> int:
        """Tags sesctl stamps on an entry beyond the stack tag (they count against 50)."""
        return 1 if getattr(entry, "protect", None) else 0

    # --- import -------------------------------------------------------------------------

    @abstractmethod
    def export(self, client: Sesv2) -> Any:
        """The live section as the file writes it."""

    def imported(self, name: str, state: dict[str, Any]) -> dict[str, Any]:
        """One live entry as the file writes it: no unset values, no sesctl tags (but the
        protection they carry), `tags` kept even when empty (the file's are authoritative)."""
        data = dict(state)
        tags = data.get("tags")
        if isinstance(tags, dict):
            data["tags"] = {k: v for k, v in tags.items() if not k.startswith(SESCTL_PREFIX)}
            if tags.get(PROTECT_TAG) == "true":
                data["protect"] = True  # else applying the file would unprotect it
        cleaned = clean(data)
        if isinstance(tags, dict):
            cleaned["tags"] = data["tags"]
        return cleaned

    def export_files(self, section: Any, directory: Path) -> None:
        """Move long values of an exported section into files beside the config."""
        return None


class ListedKind(Kind):
    """A kind SES lists by name and reads one resource at a time."""

    @abstractmethod
    def list_names(self, client: Sesv2) -> list[str]:
        """The names of the live resources."""

    @abstractmethod
    def read(self, client: Sesv2, name: str, tags: dict[str, str] | None) -> dict[str, Any] | None:
        """The live state, normalised; None when it does not exist."""

    def read_entry(
        self, client: Sesv2, name: str, tags: dict[str, str] | None, entry: Any
    ) -> dict[str, Any] | None:
        """The live state the diff of the file's `entry` (None: not in the file) needs:
        `read`, and what only that entry asks for (the contacts a list's entry manages)."""
        return self.read(client, name, tags)

    @abstractmethod
    def diff(
        self, name: str, model: Any, live: dict[str, Any] | None, ctx: Context
    ) -> list[Change]:
        """Pure: the changes that take `live` to what `model` describes (None: delete)."""

    def export(self, client: Sesv2) -> Any:
        entries = {}
        for name in self.list_names(client):
            state = self.read(client, name, None)
            if state is not None:
                entries[name] = self.imported(name, state)
        return entries.get(self.kind, {}) if self.singleton else entries


class SectionKind(Kind):
    """A kind too large to list and read one by one (the suppression list): read and diffed
    as a whole section."""

    @abstractmethod
    def read_section(self, client: Sesv2, section: Any) -> Any:
        """What the section's diff needs of the live members (it may be read lazily)."""

    @abstractmethod
    def diff_section(self, section: Any, live: Any) -> list[Change]:
        """Pure: the changes that take the live members to what the section describes."""

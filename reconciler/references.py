"""What the file's resources name: one list that validate, plan, targets and apply all use.

Each kind declares the members of its entries that name another resource (`Kind.refers`);
this module finds them in a loaded file (with where they are written) and in a change's
state (to order apply), and says them in messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from .plan import owner_of
from .resources import BY_KIND, CHILDREN
from .resources.kind import Refers

if TYPE_CHECKING:
    from .config import LoadedConfig
    from .plan import Change
    from .yamlsource import Mark


class Reference(NamedTuple):
    """A resource of the file naming another one (`verified`: SES needs that identity
    verified, not only present)."""

    kind: str
    name: str
    where: Mark
    referrer_kind: str
    referrer_name: str
    verified: bool = False
    names: tuple[str, ...] = ()  # the names that answer it (Refers.names); () is `name`

    @property
    def candidates(self) -> tuple[str, ...]:
        """The resources any one of which answers the reference."""
        return self.names or (self.name,)

    @property
    def sentence(self) -> str:
        """`file:line:col: identity a.com refers to configuration set 'x'` (for messages)."""
        referrer = f"{BY_KIND[self.referrer_kind].words} {self.referrer_name}"
        return f"{self.where}: {referrer} refers to {BY_KIND[self.kind].words} {self.name!r}"

    @property
    def why(self) -> str:
        """What SES needs of the resource referred to, when more than existing."""
        if not self.verified:
            return ""
        if len(self.candidates) > 1:
            others = " or ".join(self.candidates[1:])
            return f" (SES needs it, or {others}, as a verified identity)"
        return " (SES needs it as an identity of its own, verified)"

    def in_file(self, loaded: LoadedConfig) -> bool:
        section = loaded.section(BY_KIND[self.kind].section) or {}
        return any(name in section for name in self.candidates)


def references(loaded: LoadedConfig) -> list[Reference]:
    """Every reference the file makes, in the order kinds and entries are written."""
    found = []
    for kind in (k for k in BY_KIND.values() if k.refers):
        for name, entry in kind.entries(loaded).items():
            for refers in kind.refers:
                value = _named(refers, entry)
                if value is not None:
                    where = loaded.value_mark(*kind.place(name), *refers.path)
                    ref = Reference(refers.kind, value, where, kind.kind, name, refers.verified)
                    found.append(ref._replace(names=refers.names(value)))
    return found


def named(change: Change) -> set[tuple[str, str]]:
    """The resources a change's state names that apply must change first (its kind's
    `refers`, but a name SES needs verified: that waits for a later run), and a child's
    parent."""
    if change.kind in CHILDREN:
        return {owner_of(change.kind, change.name)}
    kind = BY_KIND.get(change.kind)
    refers = [r for r in kind.refers if not r.verified] if kind else []
    return {(r.kind, value) for r in refers if (value := _named(r, change.after)) is not None}


def cross_reference_warnings(loaded: LoadedConfig) -> list[str]:
    """References to resources the file does not define: they may exist live (plan checks)."""
    return [
        f"{ref.sentence}, which this file does not define; plan checks that it exists in the "
        f"account{ref.why}"
        for ref in references(loaded)
        if not ref.in_file(loaded)
    ]


def _named(refers: Refers, entry: Any) -> str | None:
    """The name an entry (a model or a state) gives at `refers.path`, if it names one."""
    value = _at(entry, refers.path)
    return value if isinstance(value, str) and value and value not in refers.exempt else None


def _at(entry: Any, path: tuple[str, ...]) -> Any:
    """The value at `path` in a model or a state mapping; None when any step is missing."""
    for key in path:
        if entry is None:
            return None
        entry = entry.get(key) if isinstance(entry, dict) else getattr(entry, key, None)
    return entry


__all__ = ["Reference", "Refers", "cross_reference_warnings", "named", "references"]

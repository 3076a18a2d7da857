"""Offline checks beyond the schema, which validate, plan and apply all run first: each kind
reports what SES would refuse or fail to render (`Kind.problems`), all at once."""

from __future__ import annotations

from .config import LoadedConfig
from .resources import KINDS


def check_templates(loaded: LoadedConfig) -> list[str]:
    """Every offline problem of the file, each naming its file position."""
    return [problem for kind in KINDS for problem in kind.problems(loaded)]


def summary(loaded: LoadedConfig) -> str:
    """What the file manages, counted: `identities 2, configuration sets 1` (sections left out
    are not managed; the singleton account is not counted)."""
    return ", ".join(
        f"{kind.section.replace('_', ' ')} {len(entries)}"
        for kind in KINDS
        if not kind.singleton
        and not kind.collection
        and (entries := loaded.section(kind.section)) is not None
    )

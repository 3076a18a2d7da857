"""Offline checks beyond the schema, which validate, plan and apply all run first: each kind
reports what SES would refuse or fail to render (`Kind.problems`), all at once."""

from __future__ import annotations

from .config import LoadedConfig
from .resources import KINDS


def check_templates(loaded: LoadedConfig) -> list[str]:
    """Every offline problem of the file, each naming its file position."""
    return [problem for kind in KINDS for problem in kind.problems(loaded)]


def summary(loaded: LoadedConfig) -> str:
    """The resources the file creates, counted by section: `configuration sets 1, identities
    2` (kinds SES names by ARN; sections left out are not managed)."""
    return ", ".join(
        f"{kind.section.replace('_', ' ')} {len(entries)}"
        for kind in KINDS
        if kind.arn_type and (entries := loaded.section(kind.section)) is not None
    )

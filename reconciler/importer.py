"""`sesctl import`: the live account written as a config file in the contract's format.

Each kind exports its own section (`Kind.export`: its reads, already normalised to the file's
names, without unset values, sesctl's own tags or read-only values) and moves long values into
files beside the output (`Kind.export_files`). Applying the result changes nothing but adding
the ownership tags; the plan after that is empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .client import Sesv2
from .errors import SesctlError
from .plan import STACK_TAG
from .resources import BY_SECTION, KINDS

SECTIONS = [k.section for k in KINDS]


def collect(client: Sesv2, sections: Iterable[str]) -> dict[str, Any]:
    """Read every resource of the chosen sections, in the file's shape."""
    chosen = set(sections)
    return {k.section: k.export(client) for k in KINDS if k.section in chosen}


def write_bodies(document: dict[str, Any], out: Path | None) -> None:
    """Move long values (template bodies) into files beside the output file."""
    if out is None:
        return
    for section, value in document.items():
        BY_SECTION[section].export_files(value, out.parent)


def render(document: dict[str, Any], stack: str, region: str) -> str:
    """The config file text: a header, then each section under a one-line comment."""
    head = {"version": 1, "stack": stack, "region": region}
    parts = [
        "# yaml-language-server: $schema=https://sesctl.dev/schemas/config.v1.json\n"
        f"# Imported by `sesctl import` from {region}. Applying it adds the ownership tag\n"
        f"# {STACK_TAG}={stack} to every taggable resource and changes nothing else.\n",
        yaml.safe_dump(head, sort_keys=False),
    ]
    for section in SECTIONS:
        if section in document:
            parts.append(f"\n# {BY_SECTION[section].comment}\n")
            parts.append(yaml.safe_dump({section: document[section]}, sort_keys=False, width=100))
    return "".join(parts)


def kinds_of(spec: str | None) -> list[str]:
    """`--kinds identities,templates` → sections; every section when not given."""
    if not spec:
        return list(SECTIONS)
    chosen = [part.strip() for part in spec.split(",") if part.strip()]
    unknown = [c for c in chosen if c not in SECTIONS]
    if unknown:
        raise SesctlError(
            f"--kinds: unknown {', '.join(unknown)} (choose from {', '.join(SECTIONS)})"
        )
    return chosen

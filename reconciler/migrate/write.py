"""Writing a migration: the config, its template files and the report, into a new directory.

The directory must be new or empty, and every file is created exclusively: migrate never
overwrites anything, its input files included.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from ..errors import SesctlError
from .convert import Migration

CONFIG = "sesctl.yaml"
REPORT = "MIGRATION.md"
HEADER = """\
# Written by `sesctl migrate sendgrid` from {origin}.
# Review it with {report}: what changed on the way and what was left out, with reasons.
# Then: sesctl validate {config} && sesctl plan {config}
"""


def write(migration: Migration, out: Path, origin: str, report: str) -> list[Path]:
    """Create `out` with the config, the template files and the report; the paths written."""
    try:
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise SesctlError(
                f"--out {out}: it exists and is not an empty directory; name a new one"
            )
        files = {CONFIG: _config(migration, origin), REPORT: report, **migration.files}
        written = []
        for relative, text in files.items():
            path = out / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8", newline="") as handle:
                handle.write(text)
            written.append(path)
    except FileExistsError as exc:
        raise SesctlError(
            f"{exc.filename}: appeared while migrate was writing; not replaced"
        ) from None
    except OSError as exc:
        raise SesctlError(
            f"--out {out}: cannot write {exc.filename or out}: {exc.strerror}"
        ) from None
    return written


def _config(migration: Migration, origin: str) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when built: long lists
    body = yaml.dump(
        migration.config,
        Dumper=dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return HEADER.format(origin=origin, report=REPORT, config=CONFIG) + body


def relative(path: Path) -> str:
    """`path` as the user typed it would read: relative to the current directory if inside."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)

"""Secret references in string values: `${env:NAME}`, `${file:path}`, `${ssm:/name}`.

They resolve when the file is loaded (SSM parameters once a client exists; offline, as for
`validate`, an SSM reference stays unresolved). Every resolved value is remembered so that
no output — plan of any format, log line, error message or traceback — ever shows it: data is
masked structurally with `mask`, text is scrubbed with `scrub`.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

SENSITIVE = "(sensitive)"
REFERENCE = re.compile(r"\$\{(env|file|ssm):([^}]+)\}")

SsmReader = Callable[[str], str]


class Secrets:
    """The resolved secret values of this process, for masking."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        with self._lock:
            for candidate in (value, value.strip()):
                if len(candidate) >= 4:  # masking a 1-3 character value would mangle every output
                    self._values.add(candidate)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def scrub(self, text: str) -> str:
        """Text with every secret value (raw or JSON-escaped) replaced by `(sensitive)`."""
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            text = text.replace(value, SENSITIVE)
            escaped = value.encode("unicode_escape").decode().replace('"', '\\"')
            if escaped != value:
                text = text.replace(escaped, SENSITIVE)
        return text

    def mask(self, data: Any) -> Any:
        """A copy of `data` where every string holding a secret value reads `(sensitive)`."""
        if isinstance(data, dict):
            return {k: self.mask(v) for k, v in data.items()}
        if isinstance(data, list):
            return [self.mask(v) for v in data]
        if isinstance(data, str) and self.scrub(data) != data:
            return SENSITIVE
        return data


SECRETS = Secrets()


class SecretError(ValueError):
    """A reference that cannot be resolved; the message never holds a secret value."""


def resolve(text: str, base: Path, ssm: SsmReader | None) -> tuple[str, bool]:
    """Resolve every reference in `text`; returns the value and whether it holds a secret."""
    found = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal found
        source, name = match.group(1), match.group(2).strip()
        value = _read(source, name, base, ssm)
        if value is None:
            return match.group(0)
        found = True
        SECRETS.add(value)
        return value

    return REFERENCE.sub(substitute, text), found


def _read(source: str, name: str, base: Path, ssm: SsmReader | None) -> str | None:
    if source == "env":
        if name not in os.environ:
            raise SecretError(f"${{env:{name}}}: environment variable {name} is not set")
        return os.environ[name]
    if source == "file":
        path = base / name
        try:
            return path.read_text(encoding="utf-8").rstrip("\n")
        except (OSError, UnicodeDecodeError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "unreadable"
            raise SecretError(f"${{file:{name}}}: cannot read {name}: {why}") from None
    if ssm is None:
        return None
    return ssm(name)


def references(data: Any) -> bool:
    """Whether any string in `data` holds a secret reference."""
    if isinstance(data, dict):
        return any(references(v) for v in data.values())
    if isinstance(data, list):
        return any(references(v) for v in data)
    return isinstance(data, str) and REFERENCE.search(data) is not None

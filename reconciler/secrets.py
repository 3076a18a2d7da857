"""Secret references in string values: `${env:NAME}`, `${file:path}`, `${ssm:/name}`.

They resolve when the file is loaded (SSM parameters once a client exists; offline, as for
`validate`, an SSM reference stays unresolved). A resolved value is a `Secret`: a string
that every renderer masks by its type, wherever it sits and whatever its length — an empty
secret (a fork's unavailable CI secret) and a one-letter one included, and `true` as a value
never masks the word `true` elsewhere. The values are also remembered, so that free text
(messages, log lines, tracebacks) is scrubbed of them, and a plain string equal to one (a
value whose type a transformation lost) is masked as well.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import SesctlError
from .files import FileError, read_inside, shown

SENSITIVE = "(sensitive)"
REFERENCE = re.compile(r"\$\{(env|file|ssm):([^}]+)\}")
# Free text is scrubbed of secrets this long or longer, as whole words: a shorter value (or a
# word like `true`) would blank ordinary words of the message. Data is masked by type instead.
SCRUB_FROM = 4

SsmReader = Callable[[str], str]
MAX_SECRET_FILE = 64 * 1024  # a secret file holds a key or a token, not a document


class Secret(str):
    """A value resolved from a secret reference: masked by type in every output."""

    __slots__ = ()


class Secrets:
    """The resolved secret values of this process, for masking."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        with self._lock:
            self._values.update({str(value), str(value).strip()})
            self._pattern = None

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = None

    def known(self, value: str) -> bool:
        """Whether this exact string is a secret value (type or not)."""
        with self._lock:
            return value in self._values

    def scrub(self, text: str) -> str:
        """Free text with every secret value long enough to search for, as a whole word, raw
        or JSON-escaped, replaced by `(sensitive)`."""
        pattern = self._scrubber()
        return text if pattern is None else pattern.sub(SENSITIVE, text)

    def _scrubber(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None:
                forms = set()
                for value in self._values:
                    if len(value) >= SCRUB_FROM:
                        forms.add(value)
                        forms.add(value.encode("unicode_escape").decode().replace('"', '\\"'))
                if not forms:
                    return None
                words = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
                self._pattern = re.compile(rf"(?<!\w)(?:{words})(?!\w)")
            return self._pattern

    def mask(self, data: Any) -> Any:
        """A copy of `data` where every secret reads `(sensitive)`: a Secret by its type, a
        plain string by being exactly a secret's value."""
        if isinstance(data, dict):
            return {k: self.mask(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.mask(v) for v in data]
        if isinstance(data, Secret) or (isinstance(data, str) and data and self.known(data)):
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

    resolved = REFERENCE.sub(substitute, text)
    return (Secret(resolved) if found else resolved), found


def option_value(value: str, option: str, ssm: SsmReader) -> str:
    """A command-line value with its `${env:…}`, `${file:…}` (inside the current directory)
    and `${ssm:…}` references read, as config values are; what they held is a secret from
    then on, masked in every output. A value without references is returned as it is."""
    if "${" not in value:
        return value
    try:
        return resolve(value, Path.cwd(), ssm)[0]
    except SecretError as exc:
        raise SesctlError(f"{option}: {exc}") from None


def _read(source: str, name: str, base: Path, ssm: SsmReader | None) -> str | None:
    if source == "env":
        if name not in os.environ:
            raise SecretError(f"${{env:{name}}}: environment variable {name} is not set")
        return os.environ[name]
    if source == "file":
        try:  # inside the config's directory only, like every file the config names
            return read_inside(base, name, MAX_SECRET_FILE).rstrip("\n")
        except FileError as exc:
            raise SecretError(f"${{file:{shown(name)}}}: {exc.message}") from None
    if ssm is None:
        return None
    return ssm(name)

"""YAML file → desired-state models, with file:line:column on every error.

Loading also reads `*_file` template parts (relative to the YAML file), parses policies given
as JSON strings, and collects cross-reference warnings that `validate` prints and `plan`
checks against the live account.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .errors import ConfigError, SesctlError
from .files import shown
from .models import MAX_TAGS, Config
from .references import cross_reference_warnings
from .resources import BY_SECTION, KINDS
from .resources.kind import SESCTL_PREFIX
from .secrets import REFERENCE, Secret, SecretError, SsmReader, resolve
from .yamlsource import Located, Mark, load_yaml


@dataclass
class LoadedConfig:
    """A validated config plus where each part of it came from."""

    path: Path
    model: Config
    source: Located
    warnings: list[str] = field(default_factory=list)
    unresolved: bool = False  # holds ${ssm:…} references not read yet (offline)
    # The files the desired state was read from: this one, then template parts (not secrets).
    sources: list[Path] = field(default_factory=list)

    def mark(self, *path: str | int) -> Mark:
        """Where the key at `path` is written."""
        return self.source.mark(path)

    def value_mark(self, *path: str | int) -> Mark:
        """Where the value at `path` is written."""
        return self.source.value_mark(path)

    def section(self, name: str) -> dict[str, Any] | None:
        return getattr(self.model, name)


def load(path: Path, ssm: SsmReader | None = None) -> LoadedConfig:
    """Read, validate and resolve a config file; every failure is one ConfigError.

    Secret references resolve here; `${ssm:…}` ones only when `ssm` reads parameters.
    """
    source = load_yaml(path)
    if not isinstance(source.data, dict):
        raise ConfigError(f"{source.mark(())}: the file must be a mapping (version, stack, …)")
    unresolved = _resolve_secrets(source, source.data, (), path.parent, ssm)
    try:
        model = Config.model_validate(source.data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None
    _keep_secret_types(model, source.data)
    loaded = LoadedConfig(path, model, source, unresolved=unresolved, sources=[path])
    _check_tags(loaded)
    for kind in KINDS:
        kind.check(loaded)
    loaded.warnings.extend(cross_reference_warnings(loaded))
    return loaded


def _keep_secret_types(target: Any, data: Any) -> None:
    """pydantic makes every string a plain str; a value resolved from a secret reference is
    made a Secret again, at the same place, so that every output masks it by its type."""
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    for key, value in items:
        inner = _member(target, key)
        if isinstance(value, Secret) and isinstance(inner, str):
            _set_member(target, key, Secret(inner))
        elif isinstance(value, dict | list) and inner is not None:
            _keep_secret_types(inner, value)


def _member(target: Any, key: Any) -> Any:
    if isinstance(target, BaseModel):
        return target.__dict__.get(key) if key in type(target).model_fields else None
    if isinstance(target, dict):
        return target.get(key)
    if isinstance(target, list) and isinstance(key, int) and key < len(target):
        return target[key]
    return None


def _set_member(target: Any, key: Any, value: Secret) -> None:
    if isinstance(target, BaseModel):
        target.__dict__[key] = value  # as validated: only the type changes
    else:
        target[key] = value


def _resolve_secrets(
    source: Located, data: Any, path: tuple[Any, ...], base: Path, ssm: SsmReader | None
) -> bool:
    """Replace secret references in place; True when some ${ssm:…} stayed unresolved."""
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else []
    )
    pending = False
    for key, value in list(items):
        if isinstance(value, dict | list):
            pending |= _resolve_secrets(source, value, (*path, key), base, ssm)
        elif isinstance(value, str) and REFERENCE.search(value):
            try:
                data[key], _ = resolve(value, base, ssm)
            except (SecretError, SesctlError) as exc:
                dotted = ".".join(str(p) for p in (*path, key))
                raise ConfigError(f"{source.value_mark((*path, key))}: {dotted}: {exc}") from None
            pending |= REFERENCE.search(data[key]) is not None
    return pending


def _describe(exc: ValidationError, source: Located) -> str:
    """pydantic's errors as `file:line:col: a.b.c: message` lines, in file order."""
    lines: dict[str, tuple[Mark, str]] = {}
    for error in exc.errors():
        path: list[str | int] = []
        for part in error["loc"]:
            if (*path, part) not in source.marks:
                break
            path.append(part)
        on_key = error["type"] in ("extra_forbidden", "missing") or "[key]" in error["loc"]
        mark = source.mark(tuple(path)) if on_key else source.value_mark(tuple(path))
        where = ".".join(shown(str(p)) for p in path) or "(top level)"
        text = _message(error, path, source)
        lines.setdefault(f"{mark}: {where}", (mark, text))
    ordered = sorted(lines.items(), key=lambda kv: (kv[1][0].line, kv[1][0].column))
    return "\n".join(f"{where}: {text}" for where, (_, text) in ordered)


def _message(error: ErrorDetails, path: list[str | int], source: Located) -> str:
    """What is wrong at `path`, in words a user acts on (a hint for a mistyped key)."""
    if error["type"] == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        parent = _model_fields_at(path[:-1])
        close = difflib.get_close_matches(key, parent, n=1) if parent else []
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key{hint}"
    if error["type"] == "missing":
        return f"missing required key {error['loc'][-1]!r}"
    if error.get("input", ...) is None and error["type"].endswith(("_type", "literal_error")):
        return "null is not allowed here: give a value or leave the key out"
    return _bounded(str(error["msg"]).removeprefix("Value error, "))


def _bounded(message: str, limit: int = 300) -> str:
    """A validator's message on one line and short: some quote the value, which may be huge."""
    line = " ".join(message.splitlines())
    return line if len(line) <= limit else f"{line[:limit]}…"


def _model_fields_at(path: list[str | int]) -> list[str]:
    """Field names valid at a path, for "did you mean" hints."""
    model: Any = Config
    skip_key = False
    for part in path:
        if skip_key:  # the name of an entry in a mapping section
            skip_key = False
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            return []
        skip_key = "dict[" in str(info.annotation)
        model = _inner_model(info.annotation)
        if model is None:
            return []
    return list(model.model_fields)


def _inner_model(annotation: Any) -> Any:
    """The pydantic model inside `X | None` or `dict[str, X] | None`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        inner = _inner_model(arg)
        if inner is not None:
            return inner
    return None


def _check_tags(loaded: LoadedConfig) -> None:
    """SES allows 50 tags on a resource: its own, the file-wide ones and sesctl's stamps
    together (API reference, Tag); the `sesctl:` prefix is sesctl's own."""
    config = loaded.model
    for key in config.tags:
        _refuse_reserved(loaded, ("tags", key))
    for section in type(config).model_fields:
        entries = getattr(config, section)
        if not isinstance(entries, dict):
            continue
        for name, entry in entries.items():
            if not isinstance(entry, BaseModel) or "tags" not in type(entry).model_fields:
                continue
            own: dict[str, str] = getattr(entry, "tags", None) or {}
            for key in own:
                _refuse_reserved(loaded, (section, name, "tags", key))
            stamps = 1 + BY_SECTION[section].tag_stamps(entry)
            count = len({**config.tags, **own}) + stamps
            if count > MAX_TAGS:
                where = loaded.mark(section, name, "tags")
                raise ConfigError(
                    f"{where}: {section}.{name}.tags: {count} tags with the file-wide tags and "
                    f"sesctl's own {stamps}: SES allows at most {MAX_TAGS} on a resource"
                )


def _refuse_reserved(loaded: LoadedConfig, path: tuple[str, ...]) -> None:
    if path[-1].startswith(SESCTL_PREFIX):
        raise ConfigError(
            f"{loaded.mark(*path)}: {'.'.join(path)}: the sesctl: tag prefix is sesctl's own "
            "(ownership, protection, key fingerprints)"
        )

"""YAML file → desired-state models, with file:line:column on every error.

Loading also reads `*_file` template parts (relative to the YAML file), parses policies given
as JSON strings, and collects cross-reference warnings that `validate` prints and `plan`
checks against the live account.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, get_args

from pydantic import BaseModel, ValidationError

from .errors import ConfigError, SesctlError
from .models import Config
from .secrets import REFERENCE, SECRETS, SecretError, SsmReader, resolve
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
    loaded = LoadedConfig(path, model, source, unresolved=unresolved, sources=[path])
    _check_identity_attributes(loaded)
    _read_template_files(loaded)
    _parse_policies(loaded)
    loaded.warnings.extend(cross_reference_warnings(loaded))
    return loaded


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
        on_key = error["type"] in ("extra_forbidden", "missing")
        mark = source.mark(tuple(path)) if on_key else source.value_mark(tuple(path))
        where = ".".join(str(p) for p in path) or "(top level)"
        text = _message(error, path, source)
        lines.setdefault(f"{mark}: {where}", (mark, text))
    ordered = sorted(lines.items(), key=lambda kv: (kv[1][0].line, kv[1][0].column))
    return "\n".join(f"{where}: {text}" for where, (_, text) in ordered)


def _message(error: dict[str, Any], path: list[str | int], source: Located) -> str:
    if error["type"] == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        parent = _model_fields_at(path[:-1])
        close = difflib.get_close_matches(key, parent, n=1) if parent else []
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"unknown key{hint}"
    if error["type"] == "missing":
        return f"missing required key {error['loc'][-1]!r}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


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


def _check_identity_attributes(loaded: LoadedConfig) -> None:
    """DKIM signing attributes belong to domains; SES refuses them on an email address."""
    for name, identity in (loaded.model.identities or {}).items():
        signing = identity.dkim_signing_attributes
        if signing is not None and signing.domain_signing_private_key:
            SECRETS.add(signing.domain_signing_private_key)  # write-only: never printed
        if "@" in name and signing is not None:
            where = loaded.mark("identities", name, "dkim_signing_attributes")
            raise ConfigError(
                f"{where}: identities.{name}.dkim_signing_attributes: DKIM signing attributes "
                "apply to domain identities only"
            )


def _read_template_files(loaded: LoadedConfig) -> None:
    """Replace each `*_file` part by the file's text, read relative to the YAML file."""
    base = loaded.path.parent
    for name, template in (loaded.model.templates or {}).items():
        updates: dict[str, str] = {}
        for part in ("subject", "html", "text"):
            relative = getattr(template, f"{part}_file")
            if relative is None:
                continue
            file = base / relative
            loaded.sources.append(file)
            try:
                updates[part] = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                raise ConfigError(
                    f"{loaded.value_mark('templates', name, f'{part}_file')}: templates.{name}."
                    f"{part}_file: cannot read {relative}: {why}"
                ) from None
        if updates:
            loaded.model.templates[name] = template.model_copy(update=updates)  # type: ignore[index]


def _parse_policies(loaded: LoadedConfig) -> None:
    """Policies may be YAML mappings or JSON strings; both become mappings here."""
    for identity, model in (loaded.model.identities or {}).items():
        for policy, document in (model.policies or {}).items():
            if isinstance(document, dict):
                continue
            try:
                parsed = json.loads(document)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    f"{loaded.value_mark('identities', identity, 'policies', policy)}: identities."
                    f"{identity}.policies.{policy}: not valid JSON: {exc.msg}"
                ) from None
            if not isinstance(parsed, dict):
                raise ConfigError(
                    f"{loaded.mark('identities', identity, 'policies', policy)}: a policy "
                    "must be a JSON object"
                )
            model.policies[policy] = parsed  # type: ignore[index]


SECTION_OF = {"configuration_set": "configuration_sets", "dedicated_ip_pool": "dedicated_ip_pools"}


class Reference(NamedTuple):
    """A resource of the file naming another one: an identity its set, a set its pool."""

    kind: str
    name: str
    where: Mark
    referrer_kind: str
    referrer_name: str

    @property
    def referrer(self) -> str:
        words = {"dedicated_ip": "dedicated IP"}.get(self.referrer_kind, self.referrer_kind)
        return f"{words.replace('_', ' ')} {self.referrer_name}"

    @property
    def sentence(self) -> str:
        """`file:line:col: identity a.com refers to configuration set 'x'` (for messages)."""
        return (
            f"{self.where}: {self.referrer} refers to {self.kind.replace('_', ' ')} {self.name!r}"
        )

    def in_file(self, loaded: LoadedConfig) -> bool:
        return self.name in (loaded.section(SECTION_OF[self.kind]) or {})


def references(loaded: LoadedConfig) -> list[Reference]:
    """Every reference the file makes: identities to sets, sets and IPs to sending pools."""
    refs = []
    for name, identity in (loaded.model.identities or {}).items():
        if identity.configuration_set_name:
            where = loaded.value_mark("identities", name, "configuration_set_name")
            refs.append(
                Reference(
                    "configuration_set", identity.configuration_set_name, where, "identity", name
                )
            )
    for name, cset in (loaded.model.configuration_sets or {}).items():
        pool = cset.delivery_options.sending_pool_name if cset.delivery_options else None
        if pool:
            where = loaded.value_mark(
                "configuration_sets", name, "delivery_options", "sending_pool_name"
            )
            refs.append(Reference("dedicated_ip_pool", pool, where, "configuration_set", name))
    for ip, placement in (loaded.model.dedicated_ips or {}).items():
        if placement.pool:
            where = loaded.value_mark("dedicated_ips", ip, "pool")
            refs.append(Reference("dedicated_ip_pool", placement.pool, where, "dedicated_ip", ip))
    return refs


def cross_reference_warnings(loaded: LoadedConfig) -> list[str]:
    """References to resources the file does not define: they may exist live (plan checks)."""
    return [
        f"{ref.sentence}, which this file does not define; plan checks that it exists in the "
        "account"
        for ref in references(loaded)
        if not ref.in_file(loaded)
    ]

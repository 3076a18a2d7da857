"""YAML file → desired-state models, with file:line:column on every error.

Loading also reads `*_file` template parts (relative to the YAML file), parses policies given
as JSON strings, and collects cross-reference warnings that `validate` prints and `plan`
checks against the live account.
"""

from __future__ import annotations

import base64
import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .errors import ConfigError, SesctlError
from .files import FileError, read_inside, shown
from .models import BUILT_IN_POOLS, MAX_TAGS, Config
from .secrets import REFERENCE, SECRETS, Secret, SecretError, SsmReader, resolve
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
    _check_identity_attributes(loaded)
    _check_tags(loaded)
    _check_ip_pools(loaded)
    _read_template_files(loaded)
    _parse_policies(loaded)
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


def _as_secrets(document: Any) -> Any:
    """Every string of a document parsed from a secret, itself a Secret."""
    if isinstance(document, dict):
        return {k: _as_secrets(v) for k, v in document.items()}
    if isinstance(document, list):
        return [_as_secrets(v) for v in document]
    return Secret(document) if isinstance(document, str) else document


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


def _check_identity_attributes(loaded: LoadedConfig) -> None:
    """DKIM signing attributes belong to domains; SES refuses them on an email address. A
    BYODKIM key SES cannot use is refused here: SES would take it and never verify."""
    for name, identity in (loaded.model.identities or {}).items():
        signing = identity.dkim_signing_attributes
        key = signing.domain_signing_private_key if signing else None
        if key:
            SECRETS.add(key)  # write-only: never printed, even written in the file itself
            signing.__dict__["domain_signing_private_key"] = Secret(key)
        for key_name in ("dkim_signing_attributes", "dkim_signing_enabled"):
            if "@" in name and key_name in identity.model_fields_set:
                raise ConfigError(
                    f"{loaded.mark('identities', name, key_name)}: identities.{name}.{key_name}: "
                    "DKIM settings belong to domain identities (an address signs with its domain's)"
                )
        mail_from = identity.mail_from_attributes
        parent = name.rpartition("@")[2].lower()
        if mail_from and not mail_from.mail_from_domain.lower().endswith(f".{parent}"):
            path = ("identities", name, "mail_from_attributes", "mail_from_domain")
            raise ConfigError(
                f"{loaded.value_mark(*path)}: {'.'.join(path)}: SES takes a MAIL FROM domain "
                f"only under the identity's domain ({mail_from.mail_from_domain} is not under "
                f"{parent})"
            )
        if key is not None and not REFERENCE.search(key) and (problem := byodkim_problem(key)):
            path = ("identities", name, "dkim_signing_attributes", "domain_signing_private_key")
            raise ConfigError(f"{loaded.value_mark(*path)}: {'.'.join(path)}: {problem}")


def byodkim_problem(key: str) -> str | None:
    """Why SES cannot sign with this BYODKIM key, or None. SES wants a 1024- to 2048-bit RSA
    key, PKCS #1 or #8, as one line of base64 without the PEM lines (API reference,
    DkimSigningAttributes; developer guide, "Provide your own DKIM authentication token").
    The message never holds the key."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    if "-----" in key:
        return "give the key as base64 without its PEM header and footer lines"
    if not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", key):
        return "the key must be one line of base64 (remove line breaks and spaces)"
    try:
        parsed = load_der_private_key(base64.b64decode(key), password=None)
    except (ValueError, TypeError):
        return "the key is not a base64 DER RSA private key (PKCS #1 or PKCS #8)"
    if not isinstance(parsed, rsa.RSAPrivateKey) or not 1024 <= parsed.key_size <= 2048:
        return "SES signs with 1024- to 2048-bit RSA keys only"
    return None


def _check_ip_pools(loaded: LoadedConfig) -> None:
    """SES chooses a MANAGED pool's IPs itself: a leased IP cannot be placed in one."""
    pools = loaded.model.dedicated_ip_pools or {}
    for ip, placement in (loaded.model.dedicated_ips or {}).items():
        pool = pools.get(placement.pool or "")
        if pool is not None and pool.scaling_mode == "MANAGED":
            where = loaded.value_mark("dedicated_ips", ip, "pool")
            raise ConfigError(
                f"{where}: dedicated_ips.{ip}.pool: {placement.pool} is a MANAGED pool, whose "
                "IPs SES chooses itself; place leased IPs in a STANDARD pool"
            )


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
            stamps = 1 + bool(getattr(entry, "protect", None)) + _key_stamp(entry)
            count = len({**config.tags, **own}) + stamps
            if count > MAX_TAGS:
                where = loaded.mark(section, name, "tags")
                raise ConfigError(
                    f"{where}: {section}.{name}.tags: {count} tags with the file-wide tags and "
                    f"sesctl's own {stamps}: SES allows at most {MAX_TAGS} on a resource"
                )


def _key_stamp(entry: BaseModel) -> int:
    """A BYODKIM identity carries one more sesctl tag: its key's fingerprint."""
    signing = getattr(entry, "dkim_signing_attributes", None)
    return int(bool(signing is not None and signing.domain_signing_private_key))


def _refuse_reserved(loaded: LoadedConfig, path: tuple[str, ...]) -> None:
    if path[-1].startswith("sesctl:"):
        raise ConfigError(
            f"{loaded.mark(*path)}: {'.'.join(path)}: the sesctl: tag prefix is sesctl's own "
            "(ownership, protection, key fingerprints)"
        )


# A template is at most 500 KB, all parts together (SES developer guide, "Service quotas").
MAX_TEMPLATE_BYTES = 500 * 1024


def _read_template_files(loaded: LoadedConfig) -> None:
    """Replace each `*_file` part by the file's text, read inside the YAML file's directory."""
    base = loaded.path.parent
    for name, template in (loaded.model.templates or {}).items():
        updates: dict[str, str] = {}
        for part in ("subject", "html", "text"):
            relative = getattr(template, f"{part}_file")
            if relative is not None:
                path = ("templates", name, f"{part}_file")
                updates[part] = _read_part(loaded, base, relative, path)
                loaded.sources.append(base / relative)
        if updates:
            loaded.model.templates[name] = template.model_copy(update=updates)  # type: ignore[index]


def _read_part(loaded: LoadedConfig, base: Path, relative: str, path: tuple[str, ...]) -> str:
    """A template part's file: inside the config's directory, regular, at most SES's 500 KB."""
    try:
        return read_inside(base, relative, MAX_TEMPLATE_BYTES)
    except FileError as exc:
        hint = " (SES templates are at most 500 KB)" if exc.why == "large" else ""
        dotted = ".".join(shown(p) for p in path)
        raise ConfigError(f"{loaded.value_mark(*path)}: {dotted}: {exc.message}{hint}") from None


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
            secret = isinstance(document, Secret)
            model.policies[policy] = _as_secrets(parsed) if secret else parsed  # type: ignore[index]
        for policy, document in (model.policies or {}).items():
            size = len(json.dumps(document, separators=(",", ":")).encode())
            if size > MAX_POLICY_BYTES:
                raise ConfigError(
                    f"{loaded.mark('identities', identity, 'policies', policy)}: identities."
                    f"{identity}.policies.{policy}: {size} bytes as JSON: SES allows policies "
                    f"of at most 4 KB"
                )


# Sending authorization policies are at most 4 KB ("Sending authorization policy anatomy").
MAX_POLICY_BYTES = 4096
SECTION_OF = {
    "configuration_set": "configuration_sets",
    "dedicated_ip_pool": "dedicated_ip_pools",
    "identity": "identities",
}


class Reference(NamedTuple):
    """A resource of the file naming another one: an identity its set, a set its pool, a set
    its tracking domain (`verified`: SES needs that identity verified, not only present)."""

    kind: str
    name: str
    where: Mark
    referrer_kind: str
    referrer_name: str
    verified: bool = False

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

    @property
    def why(self) -> str:
        """What SES needs of the resource referred to, when more than existing."""
        return " (SES needs it as an identity of its own, verified)" if self.verified else ""

    def in_file(self, loaded: LoadedConfig) -> bool:
        return self.name in (loaded.section(SECTION_OF[self.kind]) or {})


def references(loaded: LoadedConfig) -> list[Reference]:
    """Every reference the file makes: identities to sets, sets and IPs to sending pools (SES's
    built-in pools need no definition), sets to their tracking domain's identity."""
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
        if pool and pool not in BUILT_IN_POOLS:
            where = loaded.value_mark(
                "configuration_sets", name, "delivery_options", "sending_pool_name"
            )
            refs.append(Reference("dedicated_ip_pool", pool, where, "configuration_set", name))
        domain = cset.tracking_options.custom_redirect_domain if cset.tracking_options else None
        if domain:
            where = loaded.value_mark(
                "configuration_sets", name, "tracking_options", "custom_redirect_domain"
            )
            refs.append(Reference("identity", domain, where, "configuration_set", name, True))
    for ip, placement in (loaded.model.dedicated_ips or {}).items():
        if placement.pool and placement.pool not in BUILT_IN_POOLS:
            where = loaded.value_mark("dedicated_ips", ip, "pool")
            refs.append(Reference("dedicated_ip_pool", placement.pool, where, "dedicated_ip", ip))
    return refs


def cross_reference_warnings(loaded: LoadedConfig) -> list[str]:
    """References to resources the file does not define: they may exist live (plan checks)."""
    return [
        f"{ref.sentence}, which this file does not define; plan checks that it exists in the "
        "account" + ref.why
        for ref in references(loaded)
        if not ref.in_file(loaded)
    ]

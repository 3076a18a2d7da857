"""Saved plans: `plan --out PLAN.json` writes what `apply PLAN.json` needs to trust it later.

A saved plan is the JSON plan plus a `saved` block: the config's path and a hash of what it
was read from (the YAML text with secret references as written, and the template files; never
a secret's value), the account, and a fingerprint of the live state of every resource the plan
touches. Apply refuses a plan made for another stack, region or account, or whose config or
touched resources changed since; otherwise it applies exactly the saved changes, without
asking again, as Terraform does with a saved plan.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import __version__, render
from .client import Sesv2
from .config import LoadedConfig
from .engine import entries, read_states
from .errors import SesctlError
from .guards import Verdict
from .plan import FORMAT_VERSION, Change, Limits, Plan, owner_of, strings
from .resources import BY_KIND
from .resources.base import Context, field_changes
from .secrets import SECRETS, SENSITIVE

SAVED_VERSION = 1
ABSENT = "absent"
Address = tuple[str, str]


@dataclass
class SavedPlan:
    """A plan read back from a file, with what proves it still holds."""

    path: Path
    plan: Plan
    saved: dict[str, Any]
    # Changes whose file values were masked or write-only: apply takes them from the config.
    secret: set[str] = field(default_factory=set)

    @property
    def config(self) -> Path:
        return Path(self.saved["config"]["path"])


def config_hash(loaded: LoadedConfig) -> str:
    """SHA-256 of the files the desired state was read from (secret values are not in them)."""
    digest = hashlib.sha256()
    base = loaded.path.parent
    for source in loaded.sources:
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise SesctlError(f"cannot read {source}: {exc.strerror or exc}") from None
        digest.update(os.path.relpath(source, base).encode() + b"\0")
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def fingerprint(state: dict[str, Any] | None) -> str:
    if state is None:
        return ABSENT
    text = json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _owner(change: Change) -> Address:
    return owner_of(change.kind, change.name)


def _planned_states(plan: Plan) -> dict[Address, dict[str, Any] | None]:
    """The live state each touched resource had when planned (a create's is None)."""
    states: dict[Address, dict[str, Any] | None] = {}
    for change in plan.changes:
        owner = _owner(change)
        if owner in plan.live:
            states[owner] = plan.live[owner]
        elif owner == (change.kind, change.name):  # not read by the fetch: streamed or new
            states[owner] = change.before
        else:  # a child of a resource the plan creates
            states.setdefault(owner, None)
    return states


def _key(address: Address) -> str:
    return f"{address[0]} {address[1]}"


def write(path: Path, plan: Plan, verdict: Verdict, loaded: LoadedConfig, client: Sesv2) -> None:
    document = render.json_document(plan, verdict)
    document["saved"] = {
        "version": SAVED_VERSION,
        "sesctl_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {"path": _portable(loaded.path), "sha256": config_hash(loaded)},
        "account": client.account_id(),
        "existing": plan.existing,
        "limits": plan.limits.to_json(),
        "fingerprints": {
            _key(address): fingerprint(state)
            for address, state in sorted(_planned_states(plan).items())
        },
    }
    text = SECRETS.scrub(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SesctlError(f"cannot write {path}: {exc.strerror or exc}") from None


def _portable(path: Path) -> str:
    """The config's path relative to the working directory when inside it: a pipeline's
    apply job runs in another checkout of the same repository."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(absolute)


def read(path: Path) -> SavedPlan | None:
    """The saved plan in `path`; None when the file is not a JSON plan (a config, then); a
    plain message when it is a plan apply cannot trust."""
    document = _json_plan(path)
    if document is None:
        return None
    if "saved" not in document:
        raise SesctlError(
            f"{path}: a JSON plan without what apply needs to trust it; "
            f"write one with `sesctl plan CONFIG --out {path.name}`"
        )
    saved = document["saved"]
    missing = [
        k for k in ("config", "account", "existing", "limits", "fingerprints") if k not in saved
    ]
    if missing or not {"path", "sha256"} <= set(saved.get("config") or {}):
        raise SesctlError(
            f"{path}: not a valid saved plan (missing {', '.join(missing) or 'config'})"
        )
    if document.get("format_version") != FORMAT_VERSION or saved.get("version") != SAVED_VERSION:
        raise SesctlError(f"{path}: a saved plan of another format version; plan again")
    try:
        plan = Plan(
            document["stack"],
            document["region"],
            changes=[_change(c) for c in document["changes"]],
            warnings=list(document.get("warnings", [])),
            existing=dict(saved["existing"]),
            limits=Limits(**saved["limits"]),
        )
        secret = {
            f"{c['kind']} {c['name']}"
            for c in document["changes"]
            if "write_only" in c or SENSITIVE in strings(c)
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise SesctlError(f"{path}: not a valid saved plan ({type(exc).__name__}: {exc})") from None
    return SavedPlan(path, plan, saved, secret)


def _json_plan(path: Path) -> dict[str, Any] | None:
    """The file as a JSON document with a plan's `format_version`, or None."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not text.lstrip().startswith("{"):
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) and "format_version" in document else None


def _change(data: dict[str, Any]) -> Change:
    """A change as the plan saved it; its field list is derived again from before and after."""
    before, after = data.get("before"), data.get("after")
    fields = field_changes(before, after) if data["action"] in ("update", "replace") else []
    held = {str(k): str(v) for k, v in (data.get("waiting") or {}).items()}
    return Change(
        data["action"],
        data["kind"],
        data["name"],
        before,
        after,
        fields,
        data.get("reason"),
        held=held,
    )


def check_origin(saved: SavedPlan, loaded: LoadedConfig) -> None:
    """Refuse a plan made for another stack, or from a config that changed since."""
    plan, config = saved.plan, saved.config
    if loaded.model.stack != plan.stack:
        raise SesctlError(
            f"{saved.path} is a plan for stack {plan.stack}, but {config} is stack "
            f"{loaded.model.stack}"
        )
    if config_hash(loaded) != saved.saved["config"]["sha256"]:
        raise SesctlError(
            f"stale plan: {config} (or a template file it reads) changed since the plan was "
            "made; run plan again"
        )


def current(saved: SavedPlan, loaded: LoadedConfig, client: Sesv2) -> Plan:
    """The saved plan, once the account, region and every touched resource are as planned."""
    plan = saved.plan
    if client.region != plan.region:
        raise SesctlError(f"{saved.path} is a plan for region {plan.region}, not {client.region}")
    account = client.account_id()
    if account != saved.saved["account"]:
        raise SesctlError(
            f"{saved.path} is a plan for account {saved.saved['account']}, but the credentials "
            f"are for account {account}"
        )
    owners = {_owner(c) for c in plan.changes}
    live = read_states(client, owners)
    moved = [
        owner
        for owner in sorted(owners)
        if fingerprint(live[owner]) != saved.saved["fingerprints"].get(_key(owner))
    ]
    if moved:
        raise SesctlError(
            "stale plan: "
            + ", ".join(f"{kind.replace('_', ' ')} {name}" for kind, name in moved[:10])
            + (f" and {len(moved) - 10} more" if len(moved) > 10 else "")
            + " changed since the plan was made; run plan again"
        )
    changes = [
        _with_secrets(c, loaded, live) if c.address in saved.secret else c for c in plan.changes
    ]
    return replace(plan, changes=changes)


def _with_secrets(
    change: Change, loaded: LoadedConfig, live: dict[Address, dict[str, Any] | None]
) -> Change:
    """The change as the config gives it now, secret values included, if it is the one saved."""
    kind, name = _owner(change)
    module = BY_KIND[kind]
    config = loaded.model
    ctx = Context(config.stack, dict(config.tags), allow_takeover=True)
    model = entries(loaded, module).get(name)
    for candidate in module.diff(name, model, live[(kind, name)], ctx):
        candidate.held = change.held  # verification is judged when planned, as saved
        if candidate.address == change.address and _shown(candidate) == _shown(change):
            return candidate
    raise SesctlError(
        f"stale plan: a secret behind {change.address} changed since the plan was made; "
        "run plan again"
    )


def _shown(change: Change) -> dict[str, Any]:
    """A change as the plan file shows it: masked, without its field list."""
    shown = render.masked(Plan("", "", changes=[change])).changes[0].to_json()
    shown.pop("fields", None)
    shown.pop("write_only", None)
    return shown

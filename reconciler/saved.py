"""Saved plans: `plan --out PLAN.json` writes the plan; `apply PLAN.json` applies it only if
a plan made now, from the same file and the live account, is the same plan.

The file carries no power of its own (DESIGN §7): apply never executes its changes. It plans
again, exactly as `sesctl plan` did (same targets), and compares the fresh plan with the saved
one as both print it; any difference — an edited `after`, an action flipped, a change added,
the account or the file moved on — makes the plan stale. The saved block holds what lets
apply say why before any call: the config's path and the SHA-256 of what it was read from
(secret references as written, never their values), the stack, region and account, the
targets, and a salted digest of the secret values, so that a rotated secret — which both
plans print as `(sensitive)` — makes the plan stale too. Guards are judged again from the
fresh plan with apply's own flags; thresholds in the file are not read.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import __version__, render
from .client import Sesv2
from .config import LoadedConfig
from .document import SAVED_VERSION, PlanDocument
from .errors import SesctlError
from .guards import Verdict
from .plan import FORMAT_VERSION, Plan, strings
from .secrets import Secret
from .workflow import targeted_plan


@dataclass
class SavedPlan:
    """A plan file read back: what it shows, and what lets apply check it."""

    path: Path
    document: dict[str, Any]
    saved: dict[str, Any]

    @property
    def config(self) -> Path:
        return Path(self.saved["config"]["path"])

    @property
    def stack(self) -> str:
        return str(self.document["stack"])

    @property
    def targets(self) -> list[str]:
        return list(self.saved["targets"])

    @property
    def allow_takeover(self) -> bool:
        return bool(self.saved["allow_takeover"])


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


def secret_digest(plan: Plan, salt: str) -> str:
    """A salted SHA-256 of every secret value the plan would write, in plan order: equal only
    when the same secrets are behind the same `(sensitive)` marks."""
    digest = hashlib.sha256(bytes.fromhex(salt))
    for change in plan.changes:
        write_only = (change.write_only[key] for key in sorted(change.write_only))
        secrets = (s for s in strings(change.after) if isinstance(s, Secret))
        for value in [*secrets, *write_only]:
            digest.update(hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest())
        digest.update(b"\0")
    return digest.hexdigest()


def write(
    path: Path,
    plan: Plan,
    verdict: Verdict,
    loaded: LoadedConfig,
    client: Sesv2,
    targets: list[str],
    allow_takeover: bool,
) -> None:
    """The plan as `--format json` prints it, with the saved block; secrets masked by type."""
    document = render.json_document(plan, verdict)
    salt = secrets.token_hex(16)
    document["saved"] = {
        "version": SAVED_VERSION,
        "sesctl_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {"path": _portable(loaded.path), "sha256": config_hash(loaded)},
        "account": client.account_id(),
        "targets": list(targets),
        "allow_takeover": allow_takeover,
        "secrets": {"salt": salt, "sha256": secret_digest(plan, salt)},
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
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
    plain message when it is a plan apply cannot check (it is read through PlanDocument)."""
    document = _json_plan(path)
    if document is None:
        return None
    saved = document.get("saved")
    if saved is None:
        raise SesctlError(
            f"{path}: a JSON plan without what apply needs to check it; "
            f"write one with `sesctl plan CONFIG --out {path.name}`"
        )
    if document.get("format_version") != FORMAT_VERSION or (
        isinstance(saved, dict) and saved.get("version") != SAVED_VERSION
    ):
        raise SesctlError(f"{path}: a saved plan of another format version; plan again")
    try:
        PlanDocument.model_validate(document)
    except ValidationError as exc:
        raise SesctlError(f"{path}: not a valid saved plan: {_first_problem(exc)}") from None
    return SavedPlan(path, document, saved)


def _first_problem(exc: ValidationError) -> str:
    """`saved.secrets.salt: String should match pattern …`, on one short line."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    return f"{where}: {error['msg']}"[:300]


def _json_plan(path: Path) -> dict[str, Any] | None:
    """The file as a JSON document with a plan's `format_version`, or None."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not text.lstrip().startswith("{"):
        return None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) and "format_version" in document else None


def check_origin(saved: SavedPlan, loaded: LoadedConfig) -> None:
    """Refuse a plan made for another stack, or from a config that changed since."""
    if loaded.model.stack != saved.stack:
        raise SesctlError(
            f"{saved.path} is a plan for stack {saved.stack}, but {saved.config} is stack "
            f"{loaded.model.stack}"
        )
    if config_hash(loaded) != saved.saved["config"]["sha256"]:
        raise SesctlError(
            f"stale plan: {saved.config} (or a template file it reads) changed since the plan "
            "was made; run plan again"
        )


def current(saved: SavedPlan, loaded: LoadedConfig, client: Sesv2, allow_takeover: bool) -> Plan:
    """The plan made now, when it is the saved one: same region, account, changes, secrets."""
    region = saved.document["region"]
    if client.region != region:
        raise SesctlError(f"{saved.path} is a plan for region {region}, not {client.region}")
    account = client.account_id()
    if account != saved.saved["account"]:
        raise SesctlError(
            f"{saved.path} is a plan for account {saved.saved['account']}, but the credentials "
            f"are for account {account}"
        )
    if saved.allow_takeover and not allow_takeover:
        raise SesctlError(
            f"{saved.path} takes over resources of another stack: pass --allow-takeover to apply it"
        )
    fresh = targeted_plan(loaded, client, saved.allow_takeover, saved.targets)
    now = [change.to_json() for change in render.masked(fresh).changes]
    moved = _differences(now, saved.document["changes"])
    if moved:
        raise SesctlError(
            "stale plan: "
            + ", ".join(moved[:10])
            + (f" and {len(moved) - 10} more" if len(moved) > 10 else "")
            + (" differs" if len(moved) == 1 else " differ")
            + " from the plan made now (the account or the plan file changed since); "
            "run plan again"
        )
    secret = saved.saved["secrets"]
    if secret_digest(fresh, secret["salt"]) != secret["sha256"]:
        raise SesctlError(
            "stale plan: a secret value behind a (sensitive) change differs from when the plan "
            "was made; run plan again"
        )
    return fresh


def _differences(now: list[Any], then: list[Any]) -> list[str]:
    """The changes (as `kind name`) that differ between two plans as both print them."""

    def keyed(changes: list[Any]) -> dict[str, Any]:
        return {_address(c): c for c in changes}

    if now == then:
        return []
    fresh, saved = keyed(now), keyed(then)
    moved = [a for a in sorted(set(fresh) | set(saved)) if fresh.get(a) != saved.get(a)]
    return moved or ["the list of changes (repeated or reordered)"]


def _address(change: Any) -> str:
    if isinstance(change, dict):
        return f"{str(change.get('kind')).replace('_', ' ')} {change.get('name')}"
    return f"malformed change {json.dumps(change)[:40]}"

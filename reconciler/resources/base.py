"""What every resource kind shares: naming, overlay and field diff, the common calls.

The diff is pure: a kind turns the file's model and the live API answer into the same
normalised snake_case dicts, `overlay` computes the state apply will leave, and
`field_changes` lists the leaves that move. No I/O happens here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..client import Sesv2
from ..errors import ApiError, ConfigError, SesctlError
from ..files import FileError, read_inside, shown
from ..plan import PROTECT_TAG, STACK_TAG, Change, FieldChange

if TYPE_CHECKING:
    from ..config import LoadedConfig


@dataclass
class Context:
    """What a diff needs beyond the resource itself."""

    stack: str
    tags: dict[str, str] = field(default_factory=dict)
    allow_takeover: bool = False
    # Identities SES has verified, among those the file needs verified (tracking domains).
    verified: frozenset[str] = frozenset()


# --- naming -----------------------------------------------------------------------------------


def snake(name: str) -> str:
    """`CloudWatchDestination` → `cloud_watch_destination`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def pascal(name: str) -> str:
    """`cloud_watch_destination` → `CloudWatchDestination`."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def from_api(value: Any) -> Any:
    """Convert an API structure's keys to snake_case, recursively."""
    if isinstance(value, dict):
        return {snake(k): from_api(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_api(v) for v in value]
    return value


def to_api(value: Any) -> Any:
    """Convert snake_case keys to the API's PascalCase and drop unset (None) members."""
    if isinstance(value, dict):
        return {pascal(k): to_api(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [to_api(v) for v in value]
    return value


def tags_from_api(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags or []}


def answered_tags(answer: dict[str, Any], known: dict[str, str] | None) -> dict[str, str]:
    """The tags a Get answered, or, when it answered none, those ownership already read."""
    return tags_from_api(answer["Tags"]) if "Tags" in answer else (known or {})


def tags_to_api(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


# --- the file's side --------------------------------------------------------------------------


def managed(model: BaseModel) -> dict[str, Any]:
    """The fields a model manages: those the file names, plus those with a non-null default."""
    result: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if name not in model.model_fields_set and info.default is None:
            continue
        if name not in model.model_fields_set and info.default_factory is not None:
            continue
        result[name] = managed(value) if isinstance(value, BaseModel) else _plain(value)
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return managed(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def desired_tags(ctx: Context, model: Any) -> dict[str, str | None]:
    """File-wide tags, the resource's own, the ownership tag, and the protection tag.

    Without `protect: true` the protection tag maps to None: a tag that must not be there,
    which `lifecycle` drops from the state apply leaves.
    """
    protect = "true" if getattr(model, "protect", None) else None
    return {**ctx.tags, **(model.tags or {}), STACK_TAG: ctx.stack, PROTECT_TAG: protect}


def _without_unset_tags(state: dict[str, Any]) -> dict[str, Any]:
    tags = state.get("tags")
    if isinstance(tags, dict) and None in tags.values():
        state = {**state, "tags": {k: v for k, v in tags.items() if v is not None}}
    return state


def located(loaded: LoadedConfig, *path: str) -> str:
    """`file:line:column: a.b.c`: where the key at `path` is written, and its path."""
    return f"{loaded.mark(*path)}: {'.'.join(shown(p) for p in path)}"


def read_named(
    loaded: LoadedConfig, relative: str, path: tuple[str, ...], limit: int, hint: str
) -> str:
    """The text of a file an entry names at `path` (a `*_file` key): inside the config's
    directory, regular, at most `limit` bytes (`hint` says that limit); it becomes one of
    the config's sources."""
    base = loaded.path.parent
    try:
        text = read_inside(base, relative, limit)
    except FileError as exc:
        large = f" ({hint})" if exc.why == "large" else ""
        dotted = ".".join(shown(p) for p in path)
        raise ConfigError(f"{loaded.value_mark(*path)}: {dotted}: {exc.message}{large}") from None
    loaded.sources.append(base / relative)
    return text


def move_to_file(entry: dict[str, Any], key: str, directory: Path, relative: Path) -> None:
    """Import: a multi-line `key` of an exported entry goes to `relative` (under the
    config's `directory`), and the entry names the file (`<key>_file`) in its place."""
    value = entry.get(key)
    if isinstance(value, str) and "\n" in value:
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(value, encoding="utf-8")
        entry[f"{key}_file"] = relative.as_posix()
        del entry[key]


# --- the diff ---------------------------------------------------------------------------------


def overlay(live: Any, desired: Any, atomic: frozenset[str] = frozenset()) -> Any:
    """The state apply leaves: `desired` laid over `live`; keys `desired` omits keep live values.

    Mappings merge key by key (read-modify-write), except top-level keys in `atomic`, which
    replace whole (authoritative tags, lists, JSON documents).
    """
    if not isinstance(desired, dict) or not isinstance(live, dict):
        return desired
    merged = dict(live)
    for key, value in desired.items():
        merged[key] = value if key in atomic else overlay(live.get(key), value)
    return merged


def field_changes(before: Any, after: Any, path: tuple[str, ...] = ()) -> list[FieldChange]:
    """Every leaf that differs between two normalised states; a missing key equals None."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[FieldChange] = []
        for key in sorted(set(before) | set(after)):
            changes.extend(field_changes(before.get(key), after.get(key), (*path, key)))
        return changes
    if _empty(before) and _empty(after):
        return []
    return [] if before == after else [FieldChange(path, before, after)]


def _empty(value: Any) -> bool:
    """Nothing, as SES may say it: absent, null, "", or a mapping of nothing (an option group
    whose members are all unset). A list is never empty here: [] can mean something."""
    if isinstance(value, dict):
        return all(_empty(v) for v in value.values())
    return value is None or value == ""


def update_or_nothing(
    kind: str, name: str, live: dict[str, Any], after: dict[str, Any], reason: str | None = None
) -> list[Change]:
    """An update when any field moves, otherwise nothing."""
    fields = field_changes(live, after)
    if not fields:
        return []
    return [Change("update", kind, name, before=live, after=after, fields=fields, reason=reason)]


def lifecycle(
    kind: str,
    name: str,
    want: dict[str, Any] | None,
    live: dict[str, Any] | None,
    ctx: Context,
    atomic: frozenset[str] = frozenset(),
) -> list[Change]:
    """The change every kind shares: create, delete, or an update that overlays the file.

    Keys in `atomic` replace their live value whole (collections the file lists: tags, topics).
    """
    if want is None:
        return [Change("delete", kind, name, before=live)] if live is not None else []
    if live is None:
        return [Change("create", kind, name, after=_without_unset_tags(want))]
    reason = ownership_reason(ctx, live.get("tags", {}), kind, name)
    after = _without_unset_tags(overlay(live, want, atomic))
    return update_or_nothing(kind, name, live, after, reason)


def authoritative(model: BaseModel | None, *keys: str) -> frozenset[str]:
    """The collections among `keys` that the file names: present (even as null, meaning
    none) means authoritative; absent means not managed."""
    return frozenset(k for k in keys if model is not None and k in model.model_fields_set)


def listed(model: BaseModel, key: str) -> Any:
    """A collection the file names (null: named as empty), or None when the file leaves it out."""
    if key not in model.model_fields_set:
        return None
    value = getattr(model, key)
    return {} if value is None else value


def read_or_none(client: Sesv2, operation: str, **params: Any) -> dict[str, Any] | None:
    """A Get… call whose NotFoundException means "does not exist"."""
    try:
        return client.call(operation, **params)
    except ApiError as exc:
        if exc.code == "NotFoundException":
            return None
        raise


def ownership_reason(ctx: Context, live_tags: dict[str, str], kind: str, name: str) -> str | None:
    """`adopt` for an untagged live resource; refuse another stack's unless taking over."""
    owner = live_tags.get(STACK_TAG)
    if owner is None:
        return f"adopt: tag {STACK_TAG}={ctx.stack}"
    if owner != ctx.stack:
        if not ctx.allow_takeover:
            raise SesctlError(
                f"{kind} {name} belongs to stack {owner!r}, not {ctx.stack!r}: "
                "rename it in the file or pass --allow-takeover"
            )
        return f"takeover from stack {owner}"
    return None


def create(client: Sesv2, operation: str, resource: tuple[str, str] | None, **params: Any) -> None:
    """A Create… call. When its answer was lost and botocore's retry met AlreadyExists, the
    resource (arn type, name) is this run's only if it carries the stack tag the call sent:
    another stack (or a hand) may have made it in between, and its settings must not be
    overwritten. A child (None: a destination of our set, a policy of our identity) is ours
    by its parent."""
    try:
        client.call(operation, **params)
    except ApiError as exc:
        if exc.code != "AlreadyExistsException" or not exc.retried:
            raise
        if resource is None:
            return
        arn = client.arn(*resource)
        sent = tags_from_api(params.get("Tags")).get(STACK_TAG)
        found = tags_from_api(client.call("ListTagsForResource", ResourceArn=arn)["Tags"])
        if found.get(STACK_TAG) != sent:
            owner = f"stack {found[STACK_TAG]!r}" if STACK_TAG in found else "someone else"
            raise SesctlError(
                f"{operation}: {arn.rsplit(':', 1)[-1]} already exists, made by {owner} while "
                "this apply's first attempt went unanswered; not taking it over (plan again)"
            ) from None


def apply_tags(client: Sesv2, arn: str, before: dict[str, str], after: dict[str, str]) -> None:
    """TagResource for added or changed tags, UntagResource for removed ones."""
    added = {k: v for k, v in after.items() if before.get(k) != v}
    removed = sorted(set(before) - set(after))
    if added:
        client.call("TagResource", ResourceArn=arn, Tags=tags_to_api(added))
    if removed:
        client.call("UntagResource", ResourceArn=arn, TagKeys=removed)


@dataclass(frozen=True)
class Calls:
    """A kind written by one Create, one Update and one Delete that name the resource by the
    same member, with tags given to Create and moved by TagResource after (templates, contact
    lists, custom verification email templates)."""

    create: str
    update: str
    delete: str
    name: str  # the member that names the resource: TemplateName, ContactListName

    def apply(
        self, client: Sesv2, change: Change, arn_type: str, members: dict[str, Any], moved: bool
    ) -> None:
        """Delete it; create it with `members` and its tags; or update `members` when they
        `moved`, then its tags."""
        named = {self.name: change.name}
        before, after = change.before or {}, change.after or {}
        if change.action == "delete":
            client.call(self.delete, **named)
        elif change.action == "create":
            tags = tags_to_api(after["tags"])
            create(client, self.create, (arn_type, change.name), **named, Tags=tags, **members)
        else:
            if moved:
                client.call(self.update, **named, **members)
            apply_tags(client, client.arn(arn_type, change.name), before["tags"], after["tags"])

"""Fetch live state and diff it against the file: the plan (apply.py applies it).

Fetching runs concurrently across operations (the client's rate limiter keeps each operation
inside its quota). Only what the diff needs is read: resources the file names that exist,
and resources this stack owns; everything else is only listed, and reported as unmanaged. A
kind read as a whole section (a `SectionKind`: the suppression list) is read alongside.
Nothing here names a kind: each declares what it is (resources/kind.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from . import ownership, verification
from .client import Sesv2
from .config import LoadedConfig
from .errors import SesctlError
from .limits import Limits
from .plan import STACK_TAG, Change, Plan, Unmanaged
from .references import Reference, references
from .resources import BY_KIND, KINDS, LISTED
from .resources.base import Context
from .resources.kind import Kind, ListedKind, SectionKind

FETCH_THREADS = 16


@dataclass
class Found:
    """What the fetch found for one kind: live names, their owners, the state of those read."""

    names: list[str]
    owners: dict[str, str | None] = field(default_factory=dict)
    state: dict[str, dict[str, Any] | None] = field(default_factory=dict)


def make_plan(loaded: LoadedConfig, client: Sesv2, allow_takeover: bool = False) -> Plan:
    """The plan that takes the live account to what the file describes."""
    config = loaded.model
    refs = references(loaded)
    ctx = Context(config.stack, dict(config.tags), allow_takeover)
    managed = [k for k in KINDS if loaded.section(k.section) is not None]
    collections = [k for k in managed if isinstance(k, SectionKind)]
    listed = [k for k in managed if isinstance(k, ListedKind)]
    needed = [name for r in refs if r.verified for name in r.candidates]
    with ThreadPoolExecutor(len(collections) + 1) as side:  # read alongside the rest
        sections = [side.submit(_section_changes, k, client, loaded) for k in collections]
        verified = side.submit(verification.verified, client, needed)
        live = fetch(client, loaded, listed)
        plan = Plan(config.stack, client.region, limits=Limits(**config.guards.model_dump()))
        ctx.verified = verified.result()
        for future in sections:
            plan.changes.extend(future.result())
    for kind in listed:
        desired = kind.entries(loaded)
        found = live[kind.kind]
        for name in sorted(set(desired) | set(found.state)):
            plan.changes.extend(kind.diff(name, desired.get(name), found.state.get(name), ctx))
        for name in sorted(set(found.names) - set(desired) - set(found.state)):
            plan.unmanaged.append(Unmanaged(kind.kind, name, found.owners.get(name)))
        count_existing(plan.existing, kind, found)
    plan.sort()
    _check_references(refs, loaded, client, live)
    problems = [p for k in managed for p in k.preconditions(client, plan.changes)]
    if problems:
        raise SesctlError("\n".join(problems))
    return plan


def _section_changes(kind: SectionKind, client: Sesv2, loaded: LoadedConfig) -> list[Change]:
    """A whole-section kind's changes: its live members read (lazily), then its pure diff."""
    section = loaded.section(kind.section)
    return kind.diff_section(section, kind.read_section(client, section))


def count_existing(existing: dict[str, int], kind: Kind, found: Found) -> None:
    """How many managed resources of the kind (and of its child kinds) exist: guards judge
    the share of them a plan deletes or updates."""
    states = [state for state in found.state.values() if state is not None]
    if states and not kind.singleton:
        existing[kind.kind] = len(states)
    for child in kind.children:
        if count := sum(len(state.get(child.key) or {}) for state in states):
            existing[child.kind] = count


def fetch(client: Sesv2, loaded: LoadedConfig, kinds: list[ListedKind]) -> dict[str, Found]:
    """List each kind, learn ownership, then read the resources the diff needs, concurrently."""
    stack = loaded.model.stack
    with ThreadPoolExecutor(FETCH_THREADS) as pool:
        taggable = any(k.arn_type for k in kinds)
        owners_future = pool.submit(ownership.fetch, client) if taggable else None
        listed = {k.kind: pool.submit(k.list_names, client) for k in kinds}
        owners = owners_future.result() if owners_future else None
        wanted: dict[ListedKind, list[str]] = {}
        result: dict[str, Found] = {}
        for kind in kinds:
            names = listed[kind.kind].result()
            desired = kind.entries(loaded)
            found = Found(names)
            wanted[kind] = []
            for name in names:
                owner = owners.owner(kind.arn_type, name) if owners and kind.arn_type else None
                found.owners[name] = owner
                if name in desired or owner == stack or owners is None:
                    wanted[kind].append(name)
            result[kind.kind] = found
        entries = {k.kind: k.entries(loaded) for k in kinds}
        reads = _submit_reads(pool, client, owners, wanted, entries)
        for (kind_name, name), future in reads.items():
            state = future.result()
            found = result[kind_name]
            if owners is None and state is not None:
                found.owners[name] = state.get("tags", {}).get(STACK_TAG)
            desired = BY_KIND[kind_name].entries(loaded)
            if name in desired or found.owners.get(name) == stack:
                found.state[name] = state
    return result


def _submit_reads(
    pool: ThreadPoolExecutor,
    client: Sesv2,
    owners: ownership.Ownership | None,
    wanted: dict[ListedKind, list[str]],
    entries: dict[str, dict[str, Any]],
) -> dict[tuple[str, str], Future[dict[str, Any] | None]]:
    """Read each wanted resource, with the tags ownership learnt and the file's entry; one
    kind after another in turn, so a slow kind does not hold back the others (each goes at
    its own pace)."""
    reads: dict[tuple[str, str], Future[dict[str, Any] | None]] = {}
    for kind, name in _round_robin([[(k, n) for n in names] for k, names in wanted.items()]):
        tags = owners.tags.get((kind.arn_type, name)) if owners and kind.arn_type else None
        entry = entries[kind.kind].get(name)
        reads[(kind.kind, name)] = pool.submit(kind.read_entry, client, name, tags, entry)
    return reads


def _round_robin(lists: list[list[Any]]) -> Iterator[Any]:
    """One item of each list in turn."""
    for row in zip_longest(*lists):
        yield from (item for item in row if item is not None)


def _check_references(
    refs: list[Reference], loaded: LoadedConfig, client: Sesv2, live: dict[str, Found]
) -> None:
    """References to resources that neither the file nor the account has: an error."""
    missing = []
    listed = {kind: found.names for kind, found in live.items()}
    for ref in refs:
        if ref.in_file(loaded):
            continue
        if ref.kind not in listed:  # a kind the file does not manage: listed once
            listed[ref.kind] = LISTED[ref.kind].list_names(client)
        if not any(name in listed[ref.kind] for name in ref.candidates):
            missing.append(
                f"{ref.sentence}, which exists neither in the file nor in the account{ref.why}"
            )
    if missing:
        raise SesctlError("\n".join(missing))

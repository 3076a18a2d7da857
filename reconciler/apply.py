"""Apply a plan: independent changes side by side, dependent ones in order.

A change waits for every change of the kinds it depends on (DEPENDS_ON): a configuration
set for the pools, an identity for the configuration sets, a policy for the identities.
Deletes run after every other change, and a delete waits for the deletes of the kinds that
depend on its own (identities are deleted before the sets they used). The client's
per-operation rate limiter keeps each operation inside its quota, so running changes side by
side overlaps operations that have quotas of their own, as DESIGN §6 allows.

On a failure, or Ctrl-C, no new change starts; the ones on the wire finish and are reported.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from .client import Sesv2
from .errors import SesctlError
from .plan import Change, Plan
from .resources import BY_KIND, CHILD_APPLY

WORKERS = 16
DEPENDS_ON: dict[str, frozenset[str]] = {
    "dedicated_ip": frozenset({"dedicated_ip_pool"}),
    "configuration_set": frozenset({"dedicated_ip_pool"}),
    "event_destination": frozenset({"configuration_set"}),
    "identity": frozenset({"configuration_set"}),
    "identity_policy": frozenset({"identity"}),
}
Step = tuple[bool, str]  # (a delete?, kind): the changes that wait for the same things


@dataclass
class ApplyResult:
    """What landed, what failed (the first failure stopped the run), and what never started."""

    applied: list[Change] = field(default_factory=list)
    failures: list[tuple[Change, SesctlError]] = field(default_factory=list)
    not_applied: list[Change] = field(default_factory=list)
    interrupted: bool = False

    @property
    def error(self) -> SesctlError | None:
        if self.failures:
            return self.failures[0][1]
        return SesctlError("interrupted") if self.interrupted else None


class _NotStarted(Exception):
    """A change still queued when the run stopped."""


def _step(change: Change) -> Step:
    return (change.action == "delete", change.kind)


def _waits_for(step: Step, steps: set[Step]) -> set[Step]:
    deleting, kind = step
    if not deleting:
        return {(False, k) for k in DEPENDS_ON.get(kind, ())} & steps
    dependents = {k for k, needs in DEPENDS_ON.items() if kind in needs}
    return {s for s in steps if not s[0] or s[1] in dependents}


def _ready(step: Step, steps: set[Step], left: dict[Step, int]) -> bool:
    return not any(left[other] for other in _waits_for(step, steps) - {step})


def apply_one(client: Sesv2, change: Change) -> None:
    if change.kind in CHILD_APPLY:
        CHILD_APPLY[change.kind](client, change)
    else:
        BY_KIND[change.kind].apply(client, change)


def apply_plan(
    plan: Plan,
    client: Sesv2,
    on_applied: Callable[[Change], None] = lambda c: None,
    on_start: Callable[[Change], None] = lambda c: None,
    workers: int = WORKERS,
) -> ApplyResult:
    """Apply the changes; `on_start` and `on_applied` bracket each one, so a run killed at
    any moment has said what it applied and which changes were on the wire."""
    result = ApplyResult()
    waiting: dict[Step, list[Change]] = {}
    for change in plan.changes:
        waiting.setdefault(_step(change), []).append(change)
    left = {step: len(changes) for step, changes in waiting.items()}
    steps = set(waiting)
    stop, say = threading.Event(), threading.Lock()

    def run(change: Change) -> None:
        if stop.is_set():
            raise _NotStarted
        with say:
            on_start(change)
        apply_one(client, change)

    running: dict[Future[None], Change] = {}
    with ThreadPoolExecutor(workers, thread_name_prefix="apply") as pool:
        while waiting or running:
            try:
                if not stop.is_set():
                    for step in [s for s in waiting if _ready(s, steps, left)]:
                        for change in waiting.pop(step):
                            running[pool.submit(run, change)] = change
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:
                stop.set()
                result.interrupted = True
                continue
            for future in done:
                change = running.pop(future)
                left[_step(change)] -= 1
                _settle(result, change, future, stop, say, on_applied)
    result.not_applied += [c for changes in waiting.values() for c in changes]
    return result


def _settle(
    result: ApplyResult,
    change: Change,
    future: Future[None],
    stop: threading.Event,
    say: threading.Lock,
    on_applied: Callable[[Change], None],
) -> None:
    error = future.exception()
    if error is None:
        result.applied.append(change)
        with say:
            on_applied(change)
    elif isinstance(error, _NotStarted):
        result.not_applied.append(change)
    else:
        stop.set()
        if not isinstance(error, SesctlError):
            error = SesctlError(f"internal error: {type(error).__name__}: {error}")
        result.failures.append((change, error))

"""Apply a plan: independent changes side by side, dependent ones in order.

A change waits for the changes of the resources it names — the same references validate,
plan and targets use (references.named): its parent's (a set's for its destinations, an
identity's for its policies), the pool a set sends from, the set an identity uses. A value
that only looks like a name (a tag equal to a set's name) names nothing. Deletes run after
every other change,
and a delete waits for the deletes of the kinds that depend on its own (identities are
deleted before the sets they used). The client's per-operation rate limiter keeps each
operation inside its quota, so running changes side by side overlaps operations that have
quotas of their own, as DESIGN §6 allows.

A change SES cannot take yet (every part it moves is held: see Change.held) is not run; it is
reported as waiting. A change with some parts held runs, and its kind's apply leaves those out.

On a failure, or Ctrl-C, no new change starts; the ones on the wire finish and are reported.
"""

from __future__ import annotations

import signal
import threading
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .client import Sesv2
from .errors import Interrupted, SesctlError
from .plan import Change, Plan
from .references import named
from .resources import BY_KIND, CHILDREN, DEPENDS_ON

WORKERS = 16


@dataclass
class Stopped:
    """A change that began and did not finish: why, and the writes that landed before."""

    change: Change
    error: SesctlError
    landed: list[str] = field(default_factory=list)


@dataclass
class ApplyResult:
    """What landed, what failed (the first failure stopped the run), what Ctrl-C cut short,
    and what never started."""

    applied: list[Change] = field(default_factory=list)
    failures: list[Stopped] = field(default_factory=list)
    cut_short: list[Stopped] = field(default_factory=list)  # by Ctrl-C, between two calls
    not_applied: list[Change] = field(default_factory=list)
    interrupted: bool = False
    # Changes with parts SES cannot take yet, left for a later run (those applied in part too).
    waiting: list[Change] = field(default_factory=list)

    @property
    def error(self) -> SesctlError | None:
        if self.failures:
            return self.failures[0].error
        return Interrupted("interrupted") if self.interrupted else None


class _NotStarted(Exception):
    """A change still queued when the run stopped."""


class _Stop(Exception):
    """A change that failed or was cut short, with the writes that landed before."""

    def __init__(self, error: SesctlError, landed: list[str]) -> None:
        super().__init__(error.message)
        self.error, self.landed = error, landed


def _prerequisites(changes: list[Change]) -> list[set[int]]:
    """For each change that is not a delete, the changes it waits for: those of the
    resources it names (its parent's, its set's, its pool's) that this plan also changes."""
    index = {(c.kind, c.name): i for i, c in enumerate(changes) if c.action != "delete"}
    return [
        {index[a] for a in named(c) if a in index} if c.action != "delete" else set()
        for c in changes
    ]


class _Schedule:
    """Which changes may start: one that is not a delete once the changes it waits for are
    done; a delete once every other change is, and the deletes of the kinds that depend on
    its own kind (an identity before the set it used)."""

    def __init__(self, changes: list[Change]) -> None:
        self.changes = changes
        needs = _prerequisites(changes)
        self.waiting_on = [len(n) for n in needs]
        self.dependents: dict[int, list[int]] = defaultdict(list)
        for i, wanted in enumerate(needs):
            for j in wanted:
                self.dependents[j].append(i)
        self.ready = [i for i, c in enumerate(changes) if c.action != "delete" and not needs[i]]
        self.others_left = sum(c.action != "delete" for c in changes)
        self.deletes: dict[str, list[int]] = defaultdict(list)
        for i, change in enumerate(changes):
            if change.action == "delete":
                self.deletes[change.kind].append(i)
        self.deletes_left = Counter({kind: len(found) for kind, found in self.deletes.items()})
        self.taken: set[int] = set()

    def take(self) -> list[int]:
        """The changes that may start now; each is given once."""
        out, self.ready = self.ready, []
        if self.others_left == 0:
            for kind in list(self.deletes):
                dependents = {k for k, needs in DEPENDS_ON.items() if kind in needs}
                if not any(self.deletes_left[k] for k in dependents):
                    out += self.deletes.pop(kind)
        self.taken.update(out)
        return out

    def done(self, i: int) -> None:
        change = self.changes[i]
        if change.action == "delete":
            self.deletes_left[change.kind] -= 1
            return
        self.others_left -= 1
        for j in self.dependents[i]:
            self.waiting_on[j] -= 1
            if self.waiting_on[j] == 0:
                self.ready.append(j)

    def never_taken(self) -> list[Change]:
        return [c for i, c in enumerate(self.changes) if i not in self.taken]


def apply_one(client: Sesv2, change: Change) -> None:
    if change.kind in CHILDREN:
        CHILDREN[change.kind][1].apply(client, change)
    else:
        BY_KIND[change.kind].apply(client, change)


def apply_plan(
    plan: Plan,
    client: Sesv2,
    on_applied: Callable[[Change], None] = lambda c: None,
    on_start: Callable[[Change], None] = lambda c: None,
    workers: int = WORKERS,
    on_interrupt: Callable[[], None] = lambda: None,
) -> ApplyResult:
    """Apply the changes; `on_start` and `on_applied` bracket each one, so a run killed at
    any moment has said what it applied and which changes were on the wire."""
    result = ApplyResult(waiting=plan.waiting)
    schedule = _Schedule(plan.changes)
    stop, say = threading.Event(), threading.Lock()

    def run(change: Change) -> list[str]:
        if stop.is_set():
            raise _NotStarted
        if change.waiting:
            return []
        with say:
            on_start(change)
        with client.landing() as landed:
            try:
                apply_one(client, change)
            except SesctlError as exc:
                raise _Stop(exc, list(landed)) from None
        return landed

    def interrupt() -> None:
        """Ctrl-C: no change and no call starts now; those on the wire land and are told."""
        stop.set()
        client.stopped.set()
        result.interrupted = True
        on_interrupt()

    running: dict[Future[list[str]], int] = {}
    queues = _Queues()
    with _on_ctrl_c(interrupt), ThreadPoolExecutor(workers, thread_name_prefix="apply") as pool:
        while running or not stop.is_set():
            try:
                if not stop.is_set():
                    queues.add(plan.changes, schedule.take())
                    while len(running) < workers and (i := queues.next()) is not None:
                        running[pool.submit(run, plan.changes[i])] = i
                if not running:
                    break
                for future in wait(running, return_when=FIRST_COMPLETED)[0]:
                    _settle(result, plan.changes[running[future]], future, stop, say, on_applied)
                    schedule.done(running.pop(future))
            except KeyboardInterrupt:  # no handler could be installed (not the main thread)
                interrupt()
    result.not_applied += [plan.changes[i] for i in queues.left()] + schedule.never_taken()
    return result


@contextmanager
def _on_ctrl_c(interrupt: Callable[[], None]) -> Iterator[None]:
    """While applying, Ctrl-C (SIGINT) calls `interrupt` instead of raising KeyboardInterrupt
    at whatever line runs, where it could cut the report short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum: int, frame: Any) -> None:
        interrupt()

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Queues:
    """Ready changes by kind, handed to free workers one kind after another.

    A worker waits in the rate limiter until its operation's next slot, so first come,
    first served would let one slow kind (500 identities at 20 calls/s) hold every worker
    while the others, each with a quota of its own, sit idle.
    """

    def __init__(self) -> None:
        self.by_kind: dict[str, deque[int]] = {}

    def add(self, changes: list[Change], ready: list[int]) -> None:
        for i in ready:
            self.by_kind.setdefault(changes[i].kind, deque()).append(i)

    def next(self) -> int | None:
        for kind in list(self.by_kind):
            queue = self.by_kind.pop(kind)  # to the back of the rotation
            if queue:
                self.by_kind[kind] = queue
                return queue.popleft()
        return None

    def left(self) -> list[int]:
        return [i for queue in self.by_kind.values() for i in queue]


def _settle(
    result: ApplyResult,
    change: Change,
    future: Future[list[str]],
    stop: threading.Event,
    say: threading.Lock,
    on_applied: Callable[[Change], None],
) -> None:
    error = future.exception()
    if error is None and change.waiting:
        return
    if error is None:
        result.applied.append(change)
        with say:
            on_applied(change)
    elif isinstance(error, _NotStarted):
        result.not_applied.append(change)
    elif isinstance(error, _Stop) and isinstance(error.error, Interrupted):
        if error.landed:
            result.cut_short.append(Stopped(change, error.error, error.landed))
        else:
            result.not_applied.append(change)
    else:
        stop.set()
        if isinstance(error, _Stop):
            result.failures.append(Stopped(change, error.error, error.landed))
        else:
            failure = SesctlError(f"internal error: {type(error).__name__}: {error}")
            result.failures.append(Stopped(change, failure))

"""The apply scheduler: dependencies in order, the rest side by side, a failure stops starts,
Ctrl-C starts nothing new and reports each change call by call. No sleeps: the stand-in
changes wait for each other through a condition, so the order under test is forced."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from reconciler import apply
from reconciler.errors import ApiError, Interrupted
from reconciler.plan import Change, Plan

PATIENCE = 10.0  # seconds a stand-in waits for what the test forces before it gives up


class Client:
    """What apply needs of Sesv2: the stop flag, and the writes that land per change."""

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self.local = threading.local()

    @contextmanager
    def landing(self) -> Iterator[list[str]]:
        self.local.landed = []
        yield self.local.landed

    def call(self, operation: str) -> None:
        if self.stopped.is_set():
            raise Interrupted(f"interrupted before {operation}")
        self.local.landed.append(operation)


class Changes:
    """Stands in for the resource modules: records each start and end, and lets a change
    wait until others have started (the only way to prove they ran side by side)."""

    def __init__(self, waits: dict[str, set[str]] | None = None, failing: str = "") -> None:
        self.events: list[tuple[str, str]] = []
        self.waits = waits or {}
        self.failing = failing
        self.changed = threading.Condition()
        self.timed_out: list[str] = []

    def __call__(self, client: Client, change: Change) -> None:
        address = change.address
        with self.changed:
            self.events.append(("start", address))
            self.changed.notify_all()
            others = self.waits.get(address, set())
            if not self.changed.wait_for(lambda: others <= self.started(), PATIENCE):
                self.timed_out.append(address)
        if address == self.failing:
            raise ApiError("refused", "AccessDeniedException")
        with self.changed:
            self.events.append(("end", address))

    def started(self) -> set[str]:
        return {address for kind, address in self.events if kind == "start"}

    def when(self, kind: str, address: str) -> int:
        return self.events.index((kind, address))


def run(
    monkeypatch: pytest.MonkeyPatch, changes: list[Change], stand_in: Any, client: Client
) -> apply.ApplyResult:
    monkeypatch.setattr(apply, "apply_one", stand_in)
    return apply.apply_plan(Plan("s", "us-east-1", changes), client=client)  # type: ignore[arg-type]


def test_dependents_wait_and_independent_kinds_run_side_by_side(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    changes = [
        Change("create", "configuration_set", "cs"),
        Change("create", "event_destination", "cs/d"),
        Change("create", "identity", "a.example.com", after={"configuration_set_name": "cs"}),
        Change("create", "identity", "b.example.com", after={"tags": {"team": "x"}}),
        Change("create", "template", "t"),
        Change("delete", "configuration_set", "old"),
        Change("delete", "identity", "old.example.com"),
    ]
    # The set finishes only once the template and b.example.com started: they name no set.
    seen = Changes(waits={"configuration_set cs": {"template t", "identity b.example.com"}})
    result = run(monkeypatch, changes, seen, Client())
    assert result.error is None and len(result.applied) == 7 and seen.timed_out == []
    assert seen.when("end", "configuration_set cs") < seen.when("start", "identity a.example.com")
    assert seen.when("end", "configuration_set cs") < seen.when("start", "event_destination cs/d")
    last_other = max(seen.when("end", c.address) for c in changes[:5])
    assert last_other < seen.when("start", "identity old.example.com")
    assert seen.when("end", "identity old.example.com") < seen.when(
        "start", "configuration_set old"
    )


def test_a_failure_stops_what_has_not_started_and_lets_the_rest_finish(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    changes = [
        Change("create", "configuration_set", "cs"),
        Change("create", "template", "t"),
        Change("create", "identity", "a.example.com", after={"configuration_set_name": "cs"}),
    ]
    seen = Changes(waits={"configuration_set cs": {"template t"}}, failing="configuration_set cs")
    result = run(monkeypatch, changes, seen, Client())
    assert [c.address for c in result.applied] == ["template t"]
    assert [(s.change.address, s.error.code) for s in result.failures] == [  # type: ignore[attr-defined]
        ("configuration_set cs", "AccessDeniedException")
    ]
    assert [c.address for c in result.not_applied] == ["identity a.example.com"]


def test_a_failure_reports_the_calls_that_landed_before_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def create_then_fail(client: Client, change: Change) -> None:
        client.call("CreateEmailIdentity")
        client.call("PutEmailIdentityDkimAttributes")
        raise ApiError("PutEmailIdentityMailFromAttributes failed", "BadRequestException")

    result = run(
        monkeypatch, [Change("create", "identity", "a.example.com")], create_then_fail, Client()
    )
    (stopped,) = result.failures
    assert stopped.landed == ["CreateEmailIdentity", "PutEmailIdentityDkimAttributes"]


def test_ctrl_c_starts_no_change_and_no_call_and_says_what_landed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, interrupted = Client(), threading.Event()

    def two_calls_with_ctrl_c_between(client: Client, change: Change) -> None:
        client.call("CreateEmailTemplate")
        if change.name == "t0":
            os.kill(os.getpid(), signal.SIGINT)  # the handler runs in the main thread
            assert client.stopped.wait(PATIENCE)
            interrupted.set()
        elif not interrupted.wait(PATIENCE):
            return
        client.call("TagResource")

    changes = [Change("create", "template", f"t{i}") for i in range(40)]
    result = run(monkeypatch, changes, two_calls_with_ctrl_c_between, client)
    assert result.interrupted and isinstance(result.error, Interrupted)
    assert result.error.exit_code == 130
    assert result.applied == []  # each change on the wire was stopped before its second call
    assert {s.change.name for s in result.cut_short} >= {"t0"}
    assert all(s.landed == ["CreateEmailTemplate"] for s in result.cut_short)
    assert len(result.cut_short) <= apply.WORKERS
    assert len(result.cut_short) + len(result.not_applied) == 40
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_a_change_that_waits_whole_runs_nothing_and_is_reported_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    why = {"from_email_address": "waiting for identity example.com to be verified"}
    waiting = Change("create", "template", "t", after={}, held=why, waits=True)
    seen = Changes()
    result = run(monkeypatch, [waiting, Change("create", "template", "u")], seen, Client())
    assert seen.started() == {"template u"}
    assert [c.address for c in result.applied] == ["template u"]
    assert result.waiting == [waiting] and result.error is None

"""The apply scheduler: dependencies in order, the rest side by side, a failure stops starts."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from reconciler import apply
from reconciler.errors import ApiError
from reconciler.plan import Change, Plan


class Recorder:
    """Stands in for the resource modules: records when each change starts and ends."""

    def __init__(self, failing: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.events: list[tuple[str, str]] = []
        self.failing = failing
        self.lock = threading.Lock()

    def __call__(self, client: Any, change: Change) -> None:
        with self.lock:
            self.events.append(("start", change.address))
        time.sleep(0.02)
        if change.address in self.failing:
            raise ApiError("refused", "AccessDeniedException")
        with self.lock:
            self.events.append(("end", change.address))

    def when(self, kind: str, address: str) -> int:
        return self.events.index((kind, address))


def run(monkeypatch: pytest.MonkeyPatch, changes: list[Change], **kw: Any) -> tuple[Any, Recorder]:
    recorder = Recorder(**kw)
    monkeypatch.setattr(apply, "apply_one", recorder)
    return apply.apply_plan(Plan("s", "us-east-1", changes), client=None), recorder  # type: ignore[arg-type]


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
    result, seen = run(monkeypatch, changes)
    assert result.error is None and len(result.applied) == 7
    assert seen.when("end", "configuration_set cs") < seen.when("start", "identity a.example.com")
    assert seen.when("end", "configuration_set cs") < seen.when("start", "event_destination cs/d")
    for independent in ("template t", "identity b.example.com"):  # names no set: no wait
        assert seen.when("start", independent) < seen.when("end", "configuration_set cs")
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
    result, _ = run(monkeypatch, changes, failing={"configuration_set cs"})
    assert [c.address for c in result.applied] == ["template t"]
    assert [(c.address, e.code) for c, e in result.failures] == [
        ("configuration_set cs", "AccessDeniedException")
    ]
    assert [c.address for c in result.not_applied] == ["identity a.example.com"]


def test_ctrl_c_lets_the_calls_on_the_wire_land_and_starts_nothing_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_wait, interrupted = apply.wait, []

    def wait_then_ctrl_c(*args: Any, **kwargs: Any) -> Any:
        if not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        return real_wait(*args, **kwargs)

    monkeypatch.setattr(apply, "wait", wait_then_ctrl_c)
    changes = [Change("create", "template", f"t{i}") for i in range(40)]
    result, seen = run(monkeypatch, changes)
    assert result.interrupted and result.error is not None
    assert result.error.message == "interrupted"
    started = {address for kind, address in seen.events if kind == "start"}
    assert {c.address for c in result.applied} == started  # what began, landed
    assert len(result.applied) <= apply.WORKERS
    assert len(result.applied) + len(result.not_applied) == 40

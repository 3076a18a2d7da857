"""The flows against the emulator without the CLI: a targeted plan, a saved plan applied."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from reconciler import workflow
from reconciler.client import ClientSettings, RateLimits, Sesv2
from reconciler.errors import SesctlError
from reconciler.observe import Recorder
from reconciler.plan import Change

from .conftest import Env

CONFIG = (
    "version: 1\n"
    "stack: s\n"
    "configuration_sets:\n"
    "  a: {}\n"
    "  b: {}\n"
    "identities:\n"
    "  example.com: {configuration_set_name: a}\n"
)


@contextmanager
def connected(env: Env) -> Iterator[Sesv2]:
    settings = ClientSettings(endpoint_url=env.url, max_attempts=2)
    unlimited = RateLimits(default=None, per_operation={})
    with workflow.connect(settings, Recorder(), local=False, limits=unlimited) as client:
        yield client


def addresses(changes: list[Change]) -> list[str]:
    return [change.address for change in changes]


def test_targeted_plan_keeps_the_target_and_what_it_depends_on(env: Env) -> None:
    loaded = workflow.load_checked(Path(env.write(CONFIG)))
    with connected(env) as client:
        the_plan = workflow.targeted_plan(loaded, client, False, ["identity/example.com"])
        whole = workflow.targeted_plan(loaded, client, False, [])
    assert addresses(the_plan.changes) == ["configuration_set a", "identity example.com"]
    assert len(whole.changes) == 3


def test_a_saved_plan_applies_while_it_holds_and_is_stale_once_the_account_moves(
    env: Env,
) -> None:
    loaded = workflow.load_checked(Path(env.write(CONFIG)))
    out = env.tmp / "plan.json"
    with connected(env) as client:
        workflow.planned(loaded, client, False, ["configuration_set/b"], workflow.Allowed(), out)
    saved = workflow.saved_plan(out)
    assert saved is not None and saved.targets == ["configuration_set/b"]
    assert workflow.saved_plan(env.tmp / "sesctl.yaml") is None

    again = workflow.saved_config(saved)
    with connected(env) as client:
        fresh = workflow.fresh_saved(saved, again, client, allow_takeover=False)
        started: list[Change] = []
        landed: list[Change] = []
        result = workflow.apply(fresh, client, started.append, landed.append, lambda: None)
    assert addresses(started) == addresses(landed) == addresses(result.applied)
    assert addresses(result.applied) == ["configuration_set b"]
    assert result.error is None

    with connected(env) as client, pytest.raises(SesctlError, match="stale plan"):
        workflow.fresh_saved(saved, again, client, allow_takeover=False)

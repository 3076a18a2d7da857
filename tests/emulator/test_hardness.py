"""The emulator's hardness: per-operation throttling, latency, faults, and fast seeding."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError

from reconciler.emulator import Emulator, Hardness
from reconciler.emulator.hardness import FAULTS
from tests.e2e.conftest import Env


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    emulator = Emulator(port=0).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def world(server: Emulator, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Env:
    env = Env(server.url, tmp_path, monkeypatch)
    env.control("POST", "/_sesctl/reset")
    return env


def ses(env: Env) -> Any:
    """A client that neither retries nor slows down: every answer is the emulator's own."""
    return boto3.client(
        "sesv2",
        endpoint_url=env.url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def outcome(call: Any) -> str:
    try:
        call()
    except ClientError as exc:
        return exc.response["Error"]["Code"]
    except ConnectionClosedError:
        return "cut"
    return "ok"


def test_calls_past_the_rate_of_an_operation_are_throttled_with_429(world: Env) -> None:
    world.control("POST", "/_sesctl/hardness", {"control_plane_rate": 5})
    client = ses(world)
    seen = Counter(outcome(client.list_configuration_sets) for _ in range(8))
    assert seen == {"ok": 5, "TooManyRequestsException": 3}
    assert outcome(client.list_email_templates) == "ok"  # another operation, its own quota


def test_template_reads_have_their_own_rate(world: Env) -> None:
    world.control("POST", "/_sesctl/hardness", {"control_plane_rate": 1, "template_read_rate": 6})
    client = ses(world)
    client.create_email_template(TemplateName="t", TemplateContent={"Subject": "s", "Text": "x"})
    reads = Counter(outcome(lambda: client.get_email_template(TemplateName="t")) for _ in range(8))
    assert reads == {"ok": 6, "TooManyRequestsException": 2}


def test_faults_fail_calls_before_or_after_they_take_effect(world: Env) -> None:
    world.control("POST", "/_sesctl/hardness", {"faults": 1.0, "seed": 11})
    client = ses(world)
    seen = Counter(
        outcome(
            lambda i=i: client.create_email_template(
                TemplateName=f"t{i}", TemplateContent={"Subject": "s", "Text": "x"}
            )
        )
        for i in range(30)
    )
    assert set(seen) == {"InternalServiceErrorException", "ThrottlingException", "cut"}
    world.control("POST", "/_sesctl/hardness", {})
    created = len(client.list_email_templates(PageSize=100)["TemplatesMetadata"])
    assert 0 < created < seen["cut"]  # some cuts came after the call took effect


def test_faults_are_seeded_and_split_four_ways() -> None:
    first = Hardness(faults=0.5, seed=4)
    second = Hardness(faults=0.5, seed=4)
    run = [first.fault() for _ in range(800)]
    assert run == [second.fault() for _ in range(800)]
    counts = Counter(run)
    assert 340 < counts[None] < 460
    assert all(60 < counts[kind] < 140 for kind in FAULTS)


def test_latency_delays_every_call(world: Env) -> None:
    world.control("POST", "/_sesctl/hardness", {"latency_ms": 150})
    started = time.monotonic()
    ses(world).list_email_identities()
    assert time.monotonic() - started >= 0.15
    assert world.control("GET", "/_sesctl/hardness")["latency_ms"] == 150


def test_seeding_fills_the_account_without_calls_rate_or_faults(world: Env) -> None:
    world.control("POST", "/_sesctl/hardness", {"control_plane_rate": 1, "faults": 1.0})
    calls = [
        {"operation": "CreateEmailIdentity", "params": {"EmailIdentity": f"d{i}.example.com"}}
        for i in range(500)
    ]
    assert world.control("POST", "/_sesctl/seed", {"calls": calls}) == {"ran": 500}
    assert world.calls() == {}
    world.control("POST", "/_sesctl/reset")
    assert world.control("GET", "/_sesctl/hardness")["faults"] == 0

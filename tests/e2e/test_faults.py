"""Under throttling and faults, plans are the same, applies converge, and a kill -9 at any
point leaves output that names what was applied and an account a re-run converges."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from typing import Any

from click.testing import CliRunner, Result

from reconciler.apply import WORKERS
from reconciler.cli import cli

from .conftest import Env
from .test_bulk import bulk, csv_file, messages
from .test_bulk import setup as bulk_setup

HARD = {"control_plane_rate": 20, "template_read_rate": 100, "faults": 0.05, "seed": 5}


def config(sets: int, identities: int, templates: int, subject: str = "Hi") -> str:
    lines = ["version: 1", "stack: s", "region: us-east-1", "configuration_sets:"]
    for i in range(sets):
        lines += [
            f"  cs{i}:",
            "    delivery_options: {tls_policy: REQUIRE}",
            "    event_destinations:",
            "      d: {matching_event_types: [BOUNCE], sns_destination: "
            "{topic_arn: 'arn:aws:sns:us-east-1:1:t'}}",
        ]
    lines.append("identities:")
    lines += [f"  i{i}.example.com: {{configuration_set_name: cs0}}" for i in range(identities)]
    lines.append("templates:")
    lines += [f"  t{i}: {{subject: '{subject} {i}', text: x}}" for i in range(templates)]
    return "\n".join(lines) + "\n"


def sesctl(env: Env, *args: str) -> Result:
    """The CLI pacing at twice the emulator's rate, so throttling happens, with room to retry."""
    full = [*args, "--endpoint-url", env.url, "--api-rate", "40", "--max-attempts", "10"]
    return CliRunner().invoke(cli, full, catch_exceptions=False)


def changes(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["changes"]


def test_plan_and_apply_under_throttling_and_faults(env: Env) -> None:
    first = env.sesctl("apply", env.write(config(3, 24, 24)), "--auto-approve", "--force")
    assert first.exit_code == 0, first.output
    target = env.write(config(4, 26, 20, subject="Hello"), "target.yaml")
    calm = changes(env.sesctl("plan", target, "--format", "json"))

    env.control("POST", "/_sesctl/hardness", HARD)
    env.reset_calls()
    hard = changes(sesctl(env, "plan", target, "--format", "json"))
    assert hard == calm
    seen = env.control("GET", "/_sesctl/calls")
    assert sum(seen["throttled"].values()) > 0 and sum(seen["faulted"].values()) > 0, seen

    applied = sesctl(env, "apply", target, "--auto-approve", "--force")
    assert applied.exit_code == 0, applied.output
    assert sesctl(env, "plan", target, "--detailed-exitcode").exit_code == 0
    env.control("POST", "/_sesctl/hardness", {})
    ses = env.ses()
    sets = ses.list_configuration_sets()["ConfigurationSets"]
    assert sorted(sets) == [f"cs{i}" for i in range(4)]
    for name in sets:
        destinations = ses.get_configuration_set_event_destinations(ConfigurationSetName=name)
        assert [d["Name"] for d in destinations["EventDestinations"]] == ["d"]
    identities = ses.list_email_identities(PageSize=1000)["EmailIdentities"]
    assert len(identities) == 26
    assert env.sesctl("plan", target, "--detailed-exitcode").exit_code == 0


def lines_until_killed(env: Env, path: str, kill_after: int) -> list[str]:
    """Run apply in its own process and kill -9 it once `kill_after` changes have started."""
    command = [
        sys.executable, "-m", "reconciler", "apply", path, "--auto-approve",
        "--endpoint-url", env.url, "--api-rate", "unlimited",
    ]  # fmt: skip
    environ = {**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}
    process = subprocess.Popen(
        command, env=environ, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    lines, started = [], 0
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        started += line.rstrip().endswith(" …")
        if started >= kill_after:
            process.send_signal(signal.SIGKILL)
            break
    lines += process.stdout.read().splitlines()  # what reached the pipe before the kill
    process.wait(timeout=30)
    return lines


def addresses(lines: list[str], word: str) -> set[str]:
    """`identity x` for each `  + <word> identity x[ …]` line."""
    found = set()
    for line in lines:
        parts = line.strip().removesuffix(" …").split(" ", 2)
        if len(parts) == 3 and parts[1] == word:
            found.add(parts[2])
    return found


def test_kill_9_at_twenty_points_each_rerun_converges(env: Env) -> None:
    path = env.write(config(3, 4, 4))
    planned = changes(env.sesctl("plan", path, "--format", "json"))
    everything = {f"{c['kind']} {c['name']}" for c in planned}
    points = random.Random(20261123).sample(range(1, len(planned) + 1), k=min(20, len(planned)))
    points += random.Random(7).choices(range(1, len(planned) + 1), k=20 - len(points))
    for kill_after in points:
        env.control("POST", "/_sesctl/reset")
        env.control("POST", "/_sesctl/hardness", {"latency_ms": 15})
        lines = lines_until_killed(env, path, kill_after)
        env.control("POST", "/_sesctl/hardness", {})
        applied = addresses(lines, "created")
        started = addresses(lines, "creating")
        in_flight = started - applied
        assert len(in_flight) <= WORKERS and applied <= started, lines
        left = {
            f"{c['kind']} {c['name']}"
            for c in changes(env.sesctl("plan", path, "-q", "--format", "json"))
        }
        assert not applied & left, (kill_after, lines)  # said applied: it was
        assert everything - started <= left, (kill_after, lines)  # never started: not applied
        rerun = env.sesctl("apply", path, "--auto-approve")
        assert rerun.exit_code == 0, rerun.output
        assert env.sesctl("plan", path, "--detailed-exitcode").exit_code == 0


def results(env: Env, name: str) -> dict[str, str]:
    lines = (env.tmp / name).read_text().splitlines()
    return {record["email"]: record["status"] for record in map(json.loads, lines)}


def test_bulk_sending_under_faults_sends_nobody_twice_and_loses_nobody(env: Env) -> None:
    bulk_setup(env)
    path = csv_file(env, 1000)
    env.control("POST", "/_sesctl/hardness", {**HARD, "seed": 9})
    first = bulk(env, path, "--rate", "2000", "--journal", "j.jsonl", "--results", "r1.jsonl")
    assert first.exit_code in (0, 1), first.output
    assert sum(env.control("GET", "/_sesctl/calls")["faulted"].values()) > 0

    said = results(env, "r1.jsonl")
    delivered = Counter(m["to"][0] for m in messages(env))
    assert max(delivered.values()) == 1
    assert len(said) == 1000  # every recipient accounted for
    sent = {email for email, status in said.items() if status == "sent"}
    unknown = {email for email, status in said.items() if status == "unknown"}
    assert sent <= set(delivered)
    assert set(delivered) - sent <= unknown  # delivered unannounced: only lost answers

    second = bulk(env, path, "--rate", "2000", "--journal", "j.jsonl", "--results", "r2.jsonl")
    again = results(env, "r2.jsonl")
    delivered = Counter(m["to"][0] for m in messages(env))
    assert max(delivered.values()) == 1, second.output
    assert {e for e, s in again.items() if s == "skipped"} == sent
    assert {e for e, s in again.items() if s == "unknown"} == unknown  # never resent blindly
    assert {e for e, s in again.items() if s == "sent"} <= set(delivered)

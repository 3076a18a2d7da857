"""--log-format json: one event per API call and per change, emails masked, secrets never;
--verbose: a summary of the run; the JSON plan carries the same summary."""

from __future__ import annotations

import json

from click.testing import CliRunner

from reconciler.cli import cli

from .conftest import Env

HEAD = "version: 1\nstack: s\nregion: us-east-1\n"
CONFIG = HEAD + (
    "identities: {alerts@example.net: {}, example.com: {}}\n"
    "templates: {t: {subject: 'code ${env:SESCTL_CANARY}', text: x}}\n"
)
CANARY = "canary-0b5e-log-events"


def events(stderr: str) -> list[dict]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_every_api_call_and_change_is_an_event_with_emails_masked(env: Env) -> None:
    env.monkeypatch.setenv("SESCTL_CANARY", CANARY)
    config = env.write(CONFIG)
    env.reset_calls()
    result = env.sesctl("apply", config, "--auto-approve", "--log-format", "json")
    assert result.exit_code == 0, result.output
    logged = events(result.stderr)
    calls = [e for e in logged if e["event"] == "api_call"]
    assert len(calls) == sum(env.calls().values())  # every call the emulator saw, once
    sample = next(e for e in calls if e["operation"] == "CreateEmailTemplate")
    assert sample["attempts"] == 1 and sample["http_status"] == 200
    assert sample["request_id"] and sample["duration_ms"] >= 0
    changes = {
        (e["action"], e["kind"], e["name"], e["outcome"]) for e in logged if e["event"] == "change"
    }
    assert ("create", "identity", "al***@example.net", "applied") in changes
    assert ("create", "template", "t", "applied") in changes
    assert "alerts@example.net" not in result.stderr
    assert CANARY not in result.stderr + result.stdout


def test_verbose_ends_with_a_summary_and_the_json_plan_carries_it(env: Env) -> None:
    config = env.write(HEAD + "templates: {t: {subject: s, text: x}}\n")
    result = env.sesctl("plan", config, "--format", "json", "--verbose")
    run = json.loads(result.stdout)["metadata"]["run"]
    assert run["calls"]["ListEmailTemplates"] == 1 and run["retries"] == 0
    assert f"API calls: {run['api_calls']} (" in result.stderr
    assert "Retries: 0, throttled: 0, wall time: " in result.stderr


def test_throttles_and_retries_are_counted(env: Env) -> None:
    env.control("POST", "/_sesctl/hardness", {"control_plane_rate": 5})
    config = env.write(
        HEAD + "templates:\n" + "".join(f"  t{i}: {{subject: s, text: x}}\n" for i in range(12))
    )
    result = CliRunner().invoke(
        cli,
        ["apply", config, "--auto-approve", "--verbose", "--endpoint-url", env.url,
         "--api-rate", "unlimited", "--max-attempts", "10"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = [line for line in result.stderr.splitlines() if line.startswith("Retries: ")]
    retries, throttled = (int(x.split(": ")[1]) for x in summary[0].split(", ")[:2])
    assert throttled > 0 and retries >= throttled

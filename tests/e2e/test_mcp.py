"""`sesctl mcp` end to end: the MCP SDK's own client drives the server over stdio (a child
process running the real CLI) against the emulator."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests.keys import byodkim_key

from .conftest import Env

CONFIG = """\
# The team's file: comments stay where they are when an agent edits it.
version: 1
stack: agents
region: us-east-1
account:
  vdm_attributes: {vdm_enabled: ENABLED}   # stats read VDM
configuration_sets:
  campaigns:
    event_destinations: {}
identities:
  example.com: {}        # the sending domain
templates:
  welcome:
    subject: "Welcome, {{name}}!"
    text: "Hi {{name}}."
    test_data: {name: Ada}
"""
SIMULATOR = "@simulator.amazonses.com"
Scenario = Callable[[ClientSession], Awaitable[Any]]


def serve(
    env: Env, *flags: str, scenario: Scenario, environ: dict[str, str] | None = None
) -> tuple[Any, list[dict[str, Any]]]:
    """Run `sesctl mcp FLAGS` as a child process, play the scenario through the SDK's
    client; its result, and the JSON events the server logged on stderr."""
    log = env.tmp / "mcp.log"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "reconciler", "mcp", *flags, "--endpoint-url", env.url,
              "--api-rate", "unlimited"],
        env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
             **(environ or {})},
        cwd=str(env.tmp),
    )  # fmt: skip

    async def main() -> Any:
        with log.open("w") as errlog:
            async with (
                stdio_client(params, errlog=errlog) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                return await scenario(session)

    result = anyio.run(main)
    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return result, events


async def call(session: ClientSession, tool: str, **arguments: Any) -> tuple[bool, Any]:
    """(is_error, structured result or the error text) of one tool call."""
    result = await session.call_tool(tool, arguments)
    if result.is_error:
        return True, " ".join(getattr(c, "text", "") for c in result.content)
    return False, result.structured_content


@pytest.fixture
def world(env: Env) -> Path:
    config = Path(env.write(CONFIG))
    assert env.sesctl("apply", str(config), "--auto-approve").exit_code == 0
    env.control("POST", "/_sesctl/verify", {"identities": ["example.com"]})
    env.control("POST", "/_sesctl/send-quota", {"max_send_rate": 1000})
    return config


def messages(env: Env) -> list[dict[str, Any]]:
    return env.control("GET", "/_sesctl/messages")["messages"]


def test_the_tools_are_listed_with_their_schemas(env: Env, world: Path) -> None:
    async def scenario(session: ClientSession) -> Any:
        return (await session.list_tools()).tools

    tools, _ = serve(env, scenario=scenario)
    by_name = {t.name: t for t in tools}
    assert set(by_name) == {
        "send_bulk_email",
        "manage_email_templates",
        "configure_email_events",
        "get_email_analytics",
        "plan",
        "validate",
        "doctor",
        "get_send_quota",
    }
    send = by_name["send_bulk_email"].input_schema
    assert set(send["required"]) == {"templateName", "destinations"}
    assert "replacementData" in json.dumps(send)
    assert all(t.output_schema for t in tools)


def test_sending_needs_allow_send_and_keeps_to_the_cap(env: Env, world: Path) -> None:
    destinations = [{"to": f"success+{i}{SIMULATOR}", "replacementData": {"name": f"N{i}"}}
                    for i in range(3)]  # fmt: skip

    async def refused(session: ClientSession) -> Any:
        return await call(session, "send_bulk_email", templateName="welcome",
                          destinations=destinations,
                          fromEmailAddress="news@example.com")  # fmt: skip

    (error, text), events = serve(env, scenario=refused)
    assert error and "--allow-send" in text
    assert messages(env) == []
    assert events[-1]["tool"] == "send_bulk_email" and events[-1]["outcome"] == "refused"
    assert "success+0@" not in json.dumps(events)  # addresses are masked in the log

    (error, text), _ = serve(env, "--allow-send", "--max-recipients", "2", scenario=refused)
    assert error and "at most 2" in text
    assert messages(env) == []

    (error, result), events = serve(env, "--allow-send", scenario=refused)
    assert not error, result
    assert result["sent"] == 3
    sent = messages(env)
    assert sorted(m["to"][0] for m in sent) == sorted(d["to"] for d in destinations)
    assert {m["subject"] for m in sent} == {"Welcome, N0!", "Welcome, N1!", "Welcome, N2!"}
    assert {r["messageId"] for r in result["recipients"]} == {m["message_id"] for m in sent}
    assert events[-1]["outcome"] == "ok"


def test_a_dry_run_renders_against_the_live_template_and_sends_nothing(
    env: Env, world: Path
) -> None:
    async def scenario(session: ClientSession) -> Any:
        return await call(session, "send_bulk_email", templateName="welcome", dryRun=True,
                          fromEmailAddress="news@example.com",
                          destinations=[{"to": "a@example.net", "replacementData": {"name": "A"}},
                                        {"to": "b@example.net"}])  # fmt: skip

    (error, result), _ = serve(env, scenario=scenario)
    assert not error, result
    assert [(r["to"], r["status"], r["subject"]) for r in result["recipients"]] == [
        ("a@example.net", "would send", "Welcome, A!"),
        ("b@example.net", "cannot render", None),
    ]
    assert messages(env) == []


def test_a_malformed_call_is_a_tool_error_and_the_server_keeps_serving(
    env: Env, world: Path
) -> None:
    async def scenario(session: ClientSession) -> Any:
        bad = await call(session, "send_bulk_email", templateName=5)
        unknown = await call(session, "manage_email_templates", action="get",
                             templateName="nope")  # fmt: skip
        quota = await call(session, "get_send_quota")
        return bad, unknown, quota

    (bad, unknown, quota), _ = serve(env, scenario=scenario)
    assert bad[0] and "destinations" in bad[1]
    assert unknown[0] and "nope" in unknown[1]
    assert not quota[0] and quota[1]["maxSendRate"] == 1000


def test_a_template_created_through_the_file_is_planned_then_applied(env: Env, world: Path) -> None:
    async def create(session: ClientSession) -> Any:
        return await call(session, "manage_email_templates", action="create",
                          templateName="receipt", subject="Your receipt, {{name}}",
                          htmlContent="<p>Thanks, {{name}}</p>",
                          defaultValues={"name": "Ada"})  # fmt: skip

    (error, result), _ = serve(env, "--config", str(world), scenario=create)
    assert not error, result
    plan = result["result"]["plan"]
    assert [(c["action"], c["kind"], c["name"]) for c in plan["summary"]] == [
        ("create", "template", "receipt")
    ]
    assert result["result"]["applied"] is False
    text = world.read_text()
    assert "# The team's file: comments stay" in text and "# the sending domain" in text
    assert "receipt" in text

    async def update(session: ClientSession) -> Any:
        return await call(session, "manage_email_templates", action="update",
                          templateName="receipt", subject="Receipt for {{name}}")  # fmt: skip

    (error, result), _ = serve(env, "--config", str(world), "--allow-apply", scenario=update)
    assert not error, result
    assert result["result"]["applied"] is True
    assert result["result"]["planAfterApply"] == 0
    live = env.ses().get_email_template(TemplateName="receipt")["TemplateContent"]
    assert live["Subject"] == "Receipt for {{name}}"
    assert env.sesctl("plan", str(world), "--detailed-exitcode").exit_code == 0


def test_writing_without_a_config_is_refused(env: Env, world: Path) -> None:
    async def scenario(session: ClientSession) -> Any:
        return await call(session, "manage_email_templates", action="delete",
                          templateName="welcome")  # fmt: skip

    (error, text), _ = serve(env, scenario=scenario)
    assert error and "--config" in text
    assert env.ses().get_email_template(TemplateName="welcome")


def test_an_event_destination_is_configured_through_the_file(env: Env, world: Path) -> None:
    async def scenario(session: ClientSession) -> Any:
        return await call(session, "configure_email_events", configurationSetName="campaigns",
                          eventDestination={
                              "name": "bounces", "enabled": True,
                              "eventTypes": ["BOUNCE", "COMPLAINT"],
                              "destination": {"type": "sns", "config": {
                                  "topicArn": "arn:aws:sns:us-east-1:123456789012:bounces"}},
                          })  # fmt: skip

    (error, result), _ = serve(env, "--config", str(world), "--allow-apply", scenario=scenario)
    assert not error, result
    assert result["applied"] is True and result["planAfterApply"] == 0
    live = env.ses().get_configuration_set_event_destinations(ConfigurationSetName="campaigns")
    (destination,) = live["EventDestinations"]
    assert destination["Name"] == "bounces"
    assert sorted(destination["MatchingEventTypes"]) == ["BOUNCE", "COMPLAINT"]
    assert env.sesctl("plan", str(world), "--detailed-exitcode").exit_code == 0


def test_analytics_return_what_the_emulator_counted(env: Env, world: Path) -> None:
    env.control("POST", "/_sesctl/mailboxes", {"addresses": ["gone@example.net"],
                                                "outcome": "bounce"})  # fmt: skip
    for to in ("a@example.net", "b@example.net", "gone@example.net"):
        env.ses().send_email(
            FromEmailAddress="news@example.com",
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}},
        )

    async def scenario(session: ClientSession) -> Any:
        return await call(session, "get_email_analytics", metrics=["sends", "hard_bounces",
                                                                    "bounce_rate"])  # fmt: skip

    (error, document), _ = serve(env, scenario=scenario)
    assert not error, document
    (total,) = document["totals"]
    assert total == {"group": "account", "sends": 3, "hard_bounces": 1, "bounce_rate": 1 / 3}


def test_the_config_and_the_last_plan_are_resources(env: Env, world: Path) -> None:
    async def scenario(session: ClientSession) -> Any:
        listed = {str(r.uri) for r in (await session.list_resources()).resources}
        await call(session, "plan")
        config = (await session.read_resource("sesctl://config")).contents[0]
        last = (await session.read_resource("sesctl://plan/last")).contents[0]
        return listed, getattr(config, "text", ""), json.loads(getattr(last, "text", "{}"))

    (listed, config, last), _ = serve(env, "--config", str(world), scenario=scenario)
    assert listed == {"sesctl://config", "sesctl://plan/last"}
    assert config == world.read_text()
    assert last["format_version"] == 1 and last["changes"] == []


def test_the_read_only_tools_answer_as_the_commands_do(env: Env, world: Path) -> None:
    async def scenario(session: ClientSession) -> Any:
        return [await call(session, tool) for tool in ("validate", "plan", "doctor")]

    (validated, planned, doctor), _ = serve(env, "--config", str(world), scenario=scenario)
    assert validated == (False, {"valid": True, "summary": validated[1]["summary"],
                                 "problems": []})  # fmt: skip
    assert "templates 1" in validated[1]["summary"]
    assert not planned[0] and planned[1]["changes"] == 0
    assert "No changes" in planned[1]["text"]
    checks = {c["what"]: c["verdict"] for c in doctor[1]["result"]}
    assert checks["endpoint"] == "ok" and checks["identity example.com"] == "ok"


def test_a_secret_reaches_no_tool_result_and_no_log_line(env: Env, world: Path) -> None:
    canary = byodkim_key()
    byod = (
        "  byod.example.org:\n"
        "    dkim_signing_attributes:\n"
        "      domain_signing_selector: s1\n"
        "      domain_signing_private_key: ${env:SESCTL_CANARY}\n"
    )
    notice = '  notice: {subject: Notice, text: "${env:SESCTL_TEXT}"}\n'
    text = world.read_text().replace("identities:\n", "identities:\n" + byod)
    world.write_text(text.replace("templates:\n", "templates:\n" + notice))
    words = "canary-words-that-must-stay-hidden"

    async def scenario(session: ClientSession) -> Any:
        results = [await call(session, "plan")]
        results.append(await call(session, "manage_email_templates", action="update",
                                  templateName="welcome", subject="Hello {{name}}"))  # fmt: skip
        last = (await session.read_resource("sesctl://plan/last")).contents[0]
        return results, getattr(last, "text", "")

    (results, last), events = serve(
        env, "--config", str(world), "--allow-apply", scenario=scenario,
        environ={"SESCTL_CANARY": canary, "SESCTL_TEXT": words},
    )  # fmt: skip
    assert not results[0][0] and results[0][1]["changes"] == 2  # the identity, the template
    assert "(sensitive)" in results[0][1]["text"]
    everything = json.dumps(results) + last + (env.tmp / "mcp.log").read_text()
    for secret in (canary, canary[:40], words):
        assert secret not in everything
    assert [e["outcome"] for e in events] == ["ok", "ok"]


def test_streamable_http_serves_the_same_tools_on_loopback(env: Env, world: Path) -> None:
    from mcp.client.streamable_http import streamable_http_client

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    child = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "mcp", "--http", str(port),
         "--endpoint-url", env.url],
        env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stderr is not None
        ready = child.stderr.readline()  # the server says where it listens, then listens
        assert f"http://127.0.0.1:{port}/mcp" in ready

        async def main() -> Any:
            async with (
                streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                return await call(session, "get_send_quota")

        for _ in range(100):  # the line comes just before the socket opens: wait for it
            with socket.socket() as knock:
                if knock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        error, quota = anyio.run(main)
        assert not error and quota["maxSendRate"] == 1000
    finally:
        child.terminate()
        child.wait(timeout=10)


def test_list_and_get_read_the_live_account(env: Env, world: Path) -> None:
    async def scenario(session: ClientSession) -> Any:
        listed = await call(session, "manage_email_templates", action="list")
        got = await call(session, "manage_email_templates", action="get", templateName="welcome")
        return listed, got

    (listed, got), _ = serve(env, scenario=scenario)
    assert listed == (False, {"action": "list", "templates": ["welcome"], "template": None,
                              "result": None})  # fmt: skip
    assert got[1]["template"] == {
        "templateName": "welcome",
        "subject": "Welcome, {{name}}!",
        "htmlContent": None,
        "textContent": "Hi {{name}}.",
    }

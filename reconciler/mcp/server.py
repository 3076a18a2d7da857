"""The MCP server: sesctl's tools, resources and a prompt on the official MCP SDK (MCPServer),
over stdio or streamable HTTP on loopback.

Every tool call is logged on stderr as one JSON event (tool, arguments with addresses masked,
outcome), through the same recorder as `--log-format json`, which also scrubs secret values.
A refused or failed call is a tool error with one plain message; the server keeps serving.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from ..errors import SesctlError
from ..observe import Recorder
from . import models
from .tools import Tools

F = TypeVar("F", bound=Callable[..., Any])
INTERNAL = "the tool failed unexpectedly; the server's log (stderr) has the details"


def build(tools: Tools, recorder: Recorder) -> MCPServer:
    """A server whose tools are `tools`' methods, each logged and guarded."""
    settings = tools.settings
    server: MCPServer = MCPServer("sesctl", instructions=_instructions(tools))
    logged = _logger(recorder)

    @server.tool(description="The account's sending quota and whether it can send.")
    @logged
    def get_send_quota() -> models.Quota:
        return tools.get_send_quota()

    @server.tool(description="Check the configuration file offline, as `sesctl validate`.")
    @logged
    def validate() -> models.Validation:
        return tools.validate()

    @server.tool(description="What apply would change in SES to match the configuration file.")
    @logged
    def plan() -> models.PlanSummary:
        return tools.plan()

    @server.tool(description="Can the account send mail? One verdict per check.")
    @logged
    def doctor() -> list[models.Check]:
        return tools.doctor()

    @server.tool(
        description="Sending statistics as SES counts them (sesctl stats): sends, deliveries, "
        "bounces, complaints, opens, clicks and their rates, per day or hour, for the account "
        "or by a message tag (groupBy messageTag with tags: [NAME])."
    )
    @logged
    def get_email_analytics(
        startDate: Annotated[
            str | None, Field(description="ISO date (UTC); default 7 days ago.")
        ] = None,
        endDate: Annotated[str | None, Field(description="ISO date (UTC); default now.")] = None,
        metrics: Annotated[
            list[str] | None, Field(description="Figures to keep (sends, bounce_rate…).")
        ] = None,
        groupBy: Literal["day", "hour", "messageTag"] = "day",
        tags: Annotated[list[str] | None, Field(description="The message tag to group by.")] = None,
    ) -> dict[str, Any]:
        return tools.get_email_analytics(startDate, endDate, metrics, groupBy, tags)

    @server.tool(
        description="Send a template to up to --max-recipients destinations through sesctl's "
        "bulk sender (rate-exact; every message checked against the live template first). "
        "Needs a server started with --allow-send unless dryRun."
    )
    @logged
    def send_bulk_email(
        templateName: str,
        destinations: list[models.Destination],
        configurationSet: str | None = None,
        defaultReplacementData: dict[str, Any] | None = None,
        replyTo: list[str] | None = None,
        tags: dict[str, str] | None = None,
        fromEmailAddress: Annotated[
            str | None, Field(description="The sender; default the server's --from.")
        ] = None,
        dryRun: Annotated[
            bool, Field(description="Render each message against the live template; send nothing.")
        ] = False,
    ) -> models.SendResult:
        return tools.send_bulk_email(
            templateName, destinations, configurationSet, defaultReplacementData or {},
            replyTo or [], tags or {}, fromEmailAddress, dryRun,
        )  # fmt: skip

    @server.tool(
        description="list and get read SES; create, update and delete edit the configuration "
        "file (--config) and return the plan, applied only when the server runs with "
        "--allow-apply."
    )
    @logged
    def manage_email_templates(
        action: Literal["list", "get", "create", "update", "delete"],
        templateName: str | None = None,
        subject: str | None = None,
        htmlContent: str | None = None,
        textContent: str | None = None,
        defaultValues: Annotated[
            dict[str, Any] | None, Field(description="Sample data for validate.")
        ] = None,
    ) -> models.TemplateResult:
        return tools.manage_email_templates(
            action, templateName, subject, htmlContent, textContent, defaultValues
        )

    @server.tool(
        description="Add or replace an event destination of a configuration set in the "
        "configuration file (--config) and return the plan, applied only with --allow-apply."
    )
    @logged
    def configure_email_events(
        configurationSetName: str, eventDestination: models.EventDestination
    ) -> models.EditResult:
        return tools.configure_email_events(configurationSetName, eventDestination)

    if settings.config is not None:
        config = settings.config

        @server.resource(
            "sesctl://config",
            name="configuration",
            description="The team's sesctl configuration file.",
            mime_type="application/yaml",
        )
        def configuration() -> str:
            return config.read_text(encoding="utf-8")

    @server.resource(
        "sesctl://plan/last",
        name="last plan",
        description="The last plan a tool made, as `sesctl plan --format json`.",
        mime_type="application/json",
    )
    def last_plan() -> str:
        return json.dumps(tools.last_plan or {"note": "no plan made yet"}, indent=2)

    @server.prompt(description="Review the plan of the configuration file before applying it.")
    def review_plan() -> str:
        return (
            "Call the `plan` tool. Summarise each change (create, update, delete) in one line, "
            "flag deletions and anything touching identities or sending, and say whether it is "
            "safe to apply. Do not apply anything yourself."
        )

    return server


def _instructions(tools: Tools) -> str:
    """What this server lets an agent do, as the operator started it."""
    settings = tools.settings
    allowed = [
        "read the account (quota, templates, statistics, doctor)",
        f"send up to {settings.max_recipients} recipients a call"
        if settings.allow_send
        else "render messages (dryRun) but not send",
    ]
    if settings.config is None:
        allowed.append("not edit configuration (no --config)")
    elif settings.allow_apply:
        allowed.append("edit the configuration file and apply the resource it edited")
    else:
        allowed.append("edit the configuration file and return its plan, never apply it")
    return "sesctl manages Amazon SES. This server may: " + "; ".join(allowed) + "."


def _logger(recorder: Recorder) -> Callable[[F], F]:
    """Wrap a tool: log its call as a JSON event; turn failures into tool errors."""

    def wrap(function: F) -> F:
        @functools.wraps(function)
        def logged(*args: Any, **kwargs: Any) -> Any:
            arguments = {k: _plain(v) for k, v in kwargs.items()}
            try:
                result = function(*args, **kwargs)
            except SesctlError as exc:
                _event(recorder, function.__name__, arguments, "refused", exc.message)
                raise ToolError(exc.message) from None
            except Exception as exc:
                _event(recorder, function.__name__, arguments, "failed", type(exc).__name__)
                raise ToolError(INTERNAL) from exc
            _event(recorder, function.__name__, arguments, "ok", None)
            return result

        return logged  # type: ignore[return-value]

    return wrap


def _event(
    recorder: Recorder, tool: str, arguments: dict[str, Any], outcome: str, error: str | None
) -> None:
    recorder.emit(
        event="tool_call",
        tool=tool,
        arguments=arguments,
        outcome=outcome,
        **({"error": error} if error else {}),
    )


def _plain(value: Any) -> Any:
    """An argument as JSON data (pydantic models dumped), for the log."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    dump = getattr(value, "model_dump", None)
    return dump() if callable(dump) else value

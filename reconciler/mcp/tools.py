"""What each MCP tool does, over sesctl's own engines: send-bulk's sender (pacing, checks
before any call, per-recipient results), the plan and apply of the team's YAML file, stats and
doctor. The server (server.py) registers these, logs every call and turns errors into tool
errors; nothing here knows the protocol.

Safety: sending needs `--allow-send` (a dry run does not) and at most `--max-recipients` a
call; writing actions need `--config` and change only the file (and template files beside
it) unless `--allow-apply`, and then apply only the resource they edited.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .. import render, workflow
from ..client import Sesv2
from ..errors import SesctlError
from ..plan import Change, Plan
from ..resources.base import from_api
from . import models

DESTINATION_KEYS = {
    "cloudwatch": "cloud_watch_destination",
    "sns": "sns_destination",
    "kinesis": "kinesis_firehose_destination",
    "eventbridge": "event_bridge_destination",
    "pinpoint": "pinpoint_destination",
}


@dataclass
class Settings:
    """What the server's operator allowed, and where the team's file is."""

    config: Path | None = None
    allow_send: bool = False
    allow_apply: bool = False
    max_recipients: int = 50
    sender: str | None = None
    local: bool = False  # the embedded emulator (--local): doctor names no credentials


@dataclass
class Tools:
    """The tools of one server: its settings, its client, and the last plan it made."""

    settings: Settings
    client: Sesv2
    last_plan: dict[str, Any] | None = field(default=None)

    # --- read-only -----------------------------------------------------------------------

    def get_send_quota(self) -> models.Quota:
        account = self.client.call("GetAccount")
        quota = account.get("SendQuota") or {}
        limit = quota.get("Max24HourSend")
        return models.Quota(
            max24HourSend=None if limit is None or limit < 0 else float(limit),
            maxSendRate=float(quota.get("MaxSendRate") or 0),
            sentLast24Hours=float(quota.get("SentLast24Hours") or 0),
            sendingEnabled=bool(account.get("SendingEnabled", True)),
            productionAccessEnabled=bool(account.get("ProductionAccessEnabled")),
        )

    def validate(self) -> models.Validation:
        from ..validate import summary

        loaded = workflow.load(self._config())
        found = workflow.problems(loaded)
        if found:
            return models.Validation(valid=False, problems=found)
        return models.Validation(valid=True, summary=summary(loaded) or "nothing managed")

    def plan(self) -> models.PlanSummary:
        loaded = workflow.load_checked(self._config())
        reviewed = workflow.planned(loaded, self.client, False, [], workflow.Allowed())
        return self._summary(reviewed.plan, reviewed.refusal)

    def doctor(self) -> list[models.Check]:
        loaded = workflow.load(self.settings.config) if self.settings.config else None
        return [
            models.Check(verdict=c.verdict, what=c.what, detail=c.detail)
            for c in workflow.doctor(loaded, self.client, local=self.settings.local)
        ]

    def get_email_analytics(
        self,
        startDate: str | None,
        endDate: str | None,
        metrics: list[str] | None,
        groupBy: str,
        tags: list[str] | None,
    ) -> dict[str, Any]:
        from ..stats import collect
        from ..stats.output import as_json
        from ..stats.window import parse_by, parse_window

        per = "hour" if groupBy == "hour" else "day"
        if groupBy == "messageTag" and not tags:
            raise SesctlError("groupBy messageTag needs tags: the message tag to group by")
        by = f"tag:{tags[0]}" if tags else "account"
        start = startDate or (datetime.now(UTC) - timedelta(days=7)).date().isoformat()
        window = parse_window(None, start, endDate, per, datetime.now(UTC))
        report = collect(self.client, window, parse_by(by, per), [], _ignore)
        document: dict[str, Any] = json.loads(as_json(report))
        if metrics:
            keep = {"group", "start", *metrics}
            for key in ("rows", "totals"):
                document[key] = [{k: v for k, v in r.items() if k in keep} for r in document[key]]
        return document

    # --- sending -------------------------------------------------------------------------

    def send_bulk_email(
        self,
        templateName: str,
        destinations: list[models.Destination],
        configurationSet: str | None,
        defaultReplacementData: dict[str, Any],
        replyTo: list[str],
        tags: dict[str, str],
        fromEmailAddress: str | None,
        dryRun: bool,
    ) -> models.SendResult:
        limit = self.settings.max_recipients
        if len(destinations) > limit:
            raise SesctlError(
                f"{len(destinations)} destinations: this server sends to at most {limit} a call "
                "(--max-recipients)"
            )
        if not destinations:
            raise SesctlError("no destinations")
        if not dryRun and not self.settings.allow_send:
            raise SesctlError(
                "sending is not allowed: the server was started without --allow-send "
                "(dryRun: true renders the messages without sending)"
            )
        sender = fromEmailAddress or self.settings.sender
        if not sender:
            raise SesctlError("no sender: give fromEmailAddress, or start the server with --from")
        from ..send import check_address

        check_address(sender, "fromEmailAddress")
        for address in replyTo:
            check_address(address, "replyTo")
        with _recipients_file(destinations, tags) as path:
            if dryRun:
                return _dry_run(self.client, path, templateName, defaultReplacementData)
            return _send(
                self.client, path, templateName, sender, configurationSet,
                defaultReplacementData, tuple(replyTo),
            )  # fmt: skip

    # --- writing the team's file ---------------------------------------------------------

    def manage_email_templates(
        self,
        action: str,
        templateName: str | None,
        subject: str | None,
        htmlContent: str | None,
        textContent: str | None,
        defaultValues: dict[str, Any] | None,
    ) -> models.TemplateResult:
        if action == "list":
            names = [
                t["TemplateName"]
                for t in self.client.pages("ListEmailTemplates", "TemplatesMetadata")
            ]
            return models.TemplateResult(action=action, templates=names)
        if not templateName:
            raise SesctlError(f"{action} needs templateName")
        if action == "get":
            answer = self.client.call("GetEmailTemplate", TemplateName=templateName)
            content = answer.get("TemplateContent") or {}
            template = models.TemplateContent(
                templateName=templateName,
                subject=content.get("Subject"),
                htmlContent=content.get("Html"),
                textContent=content.get("Text"),
            )
            return models.TemplateResult(action=action, template=template)
        config = self._writable()
        from .. import edits

        if action == "delete":
            done = edits.delete_template(config, templateName)
        else:
            exists = templateName in (workflow.load(config).model.templates or {})
            if action == "create" and exists:
                raise SesctlError(f"template {templateName} is already in {config}: use update")
            if action == "update" and not exists:
                raise SesctlError(f"template {templateName} is not in {config}: use create")
            done = edits.set_template(
                config, templateName, subject, htmlContent, textContent, defaultValues
            )
        result = self._after_edit(done, f"template/{templateName}")
        return models.TemplateResult(action=action, result=result)

    def configure_email_events(
        self, configurationSetName: str, eventDestination: models.EventDestination
    ) -> models.EditResult:
        config = self._writable()
        from .. import edits

        destination = eventDestination.destination
        definition = {
            "enabled": eventDestination.enabled,
            "matching_event_types": [t.upper() for t in eventDestination.eventTypes],
            DESTINATION_KEYS[destination.type]: from_api(destination.config),
        }
        done = edits.set_event_destination(
            config, configurationSetName, eventDestination.name, definition
        )
        return self._after_edit(done, f"configuration_set/{configurationSetName}")

    # --- shared --------------------------------------------------------------------------

    def _config(self) -> Path:
        if self.settings.config is None:
            raise SesctlError("this server has no configuration file: start it with --config")
        return self.settings.config

    def _writable(self) -> Path:
        """The file writing actions edit; without one they are refused."""
        if self.settings.config is None:
            raise SesctlError(
                "writing actions edit the team's configuration file: start the server with "
                "--config FILE"
            )
        return self.settings.config

    def _after_edit(self, edit: str, target: str) -> models.EditResult:
        """The plan of what was edited; applied, and planned again, with --allow-apply."""
        loaded = workflow.load_checked(self._config())
        reviewed = workflow.planned(loaded, self.client, False, [target], workflow.Allowed())
        summary = self._summary(reviewed.plan, reviewed.refusal)
        if not self.settings.allow_apply or not reviewed.plan.has_changes:
            note = None if not reviewed.plan.has_changes else (
                "The file changed; SES did not (the server runs without --allow-apply): "
                "review the plan and apply it through your usual pipeline."
            )  # fmt: skip
            return models.EditResult(edit=edit, plan=summary, applied=False, note=note)
        if reviewed.refusal is not None:
            raise SesctlError(reviewed.refusal.message)
        result = workflow.apply(reviewed.plan, self.client, _nothing, _nothing, _ignore_stop)
        if result.failures:
            raise SesctlError("; ".join(f.error.message for f in result.failures))
        after = workflow.planned(loaded, self.client, False, [target], workflow.Allowed())
        return models.EditResult(
            edit=edit,
            plan=summary,
            applied=True,
            appliedChanges=[_change(c) for c in result.applied],
            planAfterApply=len(after.plan.changes),
        )

    def _summary(self, plan: Plan, refusal: SesctlError | None) -> models.PlanSummary:
        self.last_plan = json.loads(render.as_json(plan))
        return models.PlanSummary(
            changes=len(plan.changes),
            summary=[_change(c) for c in plan.changes],
            text=render.text(plan),
            refused=None if refusal is None else refusal.message,
        )


def _change(change: Change) -> models.ChangeSummary:
    return models.ChangeSummary(action=change.action, kind=change.kind, name=change.name)


def _ignore(_: str) -> None:
    """Warnings have nowhere to go in a tool call: the result says what matters."""


def _nothing(_: Change) -> None:
    """Apply's per-change callbacks: the result lists what landed."""


def _ignore_stop() -> None:
    """Apply's Ctrl-C callback: a tool call is not interrupted that way."""


@contextmanager
def _recipients_file(
    destinations: list[models.Destination], tags: dict[str, str]
) -> Iterator[Path]:
    """The destinations as a send-bulk JSONL recipients file, in a private directory that
    goes when the call ends (its results file with it)."""
    with tempfile.TemporaryDirectory(prefix="sesctl-mcp-") as folder:
        path = Path(folder) / "recipients.jsonl"
        lines = (
            json.dumps({"to": d.to, "data": d.replacementData, "tags": tags}) for d in destinations
        )
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        yield path


def _dry_run(
    client: Sesv2, path: Path, template: str, default: dict[str, Any]
) -> models.SendResult:
    """Each destination rendered against the live template; nothing sent."""
    from .. import bulk
    from ..variants import Split

    recipients = [
        models.Recipient(to=row.to, status="cannot render", error=problem)
        if problem
        else models.Recipient(to=row.to, status="would send", subject=subject)
        for row, _, subject, problem in bulk.dry_run(client, path, Split.of([template]), default)
    ]
    return models.SendResult(dryRun=True, sent=0, failed=0, unknown=0, recipients=recipients)


def _send(
    client: Sesv2,
    path: Path,
    template: str,
    sender: str,
    configuration_set: str | None,
    default: dict[str, Any],
    reply_to: tuple[str, ...],
) -> models.SendResult:
    """send-bulk's engine on the destinations: every row checked against the live template
    and the quota before any call, then paced batches; each recipient's outcome."""
    from .. import bulk
    from ..cli.bulk_checks import check_quota
    from ..journal import Journal
    from ..recipients import rows
    from ..variants import Split

    split = Split.of([template])
    quota = client.call("GetAccount").get("SendQuota", {})
    screen = bulk.Screen(path, Journal(), split, bulk.live_templates(client, split), default, False)
    survey = screen.survey(rows(path))
    if survey.unrenderable:
        raise SesctlError("nothing sent: " + "; ".join(survey.problems))
    check_quota(quota, survey.recipients, False)
    rate = float(quota.get("MaxSendRate") or 1)
    options = bulk.Options(sender, split, default, configuration_set, rate, rate, reply_to)
    results_path = path.with_name("results.jsonl")
    results = bulk.Results(results_path, split)
    try:
        tally = bulk.run(client.single_attempt(), path, options, screen, results, _quiet)
    finally:
        results.close()
    recipients = [_recipient(json.loads(line)) for line in _lines(results_path)]
    if tally.stopped is not None and not recipients:
        raise SesctlError(f"sending stopped: {tally.stopped}")
    return models.SendResult(
        dryRun=False,
        sent=tally.sent,
        failed=tally.failed,
        unknown=tally.unknown,
        recipients=recipients,
    )


def _recipient(record: dict[str, Any]) -> models.Recipient:
    return models.Recipient(
        to=record["email"],
        status=record["status"],
        messageId=record.get("message_id"),
        error=record.get("error"),
    )


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as handle:
        yield from (line for line in handle if line.strip())


def _quiet(_: Any) -> None:
    """send-bulk's progress callback: a tool call reports once, at the end."""

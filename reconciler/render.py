"""Plan → text (for terminals), json (for machines), markdown (for pull-request comments)."""

from __future__ import annotations

import difflib
import html
import json
from dataclasses import replace
from typing import Any

import click

from .guards import Verdict, judge
from .plan import Change, FieldChange, Plan, strings
from .secrets import SECRETS, SENSITIVE

SYMBOL = {"create": "+", "update": "~", "delete": "-", "replace": "±"}
COLOUR = {"create": "green", "update": "yellow", "delete": "red", "replace": "magenta"}
MARKDOWN_LIMIT = 60_000


def masked(plan: Plan) -> Plan:
    """A copy of the plan with every secret value shown as `(sensitive)`.

    Where the file's value is secret, the live value at the same place is masked too: it may
    be the previous secret.
    """
    changes = []
    for c in plan.changes:
        after = SECRETS.mask(c.after)
        before = _mask_like(SECRETS.mask(c.before), after)
        fields = [
            FieldChange(
                f.path,
                SENSITIVE if _secret(f.after) else SECRETS.mask(f.before),
                SECRETS.mask(f.after),
            )
            for f in c.fields
        ]
        reason = SECRETS.scrub(c.reason) if c.reason else None
        held = {k: SECRETS.scrub(v) for k, v in c.held.items()}
        changes.append(
            replace(c, before=before, after=after, fields=fields, reason=reason, held=held)
        )
    warnings = [SECRETS.scrub(w) for w in plan.warnings]
    return replace(plan, changes=changes, warnings=warnings)


def _secret(value: Any) -> bool:
    return SECRETS.mask(value) != value


def _mask_like(before: Any, after: Any) -> Any:
    """The live value, masked wherever the file's value at the same place is secret (it may be
    the previous secret): key by key, item by item, or whole when lists do not line up."""
    if isinstance(before, dict) and isinstance(after, dict):
        return {k: _mask_like(v, after.get(k)) for k, v in before.items()}
    if isinstance(before, list) and isinstance(after, list):
        if len(before) == len(after):
            return [_mask_like(b, a) for b, a in zip(before, after, strict=True)]
        return _everywhere(before) if SENSITIVE in strings(after) else before
    return SENSITIVE if after == SENSITIVE and before is not None else before


def _everywhere(value: Any) -> Any:
    """Every string of a value masked."""
    if isinstance(value, dict):
        return {k: _everywhere(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_everywhere(v) for v in value]
    return SENSITIVE if isinstance(value, str) else value


def value(v: Any) -> str:
    """A compact, unambiguous rendering of one value."""
    return json.dumps(v, ensure_ascii=False, sort_keys=True)


def leaves(state: dict[str, Any] | None, path: tuple[str, ...] = ()) -> list[FieldChange]:
    """Every leaf of a state, as if it were created from nothing."""
    out: list[FieldChange] = []
    for key, item in sorted((state or {}).items()):
        if isinstance(item, dict) and item and key != "tags":
            out.extend(leaves(item, (*path, key)))
        elif item is not None and item != {}:
            out.append(FieldChange((*path, key), None, item))
    return out


def _multiline(v: Any) -> bool:
    return isinstance(v, str) and ("\n" in v or len(v) > 100)


def field_lines(change: Change) -> list[str]:
    """The lines under a change's header: one per field, or a line diff for long text."""
    fields = change.fields if change.action in ("update", "replace") else []
    if change.action == "create":
        fields = leaves(change.after)
    lines: list[str] = []
    for f in fields:
        if _multiline(f.before) or _multiline(f.after):
            lines.append(f"{f.dotted}:")
            diff = difflib.unified_diff(
                (f.before or "").splitlines(), (f.after or "").splitlines(), lineterm="", n=1
            )
            lines.extend(f"  {line}" for line in list(diff)[2:])
        elif change.action == "create":
            lines.append(f"{f.dotted}: {value(f.after)}")
        else:
            lines.append(f"{f.dotted}: {value(f.before)} → {value(f.after)}")
    return lines


def summary_line(plan: Plan) -> str:
    counts = plan.counts()
    parts = [f"{counts['create']} to create", f"{counts['update']} to update"]
    parts += [f"{counts['delete']} to delete", f"{counts['replace']} to replace"]
    line = "Plan: " + ", ".join(parts) + "."
    if waiting := len(plan.waiting):
        verb = "waits" if waiting == 1 else "wait"
        line += f" {waiting} of them {verb} for verification: a later apply finishes them."
    return line


def text(plan: Plan, colour: bool = False, verdict: Verdict | None = None) -> str:
    verdict = verdict or judge(plan)
    marks = verdict.marks()
    plan = masked(plan)

    def style(s: str, action: str) -> str:
        return click.style(s, fg=COLOUR[action], bold=True) if colour else s

    out = [f"sesctl plan · stack {plan.stack} · {plan.region}", ""]
    for change in plan.changes:
        header = (
            f"  {style(SYMBOL[change.action], change.action)} {change.action:<7} {change.address}"
        )
        if change.reason:
            header += f"  ({change.reason})"
        if change.waiting:
            header += "  (waiting: nothing SES takes yet)"
        if change.address in marks:
            header += f"  [{marks[change.address]}]"
        out.append(header)
        out.extend(f"        {line}" for line in field_lines(change))
        out.extend(f"        {key}: {why}" for key, why in sorted(change.held.items()))
    if not plan.changes:
        out.append("No changes. The account matches the file.")
    if plan.unmanaged:
        out += ["", "Unmanaged (seen, never touched):"]
        for item in plan.unmanaged:
            owner = f"  (stack {item.owner})" if item.owner else ""
            out.append(f"  {item.kind} {item.name}{owner}")
    for warning in plan.warnings:
        out += ["", f"Warning: {warning}"]
    if verdict.refusals:
        out += ["", "Safety guards:"] + [f"  ! {line}" for line in verdict.lines()]
    if plan.changes:
        out += ["", summary_line(plan)]
    if verdict.blocking:
        out.append("Apply would be refused by the safety guards above (exit 3).")
    return "\n".join(out) + "\n"


def as_json(plan: Plan, verdict: Verdict | None = None) -> str:
    return json.dumps(json_document(plan, verdict), indent=2, ensure_ascii=False) + "\n"


def json_document(plan: Plan, verdict: Verdict | None = None) -> dict[str, Any]:
    """The JSON plan (schemas/plan.v1.json) with secrets masked and the guards' verdict."""
    verdict = verdict or judge(plan)
    document = masked(plan).to_json()
    document["guards"] = [r.to_json(verdict.flags) for r in verdict.refusals]
    return document


def markdown(plan: Plan, limit: int = MARKDOWN_LIMIT, verdict: Verdict | None = None) -> str:
    """A PR comment: a stable marker, the summary table, then folded details (cut to fit)."""
    verdict = verdict or judge(plan)
    marks = verdict.marks()
    plan = masked(plan)
    head = [
        f"<!-- sesctl-plan:{plan.stack} -->",
        f"### sesctl plan · `{plan.stack}` · {plan.region}",
        "",
    ]
    if not plan.changes:
        head.append("**No changes.** The account matches the file.")
    else:
        head += ["| kind | create | update | delete | replace |", "|---|---:|---:|---:|---:|"]
        for kind, row in plan.counts_by_kind().items():
            head.append(f"| {kind} | " + " | ".join(str(row[a]) for a in SYMBOL) + " |")
        head += ["", f"**{summary_line(plan)}**"]
    if verdict.refusals:
        alert = "CAUTION" if verdict.blocking else "NOTE"
        head += [
            "",
            f"> [!{alert}]",
            "> **Safety guards**"
            + (" — apply would be refused (exit 3):" if verdict.blocking else ":"),
        ]
        head += [f"> - {html.escape(line)}" for line in verdict.lines()]
    if plan.unmanaged:
        head += ["", f"{len(plan.unmanaged)} unmanaged resource(s) seen and left alone."]
    document = "\n".join(head) + "\n"
    tail = f"\n_Details cut to stay under {limit:,} characters; `sesctl plan` shows them all._\n"
    for change in plan.changes:
        block = _details(change, marks.get(change.address))
        if len(document) + len(block) + len(tail) > limit:
            return document + tail
        document += block
    return document


def _details(change: Change, mark: str | None) -> str:
    title = f"{SYMBOL[change.action]} {change.action} <code>{html.escape(change.address)}</code>"
    if change.reason:
        title += f" — {html.escape(change.reason)}"
    if mark:
        title += f" — <b>{html.escape(mark)}</b>"
    lines = field_lines(change) + [f"{key}: {why}" for key, why in sorted(change.held.items())]
    body = "\n".join(lines) or "(no fields)"
    return f"\n<details><summary>{title}</summary>\n\n```\n{body}\n```\n</details>\n"

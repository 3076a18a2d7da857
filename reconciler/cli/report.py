"""How plan and apply print: the plan with its verdict, each change as it starts and lands,
the closing counts, and what a stopped run did and did not apply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import render
from ..guards import Verdict
from ..plan import Change, Plan
from .shell import colour, echo

if TYPE_CHECKING:
    from ..apply import ApplyResult

PAST = {"create": "created", "update": "updated", "delete": "deleted", "replace": "replaced"}
DOING = {"create": "creating", "update": "updating", "delete": "deleting", "replace": "replacing"}


def print_plan(plan: Plan, fmt: str, verdict: Verdict) -> None:
    if fmt == "json":
        echo(render.as_json(plan, verdict), nl=False, masked=True)
    elif fmt == "markdown":
        echo(render.markdown(plan, verdict=verdict), nl=False, masked=True)
    else:
        echo(render.text(plan, colour(), verdict), nl=False, color=colour(), masked=True)


def starting(change: Change) -> None:
    echo(f"  {render.SYMBOL[change.action]} {DOING[change.action]} {change.address} …")


def applied(change: Change) -> None:
    echo(f"  {render.SYMBOL[change.action]} {PAST[change.action]} {change.address}")


def interrupted() -> None:
    echo("Interrupted: starting nothing new; the calls on the wire finish…", err=True)


def complete(result: ApplyResult) -> None:
    """The counts of a finished apply, then the changes SES takes only once verified."""
    counts = {a: sum(c.action == a for c in result.applied) for a in render.SYMBOL}
    echo(
        f"\nApply complete: {counts['create']} created, {counts['update']} updated, "
        f"{counts['delete']} deleted, {counts['replace']} replaced."
    )
    if result.waiting:
        echo("Waiting (SES takes these once verified; apply again then):")
        for change in result.waiting:
            for key, why in sorted(change.held.items()):
                echo(f"  {change.address} {key}: {why}")


def stopped(result: ApplyResult) -> str:
    """What stopped the run, then exactly what was applied, what landed in part (call by
    call), and what was not applied at all."""
    lines = [
        f"apply stopped at {s.change.action} {s.change.address}: {s.error.message}"
        for s in result.failures
    ] or ["apply interrupted: nothing new started; the calls on the wire finished"]
    lines.append(f"Applied ({len(result.applied)}):" + ("" if result.applied else " none"))
    lines += [f"  {c.action} {c.address}" for c in result.applied]
    cut = result.failures + result.cut_short
    partly = [s for s in cut if s.landed]
    if partly:
        lines.append(f"Partly applied ({len(partly)}): these calls landed, the rest did not")
        lines += [f"  {s.change.action} {s.change.address}: {', '.join(s.landed)}" for s in partly]
    rest = [s.change for s in cut if not s.landed] + result.not_applied
    lines.append(f"Not applied ({len(rest)}):" + ("" if rest else " none"))
    lines += [f"  {c.action} {c.address}" for c in rest]
    return "\n".join(lines)

"""`sesctl plan` and `sesctl apply` (of a config, or of a plan saved by `plan --out`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import workflow
from ..client import Sesv2
from ..errors import GuardError, Interrupted, SesctlError
from ..plan import Plan
from . import report
from .shell import connected, echo, global_options, info, warn

EXIT_CHANGES = 2

TARGET = click.option(
    "--target",
    multiple=True,
    metavar="KIND/NAME",
    help="Only this resource, its children and what it depends on (repeatable).",
)

GUARD_FLAGS: list[Callable[[Any], Any]] = [
    click.option("--force", is_flag=True, help="Allow more change than the guards' thresholds."),
    click.option(
        "--allow-identity-deletion", is_flag=True, help="Allow the plan to delete identities."
    ),
]


def guard_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the flags that let a plan past the safety guards."""
    for option in reversed(GUARD_FLAGS):
        command = option(command)
    return command


@click.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0: no changes, 2: changes, 3: guard refuses."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Also save the plan here, for `sesctl apply PLAN.json` to apply exactly.",
)
@click.option("--allow-takeover", is_flag=True, help="Manage resources tagged by another stack.")
@TARGET
@guard_flags
@global_options
def plan(
    config: str,
    fmt: str,
    detailed_exitcode: bool,
    allow_takeover: bool,
    target: tuple[str, ...],
    force: bool,
    allow_identity_deletion: bool,
    out: str | None,
) -> int:
    """Show what apply would change (exit 3 with --detailed-exitcode if a guard refuses it)."""
    saved_to = Path(out) if out else None
    loaded = workflow.load_checked(Path(config), (saved_to,), warn)
    allowed = workflow.Allowed(force, allow_identity_deletion)
    with connected(loaded) as client:
        reviewed = workflow.planned(loaded, client, allow_takeover, target, allowed, saved_to)
    report.print_plan(reviewed.plan, fmt, reviewed.verdict)
    if out:
        info(f"Saved the plan to {out}: `sesctl apply {out}` applies exactly these changes.")
    if not detailed_exitcode:
        return 0
    if reviewed.verdict.blocking:
        return GuardError.exit_code
    return EXIT_CHANGES if reviewed.plan.has_changes else 0


@click.command()
@click.argument("config", metavar="CONFIG|PLAN", type=click.Path(dir_okay=False))
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option("--allow-takeover", is_flag=True, help="Manage resources tagged by another stack.")
@TARGET
@guard_flags
@global_options
def apply(
    config: str,
    auto_approve: bool,
    allow_takeover: bool,
    target: tuple[str, ...],
    force: bool,
    allow_identity_deletion: bool,
) -> int:
    """Show the plan, ask, and apply it in dependency order.

    Given a plan saved by `plan --out`, apply checks it still holds and applies exactly its
    changes without asking.
    """
    allowed = workflow.Allowed(force, allow_identity_deletion)
    saved_plan = workflow.saved_plan(Path(config))
    if saved_plan is not None:
        if target:
            raise SesctlError("--target is given when planning: a saved plan holds its changes")
        loaded = workflow.saved_config(saved_plan, warn)
        with connected(loaded) as client:
            fresh = workflow.fresh_saved(saved_plan, loaded, client, allow_takeover)
            if not _reviewed(fresh, allowed):
                return 0
            return _apply(
                fresh, client, "The saved plan is stale now: plan again to finish the rest."
            )
    loaded = workflow.load_checked(Path(config), warn=warn)
    with connected(loaded) as client:
        the_plan = workflow.targeted_plan(loaded, client, allow_takeover, target)
        if not _reviewed(the_plan, allowed):
            return 0
        if not auto_approve and not _confirm(the_plan):
            raise SesctlError("apply cancelled: nothing was changed")
        return _apply(
            the_plan, client, "Run apply again: it plans from the live state and finishes the rest."
        )


def _reviewed(the_plan: Plan, allowed: workflow.Allowed) -> bool:
    """Print the plan with the guards' verdict: False when there is nothing to apply; a
    GuardError when a guard refuses it."""
    reviewed = workflow.review(the_plan, allowed)
    report.print_plan(the_plan, "text", reviewed.verdict)
    if not the_plan.has_changes:
        return False
    if reviewed.refusal is not None:
        raise reviewed.refusal
    return True


def _confirm(plan: Plan) -> bool:
    prompt = (
        f"\nApply these changes to stack {plan.stack} in {plan.region}?\n"
        "  Only 'yes' will be accepted"
    )
    try:
        answer = click.prompt(prompt, default="", show_default=False, err=True)
    except click.Abort:
        return False
    return answer.strip() == "yes"


def _apply(the_plan: Plan, client: Sesv2, again: str) -> int:
    """Apply, printing each change as it lands; what did not land, and `again`, on failure."""
    echo("")
    result = workflow.apply(
        the_plan,
        client,
        on_start=report.starting,
        on_applied=report.applied,
        on_interrupt=report.interrupted,
    )
    if result.error is not None:
        failure = Interrupted if result.interrupted and not result.failures else SesctlError
        raise failure(report.stopped(result) + f"\n{again}")
    report.complete(result)
    return 0

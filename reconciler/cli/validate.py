"""`sesctl validate`: check files offline, as text or as GitHub Actions annotations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import workflow
from ..errors import SesctlError
from .shell import echo, global_options, info, warn

if TYPE_CHECKING:
    from ..config import LoadedConfig


@click.command()
@click.argument(
    "configs", metavar="CONFIG...", nargs=-1, required=True, type=click.Path(dir_okay=False)
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "github"]),
    default="text",
    help="github: ::error / ::warning annotations on stdout, for GitHub Actions.",
)
@global_options
def validate(configs: tuple[str, ...], fmt: str) -> int:
    """Check files offline: schema, references, template syntax and test_data renders."""
    check = _validate_github if fmt == "github" else _validate_text
    failed = False
    for config in configs:
        try:
            failed = check(config) != 0 or failed
        except SesctlError as exc:
            echo(f"Error: {exc.message}", err=True)
            failed = True
    return 1 if failed else 0


def _validate_text(config: str) -> int:
    loaded = workflow.load(Path(config), warn)
    if loaded.unresolved:
        info("Note: ${ssm:…} references are not read offline; plan and apply read them.")
    problems = workflow.problems(loaded)
    if problems:
        raise SesctlError("\n".join(problems))
    echo(_valid_line(config, loaded))
    return 0


def _validate_github(config: str) -> int:
    """Every problem as an annotation on stdout; exit 1 when any is an error."""
    from ..annotations import annotation

    try:
        loaded = workflow.load(Path(config))
    except SesctlError as exc:
        echo(annotation("error", exc.message))
        return 1
    for warning in loaded.warnings:
        echo(annotation("warning", warning))
    problems = workflow.problems(loaded)
    for problem in problems:
        echo(annotation("error", problem))
    if problems:
        return 1
    echo(_valid_line(config, loaded))
    return 0


def _valid_line(config: str, loaded: LoadedConfig) -> str:
    from ..validate import summary

    counts = summary(loaded)
    return f"{config}: valid (stack {loaded.model.stack}{': ' + counts if counts else ''})"

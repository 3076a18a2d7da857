"""Commands that read the account: `sesctl import`, `sesctl dns`, `sesctl doctor`."""

from __future__ import annotations

from pathlib import Path

import click

from .. import workflow
from ..errors import SesctlError
from .shell import connected, echo, global_options, info, opt, warn


@click.command(name="import")
@click.option("--stack", required=True, help="The stack name the file will own everything as.")
@click.option("--kinds", help="Comma-separated sections to import (default: all).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write here (templates/ beside it).")
@global_options
def import_(stack: str, kinds: str | None, out: str | None) -> int:
    """Write the live account as a config file that plans to no changes once applied."""
    from .. import importer

    sections = importer.kinds_of(kinds)
    with connected(None) as client:
        document = importer.collect(client, sections)
        region = client.region
    target = Path(out) if out else None
    text = workflow.write_import(document, stack, region, target)
    if target is None:
        echo(text, nl=False)
    else:
        info(f"Wrote {target} ({', '.join(f'{s} {len(document[s])}' for s in sections)})")
    return 0


@click.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["zone", "json", "octodns"]), default="zone")
@global_options
def dns(config: str, fmt: str) -> int:
    """Print the DNS records the file's domain identities need, from their live state."""
    from .. import dns as formats

    loaded = workflow.load(Path(config), warn)
    with connected(loaded) as client:
        found = workflow.dns_records(loaded, client, _not_created)
    render = {"zone": formats.zone_file, "json": formats.as_json}
    echo(render.get(fmt, formats.octodns)(found), nl=False)
    return 0


def _not_created(identity: str) -> None:
    info(f"Warning: identity {identity} does not exist yet: apply first")


@click.command()
@click.argument("config", required=False, type=click.Path(dir_okay=False))
@global_options
def doctor(config: str | None) -> int:
    """Check that this machine can send through the account; exit 1 if something blocks it."""
    loaded = workflow.load(Path(config), warn) if config else None
    failed = False
    with connected(loaded) as client:
        for check in workflow.doctor(loaded, client, local=bool(opt("local"))):
            echo(check.line())
            failed = failed or check.verdict == "fail"
    if failed:
        raise SesctlError("something above blocks sending")
    return 0

"""The `sesctl` command line: the group, its commands, and `main`.

Each command module parses its options, calls the flows in `reconciler.workflow`, prints and
picks the exit code; the plumbing they share (global options, output, errors → exit codes,
the client) is in `shell`, which imports none of them.
"""

from __future__ import annotations

import click

from .. import __version__
from . import account, bulk, emulator, mcp, migrate, plan, send, simulate, stats, validate
from .shell import Group, connected, echo, global_options, info, opt

__all__ = ["Group", "cli", "connected", "echo", "info", "main", "opt"]


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sesctl")
@global_options
def cli() -> None:
    """Keep an Amazon SES v2 account in the state a YAML file describes."""


for command in (
    validate.validate,
    plan.plan,
    plan.apply,
    account.import_,
    account.dns,
    account.doctor,
    emulator.emulator,
    send.send,
    bulk.send_bulk,
    stats.stats,
    simulate.simulate,
    mcp.mcp,
    migrate.migrate,
):
    cli.add_command(command)


def main() -> None:
    cli.main(prog_name="sesctl")

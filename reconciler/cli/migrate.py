"""`sesctl migrate sendgrid`: a SendGrid account as a sesctl config, templates and a report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import workflow
from ..errors import SesctlError
from ..files import shown
from ..secrets import REFERENCE, option_value
from .shell import connected, echo, global_options, info

if TYPE_CHECKING:
    from ..migrate.convert import Migration
    from ..migrate.source import Account


@click.group()
def migrate() -> None:
    """Move another email service's templates, suppressions and senders to a sesctl config."""


@migrate.command()
@click.option(
    "--api-key",
    metavar="REF",
    help="The SendGrid API key as ${ssm:/path} (a SecureString) or ${env:NAME}; "
    "never the key itself. It needs read access only.",
)
@click.option(
    "--from-files",
    type=click.Path(file_okay=False, path_type=Path),
    help="Read exported JSON/CSV files in this directory instead of the API.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("sendgrid-migration"),
    show_default=True,
    help="A new (or empty) directory for sesctl.yaml, templates/ and MIGRATION.md.",
)
@click.option("--stack", default="sendgrid", show_default=True, help="The config's stack name.")
@click.option(
    "--contact-list",
    default="subscribers",
    show_default=True,
    help="The contact list that carries unsubscribe groups as topics (SES allows one).",
)
@click.option(
    "--no-contact-list",
    is_flag=True,
    help="Keep no contact list: unsubscribes are listed in the report, not carried over.",
)
@click.option(
    "--sendgrid-url",
    default="https://api.sendgrid.com",
    show_default=True,
    help="SendGrid's API (https://api.eu.sendgrid.com for EU subusers).",
)
@global_options
def sendgrid(
    api_key: str | None,
    from_files: Path | None,
    out: Path,
    stack: str,
    contact_list: str,
    no_contact_list: bool,
    sendgrid_url: str,
) -> int:
    """Write a sesctl config from a SendGrid account: dynamic templates (converted to SES's
    Handlebars), bounces, blocks, invalid emails and spam reports (suppressions), unsubscribe
    groups and unsubscribes (a contact list), authenticated domains and verified senders
    (identities). Nothing is sent to SES: review the files, then validate, plan and apply."""
    from ..migrate import convert, report, sendgrid_files, write
    from ..models import SIMPLE, SIMPLE_RULE, STACK

    if (api_key is None) == (from_files is None):
        raise SesctlError("give --api-key or --from-files (one of them)")
    if not re.fullmatch(STACK, stack):
        raise SesctlError(f"--stack {shown(stack)}: use letters, digits, '.', '_' or '-'")
    if not no_contact_list and not re.fullmatch(SIMPLE, contact_list):
        raise SesctlError(f"--contact-list {shown(contact_list)}: {SIMPLE_RULE}")
    if from_files is not None:
        account = sendgrid_files.read(from_files, info)
        origin = f"the files in {shown(str(from_files))}"
    else:
        account, origin = _from_api(str(api_key), sendgrid_url)
    migration = convert.migrate(account, stack, None if no_contact_list else contact_list)
    text = report.render(migration, origin, write.CONFIG)
    paths = write.write(migration, out, origin, text)
    config = out / write.CONFIG
    problems = workflow.problems(workflow.load(config))
    if problems:  # a fault of migrate's, never of the input: say so plainly
        raise SesctlError("the written config does not validate:\n" + "\n".join(problems))
    echo(_summary(migration, config, out / write.REPORT, len(paths)))
    return 0


def _from_api(reference: str, url: str) -> tuple[Account, str]:
    """The account read over the API with the key the reference holds."""
    try:
        from ..migrate.sendgrid_api import SendGridApi, check_url
    except ModuleNotFoundError:
        raise SesctlError(
            "--api-key reads SendGrid's API with httpx2: pip install 'sesctl[sendgrid]' "
            "(or export the data and use --from-files)"
        ) from None

    if not REFERENCE.fullmatch(reference.strip()) or reference.strip().startswith("${file:"):
        raise SesctlError(
            "--api-key: give a reference, ${ssm:/path} or ${env:NAME}, not the key itself "
            "(a key on the command line stays in shell history and process lists)"
        )
    base = check_url(url)
    if reference.strip().startswith("${ssm:"):
        with connected(None) as client:
            key = option_value(reference, "--api-key", client.parameter)
    else:
        key = option_value(reference, "--api-key", lambda name: "")
    if not key.strip():
        raise SesctlError(f"--api-key: {reference} holds an empty value")
    with SendGridApi(key.strip(), base, note=info) as api:
        return api.read(), f"the SendGrid API at {base}"


def _summary(migration: Migration, config: Path, report_path: Path, files: int) -> str:
    from ..migrate.write import relative

    c = migration.config
    lists = c.get("contact_lists") or {}
    contacts = sum(len((v.get("contacts") or {}).get("addresses", {})) for v in lists.values())
    counts = [
        f"{len(c.get('templates') or {})} templates",
        f"{len(c.get('identities') or {})} identities",
        f"{len((c.get('suppressions') or {}).get('addresses', {}))} suppressions",
        f"{contacts} contacts",
    ]
    changed = sum(1 for i in migration.items if i.outcome == "changed")
    left = sum(1 for i in migration.items if i.outcome == "left out")
    return (
        f"Wrote {relative(config)} ({', '.join(counts)}) and {files - 1} other files.\n"
        f"{changed} changed and {left} left out on the way: read {relative(report_path)}.\n"
        f"Next: sesctl validate {relative(config)} && sesctl plan {relative(config)}"
    )

"""Commands that read the account: `sesctl import`, `sesctl dns`, `sesctl doctor`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import workflow
from ..errors import SesctlError
from .shell import connected, echo, global_options, info, opt, warn

if TYPE_CHECKING:
    from ..config import LoadedConfig


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


# doctor's options that describe the application --iam-policy writes a policy for.
POLICY_OPTIONS = {
    "sender": "--from",
    "parameter": "--parameter",
    "configuration_set": "--configuration-set",
    "template": "--template",
}


@click.command()
@click.argument("config", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--iam-policy",
    is_flag=True,
    help="Print the least-privilege IAM policy for send/send-bulk as --from; no checks.",
)
@click.option(
    "--from", "sender", metavar="ADDRESS", help="With --iam-policy: the sender, or ${ssm:/path}."
)
@click.option(
    "--parameter",
    multiple=True,
    metavar="PATH",
    help="With --iam-policy: an SSM parameter the app reads (repeatable).",
)
@click.option(
    "--configuration-set", metavar="NAME", help="With --iam-policy: the set the app sends with."
)
@click.option(
    "--template",
    multiple=True,
    metavar="NAME",
    help="With --iam-policy: a template the app sends (repeatable).",
)
@global_options
def doctor(config: str | None, iam_policy: bool, **policy: Any) -> int:
    """Check that this machine can send through the account; exit 1 if something blocks it.

    With --iam-policy, print instead the IAM policy an application needs to send as --from with
    `send` and `send-bulk`, reading --parameter from Parameter Store."""
    loaded = workflow.load(Path(config), warn) if config else None
    if iam_policy:
        return _iam_policy(loaded, **policy)
    given = [POLICY_OPTIONS[k] for k, v in policy.items() if v]
    if given:
        raise SesctlError(f"{', '.join(given)} only go with --iam-policy")
    failed = False
    with connected(loaded) as client:
        for check in workflow.doctor(loaded, client, local=bool(opt("local"))):
            echo(check.line())
            failed = failed or check.verdict == "fail"
    if failed:
        raise SesctlError("something above blocks sending")
    return 0


def _iam_policy(
    loaded: LoadedConfig | None,
    sender: str | None,
    parameter: tuple[str, ...],
    configuration_set: str | None,
    template: tuple[str, ...],
) -> int:
    """The policy as JSON on stdout, alone; what it cannot pin, as notes on stderr."""
    from .. import iam
    from ..secrets import REFERENCE
    from ..send import check_address

    if not sender:
        raise SesctlError("--iam-policy needs --from, the address the application sends as")
    if REFERENCE.search(sender):
        info(
            "Note: --from is read when the application runs, so the policy allows every "
            "identity of the account and cannot pin ses:FromAddress; give the address to narrow it"
        )
    else:
        check_address(sender, "--from")
    iam.check_names(parameter, configuration_set, template)
    if template:
        info(
            "Note: SendBulkEmail has no ses:FromAddress condition key: send-bulk is held to the "
            "sender's identities, templates and configuration set only"
        )
    else:
        info("Note: without --template the policy allows `send` of simple messages only")
    with connected(loaded) as client:
        try:
            account = client.account_id()
        except SesctlError as exc:
            account = iam.ACCOUNT_PLACEHOLDER
            warn(f"the account could not be read ({exc.message}): the ARNs say {account}")
        document = iam.policy(
            sender,
            client.region,
            account,
            client.partition,
            parameter,
            configuration_set,
            template,
        )
    echo(json.dumps(document, indent=2))
    return 0

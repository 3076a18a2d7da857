"""`sesctl send`: one message, simple or templated."""

from __future__ import annotations

import json
from typing import Any

import click

from ..client import Sesv2
from ..errors import SesctlError
from .shell import connected, echo, global_options


@click.command()
@click.option("--from", "sender", required=True, help="Sender address (a verified identity).")
@click.option("--to", multiple=True, required=True, help="Recipient (repeatable).")
@click.option("--cc", multiple=True, help="Cc recipient (repeatable).")
@click.option("--bcc", multiple=True, help="Bcc recipient (repeatable).")
@click.option("--reply-to", multiple=True, help="Reply-To address (repeatable).")
@click.option("--subject", help="Subject (simple messages).")
@click.option("--text", help="Plain-text body.")
@click.option("--text-file", type=click.Path(dir_okay=False), help="Plain-text body from a file.")
@click.option("--html", help="HTML body.")
@click.option("--html-file", type=click.Path(dir_okay=False), help="HTML body from a file.")
@click.option("--attach", multiple=True, type=click.Path(dir_okay=False), help="Attach a file.")
@click.option("--template", help="Send this SES template instead of a subject and body.")
@click.option("--data", help="Template data as JSON.")
@click.option(
    "--data-file", type=click.Path(dir_okay=False), help="Template data from a JSON file."
)
@click.option("--configuration-set", help="Configuration set to send with.")
@click.option(
    "--contact-list",
    metavar="LIST[/TOPIC]",
    help="List management: SES fills in {{amazonSESUnsubscribeUrl}} and adds unsubscribe headers.",
)
@click.option("--tag", multiple=True, help="Message tag NAME=VALUE (repeatable).")
@click.option("--header", multiple=True, help="Extra header NAME=VALUE (repeatable).")
@global_options
def send(**options: Any) -> int:
    """Send one message, simple or templated; prints its MessageId.

    Addresses may be `${ssm:/name}` (a Parameter Store SecureString, decrypted), `${env:NAME}`
    or `${file:path}` references; what they hold is masked in every output."""
    from .. import send as sending

    with connected(None) as client:
        message = _message(read_addresses(options, client), sending)
        message.check()
        echo(sending.send(client, message))
    return 0


ADDRESSES = {
    "sender": "--from",
    "to": "--to",
    "cc": "--cc",
    "bcc": "--bcc",
    "reply_to": "--reply-to",
}


def read_addresses(options: dict[str, Any], client: Sesv2) -> dict[str, Any]:
    """The options with the references in their addresses read (SSM through the client)."""
    from ..secrets import option_value

    found = dict(options)
    for key, option in ADDRESSES.items():
        value = found.get(key)
        if isinstance(value, str):
            found[key] = option_value(value, option, client.parameter)
        elif isinstance(value, tuple | list):
            found[key] = [option_value(v, option, client.parameter) for v in value]
    return found


def _message(o: dict[str, Any], sending: Any) -> Any:
    """The message the options describe; refused when one part is given two ways."""
    if o["text"] is not None and o["text_file"]:
        raise SesctlError("give --text or --text-file, not both")
    if o["html"] is not None and o["html_file"]:
        raise SesctlError("give --html or --html-file, not both")
    if o["template"] and (
        o["subject"] or o["text"] or o["html"] or o["text_file"] or o["html_file"]
    ):
        raise SesctlError("--template replaces --subject/--text/--html: give one or the other")
    if o["data"] is not None and o["data_file"]:
        raise SesctlError("give --data or --data-file, not both")
    raw = o["data"] if o["data"] is not None else None
    if o["data_file"]:
        raw = sending.read_text(o["data_file"], "--data-file")
    data = None if raw is None else json_object(raw, "--data-file" if o["data_file"] else "--data")
    return sending.Message(
        sender=o["sender"],
        to=list(o["to"]),
        cc=list(o["cc"]),
        bcc=list(o["bcc"]),
        reply_to=list(o["reply_to"]),
        subject=o["subject"],
        text=sending.read_text(o["text_file"], "--text-file") if o["text_file"] else o["text"],
        html=sending.read_text(o["html_file"], "--html-file") if o["html_file"] else o["html"],
        template=o["template"],
        data=data,
        attachments=list(o["attach"]),
        configuration_set=o["configuration_set"],
        contact_list=o["contact_list"],
        tags=sending.key_values(o["tag"], "--tag"),
        headers=sending.key_values(o["header"], "--header"),
    )


def json_object(text: str, option: str) -> dict[str, Any]:
    """Template data given on the command line: a JSON object SES can take, or one message."""
    from ..recipients import MAX_DEPTH, depth, no_constant

    try:
        data = json.loads(text, parse_constant=no_constant)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise SesctlError(f"{option}: not valid JSON: {exc.msg} at {where}") from None
    except RecursionError:
        raise SesctlError(
            f"{option}: not valid JSON this program reads: nested too deeply"
        ) from None
    except ValueError as exc:  # more than 4300 digits, NaN, Infinity
        raise SesctlError(f"{option}: not valid JSON this program reads: {exc}") from None
    if not isinstance(data, dict):
        raise SesctlError(f"{option}: template data must be a JSON object")
    if depth(data) > MAX_DEPTH:
        raise SesctlError(f"{option}: template data nests deeper than {MAX_DEPTH} levels")
    return data

"""`sesctl simulate`: play the recipients against the emulator — how their mailbox providers
answer, and who opens or clicks — so the after-sending flow runs with `--local`.

Each subcommand posts to one of the emulator's control endpoints (`/_sesctl/mailboxes`,
`/_sesctl/engagement`) at the endpoint the other commands use; real SES has none, so without
`--local` or `--endpoint-url` it is refused.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import click

from ..errors import SesctlError
from .shell import connected, echo, global_options, opt

OUTCOMES = ("deliver", "bounce", "soft_bounce", "complaint")


@click.group()
def simulate() -> None:
    """Play recipients against the emulator (--local or --endpoint-url): bounces, opens…"""


@simulate.command()
@click.option(
    "--outcome",
    type=click.Choice(OUTCOMES),
    required=True,
    help="How these recipients' mailbox providers answer from now on.",
)
@click.argument("addresses", nargs=-1, required=True)
@global_options
def mailbox(outcome: str, addresses: tuple[str, ...]) -> int:
    """Say how recipients' mailbox providers answer (delivered by default)."""
    _post("mailboxes", {"addresses": list(addresses), "outcome": outcome})
    echo(f"{outcome}: {' '.join(addresses)}")
    return 0


@simulate.command(name="open")
@click.argument("message_id")
@click.option("--recipient", help="Which recipient opens it (default: the first To).")
@global_options
def open_(message_id: str, recipient: str | None) -> int:
    """A recipient opens a message (an Open event, if SES tracked the message)."""
    return _engage(message_id, {"event": "open", "recipient": recipient})


@simulate.command(name="click")
@click.argument("message_id")
@click.option("--recipient", help="Which recipient clicks (default: the first To).")
@click.option("--link", default="https://example.com/", show_default=True, help="The link.")
@click.option("--link-tag", "link_tags", multiple=True, help="NAME=VALUE, as ses:tags on a link.")
@global_options
def click_(message_id: str, recipient: str | None, link: str, link_tags: tuple[str, ...]) -> int:
    """A recipient clicks a link in a message (a Click event, if SES tracked the message)."""
    from ..send import key_values

    tags = key_values(link_tags, "--link-tag")
    return _engage(
        message_id, {"event": "click", "recipient": recipient, "link": link, "link_tags": tags}
    )


def _engage(message_id: str, request: dict[str, Any]) -> int:
    answer = _post("engagement", {"message_id": message_id, **request})
    if not answer.get("tracked"):
        echo(f"{message_id}: not tracked (its configuration set has no OPEN or CLICK destination)")
        return 0
    echo(f"{message_id}: {request['event']}")
    return 0


def _post(control: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST to the emulator's control endpoint; its answer, or its refusal as an error."""
    if not opt("local") and not opt("endpoint_url"):
        raise SesctlError(
            "simulate plays recipients against the emulator: give --local or --endpoint-url"
        )
    with connected(None) as client:
        url = f"{client.endpoint().rstrip('/')}/_sesctl/{control}"
        data = json.dumps({"region": client.region, **body}).encode()
        request = urllib.request.Request(url, data=data, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer: dict[str, Any] = json.loads(response.read() or b"{}")
                return answer
        except urllib.error.HTTPError as error:
            raise SesctlError(f"the emulator refused: {_message(error)}") from None
        except (urllib.error.URLError, OSError) as error:
            raise SesctlError(f"no emulator answers at {url}: {error}") from None


def _message(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read()).get("message") or error.reason)
    except (ValueError, AttributeError):
        return str(error.reason)

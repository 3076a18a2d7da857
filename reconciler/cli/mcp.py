"""`sesctl mcp`: serve sesctl's tools to AI agents over the Model Context Protocol."""

from __future__ import annotations

from pathlib import Path

import click

from .. import workflow
from ..errors import SesctlError
from .shell import connected, global_options, info, opt, warn


@click.command(name="mcp")
@click.option("--config", type=click.Path(dir_okay=False), help="The team's sesctl file.")
@click.option("--allow-send", is_flag=True, help="Let agents send mail (dry runs need not).")
@click.option(
    "--allow-apply", is_flag=True, help="Let configuration edits reach SES (else: plan only)."
)
@click.option(
    "--max-recipients",
    type=click.IntRange(1, 10_000),
    default=50,
    show_default=True,
    help="Destinations a send_bulk_email call may have at most.",
)
@click.option("--from", "sender", help="The sender when a call names none.")
@click.option(
    "--http",
    "http_port",
    type=click.IntRange(1, 65535),
    help="Serve streamable HTTP on 127.0.0.1:PORT instead of stdio.",
)
@global_options
def mcp(
    config: str | None,
    allow_send: bool,
    allow_apply: bool,
    max_recipients: int,
    sender: str | None,
    http_port: int | None,
) -> int:
    """Serve SES to AI agents over MCP (stdio, or streamable HTTP on loopback)."""
    try:
        from ..mcp.server import build
        from ..mcp.tools import Settings, Tools
    except ImportError:
        raise SesctlError("sesctl mcp needs the MCP SDK: pip install 'sesctl[mcp]'") from None
    from ..observe import Recorder

    if allow_apply and config is None:
        raise SesctlError("--allow-apply applies edits of the configuration file: give --config")
    loaded = workflow.load_checked(Path(config), warn=warn) if config else None
    settings = Settings(
        Path(config) if config else None,
        allow_send,
        allow_apply,
        max_recipients,
        sender,
        local=bool(opt("local")),
    )
    with connected(loaded) as client:
        server = build(Tools(settings, client), Recorder(json_events=True))
        if http_port is None:
            server.run("stdio")
        else:
            info(f"sesctl mcp: streamable HTTP on http://127.0.0.1:{http_port}/mcp")
            server.run("streamable-http", host="127.0.0.1", port=http_port)
    return 0

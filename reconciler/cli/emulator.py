"""`sesctl emulator`: serve the embedded SES v2 emulator in the foreground."""

from __future__ import annotations

from pathlib import Path

import click

from .. import workflow
from .shell import global_options, info

VERIFY_AFTER = click.option(
    "--verify-after",
    type=click.FloatRange(min=-1),
    default=workflow.LOCAL_VERIFY_AFTER,
    show_default=True,
    help="Seconds after creation an identity verifies, as DNS would (-1: only through "
    "POST /_sesctl/verify).",
)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=4566, show_default=True, type=click.IntRange(0, 65535))
@click.option("--state-file", type=click.Path(dir_okay=False), help="Keep state in this file.")
@click.option("--max-send-rate", type=click.FloatRange(min=0), help="Recipients/s before 429s.")
@click.option(
    "--control-plane-rate",
    type=click.FloatRange(min=0, min_open=True),
    help="Calls/s per operation before TooManyRequestsException (default: unlimited).",
)
@click.option(
    "--template-read-rate",
    type=click.FloatRange(min=0, min_open=True),
    help="GetEmailTemplate's own rate (default: --control-plane-rate).",
)
@click.option("--latency", type=click.FloatRange(min=0), default=0, help="Added to each call (ms).")
@click.option(
    "--faults",
    type=click.FloatRange(0, 1),
    default=0,
    help="Share of calls that fail: a 500, a 400 ThrottlingException, or the connection cut "
    "before or after the call.",
)
@click.option("--seed", type=int, help="Seed of the faults, to meet the same ones again.")
@click.option(
    "--sandbox", is_flag=True, help="New accounts start in the SES sandbox (200 a day, 1/s)."
)
@VERIFY_AFTER
@global_options
def emulator(
    host: str,
    port: int,
    state_file: str | None,
    max_send_rate: float | None,
    control_plane_rate: float | None,
    template_read_rate: float | None,
    latency: float,
    faults: float,
    seed: int | None,
    sandbox: bool,
    verify_after: float,
) -> int:
    """Serve the embedded SES v2 emulator in the foreground (Ctrl-C or SIGTERM stops it)."""
    server = workflow.emulator_server(
        host=host,
        port=port,
        state_file=Path(state_file) if state_file else None,
        max_send_rate=max_send_rate,
        control_plane_rate=control_plane_rate,
        template_read_rate=template_read_rate,
        latency=latency / 1000,
        faults=faults,
        seed=seed,
        sandbox=sandbox,
        verify_after=None if verify_after < 0 else verify_after,
    )
    workflow.serve(server, on_ready=_listening, on_stop=_stopped)
    return 0


def _listening(url: str) -> None:
    info(f"sesctl emulator listening on {url} (Ctrl-C to stop)")


def _stopped() -> None:
    info("sesctl emulator stopped")

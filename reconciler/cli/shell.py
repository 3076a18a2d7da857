"""What every command runs inside: the global options, output, failures turned into exit codes,
and the client. Command modules import from here; nothing here imports them."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from .. import workflow
from ..client import ClientSettings, RateLimits, Sesv2
from ..errors import SesctlError
from ..observe import Recorder
from ..secrets import SECRETS

if TYPE_CHECKING:  # pydantic loads only in the commands that read a config
    from ..config import LoadedConfig


class Group(click.Group):
    """Runs a command and turns every failure into a plain message and an exit code."""

    verbose = False

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        self.verbose = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            echo("Aborted.", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            echo(f"Error: {exc.format_message()}", err=True)
            sys.exit(1)
        except SesctlError as exc:
            self._traceback()
            echo(f"Error: {exc.message}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            echo("Interrupted.", err=True)
            sys.exit(130)
        except Exception as exc:  # the last line of defence against tracebacks
            self._traceback()
            echo(f"Error: internal error: {type(exc).__name__}: {exc}", err=True)
            echo("Run again with --verbose for the traceback.", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def _traceback(self) -> None:
        if self.verbose:
            echo(traceback.format_exc().rstrip(), err=True)


# --- global options: accepted before or after the command name --------------------------------


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Keep a global option on the root context, wherever on the line it was given."""
    if value not in (None, False):
        root = ctx.find_root()
        root.meta[f"sesctl.{param.name}"] = value
        if param.name == "verbose" and isinstance(root.command, Group):
            root.command.verbose = True
    return value


GLOBAL_OPTIONS: list[Callable[[Any], Any]] = [
    click.option("--region", help="AWS region (else the file's `region`, AWS_REGION, profile)."),
    click.option("--profile", help="AWS profile from the shared config files."),
    click.option("--endpoint-url", help="Send SES calls to this URL (an emulator, say)."),
    click.option(
        "--local", is_flag=True, default=None, help="Use the embedded emulator; state in .sesctl/."
    ),
    click.option(
        "--api-rate", help="Calls/s per operation, e.g. `1,GetEmailTemplate=50` or `unlimited`."
    ),
    click.option(
        "--max-attempts", type=click.IntRange(1, 20), help="Attempts per call, retries included."
    ),
    click.option(
        "--verbose", "-v", is_flag=True, default=None, help="More detail; tracebacks on errors."
    ),
    click.option("--quiet", "-q", is_flag=True, default=None, help="Only the essential output."),
    click.option("--no-color", is_flag=True, default=None, help="Never colour the output."),
    click.option(
        "--log-format",
        type=click.Choice(["text", "json"]),
        help="json: one event per API call and per change on stderr.",
    ),
]

_GLOBAL_NAMES = {
    "region",
    "profile",
    "endpoint_url",
    "local",
    "api_rate",
    "max_attempts",
    "verbose",
    "quiet",
    "no_color",
    "log_format",
}


def global_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the global options to a command (or the group), stored rather than passed."""
    for option in reversed(GLOBAL_OPTIONS):
        command = option(command)
    for param in getattr(command, "__click_params__", []):
        if param.name in _GLOBAL_NAMES:
            param.expose_value = False
            param.callback = _store
    return command


def opt(name: str) -> Any:
    """A global option's value, given before or after the command name (None if not given)."""
    return click.get_current_context().find_root().meta.get(f"sesctl.{name}")


# --- output -----------------------------------------------------------------------------------


def colour() -> bool:
    return not opt("no_color") and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def echo(
    message: str = "",
    err: bool = False,
    nl: bool = True,
    color: bool | None = None,
    masked: bool = False,
) -> None:
    """All output goes through here, so no secret value can reach stdout or stderr: free text
    is scrubbed; a plan is `masked` by type already, and scrubbing it as text could blank a
    value that only equals a secret's (a secret `true` and every other true)."""
    click.echo(message if masked else SECRETS.scrub(message), err=err, nl=nl, color=color)


def info(message: str) -> None:
    """Progress and notes go to stderr, so stdout holds only the plan."""
    if not opt("quiet"):
        echo(message, err=True)


def warn(message: str) -> None:
    """A warning about the config, as a note on stderr."""
    info(f"Warning: {message}")


# --- the client -------------------------------------------------------------------------------


@contextmanager
def connected(loaded: LoadedConfig | None) -> Iterator[Sesv2]:
    """A client for the account: real AWS, --endpoint-url, or the embedded emulator."""
    recorder = Recorder(json_events=opt("log_format") == "json")
    try:
        limits = RateLimits.parse(opt("api_rate")) if opt("api_rate") else None
        with workflow.connect(_settings(loaded), recorder, bool(opt("local")), limits) as client:
            yield client
    finally:
        if opt("verbose"):
            for line in recorder.summary_lines():
                info(line)


def _settings(loaded: LoadedConfig | None) -> ClientSettings:
    """Where to connect, from the global options and then the file's `region`."""
    region = opt("region") or (loaded.model.region if loaded else None)
    settings = ClientSettings(
        region=region, profile=opt("profile"), endpoint_url=opt("endpoint_url")
    )
    if opt("max_attempts"):
        settings.max_attempts = opt("max_attempts")
    return settings

"""The `sesctl` command line: parse, call, print, exit code. Nothing else lives here.

The group, its global options and the account commands are here; the mail commands are in
cli_send.py.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__, render
from .client import ClientSettings, RateLimits, Sesv2
from .errors import GuardError, Interrupted, SesctlError
from .guards import Verdict
from .plan import Change, Plan
from .secrets import SECRETS

if TYPE_CHECKING:  # config, engine and models (pydantic) load only in commands that use them,
    from .apply import ApplyResult
    from .config import LoadedConfig  # so `send`, `send-bulk` and `emulator` start faster
    from .observe import Recorder
    from .saved import SavedPlan

LOCAL_STATE = Path(".sesctl") / "emulator-state.json"
EXIT_CHANGES = 2


# --- global options: accepted before or after the command name --------------------------------


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
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


def global_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(GLOBAL_OPTIONS):
        command = option(command)
    for param in getattr(command, "__click_params__", []):
        if param.name in _GLOBAL_NAMES:
            param.expose_value = False
            param.callback = _store
    return command


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


def opt(name: str) -> Any:
    return click.get_current_context().find_root().meta.get(f"sesctl.{name}")


# --- shared plumbing --------------------------------------------------------------------------


@contextmanager
def connected(loaded: LoadedConfig | None) -> Iterator[Sesv2]:
    """A client for the account: real AWS, --endpoint-url, or the embedded emulator."""
    from .observe import Recorder

    recorder = Recorder(json_events=opt("log_format") == "json")
    try:
        with _client(loaded, recorder) as client:
            yield client
    finally:
        if opt("verbose"):
            for line in recorder.summary_lines():
                info(line)


@contextmanager
def _client(loaded: LoadedConfig | None, recorder: Recorder) -> Iterator[Sesv2]:
    region = opt("region") or (loaded.model.region if loaded else None)
    limits = RateLimits.parse(opt("api_rate")) if opt("api_rate") else None
    settings = ClientSettings(
        region=region, profile=opt("profile"), endpoint_url=opt("endpoint_url")
    )
    if opt("max_attempts"):
        settings.max_attempts = opt("max_attempts")
    if not opt("local"):
        settings.rate_limits = limits or settings.rate_limits
        yield Sesv2(settings, recorder)
        return
    from .emulator import Emulator, Settings

    LOCAL_STATE.parent.mkdir(exist_ok=True)
    behaviour = Settings(verify_after=LOCAL_VERIFY_AFTER)
    emulator = Emulator(state_file=LOCAL_STATE, settings=behaviour).start()
    try:
        settings.endpoint_url = emulator.url
        settings.region = region or "us-east-1"
        settings.rate_limits = limits or RateLimits(default=None, per_operation={})
        with _local_credentials():
            yield Sesv2(settings, recorder)
    finally:
        emulator.stop()


@contextmanager
def _local_credentials() -> Iterator[None]:
    """The emulator accepts any signature; give botocore a throwaway key to sign with."""
    keys = {"AWS_ACCESS_KEY_ID": "sesctl-local", "AWS_SECRET_ACCESS_KEY": "sesctl-local"}
    saved = {k: os.environ.get(k) for k in (*keys, "AWS_PROFILE", "AWS_SESSION_TOKEN")}
    os.environ.update(keys)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


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


def load_config(path: str) -> LoadedConfig:
    from .config import load

    loaded = load(Path(path))
    for warning in loaded.warnings:
        info(f"Warning: {warning}")
    return loaded


def load_checked(path: str, outputs: tuple[str | None, ...] = ()) -> LoadedConfig:
    """The config as plan and apply take it: loaded, its templates checked as validate checks
    them (a template SES would refuse or fail to render never reaches SES), and no output
    path that is one of the files it was read from."""
    from .validate import check_templates

    loaded = load_config(path)
    problems = check_templates(loaded)
    if problems:
        raise SesctlError("\n".join(problems))
    inputs = {source.resolve() for source in loaded.sources}
    for output in filter(None, outputs):
        if Path(output).resolve() in inputs:
            raise SesctlError(f"{output} is a file the plan is read from: write it elsewhere")
    return loaded


TARGET = click.option(
    "--target",
    multiple=True,
    metavar="KIND/NAME",
    help="Only this resource, its children and what it depends on (repeatable).",
)


GUARD_FLAGS: list[Callable[[Any], Any]] = [
    click.option("--force", is_flag=True, help="Allow more change than the guards' thresholds."),
    click.option(
        "--allow-identity-deletion", is_flag=True, help="Allow the plan to delete identities."
    ),
]


def guard_flags(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(GUARD_FLAGS):
        command = option(command)
    return command


def judged(plan: Plan, force: bool, allow_identity_deletion: bool) -> Verdict:
    from .guards import ALLOW_IDENTITY_DELETION, FORCE, judge

    given = {FORCE: force, ALLOW_IDENTITY_DELETION: allow_identity_deletion}
    return judge(plan, frozenset(flag for flag, on in given.items() if on))


def print_plan(plan: Plan, fmt: str, verdict: Verdict) -> None:
    if fmt == "json":
        echo(render.as_json(plan, verdict), nl=False, masked=True)
    elif fmt == "markdown":
        echo(render.markdown(plan, verdict=verdict), nl=False, masked=True)
    else:
        echo(render.text(plan, colour(), verdict), nl=False, color=colour(), masked=True)


def refuse_if_guarded(verdict: Verdict) -> None:
    if verdict.blocking:
        raise GuardError(
            "apply refused by the safety guards:\n"
            + "\n".join(f"  {line}" for line in verdict.lines() if line.startswith("refused"))
        )


# --- commands ---------------------------------------------------------------------------------


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


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sesctl")
@global_options
def cli() -> None:
    """Keep an Amazon SES v2 account in the state a YAML file describes."""


@cli.command()
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
    from .validate import check_templates

    loaded = load_config(config)
    if loaded.unresolved:
        info("Note: ${ssm:…} references are not read offline; plan and apply read them.")
    problems = check_templates(loaded)
    if problems:
        raise SesctlError("\n".join(problems))
    echo(_valid_line(config, loaded))
    return 0


def _validate_github(config: str) -> int:
    """Every problem as an annotation on stdout; exit 1 when any is an error."""
    from .annotations import annotation
    from .config import load
    from .validate import check_templates

    try:
        loaded = load(Path(config))
    except SesctlError as exc:
        echo(annotation("error", exc.message))
        return 1
    for warning in loaded.warnings:
        echo(annotation("warning", warning))
    problems = check_templates(loaded)
    for problem in problems:
        echo(annotation("error", problem))
    if problems:
        return 1
    echo(_valid_line(config, loaded))
    return 0


def _valid_line(config: str, loaded: LoadedConfig) -> str:
    model = loaded.model
    counts = ", ".join(
        f"{section.replace('_', ' ')} {len(getattr(model, section) or {})}"
        for section in (
            "identities",
            "configuration_sets",
            "templates",
            "dedicated_ip_pools",
            "contact_lists",
        )
        if getattr(model, section) is not None
    )
    return f"{config}: valid (stack {model.stack}{': ' + counts if counts else ''})"


@cli.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0: no changes, 2: changes, 3: guard refuses."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Also save the plan here, for `sesctl apply PLAN.json` to apply exactly.",
)
@click.option("--allow-takeover", is_flag=True, help="Manage resources tagged by another stack.")
@TARGET
@guard_flags
@global_options
def plan(
    config: str,
    fmt: str,
    detailed_exitcode: bool,
    allow_takeover: bool,
    target: tuple[str, ...],
    force: bool,
    allow_identity_deletion: bool,
    out: str | None,
) -> int:
    """Show what apply would change (exit 3 with --detailed-exitcode if a guard refuses it)."""
    from . import workflow

    loaded = load_checked(config, (out,))
    with connected(loaded) as client:
        the_plan = workflow.targeted_plan(loaded, client, allow_takeover, target)
        verdict = judged(the_plan, force, allow_identity_deletion)
        if out:
            from . import saved

            saved.write(Path(out), the_plan, verdict, loaded, client, list(target), allow_takeover)
        the_plan.metadata["run"] = client.recorder.summary()
    print_plan(the_plan, fmt, verdict)
    if out:
        info(f"Saved the plan to {out}: `sesctl apply {out}` applies exactly these changes.")
    if not detailed_exitcode:
        return 0
    if verdict.blocking:
        return GuardError.exit_code
    return EXIT_CHANGES if the_plan.has_changes else 0


@cli.command()
@click.argument("config", metavar="CONFIG|PLAN", type=click.Path(dir_okay=False))
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option("--allow-takeover", is_flag=True, help="Manage resources tagged by another stack.")
@TARGET
@guard_flags
@global_options
def apply(
    config: str,
    auto_approve: bool,
    allow_takeover: bool,
    target: tuple[str, ...],
    force: bool,
    allow_identity_deletion: bool,
) -> int:
    """Show the plan, ask, and apply it in dependency order.

    Given a plan saved by `plan --out`, apply checks it still holds and applies exactly its
    changes without asking.
    """
    from . import saved, workflow

    saved_plan = saved.read(Path(config))
    if saved_plan is not None:
        if target:
            raise SesctlError("--target is given when planning: a saved plan holds its changes")
        return _apply_saved(saved_plan, force, allow_identity_deletion, allow_takeover)
    loaded = load_checked(config)
    with connected(loaded) as client:
        the_plan = workflow.targeted_plan(loaded, client, allow_takeover, target)
        if not _reviewed(the_plan, force, allow_identity_deletion):
            return 0
        if not auto_approve and not _confirm(the_plan):
            raise SesctlError("apply cancelled: nothing was changed")
        return _apply(
            the_plan, client, "Run apply again: it plans from the live state and finishes the rest."
        )


def _apply_saved(
    saved_plan: SavedPlan, force: bool, allow_identity_deletion: bool, allow_takeover: bool
) -> int:
    """Apply a saved plan: the plan made now, when it is the saved one (else stale), for the
    same stack, region and account."""
    from . import saved

    loaded = load_checked(str(saved_plan.config))
    saved.check_origin(saved_plan, loaded)
    with connected(loaded) as client:
        the_plan = saved.current(saved_plan, loaded, client, allow_takeover)
        if not _reviewed(the_plan, force, allow_identity_deletion):
            return 0
        return _apply(
            the_plan, client, "The saved plan is stale now: plan again to finish the rest."
        )


def _reviewed(the_plan: Plan, force: bool, allow_identity_deletion: bool) -> bool:
    """Print the plan with the guards' verdict: False when there is nothing to apply; a
    GuardError when a guard refuses it."""
    verdict = judged(the_plan, force, allow_identity_deletion)
    print_plan(the_plan, "text", verdict)
    if not the_plan.has_changes:
        return False
    refuse_if_guarded(verdict)
    return True


def _apply(the_plan: Plan, client: Sesv2, again: str) -> int:
    """Apply in dependency order, printing each change as it lands, and what did not."""
    from .apply import apply_plan

    echo("")
    recorder = client.recorder

    def applied(change: Change) -> None:
        _report(change)
        recorder.emit(event="change", outcome="applied", **_named(change))

    def interrupted() -> None:
        echo("Interrupted: starting nothing new; the calls on the wire finish…", err=True)

    result = apply_plan(
        the_plan, client, on_applied=applied, on_start=_starting, on_interrupt=interrupted
    )
    for stopped in result.failures:
        error = stopped.error.message
        recorder.emit(event="change", outcome="failed", error=error, **_named(stopped.change))
    if result.error is not None:
        failure = Interrupted if result.interrupted and not result.failures else SesctlError
        raise failure(_failure_report(result) + f"\n{again}")
    counts = {a: sum(c.action == a for c in result.applied) for a in render.SYMBOL}
    echo(
        f"\nApply complete: {counts['create']} created, {counts['update']} updated, "
        f"{counts['delete']} deleted, {counts['replace']} replaced."
    )
    if result.waiting:
        echo("Waiting (SES takes these once verified; apply again then):")
        for change in result.waiting:
            for key, why in sorted(change.held.items()):
                echo(f"  {change.address} {key}: {why}")
    return 0


PAST = {"create": "created", "update": "updated", "delete": "deleted", "replace": "replaced"}
DOING = {"create": "creating", "update": "updating", "delete": "deleting", "replace": "replacing"}


def _named(change: Change) -> dict[str, str]:
    return {"action": change.action, "kind": change.kind, "name": change.name}


def _starting(change: Change) -> None:
    echo(f"  {render.SYMBOL[change.action]} {DOING[change.action]} {change.address} …")


def _report(change: Change) -> None:
    echo(f"  {render.SYMBOL[change.action]} {PAST[change.action]} {change.address}")


def _confirm(plan: Plan) -> bool:
    prompt = (
        f"\nApply these changes to stack {plan.stack} in {plan.region}?\n"
        "  Only 'yes' will be accepted"
    )
    try:
        answer = click.prompt(prompt, default="", show_default=False, err=True)
    except click.Abort:
        return False
    return answer.strip() == "yes"


def _failure_report(result: ApplyResult) -> str:
    """What stopped the run, then exactly what was applied, what landed in part (call by
    call), and what was not applied at all."""
    lines = [
        f"apply stopped at {s.change.action} {s.change.address}: {s.error.message}"
        for s in result.failures
    ] or ["apply interrupted: nothing new started; the calls on the wire finished"]
    lines.append(f"Applied ({len(result.applied)}):" + ("" if result.applied else " none"))
    lines += [f"  {c.action} {c.address}" for c in result.applied]
    stopped = result.failures + result.cut_short
    partly = [s for s in stopped if s.landed]
    if partly:
        lines.append(f"Partly applied ({len(partly)}): these calls landed, the rest did not")
        lines += [f"  {s.change.action} {s.change.address}: {', '.join(s.landed)}" for s in partly]
    rest = [s.change for s in stopped if not s.landed] + result.not_applied
    lines.append(f"Not applied ({len(rest)}):" + ("" if rest else " none"))
    lines += [f"  {c.action} {c.address}" for c in rest]
    return "\n".join(lines)


@cli.command(name="import")
@click.option("--stack", required=True, help="The stack name the file will own everything as.")
@click.option("--kinds", help="Comma-separated sections to import (default: all).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write here (templates/ beside it).")
@global_options
def import_(stack: str, kinds: str | None, out: str | None) -> int:
    """Write the live account as a config file that plans to no changes once applied."""
    from . import importer

    sections = importer.kinds_of(kinds)
    with connected(None) as client:
        document = importer.collect(client, sections)
        region = client.region
    target = Path(out) if out else None
    importer.write_bodies(document, target)
    text = importer.render(document, stack, region)
    if target is None:
        echo(text, nl=False)
    else:
        target.write_text(text, encoding="utf-8")
        info(f"Wrote {target} ({', '.join(f'{s} {len(document[s])}' for s in sections)})")
    return 0


@cli.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["zone", "json", "octodns"]), default="zone")
@global_options
def dns(config: str, fmt: str) -> int:
    """Print the DNS records the file's domain identities need, from their live state."""
    from . import dns as records_for
    from . import workflow
    from .resources.base import read_or_none

    loaded = load_config(config)
    found: list[records_for.Record] = []
    with connected(loaded) as client:
        loaded = workflow.with_ssm(loaded, client)
        for name, identity in sorted((loaded.model.identities or {}).items()):
            if "@" in name:
                continue
            answer = read_or_none(client, "GetEmailIdentity", EmailIdentity=name)
            if answer is None:
                info(f"Warning: identity {name} does not exist yet: apply first")
                continue
            signing = identity.dkim_signing_attributes
            key = signing.domain_signing_private_key if signing else None
            found += records_for.records(name, answer, client.region, key)
    render_dns = {"zone": records_for.zone_file, "json": records_for.as_json}
    echo(render_dns.get(fmt, records_for.octodns)(found), nl=False)
    return 0


@cli.command()
@click.argument("config", required=False, type=click.Path(dir_okay=False))
@global_options
def doctor(config: str | None) -> int:
    """Check that this machine can send through the account; exit 1 if something blocks it."""
    from .doctor import checks

    loaded = load_config(config) if config else None
    identities = sorted((loaded.model.identities or {}) if loaded else [])
    failed = False
    with connected(loaded) as client:
        for check in checks(client, identities, local=bool(opt("local"))):
            echo(check.line())
            failed = failed or check.verdict == "fail"
    if failed:
        raise SesctlError("something above blocks sending")
    return 0


# As if each identity's DNS records were published when it was created: SES sees them within
# minutes to hours; a few seconds keep --local's `apply` then `send` story short.
LOCAL_VERIFY_AFTER = 5.0
VERIFY_AFTER = click.option(
    "--verify-after",
    type=click.FloatRange(min=-1),
    default=LOCAL_VERIFY_AFTER,
    show_default=True,
    help="Seconds after creation an identity verifies, as DNS would (-1: only through "
    "POST /_sesctl/verify).",
)


def _seconds(verify_after: float) -> float | None:
    return None if verify_after < 0 else verify_after


@cli.command()
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
    import signal

    from .emulator import Emulator, Hardness, Settings

    state = Path(state_file) if state_file else None
    hardness = Hardness(control_plane_rate, template_read_rate, latency / 1000, faults, seed)
    server = Emulator(
        host=host,
        port=port,
        state_file=state,
        max_send_rate=max_send_rate,
        hardness=hardness,
        settings=Settings(sandbox=sandbox, verify_after=_seconds(verify_after)),
    )
    # SIGTERM (process managers, `docker stop`) stops it as Ctrl-C does: state saved, exit 0.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.start()
        info(f"sesctl emulator listening on {server.url} (Ctrl-C to stop)")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        info("sesctl emulator stopped")
    finally:
        server.stop()  # saves the state file, unless it failed to load
        signal.signal(signal.SIGTERM, previous)
    return 0


from . import cli_send  # noqa: E402, F401 - registers `send` and `send-bulk` on the group


def main() -> None:
    cli.main(prog_name="sesctl")

"""The flows the commands run, returning values: load and check a file, plan (targeted or
saved), review, apply, read DNS records, run doctor's checks, run the emulator.

The CLI parses, prints and picks exit codes; these functions take explicit parameters and
only compute, so tests call them directly and saved plans re-derive a plan exactly as
`sesctl plan` made it.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .client import ClientSettings, RateLimits, Sesv2
from .errors import GuardError, SesctlError
from .guards import ALLOW_IDENTITY_DELETION, FORCE, Verdict, judge
from .observe import Recorder
from .plan import Change, Plan

# pydantic (config, engine) and moto (emulator) load inside the flows that use them, so the
# commands that need neither (`send`, `send-bulk`, `--help`) start faster.
if TYPE_CHECKING:
    from .apply import ApplyResult
    from .config import LoadedConfig
    from .dns import Record
    from .doctor import Check
    from .emulator import Emulator
    from .saved import SavedPlan

LOCAL_STATE = Path(".sesctl") / "emulator-state.json"
# As if each identity's DNS records were published when it was created: SES sees them within
# minutes to hours; a few seconds keep --local's `apply` then `send` story short.
LOCAL_VERIFY_AFTER = 5.0


def _ignore(message: str) -> None:
    """The default `warn`: drop the message."""


# --- loading ----------------------------------------------------------------------------------


def load(path: Path, warn: Callable[[str], None] = _ignore) -> LoadedConfig:
    """The file's desired state; each warning goes to `warn` before any later check fails."""
    from .config import load as load_config

    loaded = load_config(path)
    for warning in loaded.warnings:
        warn(warning)
    return loaded


def problems(loaded: LoadedConfig) -> list[str]:
    """What SES would refuse or fail to render in the file, found offline."""
    from .validate import check_templates

    return check_templates(loaded)


def load_checked(
    path: Path, outputs: Sequence[Path | None] = (), warn: Callable[[str], None] = _ignore
) -> LoadedConfig:
    """The config as plan and apply take it: loaded, checked as validate checks it (what SES
    would refuse never reaches SES), and no output path one of the files it was read from."""
    loaded = load(path, warn)
    found = problems(loaded)
    if found:
        raise SesctlError("\n".join(found))
    inputs = {source.resolve() for source in loaded.sources}
    for output in filter(None, outputs):
        if output.resolve() in inputs:
            raise SesctlError(f"{output} is a file the plan is read from: write it elsewhere")
    return loaded


def with_ssm(loaded: LoadedConfig, client: Sesv2) -> LoadedConfig:
    """Load again, reading `${ssm:…}` references now that there is a client."""
    from .config import load as load_config

    return load_config(loaded.path, ssm=client.parameter) if loaded.unresolved else loaded


# --- planning and review ----------------------------------------------------------------------


@dataclass(frozen=True)
class Allowed:
    """What this run's flags let past the safety guards."""

    force: bool = False
    identity_deletion: bool = False

    def flags(self) -> frozenset[str]:
        given = {FORCE: self.force, ALLOW_IDENTITY_DELETION: self.identity_deletion}
        return frozenset(flag for flag, on in given.items() if on)


@dataclass(frozen=True)
class Review:
    """A plan with the guards' verdict on it under this run's flags."""

    plan: Plan
    verdict: Verdict

    @property
    def refusal(self) -> GuardError | None:
        """Why apply must not go ahead (exit 3), or None when no guard blocks the plan."""
        if not self.verdict.blocking:
            return None
        refused = [line for line in self.verdict.lines() if line.startswith("refused")]
        return GuardError(
            "apply refused by the safety guards:\n" + "\n".join(f"  {r}" for r in refused)
        )


def targeted_plan(
    loaded: LoadedConfig, client: Sesv2, allow_takeover: bool, targets: Sequence[str]
) -> Plan:
    """The plan for the file, cut down to the --target resources when any are given."""
    from .engine import make_plan
    from .references import references
    from .targets import parse, select

    addresses = {target: parse(target) for target in targets}  # before any call
    the_plan = make_plan(with_ssm(loaded, client), client, allow_takeover)
    if not addresses:
        return the_plan
    return select(the_plan, addresses, references(loaded))


def review(plan: Plan, allowed: Allowed) -> Review:
    """The plan judged by the safety guards under this run's flags."""
    return Review(plan, judge(plan, allowed.flags()))


def planned(
    loaded: LoadedConfig,
    client: Sesv2,
    allow_takeover: bool,
    targets: Sequence[str],
    allowed: Allowed,
    out: Path | None = None,
) -> Review:
    """The reviewed plan `sesctl plan` shows, saved to `out` when given, with the run's calls."""
    from . import saved

    reviewed = review(targeted_plan(loaded, client, allow_takeover, targets), allowed)
    if out is not None:
        targeted = list(targets)
        saved.write(out, reviewed.plan, reviewed.verdict, loaded, client, targeted, allow_takeover)
    reviewed.plan.metadata["run"] = client.recorder.summary()
    return reviewed


# --- saved plans ------------------------------------------------------------------------------


def saved_plan(path: Path) -> SavedPlan | None:
    """The plan `plan --out` saved at `path`, or None when the file is a config."""
    from . import saved

    return saved.read(path)


def saved_config(saved_plan: SavedPlan, warn: Callable[[str], None] = _ignore) -> LoadedConfig:
    """The config a saved plan was made from, checked; refused for another stack or edits."""
    from . import saved

    loaded = load_checked(saved_plan.config, warn=warn)
    saved.check_origin(saved_plan, loaded)
    return loaded


def fresh_saved(
    saved_plan: SavedPlan, loaded: LoadedConfig, client: Sesv2, allow_takeover: bool
) -> Plan:
    """The plan to apply for a saved one: made now, refused as stale when it differs."""
    from . import saved

    return saved.current(saved_plan, loaded, client, allow_takeover)


# --- applying ---------------------------------------------------------------------------------


def _named(change: Change) -> dict[str, str]:
    return {"action": change.action, "kind": change.kind, "name": change.name}


def apply(
    plan: Plan,
    client: Sesv2,
    on_start: Callable[[Change], None],
    on_applied: Callable[[Change], None],
    on_interrupt: Callable[[], None],
) -> ApplyResult:
    """Apply in dependency order, logging each change's outcome as an event; what landed."""
    from .apply import apply_plan

    recorder = client.recorder

    def applied(change: Change) -> None:
        on_applied(change)
        recorder.emit(event="change", outcome="applied", **_named(change))

    result = apply_plan(
        plan, client, on_applied=applied, on_start=on_start, on_interrupt=on_interrupt
    )
    for stopped in result.failures:
        error = stopped.error.message
        recorder.emit(event="change", outcome="failed", error=error, **_named(stopped.change))
    return result


def write_import(document: dict[str, Any], stack: str, region: str, out: Path | None) -> str:
    """The live account as config text; with `out`, written there, template bodies beside it."""
    from . import importer

    importer.write_bodies(document, out)
    text = importer.render(document, stack, region)
    if out is not None:
        out.write_text(text, encoding="utf-8")
    return text


# --- reads: dns, doctor -----------------------------------------------------------------------


def dns_records(
    loaded: LoadedConfig, client: Sesv2, on_missing: Callable[[str], None] = _ignore
) -> list[Record]:
    """The DNS records the file's domain identities need, from their live state; each identity
    not created yet goes to `on_missing` as it is met."""
    from .dns import records
    from .resources.base import read_or_none

    found: list[Record] = []
    loaded = with_ssm(loaded, client)
    for name, identity in sorted((loaded.model.identities or {}).items()):
        if "@" in name:
            continue
        answer = read_or_none(client, "GetEmailIdentity", EmailIdentity=name)
        if answer is None:
            on_missing(name)
            continue
        signing = identity.dkim_signing_attributes
        key = signing.domain_signing_private_key if signing else None
        found += records(name, answer, client.region, key)
    return found


def doctor(loaded: LoadedConfig | None, client: Sesv2, local: bool) -> Iterator[Check]:
    """Doctor's checks in order, for the file's identities when a file is given."""
    from .doctor import checks

    identities = sorted((loaded.model.identities or {}) if loaded else [])
    yield from checks(client, identities, local=local)


# --- connecting and the emulator --------------------------------------------------------------


@contextmanager
def connect(
    settings: ClientSettings, recorder: Recorder, local: bool, limits: RateLimits | None
) -> Iterator[Sesv2]:
    """A client for the account `settings` name, or for the embedded emulator when `local`."""
    if not local:
        settings.rate_limits = limits or settings.rate_limits
        yield Sesv2(settings, recorder)
        return
    with local_emulator() as url:
        settings.endpoint_url = url
        settings.region = settings.region or "us-east-1"
        settings.rate_limits = limits or RateLimits(default=None, per_operation={})
        yield Sesv2(settings, recorder)


@contextmanager
def local_emulator(
    state_file: Path = LOCAL_STATE, verify_after: float | None = LOCAL_VERIFY_AFTER
) -> Iterator[str]:
    """The embedded emulator --local talks to, its state kept in `state_file`: its URL, with
    throwaway credentials in the environment while it runs."""
    from .emulator import Emulator, Settings

    state_file.parent.mkdir(exist_ok=True)
    emulator = Emulator(state_file=state_file, settings=Settings(verify_after=verify_after))
    emulator.start()
    try:
        with _local_credentials():
            yield emulator.url
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


def emulator_server(
    *,
    host: str,
    port: int,
    state_file: Path | None,
    max_send_rate: float | None,
    control_plane_rate: float | None,
    template_read_rate: float | None,
    latency: float,
    faults: float,
    seed: int | None,
    sandbox: bool,
    verify_after: float | None,
) -> Emulator:
    """The emulator `sesctl emulator` serves (latency in seconds; verify_after None: never)."""
    from .emulator import Emulator, Hardness, Settings

    return Emulator(
        host=host,
        port=port,
        state_file=state_file,
        max_send_rate=max_send_rate,
        hardness=Hardness(control_plane_rate, template_read_rate, latency, faults, seed),
        settings=Settings(sandbox=sandbox, verify_after=verify_after),
    )


def serve(server: Emulator, on_ready: Callable[[str], None], on_stop: Callable[[], None]) -> None:
    """Serve in the foreground until Ctrl-C or SIGTERM, then stop, saving the state file."""
    # SIGTERM (process managers, `docker stop`) stops it as Ctrl-C does: state saved, exit 0.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.start()
        on_ready(server.url)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        on_stop()
    finally:
        server.stop()  # saves the state file, unless it failed to load
        signal.signal(signal.SIGTERM, previous)

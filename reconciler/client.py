"""The signed SES v2 client: botocore does credentials, signing, endpoints and retries.

sesctl adds two things on top: a per-operation rate limiter (SES throttles most control-plane
operations at about one call per second, GetEmailTemplate at 50) and the translation of
botocore's failures into one plain message a user can act on.
"""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.config import Config as BotoConfig
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from .errors import ApiError, Interrupted, NotConnected, SesctlError
from .observe import Recorder

# SES's published default quotas for the control plane (calls per second, per operation).
DEFAULT_RATE = 1.0
# BatchGetMetricData: 16 calls a second (API reference). CloudWatch's GetMetricData and
# ListMetrics: 50 and 25 (CloudWatch service quotas); SES has no operations of those names.
DEFAULT_OPERATION_RATES = {
    "GetEmailTemplate": 50.0,
    "BatchGetMetricData": 16.0,
    "GetMetricData": 50.0,
    "ListMetrics": 25.0,
}
# CreateContact, UpdateContact, DeleteContact, GetContact and ListContacts are at the default:
# SES throttles every API action but sending at one call a second ("Service quotas"; an AWS
# answer on re:Post for GetContact). Not listed above, so --api-rate moves them with the rest.
# Sending is limited by the account's MaxSendRate, not by the control-plane quota.
UNLIMITED_OPERATIONS = frozenset({"SendEmail", "SendBulkEmail", "GetAccount"})

ACCESS_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorized"}
)
BAD_CREDENTIALS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
    }
)
THROTTLED = frozenset({"TooManyRequestsException", "ThrottlingException", "Throttling"})


@dataclass
class RateLimits:
    """Calls per second per operation; `None` as the default means no limit at all."""

    default: float | None = DEFAULT_RATE
    per_operation: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_OPERATION_RATES))

    @classmethod
    def parse(cls, spec: str) -> RateLimits:
        """Parse `unlimited`, `2`, or `1,GetEmailTemplate=50` (default first, then overrides)."""
        spec = spec.strip()
        if spec.lower() in ("unlimited", "none", "off"):
            return cls(default=None, per_operation={})
        limits = cls()
        for part in filter(None, (p.strip() for p in spec.split(","))):
            name, _, value = part.rpartition("=")
            try:
                rate = float(value)
            except ValueError:
                raise SesctlError(
                    f"--api-rate: {part!r} is not a number of calls per second"
                ) from None
            if rate <= 0:
                raise SesctlError(f"--api-rate: {part!r} must be greater than zero")
            if name:
                limits.per_operation[name] = rate
            else:
                limits.default = rate
        return limits

    def rate(self, operation: str) -> float | None:
        if operation in UNLIMITED_OPERATIONS:
            return None
        return self.per_operation.get(operation, self.default)


# Calls are spaced this much wider than 1/rate: the network's jitter must not carry two
# calls into the same quota window at SES's end.
SLACK = 1.02


class RateLimiter:
    """Spaces calls of each operation SLACK/rate seconds apart, across threads."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, operation: str) -> None:
        rate = self.limits.rate(operation)
        if rate is None:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(operation, now))
            self._next[operation] = slot + SLACK / rate
        if slot > now:
            time.sleep(slot - now)

    def before_send(self, event_name: str, **_: Any) -> None:
        """botocore `before-send` hook: runs once per HTTP attempt, retries included."""
        self.wait(event_name.rsplit(".", 1)[-1])

    def slow_down(self, operation: str) -> None:
        """After a 429 for this operation, leave one slot empty so SES's window drains.

        Only this operation slows: SES's quotas are per operation, so botocore's adaptive
        mode, which slows the whole client after one throttle, would slow the others for
        nothing.
        """
        rate = self.limits.rate(operation)
        if rate is None:
            return
        with self._lock:
            now = time.monotonic()
            self._next[operation] = max(now, self._next.get(operation, now)) + 1.0 / rate


@dataclass
class ClientSettings:
    """Where and how to connect; everything else comes from botocore's standard chain."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 8
    rate_limits: RateLimits = field(default_factory=RateLimits)
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retry_mode: str = "standard"  # pacing per operation is the limiter's (see slow_down)


class Sesv2:
    """A botocore sesv2 client (and its tagging client) that fails with plain messages."""

    def __init__(self, settings: ClientSettings, recorder: Recorder | None = None) -> None:
        try:
            session = botocore.session.Session(profile=settings.profile)
            region = (
                settings.region or _environment_region() or session.get_config_variable("region")
            )
        except ProfileNotFound as exc:
            raise SesctlError(f"AWS profile not found: {exc.kwargs.get('profile')}") from None
        if not region:
            raise SesctlError(
                "no AWS region: set `region:` in the file, pass --region, or set AWS_REGION"
            )
        if settings.endpoint_url is None and region not in _known_regions(session):
            raise SesctlError(
                f"unknown AWS region {region!r} for SES (check --region / AWS_REGION)"
            )
        config = BotoConfig(
            retries={"mode": settings.retry_mode, "total_max_attempts": settings.max_attempts},
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            max_pool_connections=32,
            user_agent_extra="sesctl",
        )
        # botocore's parsing of timestamps cost more than the rest of a 1,000-entry page: keep
        # them as the service sent them (stats reads the few it needs itself).
        session.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=_as_sent
        )
        self.region = region
        self.endpoint_url = settings.endpoint_url
        self.max_attempts = settings.max_attempts
        self.limiter = RateLimiter(settings.rate_limits)
        # Set on Ctrl-C: no call starts after it (the ones on the wire finish).
        self.stopped = threading.Event()
        self._changes = threading.local()  # the calls that landed for the change in hand
        self.account: str | None = None
        self.recorder = recorder or Recorder()
        self._session, self._config = session, config
        self.ses = self._client("sesv2")
        self.partition = (
            session.get_partition_for_region(region) if settings.endpoint_url is None else "aws"
        )

    @cached_property
    def tagging(self) -> Any:
        return self._client("resourcegroupstaggingapi")

    @cached_property
    def sts(self) -> Any:
        return self._client("sts")

    @cached_property
    def ssm(self) -> Any:
        return self._client("ssm")

    @cached_property
    def cloudwatch(self) -> Any:
        return self._client("cloudwatch")

    def _client(self, service: str) -> Any:
        """A botocore client that shares this one's settings and rate limiter (built on use)."""
        client = self._session.create_client(
            service, region_name=self.region, endpoint_url=self.endpoint_url, config=self._config
        )
        client.meta.events.register("before-send", self.limiter.before_send)
        client.meta.events.register("response-received", self._after_attempt)
        return client

    def _after_attempt(self, event_name: str, parsed_response: Any = None, **_: Any) -> None:
        """botocore `response-received` hook, once per HTTP attempt: a throttled attempt
        slows its own operation and is counted."""
        code = ((parsed_response or {}).get("Error") or {}).get("Code")
        if code in THROTTLED:
            operation = event_name.rsplit(".", 1)[-1]
            self.limiter.slow_down(operation)
            self.recorder.throttled(operation)

    def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call an SES v2 operation by its API name (`GetEmailIdentity`)."""
        return self._invoke(self.ses, operation, params)

    def call_tagging(self, operation: str, **params: Any) -> dict[str, Any]:
        return self._invoke(self.tagging, operation, params)

    def call_cloudwatch(self, operation: str, **params: Any) -> dict[str, Any]:
        """Call a CloudWatch operation (`GetMetricData`): SES publishes its metrics there."""
        return self._invoke(self.cloudwatch, operation, params)

    def single_attempt(self) -> Sesv2:
        """A copy whose SES calls make one attempt each, unpaced and unvalidated, for sending.

        botocore would retry a call whose answer was lost (a message sent twice) and, in
        adaptive mode, slow every call after one 429; send-bulk decides both itself. Rows are
        checked before any send and every entry is built in one shape, while validating cost
        as much as the call. The emulator validates every request.
        """
        clone = copy.copy(self)
        clone._config = self._config.merge(
            BotoConfig(
                retries={"mode": "standard", "total_max_attempts": 1},
                parameter_validation=False,
            )
        )
        clone.max_attempts = 1
        clone.ses = clone._client("sesv2")
        return clone

    def credential_source(self) -> str | None:
        """Where botocore found credentials (`env`, `sso`, `iam-role`…); None if nowhere."""
        try:
            credentials = self._session.get_credentials()
        except BotoCoreError:
            return None
        return None if credentials is None else str(credentials.method)

    def endpoint(self) -> str:
        """The URL SES calls go to."""
        return str(self.ses.meta.endpoint_url)

    def account_id(self) -> str:
        """The account the credentials belong to, learnt once, when first needed."""
        if self.account is None:
            self.account = str(self._invoke(self.sts, "GetCallerIdentity", {})["Account"])
        return self.account

    def arn(self, resource_type: str, name: str) -> str:
        """The ARN SES gives a resource."""
        return f"arn:{self.partition}:ses:{self.region}:{self.account_id()}:{resource_type}/{name}"

    def parameter(self, name: str) -> str:
        """An SSM Parameter Store value, decrypted (SecureString): for `${ssm:…}` references."""
        try:
            answer = self._invoke(self.ssm, "GetParameter", {"Name": name, "WithDecryption": True})
        except ApiError as exc:
            if exc.code == "ParameterNotFound":
                raise SesctlError(f"SSM parameter {name} does not exist") from None
            raise
        return str(answer["Parameter"]["Value"])

    def pages(self, operation: str, key: str, **params: Any) -> Iterator[Any]:
        """Yield the items under `key` from every page of a NextToken-paginated operation."""
        return _pages(self.call, operation, key, params)

    def cloudwatch_pages(self, operation: str, key: str, **params: Any) -> Iterator[Any]:
        """The same for a CloudWatch operation (ListMetrics, GetMetricData)."""
        return _pages(self.call_cloudwatch, operation, key, params)

    @contextmanager
    def landing(self) -> Iterator[list[str]]:
        """The writes that land in this thread while the block runs, in order: what a change
        did before it failed or was interrupted."""
        landed: list[str] = []
        self._changes.landed = landed
        try:
            yield landed
        finally:
            self._changes.landed = None

    def _invoke(self, client: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Make one call; the recorder hears of it however it ends."""
        if self.stopped.is_set():
            raise Interrupted(f"interrupted before {operation}")
        started = time.monotonic()
        metadata: dict[str, Any] | None = None
        error: str | None = None
        try:
            answer = self._attempts(client, operation, params)
            metadata = answer.get("ResponseMetadata")
            landed = getattr(self._changes, "landed", None)
            if landed is not None and not operation.startswith(("Get", "List")):
                landed.append(operation)
            return answer
        except _Failed as failed:
            metadata, error = failed.metadata, failed.error.message
            raise failed.error from None
        finally:
            self.recorder.call(operation, time.monotonic() - started, metadata, error)

    def _attempts(self, client: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """botocore's call with its retries; a failure as one plain error."""
        method = getattr(client, xform_name(operation))
        try:
            return method(**params)
        except ClientError as exc:
            metadata = exc.response.get("ResponseMetadata", {})
            if _deleted_by_a_lost_attempt(operation, exc):
                return {"ResponseMetadata": metadata}
            raise _Failed(self._client_error(operation, exc), metadata) from None
        except BotoCoreError as exc:
            raise _Failed(self._plain(operation, exc), None) from None

    def _plain(self, operation: str, exc: BotoCoreError) -> SesctlError:
        """botocore's own failures (credentials, region, network) in words a user can act on."""
        if isinstance(exc, NoCredentialsError):
            return SesctlError(
                "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
                "AWS_SECRET_ACCESS_KEY, use --profile, or try sesctl with --local"
            )
        if isinstance(exc, PartialCredentialsError):
            return SesctlError(f"incomplete AWS credentials: {exc}")
        if isinstance(exc, NoRegionError):
            return SesctlError("no AWS region: pass --region or set AWS_REGION")
        if isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
            url = getattr(exc, "kwargs", {}).get("endpoint_url") or self.endpoint_url or "SES"
            return NotConnected(f"cannot connect to {url}: the endpoint refused or timed out")
        if isinstance(exc, ReadTimeoutError):
            return SesctlError(f"{operation}: SES did not answer in time")
        return SesctlError(f"{operation}: {exc}")

    def _client_error(self, operation: str, exc: ClientError) -> ApiError:
        error = exc.response.get("Error", {})
        code = error.get("Code", "Unknown")
        message = error.get("Message") or ""
        if code in ACCESS_DENIED:
            text = f"access denied: {operation} is not allowed for these credentials ({message})"
        elif code in BAD_CREDENTIALS:
            text = f"AWS rejected the credentials on {operation}: {code} ({message})"
        elif code in THROTTLED:
            text = (
                f"SES kept throttling {operation} after {self.max_attempts} attempts; "
                "lower --api-rate or try again later"
            )
        else:
            text = f"{operation} failed: {code}: {message}"
        return ApiError(text, code, _retried(exc))


def _pages(
    call: Callable[..., dict[str, Any]], operation: str, key: str, params: dict[str, Any]
) -> Iterator[Any]:
    token: str | None = None
    while True:
        page = call(operation, **params, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


def _as_sent(value: Any) -> Any:
    return value


class _Failed(Exception):
    """A call that failed for good, with what SES said about it (for the recorder)."""

    def __init__(self, error: SesctlError, metadata: dict[str, Any] | None) -> None:
        super().__init__(error.message)
        self.error, self.metadata = error, metadata


def _retried(exc: ClientError) -> bool:
    return bool(exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) > 0)


def _deleted_by_a_lost_attempt(operation: str, exc: ClientError) -> bool:
    """A retried delete that meets NotFound: an earlier attempt deleted it and its answer was
    lost on the way (a cut connection). A retried create that meets AlreadyExists is not
    taken for granted: someone else may have created it in between (see resources.base)."""
    code = exc.response.get("Error", {}).get("Code")
    return _retried(exc) and operation.startswith("Delete") and code == "NotFoundException"


def _environment_region() -> str | None:
    """AWS_REGION, which the AWS CLI and SDKs read before AWS_DEFAULT_REGION (AWS SDKs and
    Tools reference, "AWS Region"); botocore reads only the latter, and the profile's."""
    return os.environ.get("AWS_REGION") or None


def _known_regions(session: Any) -> set[str]:
    regions: set[str] = set()
    for partition in session.get_available_partitions():
        regions.update(session.get_available_regions("sesv2", partition_name=partition))
    return regions


def is_not_found(exc: SesctlError) -> bool:
    return isinstance(exc, ApiError) and exc.code == "NotFoundException"

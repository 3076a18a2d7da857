"""The client's rate limits: parsing the setting and spacing calls per operation."""

from __future__ import annotations

import pytest

from reconciler import client as client_module
from reconciler.client import RateLimiter, RateLimits
from reconciler.errors import SesctlError


def test_defaults_are_ses_published_quotas() -> None:
    limits = RateLimits()
    assert limits.rate("GetEmailIdentity") == 1.0
    assert limits.rate("GetEmailTemplate") == 50.0
    assert limits.rate("SendEmail") is None


def test_parse_default_and_overrides() -> None:
    limits = RateLimits.parse("2,GetEmailTemplate=100,ListEmailIdentities=0.5")
    assert limits.rate("CreateEmailIdentity") == 2.0
    assert limits.rate("GetEmailTemplate") == 100.0
    assert limits.rate("ListEmailIdentities") == 0.5
    assert RateLimits.parse("unlimited").rate("GetEmailIdentity") is None


@pytest.mark.parametrize("spec", ["fast", "GetEmailTemplate=x", "0", "-1"])
def test_parse_rejects_nonsense(spec: str) -> None:
    with pytest.raises(SesctlError, match="--api-rate"):
        RateLimits.parse(spec)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_limiter_spaces_each_operation_on_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(client_module, "time", clock)
    limiter = RateLimiter(RateLimits.parse("2,GetEmailTemplate=50"))
    for _ in range(3):
        limiter.wait("GetEmailIdentity")
    assert clock.slept == [0.51, 0.51]  # 1/rate, 2 % wider for the network's jitter
    clock.slept.clear()
    limiter.wait("GetEmailTemplate")
    limiter.wait("GetEmailTemplate")
    assert clock.slept == [0.0204]
    clock.slept.clear()
    limiter.wait("SendEmail")
    assert clock.slept == []


def test_limiter_hook_reads_the_operation_from_the_event_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(client_module, "time", clock)
    limiter = RateLimiter(RateLimits.parse("1"))
    limiter.before_send(event_name="before-send.sesv2.ListEmailTemplates", request=None)
    limiter.before_send(event_name="before-send.sesv2.ListEmailTemplates", request=None)
    assert clock.slept == [1.02]


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"AWS_REGION": "eu-west-1"}, "eu-west-1"),
        ({"AWS_DEFAULT_REGION": "eu-central-1"}, "eu-central-1"),
        ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-central-1"}, "eu-west-1"),
    ],
)
def test_the_region_comes_from_aws_region_first_as_the_aws_cli_reads_it(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = client_module.ClientSettings(endpoint_url="http://127.0.0.1:9")
    assert client_module.Sesv2(settings).region == expected
    settings.region = "us-west-2"  # --region or the file's region: always first
    assert client_module.Sesv2(settings).region == "us-west-2"

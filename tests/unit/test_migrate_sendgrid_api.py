"""The SendGrid reader against the fake v3 API: every page read, rate limits waited for on a
controlled clock (never a real sleep), the key sent nowhere but the base URL."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.errors import SesctlError
from reconciler.migrate.sendgrid_api import SendGridApi, check_url
from reconciler.migrate.source import Entry
from tests.sendgrid_fake import FakeSendGrid

KEY = "SG.unit-canary-key-000111222333"


class Clock:
    """Time that moves only when the reader sleeps."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def data() -> dict[str, Any]:
    template = {
        "id": "d-1",
        "name": "Welcome",
        "generation": "dynamic",
        "versions": [
            {"id": "v1", "active": 0, "name": "a", "subject": "old", "html_content": "old"},
            {
                "id": "v2",
                "active": 1,
                "name": "b",
                "subject": "Hi {{n}}",
                "html_content": "<p>{{n}}</p>",
                "plain_content": "{{n}}",
                "test_data": '{"n": "Ada"}',
            },
        ],
    }
    return {
        "templates": [template]
        + [{**template, "id": f"d-{i}", "versions": []} for i in range(2, 6)],
        "asm_groups": [{"id": 3, "name": "News", "description": "", "is_default": False}],
        "asm_suppressions": {3: ["u@example.com"]},
        "bounces": [
            {"email": f"b{i}@example.com", "created": i, "reason": "550"} for i in range(7)
        ],
        "verified_senders": [
            {"id": i, "from_email": f"s{i}@example.com", "verified": True} for i in range(1, 6)
        ],
        "whitelabel_domains": [
            {"id": i, "domain": f"d{i}.example.com", "valid": True} for i in range(3)
        ],
    }


def test_every_page_of_every_list_is_read() -> None:
    with FakeSendGrid(KEY, data(), max_page=2) as fake, SendGridApi(KEY, fake.url) as api:
        account = api.read()
    assert [t.id for t in account.templates] == ["d-1", "d-2", "d-3", "d-4", "d-5"]
    active = account.templates[0].active
    assert active is not None and (active.name, active.test_data) == ("b", '{"n": "Ada"}')
    assert account.bounces == [Entry(f"b{i}@example.com", "550") for i in range(7)]
    assert [s.email for s in account.senders] == [f"s{i}@example.com" for i in range(1, 6)]
    assert len(account.domains) == 3 and account.group_unsubscribes == {3: ["u@example.com"]}
    assert all(r.authorized and r.status == 200 for r in fake.requests)


def test_an_exhausted_limit_is_waited_for_not_hit() -> None:
    clock = Clock()
    fake = FakeSendGrid(KEY, data(), max_page=2, rate_limit=2, window=60, clock=clock)
    with fake, SendGridApi(KEY, fake.url, sleep=clock.sleep, clock=clock) as api:
        account = api.read()
    assert len(account.bounces) == 7
    assert [r for r in fake.requests if r.status == 429] == []
    assert clock.slept and all(0 < s <= 60 for s in clock.slept)


def test_a_429_waits_for_the_reset_it_names_then_retries() -> None:
    clock = Clock()
    fake = FakeSendGrid(KEY, data(), clock=clock)
    fake.throttle("/v3/asm/groups", times=2, reset_in=30)
    with fake, SendGridApi(KEY, fake.url, sleep=clock.sleep, clock=clock) as api:
        groups = api.groups()
    assert [g.name for g in groups] == ["News"]
    assert [r.status for r in fake.requests] == [429, 429, 200]
    assert clock.slept == [30.0, 30.0]


def test_a_reset_too_far_away_is_an_error_not_a_stall() -> None:
    clock = Clock()
    fake = FakeSendGrid(KEY, data(), clock=clock)
    fake.throttle("/v3/asm/groups", times=1, reset_in=3600)
    with (
        fake,
        SendGridApi(KEY, fake.url, sleep=clock.sleep, clock=clock) as api,
        pytest.raises(SesctlError, match="resets in 3600 s; run again later"),
    ):
        api.groups()
    assert clock.slept == []


def test_a_wrong_key_says_so_without_the_key() -> None:
    with (
        FakeSendGrid(KEY, data()) as fake,
        SendGridApi("SG.other-canary-4455", fake.url) as api,
        pytest.raises(SesctlError) as caught,
    ):
        api.read()
    assert "401" in caught.value.message and "other-canary" not in caught.value.message


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://api.sendgrid.com", "unencrypted"),
        ("ftp://api.sendgrid.com", "https://"),
        ("https://user:pw@api.sendgrid.com", "scheme, host and port only"),
    ],
)
def test_only_https_or_loopback_urls_carry_the_key(url: str, message: str) -> None:
    with pytest.raises(SesctlError, match=message):
        check_url(url)
    assert check_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"

"""The SendGrid fake over real HTTP: SendGrid's auth and error bodies, each endpoint's paging, and
rate limits driven by an injected clock, so migrate's tests can trust what it serves."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.sendgrid_fake import FakeSendGrid

KEY = "SG.test-key.secret-value"
UNAUTHORIZED = {"errors": [{"field": None, "message": "authorization required"}]}
TOO_MANY = {"errors": [{"field": None, "message": "too many requests"}]}


def version(template_id: str, n: int) -> dict[str, Any]:
    """A full version as GET /templates/{id}/versions/{vid} documents it."""
    return {
        "id": f"{template_id}-v{n}",
        "template_id": template_id,
        "active": 1 if n == 0 else 0,
        "name": f"v{n}",
        "subject": "Hello {{name}}",
        "html_content": "<p>Hello {{name}}</p>",
        "plain_content": "Hello {{name}}",
        "generate_plain_content": False,
        "editor": "code",
        "test_data": '{"name": "Ada"}',
        "updated_at": "2024-05-01 10:00:00",
        "thumbnail_url": "https://example.com/t.png",
    }


def template(n: int, generation: str = "dynamic") -> dict[str, Any]:
    tid = f"d-{n:032d}"
    return {
        "id": tid,
        "name": f"template {n}",
        "generation": generation,
        "updated_at": "2024-05-01 10:00:00",
        "versions": [version(tid, 0), version(tid, 1)],
    }


DATA: dict[str, Any] = {
    "templates": [template(n) for n in range(12)] + [template(99, "legacy")],
    "asm_groups": [
        {"id": 7, "name": "News", "description": "Weekly", "is_default": True, "unsubscribes": 2}
    ],
    "asm_suppressions": {7: ["a@example.com", "b@example.com"]},
    "bounces": [
        {"created": 1000 + n, "email": f"b{n}@example.com", "reason": "550", "status": "5.1.1"}
        for n in range(7)
    ],
    "verified_senders": [{"id": i, "from_email": f"s{i}@example.com"} for i in (3, 1, 2, 5)],
    "whitelabel_domains": [{"id": i, "domain": f"d{i}.example.com"} for i in range(4)],
}


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def call(
    url: str, key: str | None = KEY, method: str = "GET", scheme: str = "Bearer"
) -> tuple[int, Any, Any]:
    """Status, headers and decoded JSON body of one request, errors included."""
    request = urllib.request.Request(url, method=method)
    if key is not None:
        request.add_header("Authorization", f"{scheme} {key}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read())


def get(
    fake: FakeSendGrid, path: str, key: str | None = KEY, **params: Any
) -> tuple[int, Any, Any]:
    query = f"?{urlencode(params)}" if params else ""
    return call(f"{fake.url}{path}{query}", key)


@pytest.fixture
def fake() -> Iterator[FakeSendGrid]:
    with FakeSendGrid(KEY, DATA, max_page=5) as server:
        yield server


def test_wrong_or_missing_key_is_401_with_sendgrid_body_and_never_echoes_the_key(
    fake: FakeSendGrid,
) -> None:
    for key in ("SG.wrong", None):
        status, headers, body = get(fake, "/v3/templates", key, page_size=10)
        assert (status, body) == (401, UNAUTHORIZED)
        assert KEY not in json.dumps(body) and KEY not in str(headers)
    assert call(f"{fake.url}/v3/templates?page_size=10", scheme="Token")[0] == 401
    assert call(f"{fake.url}/v3/templates?page_size=10")[0] == 200
    assert [r.authorized for r in fake.requests] == [False, False, False, True]
    assert KEY not in repr(fake.requests)


def test_templates_walk_every_page_through_metadata_next_with_lean_versions(
    fake: FakeSendGrid,
) -> None:
    url: str | None = f"{fake.url}/v3/templates?generations=dynamic&page_size=200"
    seen: list[str] = []
    pages = 0
    while url:
        status, _, body = call(url)
        assert status == 200
        assert len(body["result"]) <= 5 and body["_metadata"]["count"] == 12
        seen += [t["id"] for t in body["result"]]
        url = body["_metadata"].get("next")
        pages += 1
    assert pages == 3 and seen == [t["id"] for t in DATA["templates"][:12]]
    lean = body["result"][-1]["versions"][0]
    assert "html_content" not in lean and "plain_content" not in lean and "test_data" not in lean
    assert lean["subject"] == "Hello {{name}}" and lean["active"] == 1
    assert [r.query.get("page_token") is None for r in fake.requests] == [True, False, False]


def test_templates_default_to_legacy_and_check_page_size(fake: FakeSendGrid) -> None:
    status, _, body = get(fake, "/v3/templates", page_size=1)
    assert status == 200 and [t["generation"] for t in body["result"]] == ["legacy"]
    assert "next" not in body["_metadata"] and body["_metadata"]["count"] == 1
    _, _, body = get(fake, "/v3/templates", generations="legacy,dynamic", page_size=200)
    assert body["_metadata"]["count"] == 13 and len(body["result"]) == 5
    for bad in ({}, {"page_size": 0}, {"page_size": 201}, {"page_size": "x"}):
        status, _, body = get(fake, "/v3/templates", **bad)
        assert status == 400 and body["errors"][0]["field"] == "page_size"
    status, _, body = get(fake, "/v3/templates", page_size=5, page_token="nonsense")
    assert status == 400 and body["errors"][0]["field"] == "page_token"


def test_a_template_by_id_has_full_versions_and_an_unknown_id_is_404(fake: FakeSendGrid) -> None:
    tid = DATA["templates"][3]["id"]
    status, _, body = get(fake, f"/v3/templates/{tid}")
    assert status == 200 and body["id"] == tid and len(body["versions"]) == 2
    assert body["versions"][0]["html_content"] == "<p>Hello {{name}}</p>"
    assert body["versions"][0]["plain_content"] == "Hello {{name}}"
    status, _, body = get(fake, "/v3/templates/d-missing")
    assert (status, body) == (404, {"errors": [{"field": None, "message": "resource not found"}]})


def test_bounces_page_by_limit_and_offset_and_filter_by_time() -> None:
    with FakeSendGrid(KEY, DATA) as fake:
        pages = [get(fake, "/v3/suppression/bounces", limit=3, offset=o)[2] for o in (0, 3, 6)]
        assert [[b["email"] for b in page] for page in pages] == [
            ["b0@example.com", "b1@example.com", "b2@example.com"],
            ["b3@example.com", "b4@example.com", "b5@example.com"],
            ["b6@example.com"],
        ]
        assert get(fake, "/v3/suppression/bounces")[2] == DATA["bounces"]
        status, _, body = get(fake, "/v3/suppression/bounces", limit=501)
        assert status == 400 and body["errors"][0]["field"] == "limit"
        _, _, body = get(fake, "/v3/suppression/bounces", start_time=1002, end_time=1003)
        assert [b["created"] for b in body] == [1002, 1003]
        assert get(fake, "/v3/suppression/blocks")[:3:2] == (200, [])


def test_max_page_caps_limit_offset_pages(fake: FakeSendGrid) -> None:
    _, _, body = get(fake, "/v3/suppression/bounces", limit=500)
    assert len(body) == 5
    _, _, body = get(fake, "/v3/whitelabel/domains", offset=2)
    assert [d["id"] for d in body] == [2, 3]


def test_verified_senders_page_with_last_seen_id(fake: FakeSendGrid) -> None:
    _, _, body = get(fake, "/v3/verified_senders", limit=2)
    assert [s["id"] for s in body["results"]] == [1, 2]
    _, _, body = get(fake, "/v3/verified_senders", limit=2, lastSeenID=2)
    assert [s["id"] for s in body["results"]] == [3, 5]
    assert get(fake, "/v3/verified_senders", limit=2, lastSeenID=5)[2] == {"results": []}
    assert [s["id"] for s in get(fake, "/v3/verified_senders", id=3)[2]["results"]] == [3]


def test_groups_and_their_suppressions_are_bare_arrays(fake: FakeSendGrid) -> None:
    assert get(fake, "/v3/asm/groups")[2] == DATA["asm_groups"]
    assert get(fake, "/v3/asm/groups", id=8)[2] == []
    assert get(fake, "/v3/asm/groups/7/suppressions")[2] == ["a@example.com", "b@example.com"]
    assert get(fake, "/v3/asm/groups/8/suppressions")[0] == 404


def test_throttle_answers_429_with_reset_then_200() -> None:
    clock = Clock(1000.5)
    with FakeSendGrid(KEY, DATA, clock=clock) as fake:
        fake.throttle("/v3/suppression", times=1, reset_in=30)
        assert get(fake, "/v3/verified_senders")[0] == 200
        status, headers, body = get(fake, "/v3/suppression/bounces")
        assert (status, body) == (429, TOO_MANY)
        assert headers["X-RateLimit-Remaining"] == "0"
        assert headers["X-RateLimit-Reset"] == "1030"
        assert headers["X-RateLimit-Limit"] == "500"
        status, headers, _ = get(fake, "/v3/suppression/bounces")
        assert status == 200 and int(headers["X-RateLimit-Remaining"]) > 0
        assert [r.status for r in fake.requests] == [200, 429, 200]


def test_budget_is_per_path_template_and_resets_when_the_clock_moves() -> None:
    clock = Clock(120.0)
    with FakeSendGrid(KEY, DATA, rate_limit=2, window=60, clock=clock) as fake:
        remaining = [
            get(fake, f"/v3/templates/{t['id']}")[1]["X-RateLimit-Remaining"]
            for t in DATA["templates"][:2]
        ]
        assert remaining == ["1", "0"]
        status, headers, body = get(fake, f"/v3/templates/{DATA['templates'][2]['id']}")
        assert (status, body) == (429, TOO_MANY)
        assert (headers["X-RateLimit-Remaining"], headers["X-RateLimit-Reset"]) == ("0", "180")
        assert get(fake, "/v3/templates", page_size=1)[0] == 200
        clock.now = 180.0
        status, headers, _ = get(fake, f"/v3/templates/{DATA['templates'][2]['id']}")
        assert (status, headers["X-RateLimit-Remaining"], headers["X-RateLimit-Reset"]) == (
            200,
            "1",
            "240",
        )


def test_unknown_paths_404_other_methods_405_and_stop_is_quick() -> None:
    fake = FakeSendGrid(KEY, DATA).start()
    status, headers, body = get(fake, "/v3/mail/send")
    assert (status, body) == (404, {"errors": [{"field": None, "message": "resource not found"}]})
    assert "X-RateLimit-Reset" in headers
    assert call(f"{fake.url}/v3/templates?page_size=1", method="DELETE")[0] == 405
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 1.0
    with pytest.raises(RuntimeError):
        _ = fake.url

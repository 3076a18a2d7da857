"""SendGrid's v3 Web API, read with httpx2: pages walked to the end, rate limits honoured.

Rate limits ("Rate Limits" in SendGrid's API reference): every answer carries
X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (Unix seconds), counted per
endpoint; past the limit SendGrid answers 429 until the reset. So a request waits for the reset
of its endpoint once that endpoint has nothing remaining, and a 429 waits for the reset it
names, then retries. Pagination follows each endpoint's reference page: page_size and
page_token (from `_metadata.next`) for templates, limit and offset for the suppression lists
and authenticated domains, limit and lastSeenID for verified senders.

The key travels only in the Authorization header, to the base URL given and nowhere else:
the next page is built from the token of `_metadata.next`, never fetched from the URL a server
names; redirects are not followed; http:// is refused except on loopback. The key is a
secret: every message that leaves this module is scrubbed of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx2 as httpx

from .. import __version__
from ..errors import SesctlError
from ..recipients import parse_json
from ..secrets import SECRETS
from . import source
from .source import Account, SourceError

BASE_URL = "https://api.sendgrid.com"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
TEMPLATE_PAGE = 200  # "Retrieve paged transactional templates": page_size at most 200
LIST_PAGE = 500  # the suppression lists: "The maximum page size for this endpoint is 500"
DOMAIN_PAGE = 100
SENDER_PAGE = 100
MAX_WAIT = 300.0  # a reset further away than this is an error, not a silent stall
ATTEMPTS = 6
MAX_BODY = 256 * 1024 * 1024
MAX_ITEMS = 10_000_000
# What to grant the key when SendGrid answers 403, by the path's first segment.
SCOPES = {
    "templates": "Template Engine (read)",
    "asm": "Suppressions (read)",
    "suppression": "Suppressions (read)",
    "verified_senders": "Sender Verification (read)",
    "whitelabel": "Sender Authentication (read)",
}


@dataclass(frozen=True)
class Reply:
    """An answer read whole (within MAX_BODY)."""

    status_code: int
    headers: httpx.Headers
    content: bytes


class ApiError(SourceError):
    """SendGrid refused or failed a request; the message never holds the key."""


def check_url(url: str) -> str:
    """The base URL without a trailing slash: https, or http on loopback only."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ApiError(f"--sendgrid-url {url}: give an https:// URL such as {BASE_URL}")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise ApiError(f"--sendgrid-url {url}: the key would travel unencrypted; use https://")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ApiError(f"--sendgrid-url {url}: give the scheme, host and port only")
    return url.rstrip("/")


class SendGridApi:
    """A read-only client of the v3 endpoints migrate needs."""

    def __init__(
        self,
        key: str,
        base_url: str = BASE_URL,
        *,
        note: Callable[[str], None] = lambda message: None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._base = check_url(base_url)
        self._http = httpx.Client(
            headers={"Authorization": f"Bearer {key}", "User-Agent": f"sesctl/{__version__}"},
            follow_redirects=False,
            trust_env=urlsplit(self._base).hostname not in LOOPBACK,  # no proxy for loopback
            timeout=httpx.Timeout(30.0, connect=10.0),
        )
        self._note, self._sleep, self._clock = note, sleep, clock
        self._exhausted: dict[str, float] = {}  # endpoint → when its limit resets

    def __enter__(self) -> SendGridApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def read(self) -> Account:
        """The whole account, each list walked to its end."""
        account = Account(templates=list(self.templates()), groups=self.groups())
        for g in account.groups:
            path = f"/v3/asm/groups/{g.id}/suppressions"
            account.group_unsubscribes[g.id] = source.addresses(self.get(path, path), path)
        for name in source.LISTS:
            path = f"/v3/suppression/{name}"
            found = [source.entry(o, f"GET {path} item {i + 1}") for i, o in self._offset(path)]
            setattr(account, name, found)
            self._note(f"Read {len(found)} {name.replace('_', ' ')} from SendGrid")
        account.senders = [
            source.sender(o, f"GET /v3/verified_senders {i}") for i, o in self._senders()
        ]
        path = "/v3/whitelabel/domains"
        account.domains = [
            source.domain(o, f"GET {path} item {i + 1}") for i, o in self._offset(path, DOMAIN_PAGE)
        ]
        return account

    def templates(self) -> Iterator[source.Template]:
        """Every template, read whole (the list holds no content)."""
        token: str | None = None
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"generations": "legacy,dynamic", "page_size": TEMPLATE_PAGE}
            if token:
                params["page_token"] = token
            page = self.get("/v3/templates", "/v3/templates", **params)
            items = page.get("result") if isinstance(page, dict) else None
            if not isinstance(items, list):
                raise ApiError("GET /v3/templates: the answer has no result list")
            for i, lean in enumerate(items):
                ident = source.template(lean, f"GET /v3/templates item {i + 1}").id
                yield self._template(f"/v3/templates/{quote(ident, safe='')}")
            token = _next_token(page)
            if token is None or token in seen:
                return
            seen.add(token)

    def _template(self, path: str) -> source.Template:
        """A template read whole, its active version with its sample data."""
        whole = self.get(path, "/v3/templates/{id}")
        active = source.active_version_id(whole, f"GET {path}")
        detail = None
        if active is not None and source.template(whole, f"GET {path}").generation == "dynamic":
            version = f"{path}/versions/{quote(active, safe='')}"
            detail = self.get(version, "/v3/templates/{id}/versions/{id}")
        return source.template(whole, f"GET {path}", detail)

    def groups(self) -> list[source.Group]:
        found = self.get("/v3/asm/groups", "/v3/asm/groups")
        if not isinstance(found, list):
            raise ApiError("GET /v3/asm/groups: expected a list of groups")
        return [source.group(o, f"GET /v3/asm/groups item {i + 1}") for i, o in enumerate(found)]

    def _offset(self, path: str, limit: int = LIST_PAGE) -> Iterator[tuple[int, Any]]:
        """Items of a limit/offset list, numbered from 0, walked to an empty page (a page may
        come back shorter than the limit before the end)."""
        offset, previous = 0, None
        while offset < MAX_ITEMS:
            page = self.get(path, path, limit=limit, offset=offset)
            if not isinstance(page, list):
                raise ApiError(f"GET {path}: expected a list")
            if not page:
                return
            if page == previous:
                raise ApiError(f"GET {path}: the same page came back for offset {offset}")
            yield from enumerate(page, offset)
            offset, previous = offset + len(page), page
        raise ApiError(f"GET {path}: more than {MAX_ITEMS} items; stopped")

    def _senders(self) -> Iterator[tuple[int, Any]]:
        """Verified senders, paged by the id of the last one seen, to an empty page."""
        count, last = 0, None
        while count < MAX_ITEMS:
            params: dict[str, Any] = {"limit": SENDER_PAGE}
            if last is not None:
                params["lastSeenID"] = last
            page = self.get("/v3/verified_senders", "/v3/verified_senders", **params)
            items = page.get("results") if isinstance(page, dict) else None
            if not isinstance(items, list):
                raise ApiError("GET /v3/verified_senders: the answer has no results list")
            ids = [o.get("id") for o in items if isinstance(o, dict)]
            if not items or not ids or ids[-1] == last:
                return
            yield from enumerate(items, count + 1)
            count, last = count + len(items), ids[-1]
        raise ApiError(f"GET /v3/verified_senders: more than {MAX_ITEMS} items; stopped")

    def get(self, path: str, endpoint: str, **params: Any) -> Any:
        """The JSON answer to GET `path`; `endpoint` names the path's rate-limit bucket."""
        for attempt in range(1, ATTEMPTS + 1):
            self._wait(endpoint, self._exhausted.get(endpoint))
            try:
                answer = self._fetch(path, params)
            except httpx.HTTPError as exc:
                message = f"cannot reach SendGrid at {self._base}: {exc}"
                raise ApiError(SECRETS.scrub(message)) from None
            reset = _header_number(answer, "X-RateLimit-Reset")
            if _header_number(answer, "X-RateLimit-Remaining") == 0 and reset is not None:
                self._exhausted[endpoint] = reset
            else:
                self._exhausted.pop(endpoint, None)
            if answer.status_code == 429 and attempt < ATTEMPTS:
                self._exhausted[endpoint] = reset if reset is not None else self._clock() + attempt
                continue
            if answer.status_code >= 500 and attempt < ATTEMPTS:
                self._sleep(float(attempt))
                continue
            return _body(answer, path)
        raise AssertionError("unreachable")  # pragma: no cover

    def _fetch(self, path: str, params: dict[str, Any]) -> Reply:
        request = self._http.build_request("GET", self._base + path, params=params)
        answer = self._http.send(request, stream=True)
        try:
            chunks, size = [], 0
            for chunk in answer.iter_bytes():
                size += len(chunk)
                if size > MAX_BODY:
                    raise ApiError(f"GET {path}: the answer is larger than {MAX_BODY} bytes")
                chunks.append(chunk)
        finally:
            answer.close()
        return Reply(answer.status_code, answer.headers, b"".join(chunks))

    def _wait(self, endpoint: str, reset: float | None) -> None:
        if reset is None:
            return
        delay = reset - self._clock()
        if delay > MAX_WAIT:
            raise ApiError(
                f"SendGrid's rate limit on {endpoint} resets in {delay:.0f} s; run again later"
            )
        if delay > 0:
            self._note(f"Waiting {delay:.0f} s for SendGrid's rate limit on {endpoint}")
            self._sleep(delay)


def _next_token(page: Any) -> str | None:
    """The page_token of `_metadata.next`, which SendGrid gives as a URL."""
    meta = page.get("_metadata") if isinstance(page, dict) else None
    following = meta.get("next") if isinstance(meta, dict) else None
    if not isinstance(following, str) or not following:
        return None
    tokens = parse_qs(urlsplit(following).query).get("page_token")
    return tokens[0] if tokens else None


def _header_number(answer: Reply, name: str) -> float | None:
    try:
        return float(answer.headers[name])
    except (KeyError, ValueError):
        return None


def _body(answer: Reply, path: str) -> Any:
    status = answer.status_code
    if status == 401:
        raise ApiError(
            "SendGrid refused the API key (401): it is wrong or revoked, or it belongs to the EU "
            "region (then add --sendgrid-url https://api.eu.sendgrid.com)"
        )
    if status == 403:
        scope = SCOPES.get(path.split("/")[2], "read access to it")
        raise ApiError(f"the API key may not read GET {path} (403): give the key {scope}")
    try:
        body = parse_json(f"GET {path}: SendGrid's answer ({status})", answer.content.decode())
    except (SesctlError, UnicodeDecodeError):
        raise ApiError(f"GET {path}: SendGrid's answer ({status}) is not JSON") from None
    if status >= 300:
        raise ApiError(SECRETS.scrub(f"SendGrid answered {status} to GET {path}: {_errors(body)}"))
    return body


def _errors(body: Any) -> str:
    """The messages of SendGrid's error body {"errors": [{"field", "message"}]}."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return "no error message"
    found = [str(e.get("message")) for e in errors if isinstance(e, dict) and e.get("message")]
    return "; ".join(found)[:300] or "no error message"

"""A local fake of the SendGrid v3 endpoints `sesctl migrate sendgrid` reads, so its tests run
offline. Each follows the named API reference page (rendered from twilio/sendgrid-oai, dbe0e0d):
- /v3/templates: "Retrieve paged transactional templates."
- /v3/templates/{template_id}: "Retrieve a single transactional template."
- /v3/templates/{template_id}/versions/{version_id}: "Retrieve a specific transactional
  template version."
- /v3/asm/groups: "Retrieve all suppression groups associated with the user."
- /v3/asm/groups/{group_id}/suppressions: "Retrieve all suppressions for a suppression group"
- /v3/suppression/{bounces,blocks,spam_reports,invalid_emails}: "Retrieve all bounces" (blocks,
  spam reports, invalid emails); /v3/suppression/unsubscribes: "Retrieve all global suppressions"
- /v3/verified_senders: "Get All Verified Senders"; /v3/whitelabel/domains: "List all
  authenticated domains"
- all of them: "Rate Limits", "Authentication" and "Errors" (the 401 body is the suppression
  pages' example).

Simplified or unconfirmed:
- List versions lack html_content/plain_content: today's reference gives list and single template
  one "Version Output Lean" with content, but its earlier schema and sendgrid/sendgrid-oai#110 put
  content on GET /templates/{id} only; the stricter fake makes a client fetch by id, which works
  either way. test_data (documented on the version endpoint only) is served there alone.
- _metadata.count is the total across pages; tokens are opaque; next/prev are this fake's URLs.
- 400 bodies are {"field", "message"} (the templates page names message and error_id, no
  example); 404/405 bodies ("resource not found") come from reported live answers.
- Default page sizes are undocumented: without limit, suppression lists give up to 500, domains
  and senders everything. No Link headers. exclude_subusers is ignored; domain matches a
  substring; the suppression email filter answers 400. Window and budget are this fake's.
- max_page makes pages shorter than the limit asked: walk limit/offset lists to an empty page.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hmac
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

SUPPRESSION_KINDS = ("bounces", "blocks", "spam_reports", "invalid_emails", "unsubscribes")
SUPPRESSION_MAX_LIMIT = 500
TEMPLATE_GENERATIONS = ("legacy", "dynamic", "legacy,dynamic")
TEMPLATE_KEYS = ("id", "name", "generation", "updated_at")
LIST_VERSION_KEYS = (
    *("id", "template_id", "active", "name", "subject", "updated_at"),
    *("generate_plain_content", "editor", "thumbnail_url"),
)
DETAIL_VERSION_KEYS = (*LIST_VERSION_KEYS, "html_content", "plain_content")
NOT_FOUND = "resource not found"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake saw it; the Authorization value is never kept."""

    method: str
    path: str
    query: dict[str, str]  # first value of each parameter
    status: int
    authorized: bool


class _Reject(Exception):
    """A handler's non-200 answer, with SendGrid's error body."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = _errors(message, field)


def _errors(message: str, field: str | None = None) -> dict[str, Any]:
    return {"errors": [{"field": field, "message": message}]}


def _int(query: Mapping[str, str], name: str, low: int, high: int | None = None) -> int | None:
    """An integer query parameter within [low, high], None when absent, else a 400."""
    raw = query.get(name)
    if not raw:
        return None
    try:
        value = int(raw)
        if value < low or (high is not None and value > high):
            raise ValueError
    except ValueError:
        upto = "" if high is None else f" to {high}"
        raise _Reject(400, f"{name} must be an integer from {low}{upto}", name) from None
    return value


def _project(item: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: item[key] for key in keys if key in item}


class _QuietHandler(WSGIRequestHandler):
    """Keeps werkzeug's per-request lines off stderr; tests read FakeSendGrid.requests."""

    protocol_version = "HTTP/1.1"

    def log(self, type: str, message: str, *args: Any) -> None:
        pass


class FakeSendGrid:
    """SendGrid's v3 read endpoints for migrate, on 127.0.0.1, with auth, paging and limits."""

    def __init__(
        self,
        api_key: str,
        data: dict[str, Any] | None = None,
        *,
        max_page: int | None = None,
        rate_limit: int = 500,
        window: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bearer = f"Bearer {api_key}".encode()  # compared, never sent back
        self._data: dict[str, Any] = copy.deepcopy(data or {})
        self._max_page = max_page
        self._rate_limit = rate_limit
        self._window = window
        self._clock = clock
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._used: dict[tuple[str, int], int] = {}
        self._throttles: dict[str, tuple[int, float]] = {}  # prefix: (times, reset_in)
        self._serving: tuple[BaseWSGIServer, threading.Thread] | None = None
        kinds = ", ".join(SUPPRESSION_KINDS)
        self._routes = Map(
            [
                Rule("/v3/templates", endpoint=self._templates),
                Rule("/v3/templates/<template_id>", endpoint=self._template),
                Rule(
                    "/v3/templates/<template_id>/versions/<version_id>",
                    endpoint=self._version,
                ),
                Rule("/v3/asm/groups", endpoint=self._groups),
                Rule("/v3/asm/groups/<int:group_id>/suppressions", endpoint=self._group_emails),
                Rule(f"/v3/suppression/<any({kinds}):kind>", endpoint=self._suppressions),
                Rule("/v3/verified_senders", endpoint=self._senders),
                Rule("/v3/whitelabel/domains", endpoint=self._domains),
            ]
        )

    @property
    def url(self) -> str:
        """Base URL, without /v3: paths start with /v3 as on api.sendgrid.com."""
        if self._serving is None:
            raise RuntimeError("FakeSendGrid is not started")
        return f"http://127.0.0.1:{self._serving[0].server_port}"

    def start(self) -> FakeSendGrid:
        """Serve on an ephemeral loopback port in a background thread."""
        if self._serving is None:
            server = make_server("127.0.0.1", 0, self._wsgi, True, request_handler=_QuietHandler)
            thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
            thread.start()
            self._serving = (server, thread)
        return self

    def stop(self) -> None:
        """Stop serving and free the port; the serve loop notices within 50 ms."""
        if self._serving is not None:
            server, thread = self._serving
            server.shutdown()
            server.server_close()
            thread.join()
            self._serving = None

    def __enter__(self) -> FakeSendGrid:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def throttle(self, path_prefix: str, times: int = 1, reset_in: float = 0.0) -> None:
        """Next `times` authorized requests under path_prefix: 429, reset at clock()+reset_in."""
        with self._lock:
            self._throttles[path_prefix] = (times, reset_in)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        given = request.headers.get("Authorization", "").encode()
        authorized = hmac.compare_digest(given, self._bearer)
        status, body, headers = self._answer(request, authorized)
        query = request.args.to_dict()  # list.append is atomic: no lock needed
        self.requests.append(
            RecordedRequest(request.method, request.path, query, status, authorized)
        )
        response = Response(json.dumps(body), status, headers, mimetype="application/json")
        return response(environ, start_response)

    def _answer(self, request: Request, authorized: bool) -> tuple[int, Any, dict[str, str]]:
        """Status, JSON body and headers: route, method, key, throttle, budget, then data."""
        try:
            rule, args = self._routes.bind_to_environ(request.environ).match(return_rule=True)
        except HTTPException:
            return 404, _errors(NOT_FOUND), self._rate_headers("*", count=False)[1]
        # Each suppression list is an endpoint of its own in the reference: its own budget.
        key = rule.rule.split("<")[0] + args["kind"] if "kind" in args else rule.rule
        if request.method != "GET":
            headers = self._rate_headers(key, count=False)[1]
            return 405, _errors("method not allowed"), {**headers, "Allow": "GET"}
        if not authorized:
            return 401, _errors("authorization required"), self._rate_headers(key, False)[1]
        over, headers = self._rate_headers(key, count=True)
        reset = self._throttled(request.path)
        if reset is not None:
            headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)})
        if over or reset is not None:
            return 429, _errors("too many requests"), headers
        try:
            return 200, rule.endpoint(request, **args), headers
        except _Reject as reject:
            return reject.status, reject.body, headers

    def _rate_headers(self, key: str, count: bool) -> tuple[bool, dict[str, str]]:
        """Whether key's budget in this window (from a multiple of `window`) is spent; headers."""
        index = int(self._clock() // self._window)
        with self._lock:
            used = self._used.get((key, index), 0) + (1 if count else 0)
            if count:
                self._used[(key, index)] = used
        return used > self._rate_limit, {
            "X-RateLimit-Limit": str(self._rate_limit),
            "X-RateLimit-Remaining": str(max(0, self._rate_limit - used)),
            "X-RateLimit-Reset": str(int((index + 1) * self._window)),
        }

    def _throttled(self, path: str) -> int | None:
        with self._lock:
            for prefix, (times, reset_in) in self._throttles.items():
                if path.startswith(prefix) and times > 0:
                    self._throttles[prefix] = (times - 1, reset_in)
                    return int(self._clock() + reset_in)
        return None

    def _page(self, items: list[Any], offset: int, size: int | None) -> list[Any]:
        """Items from offset: at most size of them, and at most max_page."""
        sizes = [n for n in (size, self._max_page) if n is not None]
        return items[offset : offset + min(sizes)] if sizes else items[offset:]

    def _templates(self, request: Request) -> Any:
        query = request.args.to_dict()
        size = _int(query, "page_size", 1, 200)
        if size is None:
            raise _Reject(400, "page_size is required", "page_size")
        generations = query.get("generations", "legacy")
        if generations not in TEMPLATE_GENERATIONS:
            raise _Reject(400, "generations is not one of the documented values", "generations")
        wanted = generations.split(",")
        matching = [
            t for t in self._data.get("templates", []) if t.get("generation", "legacy") in wanted
        ]
        offset = self._token_offset(query.get("page_token"))
        served = min(size, self._max_page or size)
        metadata: dict[str, Any] = {"self": self._templates_url(query), "count": len(matching)}
        if offset + served < len(matching):
            next_query = {**query, "page_token": self._token(offset + served)}
            metadata["next"] = self._templates_url(next_query)
        if offset > 0:
            prev_query = {**query, "page_token": self._token(max(0, offset - served))}
            metadata["prev"] = self._templates_url(prev_query)
        result = [
            {
                **_project(t, TEMPLATE_KEYS),
                "versions": [_project(v, LIST_VERSION_KEYS) for v in t.get("versions", [])],
            }
            for t in matching[offset : offset + served]
        ]
        return {"result": result, "_metadata": metadata}

    def _templates_url(self, query: dict[str, str]) -> str:
        return f"{self.url}/v3/templates?{urlencode(query)}"

    @staticmethod
    def _token(offset: int) -> str:
        return base64.urlsafe_b64encode(f"after:{offset}".encode()).decode()

    @staticmethod
    def _token_offset(token: str | None) -> int:
        try:
            text = base64.urlsafe_b64decode(token).decode() if token else "after:0"
        except (binascii.Error, UnicodeDecodeError):
            text = ""
        if not (text.startswith("after:") and text[6:].isdigit()):
            raise _Reject(400, "page_token is invalid", "page_token")
        return int(text[6:])

    def _template(self, request: Request, template_id: str) -> Any:
        for template in self._data.get("templates", []):
            if template.get("id") == template_id:
                versions = template.get("versions", [])
                return {
                    **_project(template, (*TEMPLATE_KEYS, "warning")),
                    "versions": [_project(v, DETAIL_VERSION_KEYS) for v in versions],
                }
        raise _Reject(404, NOT_FOUND)

    def _version(self, request: Request, template_id: str, version_id: str) -> Any:
        """One version whole: the only answer whose reference documents test_data."""
        for template in self._data.get("templates", []):
            for version in (
                template.get("versions", []) if template.get("id") == template_id else []
            ):
                if version.get("id") == version_id:
                    return _project(version, (*DETAIL_VERSION_KEYS, "test_data"))
        raise _Reject(404, NOT_FOUND)

    def _groups(self, request: Request) -> Any:
        ids = set(request.args.getlist("id", type=int))  # ?id=1&id=2; non-integers dropped
        groups = self._data.get("asm_groups", [])
        return [g for g in groups if not ids or g.get("id") in ids]

    def _group_emails(self, request: Request, group_id: int) -> Any:
        emails = {int(k): v for k, v in self._data.get("asm_suppressions", {}).items()}
        known = {g.get("id") for g in self._data.get("asm_groups", [])}
        if group_id not in known and group_id not in emails:
            raise _Reject(404, NOT_FOUND)
        return list(emails.get(group_id, []))

    def _suppressions(self, request: Request, kind: str) -> Any:
        query = request.args
        limit = _int(query, "limit", 1, SUPPRESSION_MAX_LIMIT) or SUPPRESSION_MAX_LIMIT
        offset = _int(query, "offset", 0) or 0
        start, end = _int(query, "start_time", 0), _int(query, "end_time", 0)
        if "email" in query:  # refused rather than ignored: a client must not think it filtered
            raise _Reject(400, "this fake does not filter by email", "email")
        items = [
            item
            for item in self._data.get(kind, [])
            if (start is None or item.get("created", 0) >= start)
            and (end is None or item.get("created", 0) <= end)
        ]
        return self._page(items, offset, limit)

    def _senders(self, request: Request) -> Any:
        query = request.args
        limit = _int(query, "limit", 1)
        last_seen, only = _int(query, "lastSeenID", 0), _int(query, "id", 0)
        senders = sorted(self._data.get("verified_senders", []), key=lambda s: s.get("id", 0))
        if only is not None:
            senders = [s for s in senders if s.get("id") == only]
        if last_seen is not None:
            senders = [s for s in senders if s.get("id", 0) > last_seen]
        return {"results": self._page(senders, 0, limit)}

    def _domains(self, request: Request) -> Any:
        query = request.args
        limit, offset = _int(query, "limit", 1), _int(query, "offset", 0) or 0
        username, domain = query.get("username"), query.get("domain")
        items = [
            d
            for d in self._data.get("whitelabel_domains", [])
            if (username is None or d.get("username") == username)
            and (domain is None or domain in d.get("domain", ""))
        ]
        return self._page(items, offset, limit)

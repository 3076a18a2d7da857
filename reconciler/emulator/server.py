"""The WSGI layer: SES v2 requests moto lacks go to our handlers, the rest to moto.

Every SES call first meets the emulator's hardness (hardness.py): latency, per-operation
throttling, random faults. It also serves the test controls under /_sesctl/: call counters,
injected faults, hardness, seeding (straight to the handlers: no rate, no faults), leasing
dedicated IPs, reset.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from moto.core.base_backend import BackendDict

from . import (
    account,
    configuration_sets,
    contact_lists,
    dedicated_ip_pools,
    dedicated_ips,
    identities,
    router,
    sending,
    suppressions,
    tags,
    templates,
)
from .hardness import Hardness
from .state import ApiFailure, Call

HANDLERS: dict[str, Callable[[Call], dict[str, Any]]] = {
    **account.HANDLERS,
    **contact_lists.HANDLERS,
    **dedicated_ips.HANDLERS,
    **suppressions.HANDLERS,
    **sending.HANDLERS,
    **identities.HANDLERS,
    **configuration_sets.HANDLERS,
    **templates.HANDLERS,
    **dedicated_ip_pools.HANDLERS,
    **tags.HANDLERS,
}
TAGGING_TARGET = "ResourceGroupsTaggingAPI_20170126."
_REGION = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")

StartResponse = Callable[..., Any]


@dataclass
class Fault:
    code: str
    status: int
    message: str
    remaining: int | None  # None: every call until cleared


class Extensions:
    """WSGI middleware in front of moto's server app."""

    def __init__(
        self, moto_app: Callable[..., Iterable[bytes]], hardness: Hardness | None = None
    ) -> None:
        self.moto_app = moto_app
        self.lock = threading.RLock()
        self.calls: Counter[str] = Counter()
        self.faults: dict[str, Fault] = {}
        self.hardness = hardness or Hardness()
        self.throttled: Counter[str] = Counter()  # calls answered 429 by the hardness
        self.faulted: Counter[str] = Counter()  # calls that met a random fault

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if path.startswith("/_sesctl/"):
            return self._control(method, path, _body(environ), start_response)
        body = _body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(TAGGING_TARGET):
            operation, params, ours = target[len(TAGGING_TARGET) :], _json(body), False
            ours = operation == "GetResources" and tags.ses_only(params)
        elif (routed := router.match(method, path)) is not None:
            operation, uri_params = routed
            query = router.query_params(operation, environ.get("QUERY_STRING", ""))
            params = {**query, **_json(body), **uri_params}
            ours = operation in HANDLERS
        else:
            return self.moto_app(environ, start_response)
        with self.lock:
            self.calls[operation] += 1
            fault = self._take_fault(operation)
        if fault is not None:
            return _error(start_response, ApiFailure(fault.status, fault.code, fault.message))
        hard = self.hardness
        if hard.latency:
            time.sleep(hard.latency)
        if hard.throttled(operation):
            with self.lock:
                self.throttled[operation] += 1
            return _error(start_response, THROTTLED)
        chance = hard.fault()
        if chance is not None:
            with self.lock:
                self.faulted[chance] += 1
        if chance == "error":
            return _error(start_response, INTERNAL)
        if chance == "cut":
            return _cut(environ, start_response)
        if not ours and chance is None:
            return self.moto_app(environ, start_response)
        if not ours:  # "lost": moto does the work, the answer never arrives
            list(self.moto_app(environ, _ignore))
            return _cut(environ, start_response)
        call = Call(operation, _region(environ), params)
        handler = tags.get_resources if operation == "GetResources" else HANDLERS[operation]
        try:
            with self.lock:
                answer = handler(call)
        except ApiFailure as failure:
            return _error(start_response, failure)
        if chance == "lost":
            return _cut(environ, start_response)
        return _respond(start_response, 200, answer)

    def _take_fault(self, operation: str) -> Fault | None:
        fault = self.faults.get(operation)
        if fault is None:
            return None
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                del self.faults[operation]
        return fault

    def _control(
        self, method: str, path: str, body: bytes, start: StartResponse
    ) -> Iterable[bytes]:
        with self.lock:
            if path == "/_sesctl/calls" and method == "GET":
                return _respond(
                    start,
                    200,
                    {
                        "calls": dict(self.calls),
                        "throttled": dict(self.throttled),
                        "faulted": dict(self.faulted),
                    },
                )
            if path == "/_sesctl/calls" and method == "DELETE":
                self.calls.clear()
                self.throttled.clear()
                self.faulted.clear()
                return _respond(start, 200, {})
            if path == "/_sesctl/send-quota" and method == "POST":
                request = _json(body)
                sending.set_quota(Call("SetQuota", request.get("region", "us-east-1"), {}), request)
                return _respond(start, 200, {})
            if path == "/_sesctl/messages" and method == "GET":
                call = Call("ListMessages", "us-east-1", {})
                return _respond(start, 200, {"messages": sending.all_messages(call)})
            if path == "/_sesctl/faults" and method == "POST":
                rule = _json(body)
                self.faults[rule["operation"]] = Fault(
                    rule.get("code", "InternalFailure"),
                    int(rule.get("status", 500)),
                    rule.get("message", "injected fault"),
                    rule.get("count"),
                )
                return _respond(start, 200, {})
            if path == "/_sesctl/faults" and method == "DELETE":
                self.faults.clear()
                return _respond(start, 200, {})
            if path == "/_sesctl/dedicated-ips" and method == "POST":
                request = _json(body)
                call = Call("LeaseDedicatedIps", request.get("region", "us-east-1"), {})
                dedicated_ips.lease(call, list(request["ips"]))
                return _respond(start, 200, {})
            if path == "/_sesctl/suppressions" and method == "POST":
                request = _json(body)
                call = Call("SeedSuppressions", request.get("region", "us-east-1"), {})
                suppressions.seed(call, dict(request["entries"]))
                return _respond(start, 200, {})
            if path == "/_sesctl/verify" and method == "POST":
                request = _json(body)
                call = Call("VerifyIdentities", request.get("region", "us-east-1"), {})
                try:
                    identities.verify(call, list(request["identities"]))
                except ApiFailure as failure:
                    return _respond(start, 404, {"message": failure.message})
                return _respond(start, 200, {})
            if path == "/_sesctl/hardness" and method == "GET":
                return _respond(start, 200, self.hardness.to_json())
            if path == "/_sesctl/hardness" and method == "POST":
                self.hardness = Hardness.from_json(_json(body))
                return _respond(start, 200, self.hardness.to_json())
            if path == "/_sesctl/seed" and method == "POST":
                request = _json(body)
                return _respond(start, 200, seed(request.get("region", "us-east-1"), request))
            if path == "/_sesctl/reset" and method == "POST":
                BackendDict.reset()
                self.faults.clear()
                self.calls.clear()
                self.throttled.clear()
                self.faulted.clear()
                self.hardness = Hardness()
                return _respond(start, 200, {})
        return _respond(start, 404, {"message": f"no control endpoint {method} {path}"})


THROTTLED = ApiFailure(429, "TooManyRequestsException", "Too many requests.")
INTERNAL = ApiFailure(500, "InternalServiceErrorException", "Internal service error.")


def seed(region: str, request: dict[str, Any]) -> dict[str, Any]:
    """Run `calls` straight through the handlers (no rate, no faults, not counted): fills an
    account fast for benchmarks and tests. Answers how many ran."""
    for item in request.get("calls", []):
        HANDLERS[item["operation"]](Call(item["operation"], region, dict(item.get("params", {}))))
    return {"ran": len(request.get("calls", []))}


def _ignore(*_: Any) -> None:
    """A start_response that drops the answer: the connection is cut instead."""


def _cut(environ: dict[str, Any], start: StartResponse) -> list[bytes]:
    """Close the connection without an answer, as a network cut does (waitress's channel)."""
    disconnected = environ.get("waitress.client_disconnected")
    channel = getattr(disconnected, "__self__", None)
    if channel is None:  # another WSGI server: the closest thing is a 500
        return _error(start, INTERNAL)
    with contextlib.suppress(OSError):
        channel.socket.shutdown(socket.SHUT_RDWR)
    start("500 Error", [("Content-Length", "0")])
    return [b""]


def _body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def _json(body: bytes) -> dict[str, Any]:
    return json.loads(body) if body.strip() else {}


def _region(environ: dict[str, Any]) -> str:
    found = _REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
    return found.group(1) if found else "us-east-1"


def _respond(start: StartResponse, status: int, answer: dict[str, Any]) -> list[bytes]:
    data = json.dumps(answer).encode()
    reason = {200: "OK", 404: "Not Found"}.get(status, "Error")
    start(
        f"{status} {reason}",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [data]


def _error(start: StartResponse, failure: ApiFailure) -> list[bytes]:
    data = json.dumps({"__type": failure.code, "message": failure.message}).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(data))),
        ("x-amzn-ErrorType", failure.code),
        ("x-amzn-RequestId", str(uuid.uuid4())),
    ]
    start(f"{failure.status} Error", headers)
    return [data]

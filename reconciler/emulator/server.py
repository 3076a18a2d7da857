"""The WSGI layer: SES v2 requests moto lacks go to our handlers (kinds.py), the rest to moto.

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
from dataclasses import dataclass, field
from typing import Any

from moto.core.base_backend import BackendDict

from . import (
    account,
    dedicated_ips,
    delivery,
    identities,
    mailboxes,
    router,
    sending,
    suppressions,
    tags,
)
from .hardness import Hardness
from .kinds import HANDLERS, TAGGING
from .state import ApiFailure, Call, Settings

TAGGING_TARGET = "ResourceGroupsTaggingAPI_20170126."
_REGION = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")

StartResponse = Callable[..., Any]


@dataclass
class Fault:
    """An injected fault: an error answer, or the connection cut before the call takes effect
    ("cut") or after ("lost"); `meanwhile` runs first, as another client's calls would."""

    code: str
    status: int
    message: str
    remaining: int | None  # None: every call until cleared
    kind: str = "error"
    meanwhile: list[dict[str, Any]] = field(default_factory=list)
    after: int = 0  # calls that pass untouched before the fault starts


class Extensions:
    """WSGI middleware in front of moto's server app."""

    def __init__(
        self,
        moto_app: Callable[..., Iterable[bytes]],
        hardness: Hardness | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.moto_app = moto_app
        self.settings = settings or Settings()
        self.lock = threading.RLock()
        self.calls: Counter[str] = Counter()
        self.faults: dict[str, Fault] = {}
        self.hardness = hardness or Hardness()
        self.throttled: Counter[str] = Counter()  # calls answered 429 by the hardness
        self.faulted: Counter[str] = Counter()  # calls that met a random fault
        self.holding = threading.Condition()  # calls held on the wire (fault kind "hold")
        self.held, self.released = 0, False
        self.later: list[Callable[[], None]] = []  # what control calls set in motion

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if path.startswith("/_sesctl/"):
            return self._control(method, path, _body(environ), start_response)
        body = _body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(TAGGING_TARGET):
            operation, params = target[len(TAGGING_TARGET) :], _json(body)
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
        chance: str | None = None
        if fault is not None and fault.kind == "hold":
            self._hold()
        elif fault is not None:
            meanwhile = Call("Meanwhile", _region(environ), {}, self.settings)
            with self.lock:
                seed(meanwhile, {"calls": fault.meanwhile})
            run_later(meanwhile.later)
            if fault.kind == "error":
                return _error(start_response, ApiFailure(fault.status, fault.code, fault.message))
            chance = fault.kind
        hard = self.hardness
        if hard.latency:
            time.sleep(hard.latency)
        if hard.throttled(operation):
            with self.lock:
                self.throttled[operation] += 1
            return _error(start_response, THROTTLED)
        if chance is None and (chance := hard.fault()) is not None:
            with self.lock:
                self.faulted[chance] += 1
        if chance == "error":
            return _error(start_response, INTERNAL)
        if chance == "throttle":
            return _error(start_response, THROTTLED_400)
        if chance == "cut":
            return _cut(environ, start_response)
        if not ours and chance is None:
            return self.moto_app(environ, start_response)
        if not ours:  # "lost": moto does the work, the answer never arrives
            list(self.moto_app(environ, _ignore))
            return _cut(environ, start_response)
        call = Call(operation, _region(environ), params, self.settings)
        handler = TAGGING.get_resources if operation == "GetResources" else HANDLERS[operation]
        try:
            with self.lock:
                answer = handler(call)
        except ApiFailure as failure:
            return _error(start_response, failure)
        run_later(call.later)
        if chance == "lost":
            return _cut(environ, start_response)
        return _respond(start_response, 200, answer)

    def _hold(self) -> None:
        """Keep this call on the wire until POST /_sesctl/release: a test's barrier."""
        with self.holding:
            self.held += 1
            self.holding.notify_all()
            self.holding.wait_for(lambda: self.released, timeout=HOLD_LIMIT)

    def _take_fault(self, operation: str) -> Fault | None:
        fault = self.faults.get(operation)
        if fault is None:
            return None
        if fault.after > 0:
            fault.after -= 1
            return None
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                del self.faults[operation]
        return fault

    def _control(
        self, method: str, path: str, body: bytes, start: StartResponse
    ) -> Iterable[bytes]:
        if (method, path) == ("GET", "/_sesctl/held"):  # waits: outside the lock
            with self.holding:
                self.holding.wait_for(lambda: self.held > 0, timeout=HOLD_LIMIT)
                return _respond(start, 200, {"held": self.held})
        if (method, path) == ("POST", "/_sesctl/release"):
            with self.holding:
                self.released = True
                self.holding.notify_all()
                return _respond(start, 200, {"released": self.held})
        control = CONTROLS.get((method, path))
        if control is None:
            return _respond(start, 404, {"message": f"no control endpoint {method} {path}"})
        request = _json(body)
        with self.lock:
            try:
                answer = control(self, request)
            except ApiFailure as failure:
                return _respond(start, failure.status, {"message": failure.message})
            later, self.later = self.later, []
        run_later(later)
        return _respond(start, 200, answer)

    def call(self, operation: str, request: dict[str, Any]) -> Call:
        """A Call for a control endpoint, in the request's region (default us-east-1); what it
        sets in motion runs once the control has answered."""
        call = Call(operation, request.get("region", "us-east-1"), {}, self.settings)
        self.later.append(lambda: run_later(call.later))
        return call


# --- control endpoints (/_sesctl/…): test and operator controls, documented in the README ---

Control = Callable[[Extensions, dict[str, Any]], dict[str, Any]]


def _calls(ext: Extensions, _: dict[str, Any]) -> dict[str, Any]:
    return {
        "calls": dict(ext.calls),
        "throttled": dict(ext.throttled),
        "faulted": dict(ext.faulted),
    }


def _clear_calls(ext: Extensions, _: dict[str, Any]) -> dict[str, Any]:
    ext.calls.clear()
    ext.throttled.clear()
    ext.faulted.clear()
    return {}


def _send_quota(ext: Extensions, request: dict[str, Any]) -> dict[str, Any]:
    sending.set_quota(ext.call("SetQuota", request), request)
    return {}


def _messages(ext: Extensions, request: dict[str, Any]) -> dict[str, Any]:
    return {"messages": sending.all_messages(ext.call("ListMessages", request))}


def _add_fault(ext: Extensions, rule: dict[str, Any]) -> dict[str, Any]:
    ext.faults[rule["operation"]] = Fault(
        rule.get("code", "InternalFailure"),
        int(rule.get("status", 500)),
        rule.get("message", "injected fault"),
        rule.get("count"),
        rule.get("kind", "error"),
        list(rule.get("meanwhile") or []),
        int(rule.get("after") or 0),
    )
    return {}


def _clear_faults(ext: Extensions, _: dict[str, Any]) -> dict[str, Any]:
    ext.faults.clear()
    return {}


def _lease_ips(ext: Extensions, request: dict[str, Any]) -> dict[str, Any]:
    dedicated_ips.lease(ext.call("LeaseDedicatedIps", request), list(request["ips"]))
    return {}


def _suppress(ext: Extensions, request: dict[str, Any]) -> dict[str, Any]:
    suppressions.seed(ext.call("SeedSuppressions", request), dict(request["entries"]))
    return {}


def _mailboxes(ext: Extensions, request: dict[str, Any]) -> dict[str, Any]:
    return mailboxes.choose(ext.call("ChooseMailboxes", request), request)


def _engagement(ext: Extensions, request: dict[str, Any]) -> dict[str, Any]:
    call = ext.call("Engage", request)
    message = sending.find(call, str(request.get("message_id") or ""))
    return delivery.engage(call, request, message)


def _verify(ext: Extensions, request: dict[str, Any]) -> dict[str, Any]:
    identities.verify(ext.call("VerifyIdentities", request), list(request["identities"]))
    return {}


def _verification(ext: Extensions, request: dict[str, Any]) -> dict[str, Any]:
    after = request.get("after_seconds")
    ext.settings.verify_after = None if after is None else float(after)
    return {"after_seconds": ext.settings.verify_after}


def _sandbox(ext: Extensions, request: dict[str, Any]) -> dict[str, Any]:
    account.move_to_sandbox(ext.call("SetSandbox", request), bool(request.get("sandbox", True)))
    return {}


def _get_hardness(ext: Extensions, _: dict[str, Any]) -> dict[str, Any]:
    return ext.hardness.to_json()


def _set_hardness(ext: Extensions, request: dict[str, Any]) -> dict[str, Any]:
    ext.hardness = Hardness.from_json(request)
    return ext.hardness.to_json()


def _seed(ext: Extensions, request: dict[str, Any]) -> dict[str, Any]:
    return seed(ext.call("Seed", request), request)


def _reset(ext: Extensions, _: dict[str, Any]) -> dict[str, Any]:
    with ext.holding:
        ext.held, ext.released = 0, False
    BackendDict.reset()
    ext.faults.clear()
    _clear_calls(ext, {})
    ext.hardness = Hardness()
    return {}


CONTROLS: dict[tuple[str, str], Control] = {
    ("GET", "/_sesctl/calls"): _calls,
    ("DELETE", "/_sesctl/calls"): _clear_calls,
    ("POST", "/_sesctl/send-quota"): _send_quota,
    ("GET", "/_sesctl/messages"): _messages,
    ("POST", "/_sesctl/faults"): _add_fault,
    ("DELETE", "/_sesctl/faults"): _clear_faults,
    ("POST", "/_sesctl/dedicated-ips"): _lease_ips,
    ("POST", "/_sesctl/suppressions"): _suppress,
    ("POST", "/_sesctl/mailboxes"): _mailboxes,
    ("POST", "/_sesctl/engagement"): _engagement,
    ("POST", "/_sesctl/verify"): _verify,
    ("POST", "/_sesctl/verification"): _verification,
    ("POST", "/_sesctl/sandbox"): _sandbox,
    ("GET", "/_sesctl/hardness"): _get_hardness,
    ("POST", "/_sesctl/hardness"): _set_hardness,
    ("POST", "/_sesctl/seed"): _seed,
    ("POST", "/_sesctl/reset"): _reset,
}


HOLD_LIMIT = 60.0  # seconds a held call or a wait for one lasts at most
THROTTLED = ApiFailure(429, "TooManyRequestsException", "Too many requests.")
INTERNAL = ApiFailure(500, "InternalServiceErrorException", "Internal service error.")
THROTTLED_400 = ApiFailure(400, "ThrottlingException", "Rate exceeded")


def seed(base: Call, request: dict[str, Any]) -> dict[str, Any]:
    """Run `calls` straight through the handlers (no rate, no faults, not counted): fills an
    account fast for benchmarks and tests. Answers how many ran."""
    for item in request.get("calls", []):
        operation = item["operation"]
        call = Call(operation, base.region, dict(item.get("params", {})), base.settings)
        HANDLERS[operation](call)
        base.later.extend(call.later)
    return {"ran": len(request.get("calls", []))}


def run_later(actions: list[Callable[[], None]]) -> None:
    """Run what calls set in motion (each action catches its own failures)."""
    for action in actions:
        action()


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

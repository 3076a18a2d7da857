"""What a run did, for people and for log pipelines: API calls, retries, throttles, changes.

The client reports every call, and every attempt SES throttled;
`--log-format json` writes one JSON event per API call and per applied change to stderr.
Email addresses in events are masked (`jo***@example.com`); secret values never reach an
event, as every line goes through the secret scrubber too.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import Counter
from typing import Any, TextIO

from .secrets import SECRETS

EMAIL = re.compile(r"([A-Za-z0-9._%+-]{1,2})[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")


def mask_email(text: str) -> str:
    """`john@example.com` → `jo***@example.com`, wherever an address appears in the text."""
    return EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)


class Recorder:
    """Counts calls, attempts and throttles per operation; writes JSON events when asked."""

    def __init__(self, json_events: bool = False, stream: TextIO | None = None) -> None:
        self.json_events = json_events
        self.stream = stream
        self.started = time.monotonic()
        self.calls: Counter[str] = Counter()
        self.retries: Counter[str] = Counter()
        self.throttles: Counter[str] = Counter()
        self._lock = threading.Lock()

    def throttled(self, operation: str) -> None:
        """One attempt SES answered with a throttling error."""
        with self._lock:
            self.throttles[operation] += 1

    def call(
        self,
        operation: str,
        seconds: float,
        metadata: dict[str, Any] | None,
        error: str | None = None,
    ) -> None:
        """One API call, done: counted, and logged as an event with --log-format json."""
        metadata = metadata or {}
        retries = int(metadata.get("RetryAttempts", 0))
        with self._lock:
            self.calls[operation] += 1
            self.retries[operation] += retries
        self.emit(
            event="api_call",
            operation=operation,
            duration_ms=round(seconds * 1000, 1),
            attempts=retries + 1,
            http_status=metadata.get("HTTPStatusCode"),
            request_id=metadata.get("RequestId"),
            **({"error": error} if error else {}),
        )

    def emit(self, **event: Any) -> None:
        if not self.json_events:
            return
        line = SECRETS.scrub(mask_email(json.dumps(event, ensure_ascii=False)))
        with self._lock:
            stream = self.stream or sys.stderr
            stream.write(line + "\n")
            stream.flush()

    def summary(self) -> dict[str, Any]:
        """Calls per operation, retries, throttles and wall time so far."""
        with self._lock:
            return {
                "calls": dict(sorted(self.calls.items())),
                "api_calls": sum(self.calls.values()),
                "retries": sum(self.retries.values()),
                "throttles": sum(self.throttles.values()),
                "wall_s": round(time.monotonic() - self.started, 3),
            }

    def summary_lines(self) -> list[str]:
        data = self.summary()
        calls = ", ".join(f"{op} {n}" for op, n in data["calls"].items()) or "none"
        return [
            f"API calls: {data['api_calls']} ({calls})",
            f"Retries: {data['retries']}, throttled: {data['throttles']}, "
            f"wall time: {data['wall_s']:.2f}s",
        ]

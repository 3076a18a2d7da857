"""How hard the emulator is: per-operation rate limits, latency, and random faults.

SES throttles control-plane operations per operation and per account (about one call per
second for most, GetEmailTemplate at a higher rate of its own) and answers a call past the
rate with HTTP 429 `TooManyRequestsException` (SES v2 API reference, "Common Errors", and
the SES service quotas page). Sending is paced by the account's MaxSendRate instead
(sending.py), so SendEmail and SendBulkEmail are not counted here.

A fault is one of four, equally likely: an HTTP 500 `InternalServiceErrorException` (an
error shape in the SES v2 model) before the call takes effect; throttling in the other form
SES uses, HTTP 400 `ThrottlingException` (SES v2 API reference, "Common Errors"; botocore
retries both forms); the connection cut before the call takes effect; or the connection cut
after it took effect, so the answer is lost and a retry meets the result of the first attempt
(an identity that already exists, say).
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, Literal

SENDING = frozenset({"SendEmail", "SendBulkEmail"})
Fault = Literal["error", "throttle", "cut", "lost"]
FAULTS: tuple[Fault, ...] = ("error", "throttle", "cut", "lost")


@dataclass
class Hardness:
    """Rates in calls per second (None: unlimited), latency in seconds, faults as a share."""

    control_plane_rate: float | None = None
    template_read_rate: float | None = None
    latency: float = 0.0
    faults: float = 0.0
    seed: int | None = None
    _random: random.Random = field(init=False, repr=False)
    _windows: dict[str, deque[float]] = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._windows = defaultdict(deque)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Hardness:
        return cls(
            data.get("control_plane_rate"),
            data.get("template_read_rate"),
            float(data.get("latency_ms") or 0) / 1000,
            float(data.get("faults") or 0),
            data.get("seed"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "control_plane_rate": self.control_plane_rate,
            "template_read_rate": self.template_read_rate,
            "latency_ms": self.latency * 1000,
            "faults": self.faults,
            "seed": self.seed,
        }

    def rate(self, operation: str) -> float | None:
        if operation in SENDING:
            return None
        if operation == "GetEmailTemplate" and self.template_read_rate is not None:
            return self.template_read_rate
        return self.control_plane_rate

    def throttled(self, operation: str) -> bool:
        """True when this call would pass the operation's rate over the last window.

        The window is one second (or 1/rate for rates below one), so a client keeping
        exactly to the rate is never throttled and one bursting past it is.
        """
        rate = self.rate(operation)
        if rate is None:
            return False
        span = max(1.0, 1.0 / rate)
        allowed = rate * span
        now = time.monotonic()
        with self._lock:
            window = self._windows[operation]
            while window and window[0] <= now - span:
                window.popleft()
            if len(window) + 1 > allowed + 1e-9:
                return True
            window.append(now)
            return False

    def fault(self) -> Fault | None:
        """The fault this call meets, if any (seeded: the same run meets the same faults)."""
        if self.faults <= 0:
            return None
        with self._lock:
            if self._random.random() >= self.faults:
                return None
            return self._random.choice(FAULTS)

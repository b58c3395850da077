"""Per-key token buckets for ingest endpoints.

Kept per web process on purpose: a rate limit protects this process now, and losing it on
restart loses nothing that was promised to anyone (no accepted event lives here)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, *, rate: float, cost: float = 1.0) -> float:
        """0 when allowed; otherwise the seconds to wait before retrying."""
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(tokens=rate, updated=now)
            bucket.tokens = min(rate, bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= cost:
                bucket.tokens -= cost
                return 0.0
            return (cost - bucket.tokens) / rate

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


limiter = RateLimiter()


def default_rate() -> float:
    return float(settings.INGEST_RATE_PER_KEY)

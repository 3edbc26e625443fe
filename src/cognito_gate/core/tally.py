"""Counts behind the metrics, kept as plain integers and lists: no metrics library is needed to
keep them, and the ``/metrics`` endpoint (``asgi/metrics.py``) reads them only when scraped.

Each event type maps to one counter and the event fields that label it (``COUNTERS``); labels
are only fixed, low-cardinality names (outcomes, error codes, reasons, endpoints), never ``sub``,
an IP or a request id. Provider-call latencies go into fixed histogram buckets per endpoint.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .events import Event

__all__ = ["BUCKETS", "COUNTERS", "Histogram", "Tally"]

# event type → (counter name without the ``cognito_gate_`` prefix and ``_total`` suffix,
#               the Event fields that label it, the counter's help text)
COUNTERS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "signin": ("signins", ("outcome", "code"), "Sign-ins completed or failed, by error code."),
    "signout": ("signouts", ("outcome", "code"), "Sign-outs done or refused."),
    "refresh": ("refreshes", ("outcome", "code", "reason"),
                "Token refreshes: success, failure (session kept) or refused (session ended)."),
    "session_end": ("sessions_ended", ("code", "reason"),
                    "Sessions ended other than by sign-out, by why."),
    "denied": ("denials", ("code",), "Requests refused on a protected path, by error code."),
    "bearer_rejected": ("bearer_rejections", ("reason",),
                        "Authorization: Bearer tokens rejected, by reason."),
    "jwks_refetch": ("jwks_refetches", ("outcome",), "Fetches of the JWKS."),
    "provider_outage": ("provider_outages", ("outcome", "endpoint"),
                        "Provider outages started and ended, by endpoint."),
}

# Seconds; Cognito answers in 20-300 ms, our deadline is 10 s.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Histogram:
    """Observations in ``BUCKETS`` (per bucket, not cumulative) plus one overflow, and their sum."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(BUCKETS, value)] += 1
        self.total += value


class Tally:
    """Event counts by (event type, label values) and provider latencies by endpoint."""

    def __init__(self) -> None:
        self.events: Counter[tuple[str, tuple[str, ...]]] = Counter()
        self.latencies: dict[str, Histogram] = {}
        self.store_errors: Counter[str] = Counter()

    def count(self, event: Event) -> None:
        spec = COUNTERS.get(event.type)
        if spec is not None:
            self.events[event.type, tuple(getattr(event, f) or "" for f in spec[1])] += 1

    def latency(self, endpoint: str, seconds: float) -> None:
        histogram = self.latencies.get(endpoint)
        if histogram is None:
            histogram = self.latencies[endpoint] = Histogram()
        histogram.observe(seconds)

    def store_error(self, operation: str) -> None:
        """The session store failed an ``operation`` (load, save, delete…)."""
        self.store_errors[operation] += 1

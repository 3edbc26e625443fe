"""Prometheus metrics of one ``CognitoAuth``, read when scraped (``pip install
'cognito-gate[metrics]'``; nothing else in the library imports this module or prometheus-client).

The library keeps its counts as plain integers (``core/tally.py``, the caches' ``hits`` and
``misses``), so a request costs no metrics call at all; ``AuthCollector`` turns them into
Prometheus families at scrape time, and ``metrics_app`` serves them as an ASGI app to mount at
``/metrics``. Names follow Prometheus' conventions: the ``cognito_gate_`` prefix, ``_total`` for
counters, ``_seconds`` for durations, and only fixed, low-cardinality labels — never ``sub``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

try:
    from prometheus_client import CollectorRegistry
    from prometheus_client.core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
        Metric,
    )
    from prometheus_client.exposition import choose_encoder
    from prometheus_client.registry import Collector
except ImportError as exc:  # pragma: no cover - exercised in a subprocess without the extra
    raise ImportError("cognito-gate's metrics need prometheus-client: "
                      "pip install 'cognito-gate[metrics]'") from exc

from starlette.types import Receive, Scope, Send

from ..core.tally import BUCKETS, COUNTERS

if TYPE_CHECKING:
    from .auth import CognitoAuth

__all__ = ["AuthCollector", "MetricsEndpoint", "metrics_app", "metrics_registry"]

PREFIX = "cognito_gate_"


class AuthCollector(Collector):
    """Every cognito-gate metric of one ``CognitoAuth``, built from its counts when collected."""

    def __init__(self, auth: CognitoAuth) -> None:
        self._auth = auth

    def collect(self) -> Iterator[Metric]:
        yield from self._events()
        yield from self._provider()
        yield from self._caches()

    def _events(self) -> Iterator[Metric]:
        tally = self._auth.events.tally
        for kind, (name, labels, text) in COUNTERS.items():
            family = CounterMetricFamily(PREFIX + name, text, labels=list(labels))
            for (counted, values), n in sorted(tally.events.items()):
                if counted == kind:
                    family.add_metric(list(values), n)
            yield family
        errors = CounterMetricFamily(PREFIX + "store_errors", "Session store operations that "
                                     "failed (the store unreachable or erring).",
                                     labels=["operation"])
        for operation, n in sorted(tally.store_errors.items()):
            errors.add_metric([operation], n)
        yield errors

    def _provider(self) -> Iterator[Metric]:
        events = self._auth.events
        latency = HistogramMetricFamily(
            PREFIX + "provider_request_duration_seconds",
            "Duration of calls to Cognito (token, jwks, revoke endpoints), answer read.",
            labels=["endpoint"])
        up = GaugeMetricFamily(PREFIX + "provider_up", "1 while the last call to the endpoint "
                               "got a usable answer, 0 during an outage.", labels=["endpoint"])
        for endpoint, histogram in sorted(events.tally.latencies.items()):
            cumulative, buckets = 0, []
            for bound, n in zip((*BUCKETS, float("inf")), histogram.counts, strict=True):
                cumulative += n
                buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
            latency.add_metric([endpoint], buckets, histogram.total)
            up.add_metric([endpoint], 0 if events.is_down(endpoint) else 1)
        yield latency
        yield up

    def _caches(self) -> Iterator[Metric]:
        auth = self._auth
        hot, claims = auth.hot, auth.verifier.cache
        caches = (("session", len(hot), hot.hits, hot.misses),
                  ("claims", len(claims), claims.hits, claims.misses))
        entries = GaugeMetricFamily(PREFIX + "cache_entries", "Entries held by each cache "
                                    "(session: verified sessions; claims: verified tokens).",
                                    labels=["cache"])
        hits = CounterMetricFamily(PREFIX + "cache_hits", "Look-ups a cache answered.",
                                   labels=["cache"])
        misses = CounterMetricFamily(PREFIX + "cache_misses", "Look-ups a cache could not "
                                     "answer (then verified, and maybe refreshed).",
                                     labels=["cache"])
        for name, size, hit, miss in caches:
            entries.add_metric([name], size)
            hits.add_metric([name], hit)
            misses.add_metric([name], miss)
        yield entries
        yield hits
        yield misses
        yield GaugeMetricFamily(PREFIX + "jwks_keys", "Usable signing keys in the JWKS cache.",
                                value=auth.jwks.key_count)


def metrics_registry(auth: CognitoAuth) -> CollectorRegistry:
    """A registry holding only ``auth``'s metrics (for ``prometheus_client.start_http_server``
    or ``generate_latest``). To add them to a registry of your own instead:
    ``registry.register(AuthCollector(auth))``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(AuthCollector(auth))
    return registry


def metrics_app(auth: CognitoAuth, registry: CollectorRegistry | None = None) -> MetricsEndpoint:
    """The ``/metrics`` endpoint serving ``registry`` (by default ``auth``'s metrics alone)."""
    return MetricsEndpoint(registry if registry is not None else metrics_registry(auth))


class MetricsEndpoint:
    """An ASGI app answering ``GET`` with a registry in the Prometheus text format, or
    OpenMetrics when the scraper asks for it. Route ``/metrics`` to it — where only your scraper
    can reach it: ``Route("/metrics", auth.metrics_app())`` (an ASGI app, so Starlette hands it
    the raw request) or ``Mount("/metrics", …)``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        if scope["method"] not in ("GET", "HEAD"):
            await _answer(send, 405, b"text/plain; charset=utf-8", b"GET only\n",
                          [(b"allow", b"GET, HEAD")])
            return
        accept = b", ".join(v for k, v in scope["headers"] if k == b"accept").decode("latin-1")
        encoder, content_type = choose_encoder(accept)
        body = encoder(self.registry)
        await _answer(send, 200, content_type.encode(),
                      b"" if scope["method"] == "HEAD" else body, [])


async def _answer(send: Send, status: int, content_type: bytes, body: bytes,
                  extra: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"cache-control", b"no-store"),
                            *extra]})
    await send({"type": "http.response.body", "body": body})

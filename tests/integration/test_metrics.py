"""The ``/metrics`` endpoint (issue 14): what it serves and how, that nothing secret reaches an
event, a log line or a metric, and that the library works without prometheus-client."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections.abc import Callable

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.routing import Route

from cognito_gate import Event, MemoryStore

from .conftest import ROTATING_CLIENT
from .forge import bearer, flip_signature, tokens_of
from .harness import DEMO_PASSWORD, SECRET, World, call_asgi

LIFETIME = 3600


async def get_metrics(app: object, path: str = "/metrics", method: str = "GET",
                      accept: str | None = None) -> tuple[int, str, str]:
    headers = [(b"accept", accept.encode())] if accept else []
    status, out, body = await call_asgi(app, method, path, raw_path=path.encode(), query=b"",
                                        headers=headers)
    return status, out.get("content-type", ""), body.decode()


async def test_metrics_mounted_in_an_app_parse_and_name_every_family(
        worlds: Callable[..., World]) -> None:
    world = worlds()
    await world.sign_in()
    app = Starlette(routes=[Route("/metrics", world.auth.metrics_app())])

    status, content_type, text = await get_metrics(app)

    assert status == 200
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert set(families) == {
        "cognito_gate_signins", "cognito_gate_signouts", "cognito_gate_refreshes",
        "cognito_gate_sessions_ended", "cognito_gate_denials", "cognito_gate_bearer_rejections",
        "cognito_gate_jwks_refetches", "cognito_gate_provider_outages",
        "cognito_gate_store_errors", "cognito_gate_provider_request_duration_seconds",
        "cognito_gate_provider_up", "cognito_gate_cache_entries", "cognito_gate_cache_hits",
        "cognito_gate_cache_misses", "cognito_gate_jwks_keys",
    }
    gauges = {"cognito_gate_provider_up", "cognito_gate_cache_entries", "cognito_gate_jwks_keys"}
    for name, family in families.items():
        if name not in gauges and not name.endswith("_seconds"):
            assert family.type == "counter", name
            assert all(s.name == name + "_total" for s in family.samples), name
    assert all(families[name].type == "gauge" for name in gauges)
    latency = families["cognito_gate_provider_request_duration_seconds"]
    assert latency.type == "histogram"
    buckets = [s for s in latency.samples if s.name.endswith("_bucket")
               and s.labels["endpoint"] == "token"]
    assert [s.labels["le"] for s in buckets][-1] == "+Inf"
    assert buckets[-1].value == 1  # one code exchange
    assert [s.value for s in buckets] == sorted(s.value for s in buckets)  # cumulative
    for family in families.values():
        for sample in family.samples:
            assert "sub" not in sample.labels


async def test_metrics_speak_openmetrics_when_asked_and_only_answer_get(
        worlds: Callable[..., World]) -> None:
    app = worlds().auth.metrics_app()

    status, content_type, text = await get_metrics(
        app, accept="application/openmetrics-text; version=1.0.0")
    assert status == 200
    assert content_type.startswith("application/openmetrics-text")
    assert text.endswith("# EOF\n")
    assert (await get_metrics(app, method="HEAD"))[0] == 200
    assert (await get_metrics(app, method="POST"))[0] == 405


async def test_no_token_code_or_secret_in_any_event_log_line_or_metric(
        worlds: Callable[..., World], caplog: pytest.LogCaptureFixture) -> None:
    """A whole life of a session — a failed and a good sign-in, API calls with a good and a
    forged bearer token, a refresh with rotation, a provider outage, sign-out — with every event,
    every log record of the library's loggers and the metrics captured, then searched for every
    token, code and secret that went by (the test's own HTTP client logs URLs: not ours)."""
    events: list[Event] = []
    world = worlds(auth_kwargs={"on_event": events.append})
    rotating = worlds(client=ROTATING_CLIENT, auth_kwargs={"on_event": events.append})
    with caplog.at_level(logging.DEBUG):
        for w in (world, rotating):
            callback = await w.code_for(await w.start_sign_in("/protected"))
            await w.get(callback.replace("code=", "code=x", 1))  # refused: a failed sign-in
            await w.follow("/protected")  # signed in at once: the hosted-UI session lives
            access = (await tokens_of(w)).access_token
            await bearer(w, access)
            await bearer(w, flip_signature(access))
            w.lc.faults.set("token", status=503, body="down")
            w.advance(LIFETIME - 30)
            await w.get("/protected")
            w.lc.faults.reset()
            w.advance(15)
            await w.get("/protected")  # refreshed (rotated for the rotating client)
            await w.get("/api/me")
            await w.sign_out()
            w.lc.faults.reset()
        scraped = [(await get_metrics(w.auth.metrics_app(), "/"))[2] for w in (world, rotating)]

    secrets = {SECRET, DEMO_PASSWORD}
    for w in (world, rotating):
        secrets.add(w.client.client_secret or "")
        secrets.update(v for v in w.app_cookies().values() if len(v) > 8)
        for exchange in w.backchannel:
            for field in ("code", "code_verifier", "refresh_token", "token"):
                secrets.update(exchange.form.get(field, []))
            if exchange.path == "/oauth2/token" and exchange.status == 200:
                answer = exchange.json()
                secrets.update(answer[k] for k in ("id_token", "access_token", "refresh_token")
                               if k in answer)
        for url in w.visited:
            if "code=" in url:
                code = url.split("code=", 1)[1].split("&", 1)[0]
                secrets.add(code)
    secrets.discard("")
    assert len(secrets) > 15, "the flow should have passed many secrets around"

    logged = [r.getMessage() for r in caplog.records if r.name.startswith("cognito_gate")]
    haystacks = [e.to_json() for e in events] + logged + scraped
    assert len(events) > 20
    assert not any(r.name == "cognito_gate.audit" for r in caplog.records)  # hook replaced it
    for secret in secrets:
        for text in haystacks:
            assert secret not in text, f"a secret ({len(secret)} chars) leaked: {text[:80]}"
            # pieces too: a JWT's signature or payload alone is as bad
            for piece in secret.split(".") if secret.count(".") == 2 else ():
                assert len(piece) < 20 or piece not in text


def test_the_library_works_without_prometheus_client() -> None:
    """prometheus-client is an optional extra: without it everything but the metrics endpoint
    works, and asking for that says what to install."""
    script = textwrap.dedent("""
        import sys
        sys.modules["prometheus_client"] = None  # as if it were not installed
        import asyncio
        from cognito_gate import CognitoAuth, Settings
        settings = Settings(domain="http://127.0.0.1:9", client_id="c", client_secret="s",
                            user_pool_id="us-east-1_X", app_url="http://localhost:8000",
                            session_secret=("x" * 40,))
        auth = CognitoAuth(settings)
        async def app(scope, receive, send):
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
        wrapped = auth.wrap(app)
        sent = []
        async def receive():
            return {"type": "http.request", "body": b""}
        async def send(message):
            sent.append(message)
        scope = {"type": "http", "method": "GET", "path": "/", "root_path": "",
                 "query_string": b"", "headers": [], "client": ("127.0.0.1", 1)}
        asyncio.run(wrapped(scope, receive, send))
        assert sent[0]["status"] == 200, sent
        try:
            auth.metrics_app()
        except ImportError as exc:
            print(exc)
        else:
            raise SystemExit("metrics_app() worked without prometheus-client")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "pip install 'cognito-gate[metrics]'" in done.stdout


class ReportingStore(MemoryStore):
    """A server-side store that reports its failures through the hook ``CognitoAuth`` hands to
    any store with a ``report_errors_to`` method (as a networked store such as Redis does)."""

    def __init__(self) -> None:
        super().__init__()
        self.report: Callable[[str], None] | None = None

    def report_errors_to(self, report: Callable[[str], None]) -> None:
        self.report = report


async def test_a_store_counts_its_errors_in_the_metrics(worlds: Callable[..., World]) -> None:
    store = ReportingStore()
    world = worlds(auth_kwargs={"store": store})
    assert store.report is not None, "CognitoAuth handed the store no hook"

    store.report("load")
    store.report("load")
    store.report("save")

    text = (await get_metrics(world.auth.metrics_app(), "/"))[2]
    assert 'cognito_gate_store_errors_total{operation="load"} 2.0' in text
    assert 'cognito_gate_store_errors_total{operation="save"} 1.0' in text

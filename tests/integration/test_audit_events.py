"""Audit events and metrics (issue 14): the exact events a sign-in, a failed sign-in, a refresh,
a refused refresh, a sign-out, a forged bearer token and a provider outage produce — in-process
against the real Local Cognito, delivered through ``on_event=`` — and the exact change each makes
to the counters ``/metrics`` serves (parsed with ``prometheus_client.parser``)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from cognito_gate import Event

from .forge import bearer, flip_signature, tokens_of
from .harness import DEMO_EMAIL, World, call_asgi

LIFETIME = 3600  # the demo client's token lifetimes


class Audit:
    """Every event of one app, as ``on_event`` delivers it."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def take(self) -> list[tuple[str, str, str | None, str | None, str | None]]:
        """(type, outcome, code, reason, sub) of the events since the last ``take``."""
        taken, self.events = self.events, []
        return [(e.type, e.outcome, e.code, e.reason, e.sub) for e in taken]


async def scrape(world: World) -> dict[str, float]:
    """Every sample ``auth.metrics_app()`` serves, parsed, as ``{'name{label="v",…}': value}``
    (histogram buckets and sums left out: durations vary)."""
    status, headers, body = await call_asgi(world.auth.metrics_app(), "GET", "/", raw_path=b"/",
                                            query=b"", headers=[])
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        assert family.name.startswith("cognito_gate_")
        for sample in family.samples:
            if sample.name.endswith(("_bucket", "_sum")):
                continue
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


def changed(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """The samples that changed, by how much."""
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


@pytest.fixture
def audited(worlds: Callable[..., World]) -> tuple[World, Audit]:
    audit = Audit()
    return worlds(auth_kwargs={"on_event": audit}), audit


async def test_sign_in_events(audited: tuple[World, Audit]) -> None:
    world, audit = audited
    sub = world.lc.user(DEMO_EMAIL).sub
    before = await scrape(world)

    final = await world.sign_in("/protected")
    assert final.status_code == 200

    events = list(audit.events)
    assert audit.take() == [
        ("denied", "failure", "login_required", "login_required", None),  # sent to sign in
        ("jwks_refetch", "success", None, None, None),  # the first token verified needs keys
        ("signin", "success", None, None, sub),
    ]
    denied, jwks, signin = events
    assert denied.request_id != signin.request_id
    assert signin.client_ip == "127.0.0.1"  # the peer httpx's ASGI transport reports
    assert len(signin.request_id or "") == 16
    assert jwks.request_id == signin.request_id  # the fetch happened during the callback
    assert jwks.endpoint == "jwks"
    assert abs(signin.time - world.clock.now()) < 1

    for _ in range(3):  # served from the session cache: no events at all
        assert (await world.get("/protected")).status_code == 200
    assert audit.take() == []

    assert changed(before, await scrape(world)) == {
        'cognito_gate_denials_total{code="login_required"}': 1,
        'cognito_gate_jwks_refetches_total{outcome="success"}': 1,
        'cognito_gate_signins_total{code="",outcome="success"}': 1,
        'cognito_gate_provider_request_duration_seconds_count{endpoint="jwks"}': 1,
        'cognito_gate_provider_request_duration_seconds_count{endpoint="token"}': 1,
        'cognito_gate_provider_up{endpoint="jwks"}': 1,
        'cognito_gate_provider_up{endpoint="token"}': 1,
        'cognito_gate_jwks_keys{}': 2,
        # verified at the callback, then read twice: the page it lands on, and again once the
        # loop-breaker cookie is gone (the Cookie header changed); then served twice as is
        'cognito_gate_cache_entries{cache="claims"}': 2,
        'cognito_gate_cache_misses_total{cache="claims"}': 2,
        'cognito_gate_cache_hits_total{cache="claims"}': 4,
        'cognito_gate_cache_entries{cache="session"}': 1,
        'cognito_gate_cache_misses_total{cache="session"}': 2,
        'cognito_gate_cache_hits_total{cache="session"}': 2,
    }


async def test_failed_sign_in_event(audited: tuple[World, Audit]) -> None:
    world, audit = audited
    callback = await world.code_for(await world.start_sign_in("/protected"))
    tampered = callback.replace("code=", "code=x", 1)  # a code Cognito never issued
    before = await scrape(world)

    failed = await world.get(tampered)

    assert failed.status_code == 400
    assert audit.take() == [("signin", "failure", "code_rejected", "oauth_invalid_grant", None)]
    assert changed(before, await scrape(world)) == {
        'cognito_gate_signins_total{code="code_rejected",outcome="failure"}': 1,
        'cognito_gate_provider_request_duration_seconds_count{endpoint="token"}': 1,
        'cognito_gate_provider_up{endpoint="token"}': 1,  # an OAuth error is an answer
    }


async def test_request_id_is_taken_from_the_request(audited: tuple[World, Audit]) -> None:
    world, audit = audited
    await world.get("/protected", headers={"x-request-id": "edge-4711"})
    await world.get("/protected", headers={"x-request-id": "bad id <script>"})
    first, second = audit.events
    assert first.request_id == "edge-4711"
    assert len(second.request_id or "") == 16  # made up: the given one is not a safe name


async def test_refresh_event(audited: tuple[World, Audit]) -> None:
    world, audit = audited
    await world.sign_in()
    sub = world.lc.user(DEMO_EMAIL).sub
    audit.take()

    before = await scrape(world)

    world.advance(LIFETIME - 30)  # within the refresh margin
    assert (await world.get("/protected")).status_code == 200

    assert audit.take() == [("refresh", "success", None, None, sub)]
    assert changed(before, await scrape(world)) == {
        'cognito_gate_refreshes_total{code="",outcome="success",reason=""}': 1,
        'cognito_gate_provider_request_duration_seconds_count{endpoint="token"}': 1,
        'cognito_gate_cache_misses_total{cache="session"}': 1,
        'cognito_gate_cache_hits_total{cache="claims"}': 2,  # the old tokens
        'cognito_gate_cache_misses_total{cache="claims"}': 2,  # the new ones
        'cognito_gate_cache_entries{cache="claims"}': 2,
    }


async def test_refused_refresh_events(audited: tuple[World, Audit]) -> None:
    world, audit = audited
    await world.sign_in()
    sub = world.lc.user(DEMO_EMAIL).sub
    session = await tokens_of(world)
    revoked = await world.provider_http.post(
        world.lc.base_url + "/oauth2/revoke", data={"token": session.refresh_token},
        auth=(world.client.client_id, world.client.client_secret or ""))
    assert revoked.status_code == 200
    audit.take()
    before = await scrape(world)

    world.advance(LIFETIME - 30)  # due for refresh
    denied = await world.get("/protected")

    assert denied.status_code == 303
    assert audit.take() == [
        ("refresh", "refused", "session_ended", "oauth_invalid_grant", sub),
        ("session_end", "failure", "session_ended", "oauth_invalid_grant", sub),
        ("denied", "failure", "session_ended", "oauth_invalid_grant", None),
    ]
    assert changed(before, await scrape(world)) == {
        'cognito_gate_refreshes_total{code="session_ended",outcome="refused",'
        'reason="oauth_invalid_grant"}': 1,
        'cognito_gate_sessions_ended_total{code="session_ended",reason="oauth_invalid_grant"}': 1,
        'cognito_gate_denials_total{code="session_ended"}': 1,
        'cognito_gate_provider_request_duration_seconds_count{endpoint="token"}': 1,
        'cognito_gate_cache_misses_total{cache="session"}': 1,
        'cognito_gate_cache_hits_total{cache="claims"}': 2,
    }


async def test_sign_out_event(audited: tuple[World, Audit]) -> None:
    world, audit = audited
    await world.sign_in()
    sub = world.lc.user(DEMO_EMAIL).sub
    audit.take()
    before = await scrape(world)

    out = await world.sign_out()

    assert out.status_code == 303
    assert audit.take() == [("signout", "success", None, None, sub)]
    assert changed(before, await scrape(world)) == {
        'cognito_gate_signouts_total{code="",outcome="success"}': 1,
        'cognito_gate_provider_request_duration_seconds_count{endpoint="revoke"}': 1,
        'cognito_gate_provider_up{endpoint="revoke"}': 1,
    }


async def test_refused_sign_out_event(audited: tuple[World, Audit]) -> None:
    world, audit = audited
    await world.sign_in()
    audit.take()

    before = await scrape(world)

    refused = await world.post("/logout", data={"csrf": "wrong"})

    assert refused.status_code == 403
    assert audit.take() == [("signout", "failure", "csrf_failed", "csrf_token", None)]
    assert changed(before, await scrape(world)) == {
        'cognito_gate_signouts_total{code="csrf_failed",outcome="failure"}': 1}


async def test_forged_bearer_token_events(audited: tuple[World, Audit]) -> None:
    world, audit = audited
    await world.sign_in()
    access = (await tokens_of(world)).access_token
    audit.take()
    before = await scrape(world)

    refused = await bearer(world, flip_signature(access))

    assert refused.status_code == 401
    assert audit.take() == [
        ("bearer_rejected", "failure", "token_invalid", "signature_invalid", None),
        ("denied", "failure", "token_invalid", "signature_invalid", None),
    ]
    assert (await bearer(world, access)).status_code == 200  # the genuine one: no event
    assert audit.take() == []
    assert changed(before, await scrape(world)) == {
        'cognito_gate_bearer_rejections_total{reason="signature_invalid"}': 1,
        'cognito_gate_denials_total{code="token_invalid"}': 1,
        'cognito_gate_cache_misses_total{cache="claims"}': 2,  # the forged and the genuine one
        'cognito_gate_cache_entries{cache="claims"}': 1,  # only the genuine one is kept
    }


async def test_provider_outage_events(audited: tuple[World, Audit]) -> None:
    world, audit = audited
    await world.sign_in()
    sub = world.lc.user(DEMO_EMAIL).sub
    audit.take()
    before = await scrape(world)
    world.lc.faults.set("token", status=503, body="down", retry_after=1)

    world.advance(LIFETIME - 30)  # due for refresh; the old token still serves
    assert (await world.get("/protected")).status_code == 200
    outage = list(audit.events)
    assert audit.take() == [
        ("provider_outage", "start", "provider_unavailable", "token_http_503", None),
        ("refresh", "failure", "provider_unavailable", "token_http_503", sub),
    ]
    assert outage[0].endpoint == "token"
    down = await scrape(world)
    assert down['cognito_gate_provider_up{endpoint="token"}'] == 0

    world.lc.faults.reset()
    world.advance(15)  # past the refresh cool-off
    assert (await world.get("/protected")).status_code == 200
    ended = list(audit.events)
    assert audit.take() == [
        ("provider_outage", "end", None, None, None),
        ("refresh", "success", None, None, sub),
    ]
    assert ended[0].endpoint == "token"
    assert changed(before, await scrape(world)) == {
        'cognito_gate_provider_outages_total{endpoint="token",outcome="start"}': 1,
        'cognito_gate_provider_outages_total{endpoint="token",outcome="end"}': 1,
        'cognito_gate_refreshes_total{code="provider_unavailable",outcome="failure",'
        'reason="token_http_503"}': 1,
        'cognito_gate_refreshes_total{code="",outcome="success",reason=""}': 1,
        'cognito_gate_provider_request_duration_seconds_count{endpoint="token"}': 2,
        # the old session served (and kept) during the outage, then re-verified and refreshed
        'cognito_gate_cache_misses_total{cache="session"}': 2,
        'cognito_gate_cache_entries{cache="session"}': 1,
        'cognito_gate_cache_hits_total{cache="claims"}': 4,
        'cognito_gate_cache_misses_total{cache="claims"}': 2,
        'cognito_gate_cache_entries{cache="claims"}': 2,
    }


async def test_default_delivery_is_json_lines_on_the_audit_logger(
        worlds: Callable[..., World], caplog: pytest.LogCaptureFixture) -> None:
    world = worlds()
    with caplog.at_level(logging.INFO, logger="cognito_gate.audit"):
        await world.get("/protected")
    lines = [r.getMessage() for r in caplog.records if r.name == "cognito_gate.audit"]
    assert len(lines) == 1
    record: dict[str, Any] = json.loads(lines[0])
    assert record == {"type": "denied", "outcome": "failure", "time": record["time"],
                      "code": "login_required", "reason": "login_required", "endpoint": None,
                      "client_ip": "127.0.0.1", "request_id": record["request_id"],
                      "sub_hash": None}


async def test_the_log_line_names_the_user_by_a_hash_of_sub(
        worlds: Callable[..., World], caplog: pytest.LogCaptureFixture) -> None:
    """CK-06: log lines carry hashed identifiers; the hook gets ``sub`` itself."""
    world = worlds()
    sub = world.lc.user(DEMO_EMAIL).sub
    with caplog.at_level(logging.INFO, logger="cognito_gate.audit"):
        await world.sign_in()
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "cognito_gate.audit"]
    signin = next(line for line in lines if line["type"] == "signin")
    assert signin["sub_hash"] == hashlib.sha256(sub.encode()).hexdigest()[:16]
    assert not any(sub in r.getMessage() for r in caplog.records)


async def test_a_failing_hook_does_not_break_sign_in(worlds: Callable[..., World]) -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("the app's hook is broken")

    world = worlds(auth_kwargs={"on_event": broken})
    final = await world.sign_in()
    assert final.status_code == 200

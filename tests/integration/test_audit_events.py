"""Audit events (issue 14): the exact events a sign-in, a failed sign-in, a refresh, a refused
refresh, a sign-out, a forged bearer token and a provider outage produce — in-process against the
real Local Cognito, delivered through ``on_event=``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest

from cognito_gate import Event

from .forge import bearer, flip_signature, tokens_of
from .harness import DEMO_EMAIL, World

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


@pytest.fixture
def audited(worlds: Callable[..., World]) -> tuple[World, Audit]:
    audit = Audit()
    return worlds(auth_kwargs={"on_event": audit}), audit


async def test_sign_in_events(audited: tuple[World, Audit]) -> None:
    world, audit = audited
    sub = world.lc.user(DEMO_EMAIL).sub

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


async def test_failed_sign_in_event(audited: tuple[World, Audit]) -> None:
    world, audit = audited
    callback = await world.code_for(await world.start_sign_in("/protected"))
    tampered = callback.replace("code=", "code=x", 1)  # a code Cognito never issued

    failed = await world.get(tampered)

    assert failed.status_code == 400
    assert audit.take() == [("signin", "failure", "code_rejected", "oauth_invalid_grant", None)]


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

    world.advance(LIFETIME - 30)  # within the refresh margin
    assert (await world.get("/protected")).status_code == 200

    assert audit.take() == [("refresh", "success", None, None, sub)]


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

    world.advance(LIFETIME - 30)  # due for refresh
    denied = await world.get("/protected")

    assert denied.status_code == 303
    assert audit.take() == [
        ("refresh", "refused", "session_ended", "oauth_invalid_grant", sub),
        ("session_end", "failure", "session_ended", "oauth_invalid_grant", sub),
        ("denied", "failure", "session_ended", "oauth_invalid_grant", None),
    ]


async def test_sign_out_event(audited: tuple[World, Audit]) -> None:
    world, audit = audited
    await world.sign_in()
    sub = world.lc.user(DEMO_EMAIL).sub
    audit.take()

    out = await world.sign_out()

    assert out.status_code == 303
    assert audit.take() == [("signout", "success", None, None, sub)]


async def test_refused_sign_out_event(audited: tuple[World, Audit]) -> None:
    world, audit = audited
    await world.sign_in()
    audit.take()

    refused = await world.post("/logout", data={"csrf": "wrong"})

    assert refused.status_code == 403
    assert audit.take() == [("signout", "failure", "csrf_failed", "csrf_token", None)]


async def test_forged_bearer_token_events(audited: tuple[World, Audit]) -> None:
    world, audit = audited
    await world.sign_in()
    access = (await tokens_of(world)).access_token
    audit.take()

    refused = await bearer(world, flip_signature(access))

    assert refused.status_code == 401
    assert audit.take() == [
        ("bearer_rejected", "failure", "token_invalid", "signature_invalid", None),
        ("denied", "failure", "token_invalid", "signature_invalid", None),
    ]
    assert (await bearer(world, access)).status_code == 200  # the genuine one: no event
    assert audit.take() == []


async def test_provider_outage_events(audited: tuple[World, Audit]) -> None:
    world, audit = audited
    await world.sign_in()
    sub = world.lc.user(DEMO_EMAIL).sub
    audit.take()
    world.lc.faults.set("token", status=503, body="down", retry_after=1)

    world.advance(LIFETIME - 30)  # due for refresh; the old token still serves
    assert (await world.get("/protected")).status_code == 200
    outage = list(audit.events)
    assert audit.take() == [
        ("provider_outage", "start", "provider_unavailable", "token_http_503", None),
        ("refresh", "failure", "provider_unavailable", "token_http_503", sub),
    ]
    assert outage[0].endpoint == "token"

    world.lc.faults.reset()
    world.advance(15)  # past the refresh cool-off
    assert (await world.get("/protected")).status_code == 200
    ended = list(audit.events)
    assert audit.take() == [
        ("provider_outage", "end", None, None, None),
        ("refresh", "success", None, None, sub),
    ]
    assert ended[0].endpoint == "token"


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
                      "sub": None, "client_ip": "127.0.0.1",
                      "request_id": record["request_id"]}


async def test_a_failing_hook_does_not_break_sign_in(worlds: Callable[..., World]) -> None:
    def broken(event: Event) -> None:
        raise RuntimeError("the app's hook is broken")

    world = worlds(auth_kwargs={"on_event": broken})
    final = await world.sign_in()
    assert final.status_code == 200

"""Token endpoint client: response validation (AZ-13) and error taxonomy (FT-09, RF-07)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cognito_gate import AuthError, ProviderRejected, ProviderUnavailable
from cognito_gate.core.tokens import TokenClient, parse_token_response

GOOD = {"id_token": "i", "access_token": "a", "refresh_token": "r", "expires_in": 3600,
        "token_type": "Bearer"}


def client(handler: Any) -> TokenClient:
    return TokenClient(token_url="https://auth.example.com/oauth2/token",
                       revoke_url="https://auth.example.com/oauth2/revoke", client_id="c",
                       client_secret="s", http=httpx.AsyncClient(
                           transport=httpx.MockTransport(handler)))


def test_AZ_13_good_response_and_bearer_any_case():
    assert parse_token_response({**GOOD, "token_type": "bearer"}).refresh_token == "r"
    assert parse_token_response({**GOOD, "refresh_token": None}).refresh_token is None


@pytest.mark.parametrize("change", [
    {"id_token": None}, {"token_type": "mac"}, {"token_type": None}, {"expires_in": "3600"},
    {"expires_in": -1}, {"expires_in": True}, {"access_token": ""}, {"refresh_token": 5},
])
def test_AZ_13_bad_responses_rejected(change: dict[str, Any]):
    body = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(AuthError) as info:
        parse_token_response(body)
    assert info.value.code == "token_response_invalid"


@pytest.mark.parametrize(("status", "body", "code"), [
    (400, {"error": "invalid_grant"}, "code_rejected"),
    (400, {"error": "invalid_client"}, "client_rejected"),
    (401, {"error": "invalid_client"}, "client_rejected"),
    (400, {"error": "unauthorized_client"}, "client_rejected"),
    (400, {"error": "brand_new_error", "error_description": "<b>x</b>"}, "signin_failed"),
])
async def test_FT_09_definitive_errors(status: int, body: dict[str, str], code: str):
    tokens = client(lambda request: httpx.Response(status, json=body))
    with pytest.raises(ProviderRejected) as info:
        await tokens.exchange_code("code", "verifier", "https://app.example.com/callback/")
    assert info.value.code == code
    assert "<b>" not in info.value.message


@pytest.mark.parametrize("response", [
    httpx.Response(500, json={"error": "server_error"}), httpx.Response(502, text="<html>"),
    httpx.Response(429, headers={"retry-after": "7"}), httpx.Response(200, text="not json"),
    httpx.Response(400, text="<html>oops</html>"),
    httpx.Response(400, json={"error": "temporarily_unavailable"}),
])
async def test_RF_07_transient_errors(response: httpx.Response):
    tokens = client(lambda request: response)
    with pytest.raises(ProviderUnavailable):
        await tokens.refresh("rt")


async def test_network_errors_are_transient_and_retry_after_kept():
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(ProviderUnavailable):
        await client(fail).refresh("rt")
    with pytest.raises(ProviderUnavailable) as info:
        await client(lambda r: httpx.Response(429, headers={"retry-after": "7"})).refresh("rt")
    assert info.value.retry_after == 7


async def test_LO_03_revoke_failures_are_not_fatal():
    seen: list[httpx.Request] = []

    def ok(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    assert await client(ok).revoke("rt") is True
    assert seen[0].content == b"token=rt"
    assert seen[0].headers["authorization"].startswith("Basic")
    assert await client(lambda r: httpx.Response(503)).revoke("rt") is False

    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    assert await client(boom).revoke("rt") is False


@pytest.mark.parametrize(("header", "kept"), [
    ("9" * 400, 300), ("²", None), ("3" * 5000, 300), ("Wed, 21 Oct 2015 07:28:00 GMT", 1),
])
async def test_garbled_retry_after_is_a_clean_provider_unavailable(header: str,
                                                                  kept: int | None):
    answer = httpx.Response(429, headers=[(b"retry-after", header.encode())])
    with pytest.raises(ProviderUnavailable) as info:
        await client(lambda request: answer).refresh("rt")
    assert info.value.provider_retry_after == kept
    assert 1 <= info.value.retry_after <= 300

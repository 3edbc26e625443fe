"""Reading the provider's answers defensively: ``Retry-After`` never raises and is bounded; a
body is capped while it streams and must be the JSON Cognito sends, or the provider is
"unavailable" (a clean 503 with a reason), never an exception."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognito_gate import ProviderUnavailable
from cognito_gate.core.provider import MAX_BODY, Answer, call, json_body, retry_after

NOW = 1_800_000_000.0


@pytest.mark.parametrize(("value", "seconds"), [
    ("7", 7), (" 12 ", 12), ("0", 0), ("9" * 400, 300), ("86400", 300), (None, None), ("", None),
    ("²", None), ("٣", None), ("1.5", None), ("-5", None), ("inf", None), ("soon", None),
    (format_datetime(datetime.fromtimestamp(NOW + 42, UTC), usegmt=True), 42),
    (format_datetime(datetime.fromtimestamp(NOW - 42, UTC), usegmt=True), 0),
    ("Fri, 31 Dec 9999 23:59:59 GMT", 300), ("Mon, 99 Foo 0000 99:99:99 GMT", None),
])
def test_retry_after_parsed_from_ascii_seconds_or_http_date_and_bounded(
        value: str | None, seconds: int | None):
    assert retry_after(value, NOW) == seconds


@given(st.text(max_size=500))
def test_retry_after_never_raises_and_stays_within_bounds(value: str):
    seconds = retry_after(value, NOW)
    assert seconds is None or 0 <= seconds <= 300


@pytest.mark.parametrize(("given_value", "kept", "told"), [
    (None, None, 30), (0, 1, 1), (7, 7, 7), (10**400, 300, 300), (-10**400, 1, 1),
])
def test_provider_unavailable_bounds_the_retry_after_it_carries(
        given_value: int | None, kept: int | None, told: int):
    error = ProviderUnavailable("token_http_429", retry_after=given_value)
    assert (error.provider_retry_after, error.retry_after) == (kept, told)


# -- reading an answer: size cap while streaming, strict JSON ---------------------------------

URL = "https://auth.example.com/oauth2/token"


class Endless(httpx.AsyncByteStream):
    """An answer that never ends, counting what the client pulled from the network."""

    def __init__(self) -> None:
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            self.sent += 16384
            yield b" " * 16384


def http_of(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def answer_of(response: httpx.Response) -> Answer:
    return await call(http_of(lambda request: response), "GET", URL, what="jwks", deadline=5,
                      headers={})


async def test_body_cap_is_enforced_while_streaming_not_after_reading_everything():
    stream = Endless()
    with pytest.raises(ProviderUnavailable) as info:
        await answer_of(httpx.Response(200, stream=stream))
    assert info.value.reason == "jwks_body_too_large"
    assert stream.sent <= MAX_BODY + 16384


async def test_a_declared_oversized_body_is_refused_before_reading_it():
    stream = Endless()
    with pytest.raises(ProviderUnavailable) as info:
        await answer_of(httpx.Response(200, headers={"content-length": str(5_000_000)},
                                       stream=stream))
    assert info.value.reason == "jwks_body_too_large"
    assert stream.sent == 0


async def test_a_compressed_answer_is_refused_and_identity_is_asked_for():
    seen: list[httpx.Request] = []

    def gzipped(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers={"content-encoding": "gzip"},
                              content=gzip.compress(b"{}" + b" " * 10_000_000))

    with pytest.raises(ProviderUnavailable) as info:
        await call(http_of(gzipped), "GET", URL, what="jwks", deadline=5, headers={})
    assert info.value.reason == "jwks_content_encoding"
    assert seen[0].headers["accept-encoding"] == "identity"


@pytest.mark.parametrize("content_type", [
    "application/json", "application/json;charset=UTF-8", "Application/JSON; charset=utf-8",
    'application/json; charset="UTF-8"',
])
async def test_json_as_cognito_sends_it_is_read(content_type: str):
    answer = await answer_of(httpx.Response(200, headers={"content-type": content_type},
                                            content=b'{"keys": []}'))
    assert json_body(answer, "jwks") == {"keys": []}


@pytest.mark.parametrize(("content_type", "body", "reason"), [
    (None, b"{}", "content_type"), ("text/html", b"{}", "content_type"),
    ("text/json", b"{}", "content_type"), ("application/jsonp", b"{}", "content_type"),
    ("application/json; charset=latin-1", b"{}", "content_type"),
    ("application/json", '{"a": "é"}'.encode("utf-16"), "body_not_utf8"),
    ("application/json", b'{"a": "\xff"}', "body_not_utf8"),
    ("application/json", b"[" * 100_000 + b"]" * 100_000, "json_too_deep"),
    ("application/json", b'{"expires_in": NaN}', "json_invalid"),
    ("application/json", b'{"n": ' + b"9" * 5000 + b"}", "json_invalid"),
    ("application/json", b"", "json_invalid"), ("application/json", b'{"a": 1', "json_invalid"),
])
async def test_anything_but_well_formed_utf8_json_is_provider_unavailable(
        content_type: str | None, body: bytes, reason: str):
    headers = {"content-type": content_type} if content_type else {}
    answer = await answer_of(httpx.Response(200, headers=headers, content=body))
    with pytest.raises(ProviderUnavailable) as info:
        json_body(answer, "jwks")
    assert info.value.reason == f"jwks_{reason}"

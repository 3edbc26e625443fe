"""A hostile or broken provider (issue 8, defect 4): whatever Local Cognito answers at sign-in,
at refresh and at the JWKS fetch — any status, any headers, any bytes — the app answers a clean
page or JSON (never a 500), makes no session out of it, and keeps its cool-downs, so a garbled
provider is asked again only when the back-off allows.

The answers come from Local Cognito's raw fault switch (``faults.set(endpoint, status=…,
headers={…}, body=b"…")``); nothing here mocks the library's HTTP calls.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from integration.harness import World

from .helpers import JSON, SESSION_CHUNKS, another_process, session_deleted, session_writes

PROFILE = settings.get_profile("reliability")
JSON_TYPE = "application/json;charset=UTF-8"
LIFETIME = 3600  # the demo client's access and ID tokens
TOKEN_SHAPE = {"id_token": "x.y.z", "access_token": "x.y.z", "refresh_token": "r",
               "expires_in": 3600, "token_type": "Bearer"}
Fault = dict[str, Any]

GARBLED: dict[str, Fault] = {
    "deeply nested JSON": {"status": 200, "headers": {"content-type": JSON_TYPE},
                           "body": b"[" * 100_000 + b"]" * 100_000},
    "NaN in JSON": {"status": 200, "headers": {"content-type": JSON_TYPE},
                    "body": b'{"keys": NaN, "expires_in": NaN}'},
    "5,000-digit number": {"status": 200, "headers": {"content-type": JSON_TYPE},
                           "body": b'{"keys": [], "expires_in": ' + b"9" * 5000 + b"}"},
    "JSON as text/plain": {"status": 200, "headers": {"content-type": "text/plain"},
                           "body": json.dumps(TOKEN_SHAPE).encode()},
    "JSON in latin-1": {"status": 200,
                        "headers": {"content-type": "application/json; charset=iso-8859-1"},
                        "body": b'{"keys": []}'},
    "gzip-encoded": {"status": 200,
                     "headers": {"content-type": JSON_TYPE, "content-encoding": "gzip"},
                     "body": b"\x1f\x8b\x08\x00garbage"},
    "300 KB of JSON": {"status": 200, "headers": {"content-type": JSON_TYPE},
                       "body": b'{"keys": [], "pad": "' + b"x" * 300_000 + b'"}'},
    "429 with a 400-digit Retry-After": {"status": 429, "headers": {"retry-after": "9" * 400}},
    "429 with a non-ASCII digit Retry-After": {"status": 429, "headers": {"retry-after": "²"}},
    "400 error as text/html": {"status": 400, "headers": {"content-type": "text/html"},
                               "body": b'{"error": "invalid_grant"}'},
}


async def _access_token(world: World) -> str:
    session = await world.auth.load_session(world.app_cookies())
    assert session is not None
    return session.access_token


@pytest.mark.parametrize("fault", GARBLED.values(), ids=GARBLED.keys())
async def test_garbled_jwks_answer_is_a_503_on_the_bearer_path_and_the_back_off_holds(
        world: World, fault: Fault) -> None:
    assert (await world.sign_in("/protected")).status_code == 200
    access = await _access_token(world)
    cold = another_process(world)  # no keys yet: the bearer request fetches the JWKS
    world.lc.faults.set("jwks", **fault)
    before = world.lc.requests["jwks"]
    headers = {**JSON, "authorization": f"Bearer {access}"}
    for _ in range(3):
        api = await cold.another_browser().get("/api/me", headers=headers)
        assert api.status_code == 503, api.text
        assert api.json()["error"] == "provider_unavailable"
        assert 1 <= int(api.headers["retry-after"]) <= 300
    assert world.lc.requests["jwks"] - before == 1  # backing off, not a fetch per request
    world.lc.faults.reset()
    world.advance(11)
    assert (await cold.another_browser().get("/api/me", headers=headers)).status_code == 200


@pytest.mark.parametrize("fault", GARBLED.values(), ids=GARBLED.keys())
async def test_garbled_token_answer_at_refresh_is_a_503_that_keeps_the_session_and_cools_off(
        world: World, fault: Fault) -> None:
    assert (await world.sign_in("/protected")).status_code == 200
    world.advance(LIFETIME + 1)
    world.lc.faults.set("token", **fault)
    before = world.lc.requests["token"]
    page = await world.get("/protected")
    api = await world.get("/api/me", headers=JSON)
    assert (page.status_code, api.status_code) == (503, 503), api.text
    assert api.json()["error"] == "provider_unavailable"
    assert 1 <= int(api.headers["retry-after"]) <= 300
    for response in (page, api):
        assert not session_deleted(response)
        assert not session_writes(response)
    assert world.lc.requests["token"] - before == 1  # one attempt, then the cool-off
    world.lc.faults.reset()
    world.advance(301)  # past the cool-off, however long a Retry-After (at most 300 s) made it
    healed = await world.get("/protected")
    assert healed.status_code == 200
    assert session_writes(healed)


@pytest.mark.parametrize("fault", GARBLED.values(), ids=GARBLED.keys())
async def test_garbled_token_answer_at_sign_in_is_a_clean_page_and_no_session(
        world: World, fault: Fault) -> None:
    callback = await world.code_for(await world.start_sign_in("/protected"))
    world.lc.faults.set("token", **fault)
    page = await world.get(callback)
    assert page.status_code == 503, page.text
    assert "Sign-in service unavailable" in page.text
    assert not any(n in world.app_cookies() for n in SESSION_CHUNKS)


# -- the property: any answer at all -----------------------------------------------------------

CONTENT_TYPES = st.sampled_from([
    "application/json", JSON_TYPE, "application/json; charset=utf-8", "text/html",
    "text/plain", "application/json; charset=utf-16", "application/jsonx", "", "\u00b2",
])
RETRY_AFTERS = st.one_of(
    st.sampled_from(["7", "0", "9" * 400, "²", "٣", "-1", "1.5", "inf", "",
                     "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT"]),
    st.text(max_size=30),
)
HEADERS = st.fixed_dictionaries({}, optional={
    "content-type": CONTENT_TYPES,
    "retry-after": RETRY_AFTERS,
    "content-encoding": st.sampled_from(["identity", "gzip", "br", "x"]),
    "content-length": st.sampled_from(["0", "5", "999999999", "-1", "x", "9" * 40]),
    "x-junk": st.binary(max_size=20),
})
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20,
)
SHAPED = st.one_of(  # near the real shapes: a token response, an OAuth error, a JWKS
    st.dictionaries(st.sampled_from([*TOKEN_SHAPE, "error"]), JSON_VALUES, max_size=6),
    st.builds(lambda changes: {**TOKEN_SHAPE, **changes},
              st.dictionaries(st.sampled_from(list(TOKEN_SHAPE)), JSON_VALUES, max_size=2)),
    st.fixed_dictionaries({"error": st.sampled_from(["invalid_grant", "invalid_client",
                                                     "server_error", "x" * 100, "é"])}),
    st.fixed_dictionaries({"keys": st.lists(st.dictionaries(
        st.sampled_from(["kty", "kid", "alg", "use", "n", "e"]), JSON_VALUES), max_size=3)}),
)
BODIES = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    SHAPED.map(lambda v: json.dumps(v).encode()),
    st.integers(1, 200_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.sampled_from([b"", b"{", b"NaN", b'{"a": Infinity}', b"\xff\xfe{\x00}\x00",
                     b"{}" + b" " * 300_000]),
)
STATUSES = st.one_of(st.sampled_from([200, 200, 400, 401, 429, 500, 503]),
                     st.integers(100, 599))
PLAUSIBLE = st.fixed_dictionaries({  # JSON as Cognito labels it: the schema checks must hold
    "status": st.sampled_from([200, 200, 400, 401]),
    "headers": st.fixed_dictionaries({"content-type": st.sampled_from(
        ["application/json", JSON_TYPE])}),
    "body": SHAPED.map(lambda v: json.dumps(v).encode()),
})
ANSWERS = st.one_of(PLAUSIBLE, st.fixed_dictionaries(
    {"status": STATUSES, "headers": HEADERS, "body": BODIES}))


def _assert_clean(response: Any, allowed: set[int]) -> None:
    assert response.status_code != 500, response.text[:300]
    assert response.status_code in allowed, (response.status_code, response.text[:300])
    assert "Traceback" not in response.text


@settings(PROFILE, max_examples=150)
@given(answer=ANSWERS)
async def test_any_token_answer_at_sign_in_is_a_clean_page_and_never_a_session(
        world: World, answer: Fault) -> None:
    callback = await world.code_for(await world.start_sign_in("/protected"))
    world.lc.faults.set("token", times=1, **answer)
    page = await world.get(callback)
    event(f"sign-in: {page.status_code}")
    _assert_clean(page, {400, 503})
    assert not session_writes(page), "a session from a garbled token answer"


@settings(PROFILE, max_examples=150)
@given(answer=ANSWERS)
async def test_any_token_answer_at_refresh_keeps_or_ends_the_session_cleanly_and_cools_off(
        world: World, answer: Fault) -> None:
    if world.app_cookies():
        world.browser.cookies.clear(domain="localhost.local")
    assert (await world.sign_in("/protected")).status_code == 200
    world.advance(LIFETIME + 1)
    world.lc.faults.set("token", times=1, **answer)
    before = world.lc.requests["token"]
    api = await world.get("/api/me", headers=JSON)
    event(f"refresh: {api.status_code}")
    _assert_clean(api, {401, 503})
    assert not session_writes(api), "new tokens from a garbled token answer"
    if api.status_code == 401:  # only a definitive OAuth error may end the session
        assert api.json()["error"] == "session_ended"
    again = await world.get("/api/me", headers=JSON)  # within the cool-off
    _assert_clean(again, {401, 503})
    assert world.lc.requests["token"] - before == 1


@settings(PROFILE, max_examples=150)
@given(answer=ANSWERS)
async def test_any_jwks_answer_is_a_clean_503_or_401_never_acceptance_and_backs_off(
        world: World, answer: Fault) -> None:
    if not world.app_cookies():
        assert (await world.sign_in("/protected")).status_code == 200
    headers = {**JSON, "authorization": f"Bearer {await _access_token(world)}"}
    cold = another_process(world)
    world.lc.faults.set("jwks", times=1, **answer)
    before = world.lc.requests["jwks"]
    api = await cold.another_browser().get("/api/me", headers=headers)
    event(f"jwks: {api.status_code}")
    _assert_clean(api, {401, 503})  # the real keys are not in any garbled answer
    again = await cold.another_browser().get("/api/me", headers=headers)
    _assert_clean(again, {401, 503})
    assert world.lc.requests["jwks"] - before == 1

"""Property-based and fuzz tests (hypothesis) over what a hostile browser controls: the callback's
query, the Cookie header and the return-to parameter. Never a 500, never a session from garbage,
never a redirect off the app's origin.

Examples per test are kept moderate (profile ``reliability`` in conftest.py: deterministic when
``CI`` is set). One world serves all examples of a test; each example is a request or a few.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from cognito_gate.core.returnto import safe_return_to
from integration.harness import APP_URL, World, netloc, query_of

from .helpers import (
    SESSION_CHUNKS,
    browser_target,
    call_app,
    decoded,
    session_cookies,
    session_writes,
)

PROFILE = settings.get_profile("reliability")
APP = ("http", netloc(APP_URL))

# -- the callback ------------------------------------------------------------------------------

REAL = "\x00real\x00"  # stands for the live value (state of a pending sign-in, or a real code)
NAMES = st.sampled_from(["code", "state", "error", "error_description", "iss", "session_state",
                         "Code", "state[]", ""])
JUNK = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    st.sampled_from(["", "access_denied", "invalid_request", "server_error",
                     "http://127.0.0.1:9229/us-east-1_LocalDemo", "https://evil.example/",
                     "%00", "x" * 3000, "<script>alert(1)</script>", "../../", "\r\nX: y"]),
)
VALUE = st.one_of(JUNK, st.just(REAL))
PAIR = st.tuples(NAMES, VALUE)


@st.composite
def _near_valid(draw: st.DrawFn) -> list[tuple[str, str]]:
    """The genuine ``code`` + ``state``, then a few edits: a pair added, dropped, duplicated or
    replaced, or the order changed — the near misses that matter most."""
    pairs = [("code", REAL), ("state", REAL)]
    for _ in range(draw(st.integers(0, 3))):
        edit = draw(st.sampled_from(["add", "drop", "duplicate", "replace", "reverse"]))
        if edit == "add":
            pairs.insert(draw(st.integers(0, len(pairs))), draw(PAIR))
        elif pairs and edit == "drop":
            pairs.pop(draw(st.integers(0, len(pairs) - 1)))
        elif pairs and edit == "duplicate":
            pairs.append(pairs[draw(st.integers(0, len(pairs) - 1))])
        elif pairs and edit == "replace":
            i = draw(st.integers(0, len(pairs) - 1))
            pairs[i] = (pairs[i][0], draw(JUNK))
        else:
            pairs.reverse()
    return pairs


PARAMS = st.one_of(st.lists(PAIR, max_size=7), _near_valid())


@dataclass
class Pending:
    state: str
    code: str | None


async def _pending(world: World, with_code: bool) -> Pending:
    location = (await world.get("/login?return_to=/protected")).headers["location"]
    code = query_of(await world.code_for(location))["code"] if with_code else None
    return Pending(query_of(location)["state"], code)


@pytest.fixture
async def signed_up(world: World) -> World:
    """A browser with a hosted-UI session (codes come without a form) and no app session."""
    assert (await world.sign_in("/protected")).status_code == 200
    world.browser.cookies.clear(domain="localhost.local")
    return world


@settings(PROFILE)
@given(params=PARAMS, with_code=st.sampled_from([True, True, True, False]), raw=st.booleans())
async def test_fuzz_callback_parameters(signed_up: World, params: list[tuple[str, str]],
                                        with_code: bool, raw: bool) -> None:
    world = signed_up
    pending = await _pending(world, with_code)
    pairs = [(name, (pending.code or "" if name == "code" else pending.state)
              if value == REAL else value) for name, value in params]
    if raw:  # percent-encode every byte as is, including invalid UTF-8 and separators
        query = "&".join(f"{quote(n.encode('latin-1'), safe='')}="
                         f"{quote(v.encode('latin-1', 'replace'), safe='')}" for n, v in pairs)
    else:
        query = urlencode(pairs)
    response = await world.get(f"/callback/?{query}")
    event(f"callback answered {response.status_code}")
    assert response.status_code != 500, response.text
    assert response.status_code in (303, 400, 401, 403, 429, 503), response.status_code
    if session_writes(response):
        given_pairs = dict(pairs)
        assert pending.code is not None
        assert given_pairs.get("code") == pending.code
        assert given_pairs.get("state") == pending.state
        assert "error" not in given_pairs
        assert [n for n, _ in pairs].count("code") == 1
        world.browser.cookies.clear(domain="localhost.local")
    if response.status_code == 303:
        assert browser_target(APP_URL, response.headers["location"]) == APP


# -- the cookies -------------------------------------------------------------------------------


@dataclass
class Genuine:
    chunks: dict[str, str]  # the real session, two chunks


@pytest.fixture
async def genuine(world: World) -> Genuine:
    world.lc.faults.id_token(bulk_groups=100, times=1)
    world.lc.faults.access_token(bulk_groups=100, times=1)
    assert (await world.sign_in("/protected")).status_code == 200
    chunks = session_cookies(world)
    assert len(chunks) == 2
    return Genuine(chunks)


def _mutations(real: dict[str, str]) -> st.SearchStrategy[str]:
    values = list(real.values())
    whole = st.sampled_from(values)

    def truncate(value: str, at: int) -> str:
        return value[: at % (len(value) + 1)]

    def flip(value: str, at: int, char: str) -> str:
        i = at % len(value)
        return value[:i] + char + value[i + 1:]

    def recount(value: str, count: str) -> str:
        return count + value[1:]

    return st.one_of(
        whole,
        st.builds(truncate, whole, st.integers(0, 5000)),
        st.builds(flip, whole, st.integers(0, 5000),
                  st.sampled_from("AaZz09-_.=; \x00\xff%")),
        st.builds(recount, st.sampled_from(values[:1]), st.sampled_from("0123459x")),
        st.builds(lambda v, extra: v + extra, whole, st.text(max_size=20)),
        st.integers(1, 200_000).map(lambda n: "A" * n),
        st.text(max_size=200),
        st.sampled_from(["", "1.", "2.", "4.", "1." + "A" * 40, "=", ";", '"quoted"']),
    )


def _cookie_pairs(real: dict[str, str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    names = st.sampled_from([*SESSION_CHUNKS, "cg_rl", "cg_tx_0badcafe", "cg", "cg.", "xcg.0",
                             " cg.0", "CG.0", "cg.00"])
    return st.lists(st.tuples(names, _mutations(real)), max_size=6)


def _first(pairs: list[tuple[str, str]], name: str) -> str | None:
    """The value the app reads for ``name``: the first pair of that name once the whitespace
    around names is trimmed, as RFC 6265 §5.2 has it (so ``" cg.0"`` counts as ``cg.0``)."""
    return next((v for n, v in pairs if n.strip() == name), None)


def _same(given: str | None, real: str) -> bool:
    """Same sealed bytes (a lenient base64 decode may ignore an edit that changes nothing)."""
    if given is None:
        return False
    given, real = given.strip(), real.strip()
    if given == real:
        return True
    head = real[:2] if real[1:2] == "." else ""
    if head and not given.startswith(head):
        return False
    return decoded(given[len(head):]) == decoded(real[len(head):])


@settings(PROFILE)
@given(data=st.data())
async def test_fuzz_cookies(world: World, genuine: Genuine, data: st.DataObject) -> None:
    """Mutated, truncated, reordered, duplicated, huge or random cookies: a 200 only when the
    genuine session's sealed bytes are what the app reads; otherwise 401, never a 500."""
    real = genuine.chunks
    shape = data.draw(st.sampled_from(["pairs", "genuine-plus", "swapped", "bytes"]))
    if shape == "bytes":
        header = data.draw(st.binary(max_size=3000))
        pairs: list[tuple[str, str]] | None = None
    else:
        pairs = data.draw(_cookie_pairs(real))
        if shape == "genuine-plus":  # the real chunks among the junk, maybe duplicated
            position = data.draw(st.integers(0, len(pairs)))
            pairs[position:position] = list(real.items())
        elif shape == "swapped":
            pairs += [("cg.0", real["cg.1"]), ("cg.1", real["cg.0"])]
        header = "; ".join(f"{n}={v}" for n, v in pairs).encode("latin-1", "replace")
    status, headers, body = await call_app(world.app, "/api/me",
                                           [(b"cookie", header), (b"accept", b"application/json")])
    assert status != 500, body[:300]
    assert status in (200, 401), (status, body[:300])
    event(f"{shape}: {status}")
    if status == 200:
        assert pairs is not None, "a session out of random bytes"
        assert all(_same(_first(pairs, n), v) for n, v in real.items()), pairs
    if status == 401:
        assert headers.get("www-authenticate")
        for line in headers.get_list("set-cookie"):  # at most, garbage is cleared away
            name = line.partition("=")[0]
            assert name not in SESSION_CHUNKS or "Max-Age=0;" in line, line


@settings(PROFILE)
@given(header=st.binary(max_size=3000), path=st.sampled_from(["/", "/protected", "/login",
                                                              "/logout", "/callback/"]))
async def test_fuzz_cookie_bytes_on_every_route(world: World, header: bytes, path: str) -> None:
    status, _, body = await call_app(world.app, path, [(b"cookie", header)])
    assert status < 500 or status == 503, (status, body[:300])
    assert b"secret page" not in body


# -- return-to ---------------------------------------------------------------------------------

PIECES = st.sampled_from(["/", "//", "\\", "/\\", "\\/", "%2F", "%2f", "%5C", "%252F", "%09",
                          "%0A", "%00", "http:", "https://", "javascript:", "evil.example", "@",
                          "..", ".", "?", "#", "\t", "\n", "\r", " ", ":", "%", "%%", "\x00",
                          "\u3002", "\uff0f", "\u2215", "ﬀ", "é", "protected"])
ANY_TEXT = st.one_of(st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=8).map("".join),
                    st.text(max_size=60))
RETURN_TO = st.one_of(
    ANY_TEXT,
    ANY_TEXT.map(lambda v: "/" + v),  # most real targets start with a slash: so should tricks
    st.sampled_from(["//evil.example", "/\\evil.example", "/\t/evil.example", "https://evil",
                     "/%2F%2Fevil.example", "/%5C%5Cevil.example", "/.//evil.example",
                     "/protected?next=//evil.example", "\\\\evil.example", " //evil.example"]),
)


@settings(PROFILE, max_examples=500)
@given(value=RETURN_TO)
def test_fuzz_return_to_validation_keeps_the_origin(value: str) -> None:
    target = safe_return_to(value)
    assert target.startswith("/")
    assert browser_target(APP_URL, APP_URL + target) == APP


@settings(PROFILE, max_examples=100)
@given(value=RETURN_TO)
async def test_fuzz_return_to_through_a_whole_sign_in(signed_up: World, value: str) -> None:
    """/login?return_to=… → Cognito → /callback/ → the redirect stays on the app's origin."""
    world = signed_up
    start = await world.get("/login", params={"return_to": value})
    assert start.status_code == 303
    callback = await world.code_for(start.headers["location"])
    done = await world.get(callback)
    assert done.status_code == 303, done.text
    assert browser_target(APP_URL, done.headers["location"]) == APP
    event("kept" if done.headers["location"] != APP_URL + "/" else "replaced by /")
    world.browser.cookies.clear(domain="localhost.local")


@settings(PROFILE)
@given(path=st.text(max_size=60), query=st.text(max_size=40))
async def test_fuzz_protected_path_sign_in_redirect_keeps_the_origin(
        world: World, path: str, query: str) -> None:
    """A signed-out visit to any protected path: the redirect to /login (and the error
    page's retry link) names a same-origin return-to."""
    raw = "/protected/" + quote(path, safe="/\\:@!$&'()*+,;=%")
    status, headers, _ = await call_app(
        world.app, "/protected/" + path, [], query=quote(query, safe="=&/\\%").encode())
    assert status in (303, 404, 429), (raw, status)
    event(f"answered {status}")
    if status == 303:
        location = headers["location"]
        assert browser_target(APP_URL, location) == APP
        return_to = query_of(location).get("return_to", "/")
        assert browser_target(APP_URL, APP_URL + return_to) == APP

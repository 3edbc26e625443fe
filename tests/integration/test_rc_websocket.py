"""RC-03 for WebSockets: a handshake from another site never rides on the session cookie; and
RF-03 for WebSockets: a refresh during the handshake never loses the rotated refresh token.

Browsers send cookies with a cross-site WebSocket handshake (SameSite=Lax does not stop a
same-site sibling, and old browsers send them from anywhere); the ``Origin`` header is the only
thing that tells a hijacking page from ours, so the middleware checks it as it does for unsafe
HTTP requests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from cognito_gate import get_user

from .conftest import ROTATING_CLIENT
from .forge import give_cookies, tokens_of
from .harness import APP_URL, World

Endpoint = Callable[[WebSocket], Awaitable[None]]
LIFETIME = 3600


async def _whoami(websocket: WebSocket) -> None:
    await websocket.accept()
    user = get_user(websocket)
    await websocket.send_text(user.email if user and user.email else "anonymous")
    await websocket.close()


async def _refuse(websocket: WebSocket) -> None:
    await websocket.close()  # before accepting: the server answers the handshake with 403


async def _open(world: World, origin: str = APP_URL, endpoint: Endpoint = _whoami,
                extensions: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Open /ws on an app wrapped by the world's auth with the browser's cookies; what the app
    (through the middleware) sent."""
    app = world.auth.wrap(Starlette(routes=[WebSocketRoute("/ws", endpoint)]))
    cookie = "; ".join(f"{k}={v}" for k, v in world.app_cookies().items())
    scope = {"type": "websocket", "path": "/ws", "raw_path": b"/ws", "query_string": b"",
             "headers": [(b"host", b"localhost:8000"), (b"cookie", cookie.encode()),
                         (b"origin", origin.encode())],
             "scheme": "ws", "server": ("localhost", 8000), "client": ("127.0.0.1", 5000),
             "subprotocols": [], "asgi": {"version": "3.0"}, "root_path": "",
             "extensions": extensions or {}}
    incoming = [{"type": "websocket.connect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def _handshake(world: World, origin: str) -> str:
    """What /ws says to a handshake from ``origin``."""
    texts = [m["text"] for m in await _open(world, origin) if m["type"] == "websocket.send"]
    return texts[0] if texts else "closed"


def _cookies_of(message: dict[str, Any]) -> dict[str, str]:
    """The cookies a handshake answer sets (name → value), deletions left out."""
    out = {}
    for name, value in message.get("headers", []):
        if name.lower() == b"set-cookie":
            pair = value.decode().split(";")[0]
            key, _, val = pair.partition("=")
            if val:
                out[key] = val
    return out


async def test_RC_03_same_origin_websocket_knows_the_user(world: World) -> None:
    await world.sign_in("/protected")
    assert await _handshake(world, APP_URL) == "demo@example.com"


async def test_RC_03_cross_site_websocket_is_anonymous(world: World) -> None:
    await world.sign_in("/protected")
    for origin in ("https://evil.example", "null", "http://localhost:8001"):
        assert await _handshake(world, origin) == "anonymous", origin


def _refresh_calls(world: World) -> list[str]:
    return [e.form["refresh_token"][0] for e in world.calls("/oauth2/token")
            if e.form.get("grant_type") == ["refresh_token"]]


async def test_RF_03_a_refresh_during_a_websocket_handshake_sends_the_rotated_cookies_on_accept(
        worlds: Callable[..., World]) -> None:
    """Rotation on, grace 0: the handshake that refreshed carries the new cookies on
    ``websocket.accept`` (ASGI lets it carry headers), so the browser's next request uses the
    rotated refresh token instead of the spent one."""
    world = worlds(client=ROTATING_CLIENT)
    await world.sign_in("/protected")
    world.advance(LIFETIME)
    sent = await _open(world)
    accept = next(m for m in sent if m["type"] == "websocket.accept")
    assert [m["text"] for m in sent if m["type"] == "websocket.send"] == ["demo@example.com"]
    written = _cookies_of(accept)
    assert set(written) >= {"cg.0"}, "the refreshed session was not sent with the handshake"
    give_cookies(world, written)
    rotated = world.calls("/oauth2/token")[-1].json()["refresh_token"]
    assert (await tokens_of(world)).refresh_token == rotated
    world.advance(LIFETIME)
    assert (await world.get("/protected")).status_code == 200
    assert _refresh_calls(world)[-1] == rotated


async def test_RF_03_a_websocket_refused_after_a_refresh_does_not_lose_the_rotated_token(
        worlds: Callable[..., World]) -> None:
    """The app refuses the handshake that refreshed, before accepting: the cookies cannot be
    sent. The browser's old cookie, 31 s later (past the refresh's reuse window), continues from
    the rotated token the refresher kept, not from the spent one (``invalid_grant``)."""
    world = worlds(client=ROTATING_CLIENT)
    await world.sign_in("/protected")
    first = (await tokens_of(world)).refresh_token
    world.advance(LIFETIME)
    sent = await _open(world, endpoint=_refuse)
    assert [m["type"] for m in sent] == ["websocket.close"]
    rotated = world.calls("/oauth2/token")[-1].json()["refresh_token"]
    world.advance(31)
    page = await world.get("/protected")
    assert page.status_code == 200
    assert _refresh_calls(world) == [first, rotated]
    assert (await tokens_of(world)).refresh_token == world.calls("/oauth2/token")[-1].json()[
        "refresh_token"]


async def test_RF_03_a_refused_websocket_carries_the_cookies_where_asgi_allows_an_http_answer(
        worlds: Callable[..., World]) -> None:
    """With the ``websocket.http.response`` extension, the refusal goes out as the 403 the
    server would send anyway, carrying the refreshed session's cookies."""
    world = worlds(client=ROTATING_CLIENT)
    await world.sign_in("/protected")
    world.advance(LIFETIME)
    sent = await _open(world, endpoint=_refuse, extensions={"websocket.http.response": {}})
    assert [m["type"] for m in sent] == ["websocket.http.response.start",
                                         "websocket.http.response.body"]
    assert sent[0]["status"] == 403
    give_cookies(world, _cookies_of(sent[0]))
    rotated = world.calls("/oauth2/token")[-1].json()["refresh_token"]
    assert (await tokens_of(world)).refresh_token == rotated
    world.advance(31)
    assert (await world.get("/protected")).status_code == 200
    assert len(_refresh_calls(world)) == 1

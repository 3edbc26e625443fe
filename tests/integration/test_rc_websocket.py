"""RC-03 for WebSockets: a handshake from another site never rides on the session cookie.

Browsers send cookies with a cross-site WebSocket handshake (SameSite=Lax does not stop a
same-site sibling, and old browsers send them from anywhere); the ``Origin`` header is the only
thing that tells a hijacking page from ours, so the middleware checks it as it does for unsafe
HTTP requests.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from cognito_gate import get_user

from .harness import APP_URL, World


async def _whoami(websocket: WebSocket) -> None:
    await websocket.accept()
    user = get_user(websocket)
    await websocket.send_text(user.email if user and user.email else "anonymous")
    await websocket.close()


async def _handshake(world: World, origin: str) -> str:
    """Open /ws on an app wrapped by the world's auth with the browser's cookies; what it says."""
    app = world.auth.wrap(Starlette(routes=[WebSocketRoute("/ws", _whoami)]))
    cookie = "; ".join(f"{k}={v}" for k, v in world.app_cookies().items())
    scope = {"type": "websocket", "path": "/ws", "raw_path": b"/ws", "query_string": b"",
             "headers": [(b"host", b"localhost:8000"), (b"cookie", cookie.encode()),
                         (b"origin", origin.encode())],
             "scheme": "ws", "server": ("localhost", 8000), "client": ("127.0.0.1", 5000),
             "subprotocols": [], "asgi": {"version": "3.0"}, "root_path": ""}
    incoming = [{"type": "websocket.connect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    texts = [m["text"] for m in sent if m["type"] == "websocket.send"]
    return texts[0] if texts else "closed"


async def test_RC_03_same_origin_websocket_knows_the_user(world: World) -> None:
    await world.sign_in("/protected")
    assert await _handshake(world, APP_URL) == "demo@example.com"


async def test_RC_03_cross_site_websocket_is_anonymous(world: World) -> None:
    await world.sign_in("/protected")
    for origin in ("https://evil.example", "null", "http://localhost:8001"):
        assert await _handshake(world, origin) == "anonymous", origin

"""``GET /``: the local console — what this pool holds, at the address the banner advertises.

The pool, its app clients (callback and sign-out URLs, a link to sign in through each), the
users and their groups, and the confirmation codes sign-ups are waiting for. Shown only to this
machine (a loopback peer, asking for a loopback host name, so a web page cannot read it through
DNS rebinding), and nothing the terminal's banner does not show already: no password hashes,
tokens or keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from ..config import ClientConfig
from .context import pool

__all__ = ["console"]

RECENT_CODES = 10
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class ClientView:
    client: ClientConfig
    sign_in: str | None  # the hosted UI's sign-in page for this client, first callback URL
    app: str | None  # the origin of the first callback URL


async def console(request: Request) -> Response:
    lc = pool(request)
    if not _from_this_machine(request, urlsplit(lc.base_url).hostname):
        return lc.ui.error(
            request, "The console is only shown on this machine, at a loopback address.",
            status=403,
        )
    now = lc.clock.now()
    users = lc.store.users()
    groups = lc.store.groups()
    members = {g.name: [u.email or u.username for u in users if g.name in u.groups] for g in groups}
    codes = [
        (email, code, _expires_in(expires - now))
        for email, code, expires in lc.store.recent_confirmation_codes(RECENT_CODES)
        if expires > now
    ]
    demo = lc.config.users[0] if lc.config.users else None  # as the banner shows it
    return lc.ui.page(
        request,
        "console.html",
        lc=lc,
        clients=[_view(c) for c in lc.clients.values()],
        users=users,
        groups=[(g.name, g.description, members[g.name]) for g in groups],
        providers=list(lc.federation.providers.values()),
        codes=codes,
        demo=demo,
    )


def _view(client: ClientConfig) -> ClientView:
    if not client.callback_urls or "code" not in client.allowed_flows:
        return ClientView(client, None, None)
    callback = client.callback_urls[0]
    scopes = [s for s in ("openid", "email", "profile") if s in client.allowed_scopes]
    query = urlencode({
        "client_id": client.client_id,
        "response_type": "code",
        "scope": " ".join(scopes or client.allowed_scopes[:1]),
        "redirect_uri": callback,
    })
    parts = urlsplit(callback)
    app = f"{parts.scheme}://{parts.netloc}/" if parts.scheme in ("http", "https") else None
    return ClientView(client, f"/login?{query}", app)


def _expires_in(seconds: float) -> str:
    minutes = int(seconds) // 60
    if minutes < 1:
        return "in less than a minute"
    hours, minutes = divmod(minutes, 60)
    return f"in {hours} h {minutes} min" if hours else f"in {minutes} min"


def _from_this_machine(request: Request, own_host: str | None) -> bool:
    """A loopback peer asking for a loopback host name (or the pool's own configured host)."""
    peer = request.client.host if request.client else ""
    try:
        loopback_peer = ip_address(peer).is_loopback
    except ValueError:
        return False
    host = urlsplit(f"//{request.headers.get('host', '')}").hostname or ""
    return loopback_peer and (host in _LOOPBACK_NAMES or host == own_host)

"""``CognitoAuth``: the one object an app creates. It wires the core pieces together once, owns
the caches (verified sessions, JWKS, claims) and hands out the middleware and dependencies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import quote

import httpx
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Scope

from ..core.authenticate import Authenticated, Authenticator
from ..core.authz import Machine, Requirement, signed_in
from ..core.clock import Clock, SystemClock
from ..core.config import Settings
from ..core.cookies import CookiePolicy, join_chunks
from ..core.csrf import CsrfTokens
from ..core.errors import AuthError, ProviderUnavailable, StoreUnavailable
from ..core.events import EventHook, Events, log_event, sub_of
from ..core.flow import SignInFlow
from ..core.jwks import JWKSCache
from ..core.loopguard import RedirectBudget
from ..core.redact import SECRET, redacted_repr
from ..core.refresh import Refresher
from ..core.refreshlock import SharedRefresh
from ..core.session import SessionCodec, SessionData, SessionStore, SharedSessionStore
from ..core.signedout import SignedOut
from ..core.tokens import TokenClient, default_http_client
from ..core.user import User
from ..core.verify import TokenVerifier
from . import accesslog
from .fastapi import (
    MACHINE_KEY,
    USER_KEY,
    optional_user,
    require_groups,
    require_scopes,
    require_user,
)
from .location import return_to
from .pages import deny_framing, error_response
from .paths import ProtectedPaths
from .rules import AccessRules
from .sessioncache import HotEntry, SessionCache

__all__ = ["MACHINE_KEY", "USER_KEY", "CognitoAuth", "Resolution", "get_caller", "get_user"]

log = logging.getLogger("cognito_gate.auth")

CSRF_KEY = "cognito_gate.csrf"
ERROR_KEY = "cognito_gate.error"  # why a request that brought credentials has no user

ErrorRenderer = Callable[[Request, AuthError], "Response | Awaitable[Response]"]


def get_user(request_or_scope: HTTPConnection | Scope) -> User | None:
    """The signed-in user of a request (or raw ASGI scope), or None."""
    if type(request_or_scope) is dict:  # a scope, known without isinstance() of an ABC (slow)
        scope: Scope = request_or_scope
    elif isinstance(request_or_scope, HTTPConnection):
        scope = request_or_scope.scope
    else:
        scope = request_or_scope
    user: User | None = scope.get(USER_KEY)
    return user


def get_caller(request_or_scope: HTTPConnection | Scope) -> User | Machine | None:
    """The signed-in user, else the machine (client-credentials bearer token), else None."""
    scope = request_or_scope.scope if isinstance(request_or_scope, HTTPConnection) \
        else request_or_scope
    caller: User | Machine | None = scope.get(USER_KEY) or scope.get(MACHINE_KEY)
    return caller


@dataclass(slots=True)
class Resolution:
    """Outcome of examining a request's session cookies on the slow path."""

    authenticated: Authenticated | None = None
    writes: list[tuple[bytes, bytes]] = field(default_factory=list, metadata=SECRET)  # cookies
    error: AuthError | None = None
    bearer_user: User | None = None
    bearer_machine: Machine | None = None

    __repr__ = redacted_repr

    @property
    def user(self) -> User | None:
        return self.authenticated.user if self.authenticated is not None else self.bearer_user


class CognitoAuth:
    """Sign-in through Cognito's hosted UI for one app.

    ``protect``: path prefixes that need a signed-in user (deny by default under each prefix), or
    a mapping of prefixes to what they need: ``{"/admin": groups("admins"), "/account":
    signed_in, "/api/orders": scopes("orders/read")}`` (the longest matching prefix decides).
    ``http``: an ``httpx.AsyncClient`` for every call to Cognito (tests pass one with
    ``httpx.ASGITransport``); by default one with 3 s connect / 10 s timeouts is created.
    ``clock``: anything with ``now()``; ``render_error``: ``(request, AuthError) -> Response`` to
    style error pages like the app; ``store``: keep sessions server-side instead of in cookies
    (by default a ``RedisStore`` when ``settings.session_store_url`` is set, else cookies).
    ``on_event``: called with every audit ``Event`` (README "Audit events"); by default each is
    logged as a JSON line on the ``cognito_gate.audit`` logger, ``None`` turns that off.

    With a shared store (``SharedSessionStore``: Redis, Valkey) the processes of a deployment
    refresh each session once between them, and a sign-out in one reaches the session caches of
    all: each process listens on the store's sign-out channel, and keeps verified sessions in its
    cache only while it listens (a missed announcement could otherwise go unnoticed).
    """

    optional_user = staticmethod(optional_user)
    require_user = staticmethod(require_user)
    require_groups = staticmethod(require_groups)
    require_scopes = staticmethod(require_scopes)

    def __init__(self, settings: Settings, *,
                 protect: tuple[str, ...] | Mapping[str, Requirement] = ("/protected",),
                 http: httpx.AsyncClient | None = None, clock: Clock | None = None,
                 render_error: ErrorRenderer | None = None,
                 store: SessionStore | None = None,
                 on_event: EventHook | None = log_event) -> None:
        self.settings = s = settings
        self._protect, self._store, self._on_event = protect, store, on_event  # for connected()
        self.clock = clock = clock or SystemClock()
        self.events = events = Events(clock, on_event)
        self._own_http = http is None
        self.http = http = http or default_http_client()
        self.protect = ProtectedPaths(tuple(protect))
        rules = dict.fromkeys(protect, signed_in) if not isinstance(protect, Mapping) else protect
        self.rules = AccessRules(rules) if any(r != signed_in for r in rules.values()) else None
        self.render_error = render_error
        self.policy = CookiePolicy(secure=s.secure_cookies)
        self.jwks = JWKSCache(s.jwks_url, http, clock, max_age=s.jwks_max_age,
                              stale_max=s.jwks_stale_max, cooldown=s.jwks_cooldown,
                              observe=events.provider_call)
        assert s.issuer is not None
        self.verifier = TokenVerifier(issuer=s.issuer, client_id=s.client_id, jwks=self.jwks,
                                      clock=clock, leeway=s.leeway,
                                      cache_size=s.claims_cache_size)
        self.tokens = TokenClient(token_url=s.token_url, revoke_url=s.revoke_url,
                                  client_id=s.client_id, client_secret=s.client_secret, http=http,
                                  observe=events.provider_call)
        self.csrf = CsrfTokens(s.session_secret)
        if store is None and s.session_store_url is not None:
            from ..stores.redis import RedisStore

            store = RedisStore.from_url(s.session_store_url)
        self.store = store
        self.sessions = SessionCodec(s.session_secret, self.policy, store)
        self.shared = store if isinstance(store, SharedSessionStore) else None
        locked = None if self.shared is None else SharedRefresh(self.shared, self.sessions,
                                                                clock, s.session_lifetime)
        self.refresher = Refresher(self.tokens, self.verifier, clock,
                                   keep_seconds=s.session_lifetime, events=events, shared=locked)
        self.authenticator = Authenticator(s, self.verifier, self.refresher, self.csrf, clock)
        report_errors_to = getattr(store, "report_errors_to", None)
        if report_errors_to is not None:  # a store that can fail (Redis) counts its failures
            report_errors_to(events.store_error)
        self.flow = SignInFlow(s, tokens=self.tokens, verifier=self.verifier, clock=clock,
                               tx_prefix=self.policy.prefix + "cg_tx_")
        self.loop_cookie = self.policy.prefix + "cg_rl"
        self.budget = RedirectBudget()
        size = s.claims_cache_size if s.session_cache_size is None else s.session_cache_size
        self.hot = SessionCache(self.sessions.names.chunks, size, self.csrf.token)
        self.signed_out = SignedOut(clock)
        accesslog.install()  # the callback's code and state must not reach uvicorn's access log
        self._listening = self.shared is None  # sign-outs elsewhere reach this process
        self._watch: asyncio.Task[None] | None = None
        self._watch_loop: asyncio.AbstractEventLoop | None = None

    def connected(self, settings: Settings, *, http: httpx.AsyncClient | None = None,
                  clock: Clock | None = None) -> CognitoAuth:
        """The same protection, pages and store against another provider: how the testing
        plugin points an app's ``auth`` at an in-process Local Cognito."""
        return CognitoAuth(settings, protect=self._protect, http=http, clock=clock,
                           render_error=self.render_error, store=self._store,
                           on_event=self._on_event)

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """``app`` behind the auth middleware, which also serves /login, /callback/, /logout.

        A Starlette or FastAPI ``app`` also learns to answer ``require_user``'s 401 in the
        middleware's JSON shape."""
        from .fastapi import Forbidden, LoginRequired, auth_error_response
        from .middleware import AuthMiddleware

        add_handler = getattr(app, "add_exception_handler", None)
        if add_handler is not None:
            handler = partial(auth_error_response, self)
            add_handler(LoginRequired, handler)
            add_handler(Forbidden, handler)
        return AuthMiddleware(app, auth=self)

    def metrics_app(self) -> ASGIApp:
        """An ASGI app serving this object's Prometheus metrics: ``Route("/metrics", …)``
        (needs ``cognito-gate[metrics]``; see ``asgi/metrics.py``)."""
        from .metrics import metrics_app

        return metrics_app(self)

    def csrf_token(self, request: HTTPConnection) -> str:
        """The sign-out form's hidden ``csrf`` field for this request's session ("" if none)."""
        token: str = request.scope.get(CSRF_KEY) or ""
        return token

    async def aclose(self) -> None:
        """Stop listening for sign-outs; close the HTTP client if this object created it."""
        if self._watch is not None and self._watch_loop is asyncio.get_running_loop():
            self._watch.cancel()
        self._watch = None
        if self._own_http:
            await self.http.aclose()

    def _listen(self) -> None:
        """Listen on the shared store's sign-out channel from this event loop (started on the
        first session seen, so importing or building the app never connects)."""
        if self.shared is None:
            return
        loop = asyncio.get_running_loop()
        if self._watch is None or self._watch.done() or self._watch_loop is not loop:
            self._listening = False
            self._watch_loop = loop
            self._watch = loop.create_task(self.shared.watch(self._ended_elsewhere,
                                                             self._set_listening))

    def _set_listening(self, listening: bool) -> None:
        """While nobody listens, announcements can be missed: keep nothing cached meanwhile."""
        self._listening = listening
        if not listening:
            self.hot.clear()

    def _ended_elsewhere(self, sid: str, until: float) -> None:
        self.signed_out.add(sid, until)
        self.hot.discard_session(sid)

    def session_values(self, cookies: Mapping[str, str]) -> str | None:
        return join_chunks([cookies.get(n) for n in self.sessions.names.chunks])

    async def load_session(self, cookies: Mapping[str, str]) -> SessionData | None:
        """The session sealed in ``cookies`` (tokens not yet verified), unless signed out."""
        joined = self.session_values(cookies)
        data = None if joined is None else await self.sessions.load(joined)
        if data is None or data.sid in self.signed_out:
            return None
        return data

    async def resolve(self, cookies: Mapping[str, str]) -> Resolution:
        """Slow path: open, verify and maybe refresh the session in ``cookies``."""
        present = any(n in cookies for n in self.sessions.names.chunks)
        if present:
            self._listen()
        try:
            data = await self.load_session(cookies) if present else None
        except ProviderUnavailable as exc:  # the session store is down: not a sign-out
            return Resolution(error=exc)
        if data is None:
            return Resolution(writes=self.sessions.names.clear() if present else [])
        try:
            authd = await self.authenticator.authenticate(data)
        except ProviderUnavailable as exc:
            return Resolution(error=exc)
        except AuthError as exc:
            log.info("session rejected (%s)", exc.reason)
            self.events.failed("session_end", exc, sub=sub_of(data.id_token))
            try:
                writes = await self.sessions.discard(data)
            except StoreUnavailable:  # the stored copy expires by itself; the cookie goes now
                writes = self.sessions.names.clear()
            return Resolution(writes=writes, error=exc)
        if not authd.changed:
            return Resolution(authd)
        max_age = int(data.auth_time + self.settings.session_lifetime - self.clock.now())
        try:
            writes = await self.sessions.update(authd.session, max_age, cookies)
        except StoreUnavailable as exc:  # the tokens are good; the write is retried later
            log.warning("session not written back (%s)", exc.reason)
            if self.shared is not None:
                self.delivered(authd)  # a refresh was stored under its lock already
            return Resolution(authd)
        except AuthError as exc:
            return await self._outgrown(authd, exc)
        if self.sessions.store is not None:
            self.delivered(authd)  # the store holds the new tokens under the same session id
        return Resolution(authd, writes)

    async def _outgrown(self, authd: Authenticated, error: AuthError) -> Resolution:
        """Refreshed tokens that no longer fit the cookies (groups or attributes added since
        sign-in) would come back as large on every retry: the session ends here, once, as at
        sign-out (refresh token revoked, session id refused, cookies cleared), and the page says
        ``session_too_large``."""
        log.warning("session ended: refreshed tokens too large for the cookies (%s)",
                    error.reason)
        self.events.failed("session_end", error, sub=authd.user.sub)
        writes = await self.end_session(authd.session)
        self.delivered(authd)
        if authd.session.refresh_token:
            await self.tokens.revoke(authd.session.refresh_token)
        return Resolution(writes=writes, error=error)

    def delivered(self, authd: Authenticated | None) -> None:
        """A response carrying ``authd``'s cookies has gone out (or the session is over): a
        refresh's new refresh token is the browser's now (``Refresher.settle``)."""
        if authd is not None and authd.refreshed is not None:
            self.refresher.settle(authd.refreshed)

    def remember(self, cookie_header: bytes, authd: Authenticated) -> None:
        """Cache a verified session under its exact ``Cookie`` header until it needs a fresh
        look — unless it signed out while it was being verified."""
        sid = authd.session.sid
        if self._listening and sid not in self.signed_out:
            self.hot.put(HotEntry(cookie_header, authd.user, authd.csrf, authd.fresh_until),
                         self.clock.now())

    async def end_session(self, data: SessionData) -> list[tuple[bytes, bytes]]:
        """Sign ``data`` out (LO-04): refuse its id from now on in this process, on the hot path
        too (its cached entries go), until the session's absolute end, when it could no longer be
        used anyway; drop the stored copy; with a shared store, tell every other process to do
        the same. Returns the headers deleting the session cookies."""
        until = data.auth_time + self.settings.session_lifetime
        self.signed_out.add(data.sid, until)
        self.hot.discard_session(data.sid)
        writes = await self.sessions.discard(data)  # stored copy first: then nobody loads it
        if self.shared is not None:
            await self.shared.announce_ended(data.sid, until)
        return writes

    async def render(self, request: Request, error: AuthError, *, as_json: bool = False,
                     retry_href: str | None = None) -> Response:
        """The app's renderer if given (HTML only), else the default page or JSON."""
        if self.render_error is not None and not as_json:
            rendered = self.render_error(request, error)
            response = rendered if isinstance(rendered, Response) else await rendered
            response.headers["cache-control"] = "no-store"
            deny_framing(response)
            retry_after = getattr(error, "retry_after", None)
            if error.status == 503 and retry_after and "retry-after" not in response.headers:
                response.headers["retry-after"] = str(retry_after)
            return response
        return error_response(error, as_json=as_json, retry_href=retry_href)

    def return_to(self, request: HTTPConnection) -> str:
        """This request's path and query, validated: the target to offer for "try again" or to
        come back to after sign-in (``/`` when the address is not a safe same-site path)."""
        return return_to(request.scope)

    def login_href(self, return_to: str = "/") -> str:
        """Our own sign-in URL, relative to the app (under a mount prefix the caller puts the
        prefix before it), that comes back to ``return_to`` (already validated, app-relative)."""
        return f"{self.settings.login_path}?return_to={quote(return_to, safe='/')}"

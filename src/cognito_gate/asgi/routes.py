"""The library's own routes: ``GET /login``, ``GET /callback/``, ``GET|POST /logout``.

Each handler catches everything, logs a reason code (never a token, code or secret) and answers
with a page; there is never a stack trace in a response.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlencode

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core.config import Settings
from ..core.errors import AuthError
from ..core.events import sub_of
from ..core.flow import MAX_PENDING, TX_LIFETIME
from ..core.returnto import safe_return_to
from .auth import USER_KEY, CognitoAuth
from .cookieheader import parse_cookies
from .location import url_prefix
from .pages import NO_STORE, page

__all__ = ["AuthRoutes", "callback_url", "sign_out_landing"]

log = logging.getLogger("cognito_gate.routes")

Handler = Callable[[Request, dict[str, str]], Awaitable[Response]]
_CALLBACK_PARAMS = ("state", "code", "error", "iss")
_MAX_FORM = 16 * 1024


def _cookies(request: Request) -> dict[str, str]:
    raw = b"; ".join(v for k, v in request.scope["headers"] if k == b"cookie")
    return parse_cookies(raw)


class AuthRoutes:
    """Route table ``{path: ASGI app}`` for one ``CognitoAuth``."""

    def __init__(self, auth: CognitoAuth) -> None:
        self.auth = auth
        s = auth.settings
        self._origin = s.app_url
        self._cognito_logout = f"{s.cognito_logout_url}?" + urlencode(
            {"client_id": s.client_id, "logout_uri": s.logout_uri})
        self.table: dict[str, ASGIApp] = {
            s.login_path: self._endpoint(self.login, ("GET", "HEAD")),
            s.callback_path: self._endpoint(self.callback, ("GET", "HEAD")),
            s.logout_path: self._endpoint(self.logout, ("GET", "HEAD", "POST")),
        }

    def _endpoint(self, handler: Handler, methods: tuple[str, ...]) -> ASGIApp:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            request = Request(scope, receive)
            try:
                if request.method not in methods:
                    response = await self.auth.render(request, AuthError.of("method_not_allowed"))
                    response.headers["allow"] = ", ".join(methods)
                else:
                    response = await handler(request, _cookies(request))
            except AuthError as exc:  # the session store is down, say: its page, not a 500
                log.warning("%s failed (%s)", scope["path"], exc.reason)
                response = await self.auth.render(request, exc)
            except Exception as exc:  # the promise: a page, never a stack trace
                log.error("%s failed (%s)", scope["path"], type(exc).__name__)
                response = await self.auth.render(request, AuthError.of("internal_error"))
            await response(scope, receive, send)

        return app

    async def login(self, request: Request, cookies: dict[str, str]) -> Response:
        """303 to Cognito's authorize endpoint with a fresh transaction cookie; at most
        ``MAX_PENDING`` attempts stay pending (the oldest are expired)."""
        auth = self.auth
        if b"prefetch" in request.headers.get("sec-purpose", "").encode():
            return Response(status_code=204, headers=NO_STORE)  # prefetches mint no cookies
        return_to = safe_return_to(request.query_params.get("return_to"))
        url, name, sealed = auth.flow.start(return_to, self._redirect_uri(request))
        response = RedirectResponse(url, 303, headers=NO_STORE)
        pending = [n for n in cookies if n.startswith(auth.flow.tx_prefix)]
        if len(pending) >= MAX_PENDING:
            pending.sort(key=lambda n: auth.flow.created_at(cookies[n]))
            for old in pending[: len(pending) - MAX_PENDING + 1]:
                response.raw_headers.append(auth.policy.delete(old))
        response.raw_headers.append(auth.policy.set(name, sealed, TX_LIFETIME))
        return response

    async def callback(self, request: Request, cookies: dict[str, str]) -> Response:
        """Finish a sign-in: match the transaction, exchange the code once, verify, write a
        complete new session and 303 to the saved return-to (AZ-03…AZ-14, CK-05)."""
        auth = self.auth
        pairs = parse_qsl(request.url.query, keep_blank_values=True)
        params = dict(pairs)
        if any(sum(1 for k, _ in pairs if k == p) > 1 for p in _CALLBACK_PARAMS):
            params = {}
        state = params.get("state")
        if not state:
            return await self._fail(request, AuthError.of("signin_state_missing"), [],
                                    cookies=cookies)
        name = auth.flow.tx_cookie_name(state)
        clear_tx = [auth.policy.delete(name)] if name in cookies else []
        tx = auth.flow.open_transaction(cookies.get(name), state)
        base = self._origin + url_prefix(request.scope)
        if tx is None:
            live = await self._live_session(cookies, base + "/")
            if live is not None:
                return live
            return await self._fail(request, AuthError.of("signin_expired"), clear_tx,
                                    cookies=cookies)
        try:
            signed = await auth.flow.finish(auth.flow.check_response(params), tx,
                                            self._redirect_uri(request))
            writes = await auth.sessions.save(signed.session, auth.settings.session_lifetime,
                                              cookies)
        except AuthError as exc:
            return await self._fail(request, exc, clear_tx, cookies=cookies,
                                    return_to=tx.return_to)
        log.info("sign-in completed")
        auth.events.emit("signin", "success", sub=signed.user.sub)
        response = RedirectResponse(base + signed.return_to, 303, headers=NO_STORE)
        response.raw_headers.extend(clear_tx + writes)
        return response  # the loop breaker resets once the browser is back with the session

    async def logout(self, request: Request, cookies: dict[str, str]) -> Response:
        """GET shows a confirmation form (no side effect); POST, if same-origin or carrying the
        CSRF token, revokes the refresh token, clears every cookie and goes to Cognito's /logout
        so the hosted-UI session ends too (LO-01…LO-06)."""
        auth = self.auth
        data = await auth.load_session(cookies)
        csrf = auth.csrf.token(data.sid) if data is not None else ""
        if request.method != "POST":
            action = url_prefix(request.scope) + auth.settings.logout_path
            return page("Sign out?", "You will be signed out of this site and the sign-in "
                        "service.", action=_logout_form(action, csrf))
        if _cross_site(request, self._origin):
            log.info("logout refused (cross_site)")
            auth.events.emit("signout", "failure", code="csrf_failed", reason="cross_site")
            return await self.auth.render(request, AuthError.of("csrf_failed"))
        if data is not None and not _same_origin(request, self._origin):
            given = await _form_field(request, "csrf")
            if given is None or not auth.csrf.check(data.sid, given):
                log.info("logout refused (csrf_token)")
                auth.events.emit("signout", "failure", code="csrf_failed", reason="csrf_token")
                return await self.auth.render(request, AuthError.of("csrf_failed"))
        clear = auth.sessions.names.clear()
        if data is not None:
            clear = await auth.end_session(data)
            if data.refresh_token:
                await auth.tokens.revoke(data.refresh_token)
        response = RedirectResponse(self._cognito_logout_url(request), 303, headers=NO_STORE)
        response.raw_headers.extend(clear)
        for name in cookies:
            if name.startswith(auth.flow.tx_prefix) or name == auth.loop_cookie:
                response.raw_headers.append(auth.policy.delete(name))
        log.info("signed out")
        auth.events.emit("signout", "success", sub=None if data is None else sub_of(data.id_token))
        return response

    def _redirect_uri(self, request: Request) -> str:
        return callback_url(self.auth.settings, url_prefix(request.scope))

    def _cognito_logout_url(self, request: Request) -> str:
        """Cognito's /logout, coming back to :func:`sign_out_landing`."""
        prefix = url_prefix(request.scope)
        if not prefix:
            return self._cognito_logout
        s = self.auth.settings
        return f"{s.cognito_logout_url}?" + urlencode(
            {"client_id": s.client_id, "logout_uri": sign_out_landing(s, prefix)})

    async def _live_session(self, cookies: dict[str, str], home: str) -> Response | None:
        """For a stale callback (reloaded, or replayed) from a browser already signed in: home,
        with the cookies of any refresh this check made — its new refresh token must reach the
        browser (once sent, the refresher may forget it)."""
        outcome = await self.auth.resolve(cookies)
        if outcome.authenticated is None:
            return None
        response = RedirectResponse(home, 303, headers=NO_STORE, background=(
            BackgroundTask(self.auth.delivered, outcome.authenticated)))
        response.raw_headers.extend(outcome.writes)
        return response

    async def _fail(self, request: Request, error: AuthError, writes: list[tuple[bytes, bytes]],
                    *, cookies: dict[str, str], return_to: str = "/") -> Response:
        level = logging.ERROR if error.code == "client_rejected" else logging.INFO
        log.log(level, "callback rejected (%s)", error.reason)
        self.auth.events.failed("signin", error)
        if not any(name in cookies for name in self.auth.sessions.names.chunks):
            request.scope[USER_KEY] = None  # known: nobody is signed in in this browser
        retry = url_prefix(request.scope) + self.auth.login_href(return_to)
        response = await self.auth.render(request, error, retry_href=retry)
        response.raw_headers.extend(writes)
        response.headers["referrer-policy"] = "no-referrer"
        return response


async def _form_field(request: Request, name: str) -> str | None:
    """One field of a small url-encoded form body (the sign-out form); None if absent."""
    if not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_FORM:
            return None
    values = [v for k, v in parse_qsl(body.decode("latin-1")) if k == name]
    return values[0] if len(values) == 1 else None


def _cross_site(request: Request, origin: str) -> bool:
    """Origin or Fetch Metadata say the request came from another site (RC-03)."""
    site = request.headers.get("sec-fetch-site")
    given = request.headers.get("origin")
    return site in ("cross-site", "same-site") or (given is not None and given != origin)


def _same_origin(request: Request, origin: str) -> bool:
    return (request.headers.get("sec-fetch-site") == "same-origin"
            or request.headers.get("origin") == origin)


def _logout_form(action: str, csrf: str) -> str:
    return (f'<form method="post" action="{action}">'
            f'<input type="hidden" name="csrf" value="{csrf}">'
            '<button type="submit">Sign out</button></form>')


def callback_url(settings: Settings, prefix: str) -> str:
    """Our callback's URL under the mount ``prefix`` (:func:`~.location.url_prefix`): what the
    app sends Cognito, so what must be registered there."""
    return settings.app_url + prefix + settings.callback_path


def sign_out_landing(settings: Settings, prefix: str) -> str:
    """Where Cognito's /logout sends the browser back: the app's home page — under a mount
    ``prefix``, the prefix's — unless COGNITO_LOGOUT_URI names another page than APP_URL/."""
    assert settings.logout_uri is not None  # derived from APP_URL when not set
    if prefix and settings.logout_uri == settings.app_url + "/":
        return settings.app_url + prefix + "/"
    return settings.logout_uri

"""The Flask extension: translates Flask requests and responses for ``SyncGate``; the protocol,
sessions, refresh and pages are the core's."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, ClassVar, TypeVar, cast

import httpx
from flask import Blueprint, Flask, Response, current_app, g, request
from starlette.types import Scope
from werkzeug.exceptions import HTTPException
from werkzeug.local import LocalProxy

from ..asgi.auth import CSRF_KEY, USER_KEY, CognitoAuth
from ..asgi.location import app_path, return_to
from ..core.authz import Machine, Requirement, groups, scopes, signed_in
from ..core.clock import Clock
from ..core.config import Settings
from ..core.errors import AuthError
from ..core.session import SessionStore
from ..core.user import User
from ..sync.bridge import Admitted, Answer, SyncGate, marking_renderer
from ..sync.loop import LoopThread
from ..sync.scope import scope_from_environ
from ..sync.settings import settings_from

__all__ = ["AuthProblem", "CognitoGate", "current_caller", "current_user", "login_required",
           "require_groups", "require_scopes"]

F = TypeVar("F", bound=Callable[..., Any])
_EXT = "cognito_gate"


class AuthProblem(HTTPException):
    """An error page of the library (``.error``: the ``AuthError`` with its stable ``code``).

    Raised inside Flask's request handling, so ``@app.errorhandler(AuthProblem)`` — or the status
    code, e.g. ``@app.errorhandler(503)`` — renders it the app's way; unhandled, it is the
    library's own page. Session cookies the answer carried are added to whatever is rendered."""

    _by_status: ClassVar[dict[int, type[AuthProblem]]] = {}

    def __init__(self, answer: Answer) -> None:
        assert answer.error is not None
        self.error: AuthError = answer.error
        self.answer = answer
        super().__init__(self.error.message)

    @classmethod
    def of(cls, answer: Answer) -> AuthProblem:
        """An instance of the subclass for the answer's status (Flask finds handlers registered
        for a status code by the exception class's ``code``)."""
        kind = cls._by_status.get(answer.status)
        if kind is None:
            kind = type(f"AuthProblem{answer.status}", (cls,), {"code": answer.status})
            cls._by_status[answer.status] = kind
        return kind(answer)

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        return _response(self.answer, cookies=False)


def _response(answer: Answer, *, cookies: bool = True) -> Response:
    headers = [(n, v) for n, v in answer.headers
               if n not in ("content-length", "set-cookie") or (cookies and n == "set-cookie")]
    return Response(answer.body, status=answer.status, headers=headers)


def _answered(answer: Answer) -> Response:
    """A Flask response for the gate's own answer; an HTML error page goes through Flask's error
    handlers (``AuthProblem``), with the answer's cookies added after them."""
    if answer.error is None:
        return _response(answer)
    g._cognito_cookies = answer.cookies
    raise AuthProblem.of(answer)


def _user() -> User | None:
    return cast("User | None", g.get("cognito_user"))


def _caller() -> User | Machine | None:
    return _user() or cast("Machine | None", g.get("cognito_machine"))


current_user: User | None = cast("User | None", LocalProxy(_user))
"""The signed-in user of this request (``g.cognito_user``), or None."""

current_caller: User | Machine | None = cast("User | Machine | None", LocalProxy(_caller))
"""The signed-in user, else the machine caller (a client-credentials bearer token,
``g.cognito_machine``), else None: who passed ``@require_scopes``."""


class CognitoGate:
    """Sign-in through Cognito for a Flask app: ``CognitoGate(app)`` or ``init_app(app)``.

    Settings come from ``app.config`` (``COGNITO_DOMAIN``, ``COGNITO_CLIENT_ID``, ``APP_URL``,
    ``SESSION_SECRET``…) falling back to the environment and ``.env``, unless ``settings`` is
    given. ``protect``: path prefixes that need a signed-in user (besides ``@login_required``).
    ``http``, ``clock`` and ``store`` are ``CognitoAuth``'s.
    """

    def __init__(self, app: Flask | None = None, *, settings: Settings | None = None,
                 protect: Iterable[str] = (), http: httpx.AsyncClient | None = None,
                 clock: Clock | None = None, store: SessionStore | None = None,
                 loop: LoopThread | None = None) -> None:
        self._settings, self._protect, self._http = settings, tuple(protect), http
        self._clock, self._store, self._loop = clock, store, loop
        self.gate: SyncGate | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Build the gate, register the hooks and the ``cognito_gate`` blueprint."""
        settings = self._settings or settings_from(app.config)
        auth = CognitoAuth(settings, protect=self._protect, http=self._http, clock=self._clock,
                           render_error=marking_renderer, store=self._store)
        self.gate = SyncGate(auth, self._loop)
        app.extensions[_EXT] = self
        app.before_request(self._before)
        app.after_request(self._after)
        app.teardown_request(self._teardown)
        app.context_processor(self._template_values)
        blueprint = Blueprint(_EXT, __name__)
        methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]  # the routes answer 405
        for name, path in (("login", settings.login_path), ("callback", settings.callback_path),
                           ("logout", settings.logout_path)):
            blueprint.add_url_rule(path, name, self._route, methods=methods,
                                   strict_slashes=False)
        app.register_blueprint(blueprint)

    @property
    def auth(self) -> CognitoAuth:
        assert self.gate is not None, "CognitoGate.init_app(app) first"
        return self.gate.auth

    def _scope(self) -> Scope:
        """This request's ASGI scope, made on first need (the hot path needs none)."""
        here = g._get_current_object()
        scope: Scope | None = getattr(here, "_cognito_scope", None)
        if scope is None:
            scope = here._cognito_scope = scope_from_environ(request.environ)
            if "_cognito_admitted" in here:  # admitted on the hot path: the user is known
                scope[USER_KEY], scope[CSRF_KEY] = here.cognito_user, here.cognito_csrf
        return scope

    def _before(self) -> Response | None:
        assert self.gate is not None
        environ = request.environ
        cookie = environ.get("HTTP_COOKIE")
        hot = None if cookie is None else self.gate.hot(  # before any scope is made
            environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), cookie.encode("latin-1"))
        decided = hot or self.gate.begin(self._scope())
        if isinstance(decided, Answer):
            return _answered(decided)
        here = g._get_current_object()
        here.cognito_user = decided.user
        here.cognito_machine = decided.machine
        here.cognito_csrf = decided.csrf
        here._cognito_admitted = decided
        return None

    def _after(self, response: Response) -> Response:
        here = g._get_current_object()
        cookies: list[str] = here.pop("_cognito_cookies", [])
        admitted: Admitted | None = here.pop("_cognito_admitted", None)
        if admitted is not None:
            more, no_store = admitted.finish()
            cookies = [*cookies, *more]
            if no_store and (admitted.protected or here.get("_cognito_required")
                             or "cache-control" not in response.headers):
                response.headers["Cache-Control"] = "no-store"
        for cookie in cookies:
            response.headers.add("Set-Cookie", cookie)
        return response

    def _teardown(self, exc: BaseException | None) -> None:
        admitted: Admitted | None = g._get_current_object().pop("_cognito_admitted", None)
        if admitted is not None:
            admitted.abandon()

    def _route(self) -> Response:
        assert self.gate is not None
        return _answered(self.gate.route(self._scope(), request.get_data()))

    def _template_values(self) -> dict[str, Any]:
        return {"current_user": current_user, "cognito_csrf": g.get("cognito_csrf", ""),
                "cognito_login_url": self.login_url, "cognito_logout_url":
                request.script_root + self.auth.settings.logout_path}

    def login_url(self, return_to_path: str | None = None) -> str:
        """Our sign-in URL coming back to ``return_to_path`` (default: this request's page)."""
        here = return_to_path if return_to_path is not None else self._here()
        return request.script_root + self.auth.login_href(here)

    def _here(self) -> str:
        """This page as a return-to; on the library's own routes (a callback carries its code
        and state in the address) the home page."""
        assert self.gate is not None
        scope = self._scope()
        return "/" if app_path(scope) in self.gate.routes else return_to(scope)

    def deny(self) -> Response:
        """The answer for no signed-in user (see ``login_required``)."""
        assert self.gate is not None
        return _answered(self.gate.deny(self._scope()))

    def forbid(self) -> Response:
        assert self.gate is not None
        return _answered(self.gate.forbidden(self._scope()))


def _gate() -> CognitoGate:
    return cast(CognitoGate, current_app.extensions[_EXT])


def _requiring(requirement: Requirement) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        sync = not inspect.iscoroutinefunction(view)  # decided once, not per request

        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            here = g._get_current_object()
            here._cognito_required = True  # the answer is private: no-store replaces the app's
            caller = here.get("cognito_user") or here.get("cognito_machine")
            if caller is None:
                return _gate().deny()
            if not requirement.allows(caller):  # a machine passes scope requirements only
                return _gate().forbid()
            if sync:
                return view(*args, **kwargs)
            return current_app.ensure_sync(view)(*args, **kwargs)

        return cast(F, guarded)

    return decorate


def login_required(view: F) -> F:
    """The view needs a signed-in user: browsers go to sign in and come back, API callers get
    401 JSON, a cross-site unsafe request 403, a provider outage 503."""
    return _requiring(signed_in)(view)


def require_groups(*names: str, all: bool = False) -> Callable[[F], F]:
    """A signed-in user in any of these groups (``all=True``: every one), else 403
    ``forbidden`` — the rule of FastAPI's ``require_groups`` (``core.authz.groups``)."""
    return _requiring(groups(*names, all=all))


def require_scopes(*names: str, any: bool = False) -> Callable[[F], F]:
    """A caller whose access token has all these scopes (``any=True``: one), else 403 — the
    rule of FastAPI's ``require_scopes`` (``core.authz.scopes``). The caller is a signed-in user
    or a machine (``Authorization: Bearer`` with a client-credentials token, ``current_caller``);
    a machine passes no other requirement (403 ``forbidden``)."""
    return _requiring(scopes(*names, any=any))

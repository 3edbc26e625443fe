"""Simulated users of the soak, and the recorder that judges every answer they get.

A `SimUser` is a browser reduced to what sign-in needs: its own httpx client, its own cookie jar
(per host name, as browsers keep cookies — the app on `localhost`, Local Cognito on `127.0.0.1`),
redirects followed by hand (303/302 POST → GET), and the hosted UI's form filled in from the
page (`username`, `password`, `_csrf`). Its journey, until the run ends:

    sign in      GET /protected → 303 /login → Cognito /oauth2/authorize → /login form
                 → POST form → 302 /callback/ → 303 /protected
    browse       GET /protected (HTML), GET /api/me (JSON), GET / and bursts of parallel
                 /api/me calls, with think times; tokens expire and are refreshed meanwhile
    sign out     POST /logout with the page's `csrf` field → Cognito /logout → /
                 (then the old session cookie is replayed once: it must be refused)
    … and sign in again.

The `Recorder` classifies every response from the app as it arrives (see `SimUser._judge`).
"""

from __future__ import annotations

import asyncio
import html
import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from cognito_gate.core.errors import CATALOGUE

SESSION_COOKIE = "cg.0"  # first chunk of the library's session cookie (http loopback: no prefix)
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PAGE = {
    "accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    "sec-fetch-mode": "navigate",
    "sec-fetch-dest": "document",
}
API = {"accept": "application/json", "sec-fetch-mode": "cors", "sec-fetch-dest": "empty"}
_FORM = re.compile(r'<form method="post" action="([^"]*)"[^>]*>(.*?)</form>', re.S)
_LC_CSRF = re.compile(r'name="_csrf" value="([^"]*)"')
_APP_CSRF = re.compile(r'name="csrf" value="([^"]*)"')
_PAGE_CODE = re.compile(r"(?:Error code: |· <code>)([a-z_]+)")
_BY_MESSAGE = {kind.message: code for code, kind in CATALOGUE.items()}  # {"detail": message}


# ---------------------------------------------------------------------------------------------
# what the run knows about faults (filled in by the fault cycler)


@dataclass
class Window:
    """A fault switched on at ``start`` and off at ``end`` (seconds since the run started).
    ``down``: the provider cannot answer (503s from the app are then deliberate)."""

    name: str
    start: float
    end: float | None = None
    down: bool = True


@dataclass
class Timeline:
    windows: list[Window] = field(default_factory=list)
    slack: float = 2.0  # seconds after a fault ends that still count as "during" it

    def active(self, start: float, end: float) -> Window | None:
        """The fault window (with slack) that overlaps the interval, preferring outages."""
        hits = [
            w
            for w in self.windows
            if w.start <= end and (w.end is None or start <= w.end + self.slack)
        ]
        return max(hits, key=lambda w: w.down, default=None)

    def last_outage_before(self, t: float) -> Window | None:
        ended = [w for w in self.windows if w.down and w.end is not None and w.end <= t]
        return max(ended, key=lambda w: w.end or 0.0, default=None)


# ---------------------------------------------------------------------------------------------
# the recorder


@dataclass
class Event:
    t: float
    user: str
    request: str
    status: int | str
    what: str
    fault: str

    def line(self) -> str:
        return (
            f"t={self.t:6.1f}s  {self.user:<9} {self.request:<34} → {self.status}  "
            f"{self.what}  [fault: {self.fault}]"
        )


@dataclass
class Recorder:
    t0: float
    timeline: Timeline
    app_latency: list[float] = field(default_factory=list)
    browse_latency: list[float] = field(default_factory=list)
    timed: list[tuple[float, float, float]] = field(default_factory=list)  # start, end, latency
    keepalive_retries: int = 0
    api_401_kept: list[Event] = field(default_factory=list)
    app_status: Counter[int] = field(default_factory=Counter)
    lc_requests: int = 0
    sign_in_attempts: int = 0
    sign_ins: int = 0
    sign_outs: int = 0
    refreshes_seen: int = 0
    deliberate_503: int = 0
    late_503: list[float] = field(default_factory=list)  # seconds after the outage ended
    late_events: list[Event] = field(default_factory=list)
    real_5xx: list[Event] = field(default_factory=list)
    wrong_signouts: list[Event] = field(default_factory=list)
    loops: list[Event] = field(default_factory=list)
    loop_breaker: list[Event] = field(default_factory=list)
    identity: list[Event] = field(default_factory=list)
    replay_accepted: list[Event] = field(default_factory=list)
    signin_failures: list[Event] = field(default_factory=list)
    signout_failures: list[Event] = field(default_factory=list)
    transport: list[Event] = field(default_factory=list)
    anonymous_home: Counter[str] = field(default_factory=Counter)

    def now(self) -> float:
        return time.monotonic() - self.t0

    def fault_name(self, start: float, end: float) -> str:
        window = self.timeline.active(start, end)
        return window.name if window else "none"

    def event(
        self, user: str, request: str, status: int | str, what: str, start: float, end: float
    ) -> Event:
        return Event(start, user, request, status, what, self.fault_name(start, end))


# ---------------------------------------------------------------------------------------------
# a browser's cookie jar


class Jar:
    """Cookies per host name (ports share cookies, as in browsers); all paths are ``/``."""

    def __init__(self) -> None:
        self._hosts: dict[str, dict[str, tuple[str, float | None]]] = {}

    def header(self, host: str) -> str:
        now = time.time()
        live = self._hosts.get(host, {})
        for name in [n for n, (_, exp) in live.items() if exp is not None and exp <= now]:
            del live[name]
        return "; ".join(f"{n}={v}" for n, (v, _) in live.items())

    def has(self, host: str, name: str) -> bool:
        return name in self._hosts.get(host, {})

    def update(self, host: str, response: httpx.Response) -> dict[str, str | None]:
        """Store the response's cookies; returns {name: new value, or None if deleted}."""
        changes: dict[str, str | None] = {}
        jar = self._hosts.setdefault(host, {})
        for line in response.headers.get_list("set-cookie"):
            name, value, expires = _parse_set_cookie(line)
            if expires is not None and expires <= time.time():
                jar.pop(name, None)
                changes[name] = None
            else:
                jar[name] = (value, expires)
                changes[name] = value
        return changes


def _parse_set_cookie(line: str) -> tuple[str, str, float | None]:
    first, *attrs = line.split(";")
    name, _, value = first.strip().partition("=")
    expires: float | None = None
    for attr in attrs:
        key, _, raw = attr.strip().partition("=")
        key = key.lower()
        if key == "max-age":
            expires = time.time() + int(raw)
            break  # Max-Age wins over Expires
        if key == "expires":
            try:
                expires = parsedate_to_datetime(raw).timestamp()
            except (TypeError, ValueError):
                expires = None
    return name, value.strip('"'), expires


# ---------------------------------------------------------------------------------------------
# one simulated user


class StepFailed(Exception):
    """The current step cannot go on (transport error, loop…); already recorded."""


@dataclass
class Hop:
    method: str
    url: str
    response: httpx.Response


@dataclass
class Config:
    app_url: str
    lc_url: str
    callback_path: str = "/callback/"
    max_redirects: int = 10
    think: tuple[float, float] = (0.2, 2.0)
    session: tuple[float, float] = (30.0, 90.0)
    burst_size: int = 4


class SimUser:
    def __init__(
        self,
        name: str,
        email: str,
        password: str,
        sub: str,
        cfg: Config,
        rec: Recorder,
        rng: random.Random,
    ) -> None:
        self.name, self.email, self.password, self.sub = name, email, password, sub
        self.cfg, self.rec, self.rng = cfg, rec, rng
        self.jar = Jar()
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(30.0, connect=5.0),
            follow_redirects=False,
            headers={"user-agent": "cognito-gate-soak/1"},
        )
        self.app_host = urlsplit(cfg.app_url).hostname or ""
        self.signed_in = False
        self.signing_out = False
        self.csrf: str | None = None
        self.action = 0
        self._refresh_action = -1

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- HTTP ------------------------------------------------------------------------------

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        data: dict[str, str] | None = None,
        browse: bool = False,
        cookie: str | None = None,
        probe: bool = False,
    ) -> httpx.Response:
        """One request with this browser's cookies; every app answer is judged on arrival."""
        host = urlsplit(url).hostname or ""
        is_app = host == self.app_host
        sent = dict(headers)
        jar_cookie = self.jar.header(host) if cookie is None else cookie
        if jar_cookie:
            sent["cookie"] = jar_cookie
        start = self.rec.now()
        began = time.perf_counter()
        for attempt in (1, 2):
            try:
                response = await self.client.request(method, url, headers=sent, data=data)
                break
            except httpx.RemoteProtocolError as exc:
                # A kept-alive connection the server closed just as we reused it: browsers
                # resend the request once on a fresh connection, so do we (and count it).
                if attempt == 1 and "without sending a response" in str(exc):
                    self.rec.keepalive_retries += 1
                    continue
                raise self._transport(exc, method, url, start, is_app) from None
            except httpx.HTTPError as exc:
                raise self._transport(exc, method, url, start, is_app) from None
            finally:
                self.client.cookies.clear()  # this jar is ours, not httpx's
        elapsed = time.perf_counter() - began
        end = self.rec.now()
        changes = {} if probe else self.jar.update(host, response)
        if is_app:
            self.rec.app_latency.append(elapsed)
            self.rec.timed.append((start, end, elapsed))
            if browse:
                self.rec.browse_latency.append(elapsed)
            self.rec.app_status[response.status_code] += 1
            self._judge(method, url, response, changes, start, end, probe=probe)
        else:
            self.rec.lc_requests += 1
        return response

    def _transport(
        self, exc: Exception, method: str, url: str, start: float, is_app: bool
    ) -> StepFailed:
        what = f"{type(exc).__name__} from {'app' if is_app else 'Local Cognito'}: {exc}"[:120]
        self.rec.transport.append(
            self.rec.event(self.name, _short(method, url), "-", what, start, self.rec.now())
        )
        return StepFailed(what)

    async def navigate(
        self,
        method: str,
        url: str,
        *,
        data: dict[str, str] | None = None,
        api: bool = False,
        browse: bool = False,
    ) -> list[Hop]:
        """A navigation: follow redirects by hand, across both hosts, up to the loop limit."""
        hops: list[Hop] = []
        headers = API if api else PAGE
        start = self.rec.now()
        while True:
            response = await self.send(method, url, headers=headers, data=data, browse=browse)
            hops.append(Hop(method, url, response))
            location = response.headers.get("location")
            if response.status_code not in REDIRECTS or not location:
                return hops
            if len(hops) > self.cfg.max_redirects:
                self.rec.loops.append(
                    self.rec.event(
                        self.name,
                        _short(hops[0].method, hops[0].url),
                        response.status_code,
                        "redirect loop: " + " → ".join(_short(h.method, h.url) for h in hops[:8]),
                        start,
                        self.rec.now(),
                    )
                )
                raise StepFailed("redirect loop")
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method, data = "GET", None
            url = urljoin(url, location)
            browse = False

    # -- judging answers -------------------------------------------------------------------

    def _judge(
        self,
        method: str,
        url: str,
        response: httpx.Response,
        changes: dict[str, str | None],
        start: float,
        end: float,
        *,
        probe: bool,
    ) -> None:
        rec, status = self.rec, response.status_code
        path = urlsplit(url).path
        request = _short(method, url)
        if status >= 500:
            code = _error_code(response)
            window = rec.timeline.active(start, end)
            if status == 503 and code == "provider_unavailable":
                if window is not None and window.down:
                    rec.deliberate_503 += 1
                else:
                    last = rec.timeline.last_outage_before(start)
                    lag = start - (last.end or 0.0) if last else float("inf")
                    rec.late_503.append(lag)
                    after = f"{lag:.1f} s after '{last.name}' ended" if last else "no outage yet"
                    rec.late_events.append(rec.event(self.name, request, status, after, start, end))
            else:
                rec.real_5xx.append(
                    rec.event(self.name, request, status, f"code={code or '?'}", start, end)
                )
        if status == 429 and _error_code(response) == "signin_loop":
            rec.loop_breaker.append(
                rec.event(self.name, request, status, "loop breaker page", start, end)
            )
        if probe:
            return
        if path == self.cfg.callback_path and status == 303 and changes.get(SESSION_COOKIE):
            rec.sign_ins += 1
            self.signed_in = True
            return
        if not self.signed_in or self.signing_out:
            return
        lost = None
        if SESSION_COOKIE in changes and changes[SESSION_COOKIE] is None:
            lost = "session cookies cleared"
        elif (
            status in (302, 303) and urlsplit(response.headers.get("location", "")).path == "/login"
        ):
            lost = "sent to sign-in"
        elif status == 401 and SESSION_COOKIE not in changes:
            # "Not signed in" while the session cookies stay: the app could not check the
            # session (the provider was unreachable) and did not end it; the next request after
            # the outage is served. Counted on its own: an API should say 503 here (RF-07).
            rec.api_401_kept.append(
                rec.event(self.name, request, status, f"code={_error_code(response)}", start, end)
            )
            return
        elif status == 401:
            lost = f"401 code={_error_code(response)}"
        if lost is not None:
            self.signed_in = False
            rec.wrong_signouts.append(rec.event(self.name, request, status, lost, start, end))
            return
        if changes.get(SESSION_COOKIE) and self._refresh_action != self.action:
            self._refresh_action = self.action
            rec.refreshes_seen += 1

    def _check_identity(self, hop: Hop) -> None:
        """The page or JSON must be about this user and no one else."""
        body = hop.response.text
        path = urlsplit(hop.url).path
        ok = True
        if path == "/api/me":
            try:
                me = json.loads(body)
            except ValueError:
                me = {}
            ok = me.get("sub") == self.sub and me.get("email") == self.email
        elif path == "/protected":
            ok = self.sub in body and self.email in body
        elif path == "/":
            if "Signed in as" not in body:
                self.rec.anonymous_home[self.rec.fault_name(self.rec.now(), self.rec.now())] += 1
                return
            ok = self.email in body
        if not ok:
            self.rec.identity.append(
                self.rec.event(
                    self.name,
                    _short(hop.method, hop.url),
                    hop.response.status_code,
                    "answer is not about this user",
                    self.rec.now(),
                    self.rec.now(),
                )
            )

    # -- the journey -----------------------------------------------------------------------

    async def think(self, low: float | None = None, high: float | None = None) -> None:
        lo, hi = self.cfg.think
        await asyncio.sleep(
            self.rng.uniform(lo if low is None else low, hi if high is None else high)
        )

    async def run(self, deadline: float, stagger: float) -> None:
        await asyncio.sleep(self.rng.uniform(0, stagger))
        while self.rec.now() < deadline:
            try:
                if not self.signed_in:
                    await self.sign_in(deadline)
                    continue
                await self.browse(
                    min(deadline, self.rec.now() + self.rng.uniform(*self.cfg.session))
                )
                if self.signed_in and self.rec.now() < deadline:
                    await self.sign_out()
                    await self.think()
            except StepFailed:
                await self.think(1.0, 3.0)

    async def sign_in(self, deadline: float, hops: list[Hop] | None = None) -> None:
        """Go to the protected page and sign in through the hosted UI; on a failed sign-in
        (a provider outage) wait and use the error page's "Try again" link, as a person would."""
        app = self.cfg.app_url
        if hops is None:
            hops = await self.navigate("GET", f"{app}/protected")
        while not self.signed_in and self.rec.now() < deadline:
            last = hops[-1]
            where = urlsplit(last.url)
            status = last.response.status_code
            if where.hostname != self.app_host and where.path == "/login" and status == 200:
                self.rec.sign_in_attempts += 1
                hops = await self._submit_login(last)
                continue
            if status == 200 and where.path == "/protected" and where.hostname == self.app_host:
                self.signed_in = True  # the app knows us (e.g. a silent sign-in already ran)
                break
            if status not in (503, 429):
                self.rec.signin_failures.append(
                    self.rec.event(
                        self.name,
                        _short(last.method, last.url),
                        status,
                        f"sign-in ended here (code={_error_code(last.response) or '?'})",
                        self.rec.now(),
                        self.rec.now(),
                    )
                )
            await self.think(1.0, 3.0)
            hops = await self.navigate("GET", f"{app}/login?return_to={quote('/protected')}")
        if self.signed_in:
            self._remember_csrf(hops[-1])
            self._check_identity(hops[-1])

    async def _submit_login(self, page: Hop) -> list[Hop]:
        body = page.response.text
        forms = [
            (html.unescape(a), inner)
            for a, inner in _FORM.findall(body)
            if 'name="username"' in inner
        ]
        csrf = _LC_CSRF.search(forms[0][1]) if forms else None
        if not forms or csrf is None:
            self.rec.signin_failures.append(
                self.rec.event(
                    self.name,
                    _short("GET", page.url),
                    page.response.status_code,
                    "no sign-in form on the hosted UI page",
                    self.rec.now(),
                    self.rec.now(),
                )
            )
            raise StepFailed("no form")
        await self.think(0.1, 0.6)  # typing
        form = {
            "_csrf": html.unescape(csrf.group(1)),
            "username": self.email,
            "password": self.password,
        }
        return await self.navigate("POST", urljoin(page.url, forms[0][0]), data=form)

    async def browse(self, until: float) -> None:
        app = self.cfg.app_url
        while self.signed_in and self.rec.now() < until:
            await self.think()
            self.action += 1
            roll = self.rng.random()
            if roll < 0.15:
                bursts = await asyncio.gather(
                    *(
                        self.navigate("GET", f"{app}/api/me", api=True, browse=True)
                        for _ in range(self.cfg.burst_size)
                    ),
                    return_exceptions=True,
                )
                for result in bursts:
                    if isinstance(result, StepFailed):
                        raise result
                    if isinstance(result, BaseException):
                        raise result
                    self._after_browse(result)
                continue
            path, api = (
                ("/api/me", True)
                if roll < 0.55
                else ("/protected", False)
                if roll < 0.9
                else ("/", False)
            )
            hops = await self.navigate("GET", f"{app}{path}", api=api, browse=True)
            self._after_browse(hops)
            if not self.signed_in and len(hops) > 1:
                await self.sign_in(until, hops)  # the browser already went to sign in

    def _after_browse(self, hops: list[Hop]) -> None:
        last = hops[-1]
        if last.response.status_code == 200 and self.signed_in and len(hops) == 1:
            self._remember_csrf(last)
            self._check_identity(last)

    def _remember_csrf(self, hop: Hop) -> None:
        found = (
            _APP_CSRF.search(hop.response.text)
            if "html" in hop.response.headers.get("content-type", "")
            else None
        )
        if found and found.group(1):
            self.csrf = html.unescape(found.group(1))

    async def sign_out(self) -> None:
        app = self.cfg.app_url
        if self.csrf is None:
            hops = await self.navigate("GET", f"{app}/protected", browse=True)
            self._after_browse(hops)
            if not self.signed_in:
                return
        old_cookie = self.jar.header(self.app_host)
        self.signing_out = True
        start = self.rec.now()
        try:
            hops = await self.navigate("POST", f"{app}/logout", data={"csrf": self.csrf or ""})
        except StepFailed:
            if not self.jar.has(self.app_host, SESSION_COOKIE):
                # The app signed us out; only the trip on to Cognito's /logout failed (and is
                # counted as a transport error). The hosted-UI session lives on.
                self.rec.sign_outs += 1
                self.signed_in = False
                self.csrf = None
            raise
        finally:
            self.signing_out = False
        first, last = hops[0].response, hops[-1]
        ended_cognito = any(urlsplit(h.url).hostname != self.app_host for h in hops)
        if (
            first.status_code != 303
            or self.jar.has(self.app_host, SESSION_COOKIE)
            or not ended_cognito
            or last.response.status_code != 200
        ):
            self.rec.signout_failures.append(
                self.rec.event(
                    self.name,
                    "POST /logout",
                    first.status_code,
                    f"sign-out did not complete (code={_error_code(first) or '?'})",
                    start,
                    self.rec.now(),
                )
            )
            return
        self.rec.sign_outs += 1
        self.signed_in = False
        self.csrf = None
        probe = await self.send("GET", f"{app}/api/me", headers=API, cookie=old_cookie, probe=True)
        if probe.status_code == 200:
            self.rec.replay_accepted.append(
                self.rec.event(
                    self.name,
                    "GET /api/me (old cookie)",
                    200,
                    "signed-out session cookie still accepted",
                    start,
                    self.rec.now(),
                )
            )

    async def final_check(self) -> bool | None:
        """At the end, with every fault off: does a signed-in user still get /api/me?"""
        if not self.signed_in:
            return None
        try:
            hops = await self.navigate("GET", f"{self.cfg.app_url}/api/me", api=True)
        except StepFailed:
            return False
        return hops[-1].response.status_code == 200


def _short(method: str, url: str) -> str:
    parts = urlsplit(url)
    where = "app" if parts.hostname == "localhost" else "lc"
    return f"{method} {where}:{parts.path}"


def _error_code(response: httpx.Response) -> str | None:
    kind = response.headers.get("content-type", "")
    if "json" in kind:
        try:
            payload: Any = response.json()
        except ValueError:
            return None
        if not isinstance(payload, dict):
            return None
        if "error" in payload:
            return str(payload["error"])
        detail = payload.get("detail")  # FastAPI's HTTPException shape (e.g. require_user)
        return _BY_MESSAGE.get(str(detail), f"detail:{str(detail)[:40]}") if detail else None
    found = _PAGE_CODE.search(response.text)
    return found.group(1) if found else None

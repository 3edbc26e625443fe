"""Profile one benchmark case in-process: the ASGI app called directly, no sockets.

    uv run python bench/profile_hotpath.py                 # hot path (2), cProfile table
    uv run python bench/profile_hotpath.py --case anon     # (3) anonymous public route
    uv run python bench/profile_hotpath.py --pyinstrument  # pyinstrument call tree instead
    uv run python bench/profile_hotpath.py -n 50000 --top 40

The tokens are real (an in-process Local Cognito sign-in through our own /login and /callback/,
over httpx's ASGI transport). First it times N calls of every case without a profiler and prints
µs per request and the difference to the no-auth app; then it profiles N calls of the chosen case
and prints the functions that take the time, in µs per request.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import subprocess
import sys
import time
from typing import Any

import apps
import fixture
from starlette.types import ASGIApp, Message

Scope = dict[str, Any]

# (path, fixture key of the cookie or None, expected body)
SHAPES: dict[str, tuple[str, str | None, bytes]] = {
    "bare": ("/public", None, b"ok:0"),
    "baseline": ("/protected", "cookie_ours", b"ok:0"),
    "hot": ("/protected", "cookie_ours", b"ok:1"),
    "hotpub": ("/public", "cookie_ours", b"ok:1"),
    "anon": ("/public", None, b"ok:0"),
    "nocache": ("/protected", "cookie_ours", b"ok:1"),
    "session": ("/protected", "cookie_session", b"ok:1"),
    "null": ("/protected", "cookie_ours", b"ok:0"),
    "dict": ("/protected", "cookie_ours", b"ok:1"),
}


def make_scope(case: str, fx: fixture.Fixture) -> Scope:
    path, cookie_key, _ = SHAPES[case]
    headers = [(b"host", b"127.0.0.1:8000"), (b"accept", b"text/html")]
    if cookie_key is not None:
        headers.append((b"cookie", fx[cookie_key].encode("latin-1")))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "state": {},
    }


_REQUEST: Message = {"type": "http.request", "body": b"", "more_body": False}


async def _receive() -> Message:
    return _REQUEST


class Recorder:
    """An ASGI `send` that keeps the status, whether cookies were set, and the body."""

    __slots__ = ("body", "set_cookie", "status")

    def __init__(self) -> None:
        self.status = 0
        self.set_cookie = False
        self.body = b""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.set_cookie = any(k == b"set-cookie" for k, _ in message.get("headers", ()))
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")


async def _noop_send(message: Message) -> None:
    return None


async def check(app: ASGIApp, case: str, fx: fixture.Fixture) -> None:
    rec = Recorder()
    await app(make_scope(case, fx), _receive, rec)
    want = SHAPES[case][2]
    if rec.status != 200 or rec.body != want:
        raise RuntimeError(f"{case}: status {rec.status} body {rec.body!r}, expected {want!r}")


async def _loop(app: ASGIApp, base: Scope, n: int) -> float:
    """`n` sequential calls. Each gets a fresh scope and fresh header bytes, as from a server:
    a bytes object caches its hash, and reusing one would hide the cost of hashing a cookie.
    Returns the thread's CPU seconds."""
    headers = base["headers"]
    t0 = time.thread_time()  # CPU time: on a shared machine, wall time counts others' turns
    for _ in range(n):
        scope = dict(base)
        scope["headers"] = [(k, v[:-1] + v[-1:]) for k, v in headers]
        scope["state"] = {}
        await app(scope, _receive, _noop_send)
    return time.thread_time() - t0


async def time_case(
    app: ASGIApp, case: str, fx: fixture.Fixture, n: int, repeats: int = 5
) -> float:
    """Best-of-`repeats` µs per request for `n` sequential in-process calls."""
    base = make_scope(case, fx)
    await _loop(app, base, min(n, 2000))  # warm-up
    best = min([await _loop(app, base, n) for _ in range(repeats)])
    return best / n * 1e6


async def cprofile_table(app: ASGIApp, case: str, fx: fixture.Fixture, n: int, top: int) -> str:
    base = make_scope(case, fx)
    await _loop(app, base, min(n, 2000))
    prof = cProfile.Profile()
    prof.enable()
    await _loop(app, base, n)
    prof.disable()
    stats = pstats.Stats(prof)
    rows: list[tuple[float, float, int, str]] = []
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in (
        stats.stats.items()  # type: ignore[attr-defined]
    ):
        where = filename
        for marker in ("site-packages/", "src/", "lib/python3.11/"):
            if marker in where:
                where = where.split(marker, 1)[1]
                break
        rows.append((tottime, cumtime, ncalls, f"{where}:{line}({name})"))
    rows.sort(reverse=True)
    out = io.StringIO()
    total = sum(r[0] for r in rows)
    out.write(f"cProfile of {n} calls of '{case}' (profiler overhead inflates small functions)\n")
    out.write(f"total {total / n * 1e6:.1f} µs/request under the profiler\n")
    out.write(f"{'own µs/req':>10} {'cum µs/req':>10} {'calls/req':>9}  function\n")
    for tottime, cumtime, ncalls, label in rows[:top]:
        out.write(
            f"{tottime / n * 1e6:>10.2f} {cumtime / n * 1e6:>10.2f} {ncalls / n:>9.2f}  {label}\n"
        )
    return out.getvalue()


async def pyinstrument_tree(app: ASGIApp, case: str, fx: fixture.Fixture, n: int) -> str:
    from pyinstrument import Profiler

    base = make_scope(case, fx)
    await _loop(app, base, min(n, 2000))
    profiler = Profiler(interval=0.0001, async_mode="disabled")
    profiler.start()
    await _loop(app, base, n)
    profiler.stop()
    return str(profiler.output_text(unicode=True, color=False, show_all=False))


async def breakdown(setup: Any, n: int) -> str:
    """Where the hot path's extra µs go: an ablation (the same session with route protection off)
    and micro-timings of each step with the middleware's own objects. Reads middleware internals
    (names as of this writing); a step that no longer exists is reported as such."""
    import timeit

    import ours

    from cognito_gate import CognitoAuth

    fx = setup.fixture
    hot = setup.apps["hot"]
    out = io.StringIO()
    base_t = await time_case(setup.apps["baseline"], "hot", fx, n)
    hot_t = await time_case(hot, "hot", fx, n)
    unprotected = CognitoAuth(ours.settings(fx), protect=(), http=hot.auth.http).wrap(
        apps.starlette_app(ours.user_probe)
    )
    unprot_t = await time_case(unprotected, "hot", fx, n)
    out.write(f"ablation, {n} calls best of 5 (µs per request):\n")
    out.write(f"  no-auth app, same request             {base_t:8.2f}\n")
    out.write(f"  ours, /protected (route protection)    {hot_t:8.2f}  (+{hot_t - base_t:.2f})\n")
    out.write(
        f"  ours, same path with protect=()        {unprot_t:8.2f}  (+{unprot_t - base_t:.2f})"
        f"  -> protection/no-store costs {hot_t - unprot_t:.2f}\n"
    )
    try:
        from cognito_gate import get_user
        from cognito_gate.asgi.middleware import _mark_no_store, _sending_no_store

        cookie = fx["cookie_ours"].encode("latin-1")
        scope = make_scope("hot", fx)
        await hot(scope, _receive, _noop_send)
        g: dict[str, Any] = {
            "cookie": cookie, "now": hot._now, "cache": hot._hot, "by_key": hot._by_key,
            "first": hot._first, "protect": hot._protect, "prefixes": hot._prefixes,
            "mark": _mark_no_store, "get_user": get_user, "scope": scope,
            "headers": scope["headers"], "sending": _sending_no_store, "noop": lambda m: None,
        }  # fmt: skip
        start = "{'type': 'http.response.start', 'status': 200, 'headers': [(b'content-length', "
        start += "b'4'), (b'content-type', b'text/plain')]}"
        fresh = "c = cookie[:-1] + cookie[-1:]\n"  # a server hands over new bytes every time
        steps = [
            ("header scan loop", "for k, v in headers:\n    if k == b'cookie': c = v"),
            ("a fresh Cookie header (not ours)", fresh),
            ("session cache, inline exact test", fresh + "at = c.find(first) + len(first)\n"
             "e = by_key(c[at:at + 48])\ne.header == c and now() < e.fresh_until"),
            ("SessionCache.get (the careful way)", fresh + "cache.get(c[:-9] + b'x' + c[-8:], "
             "now())"),
            ("mount prefix test (app at the root)", "scope.get('root_path')"),
            ("protect: prefix test inline", "'/protected'.startswith(prefixes)"),
            ("ProtectedPaths(path), public path", "protect('/public')"),
            ("a response start's message", start),
            ("  + marked no-store", f"mark({start})"),
            ("  + no-store sender, public path", f"sending(noop, False)({start})"),
            ("get_user(scope) in the endpoint", "get_user(scope)"),
        ]
        out.write("micro-timings (ns per call, best of 5):\n")
        for label, stmt in steps:
            ns = min(timeit.repeat(stmt, globals=g, number=100_000, repeat=5)) / 100_000 * 1e9
            out.write(f"  {label:<34} {ns:8.0f}\n")
    except (AttributeError, ImportError, TypeError) as exc:
        out.write(f"micro-timings unavailable (middleware internals changed: {exc})\n")
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="profile one benchmark case in-process")
    ap.add_argument("--case", default="hot", choices=list(SHAPES))
    ap.add_argument("-n", type=int, default=20_000, help="calls per measurement (default 20000)")
    ap.add_argument("--top", type=int, default=30, help="rows of the cProfile table")
    ap.add_argument("--pyinstrument", action="store_true", help="pyinstrument tree, not cProfile")
    ap.add_argument("--app", choices=("starlette", "raw"), default="starlette")
    ap.add_argument("--no-timing", action="store_true", help="skip the unprofiled timings")
    ap.add_argument(
        "--breakdown", action="store_true", help="ablation + micro-timings of the hot path steps"
    )
    ap.add_argument("--no-pin", action="store_true", help="do not pin to core 0 / raise priority")
    args = ap.parse_args(argv)
    fixture.ensure_itsdangerous(__file__)
    if not args.no_pin and not os.environ.get("BENCH_PINNED"):
        # Re-run pinned to the server core, in a new session at a raised priority (as root),
        # like the benchmark servers, so other work on the machine disturbs the timings less.
        import servers

        cmd = servers.pinned([sys.executable, os.path.abspath(__file__), *sys.argv[1:]], 0)
        env = dict(os.environ, BENCH_PINNED="1")
        return subprocess.run(cmd, env=env, start_new_session=True, check=False).returncode
    return asyncio.run(amain(args))


async def amain(args: argparse.Namespace) -> int:
    import inproc

    async with inproc.Setup(flavour=args.app) as setup:
        fx = setup.fixture
        built = setup.apps
        for case, app in built.items():
            await check(app, case, fx)
        print(
            f"fixture: {fx['source']}; cookie {len(fx['cookie_ours'])} B; app={args.app}; "
            f"cases: {', '.join(built)}"
        )
        if not args.no_timing:
            print(f"\nin-process, {args.n} sequential calls, best of 5 (µs per request):")
            times = {case: await time_case(app, case, fx, args.n) for case, app in built.items()}
            for case, us in times.items():
                ref = times.get("bare" if case in ("bare", "anon") else "baseline")
                extra = ""
                if ref is not None and case not in ("bare", "baseline"):
                    extra = f"  (+{us - ref:.2f} µs vs no-auth)"
                print(f"  {case:<9} {us:8.2f} µs{extra}")
        print()
        if args.breakdown and "hot" in built:
            print(await breakdown(setup, args.n))
        if args.pyinstrument:
            print(await pyinstrument_tree(built[args.case], args.case, fx, args.n))
        else:
            print(await cprofile_table(built[args.case], args.case, fx, args.n, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

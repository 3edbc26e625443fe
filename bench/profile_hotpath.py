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
    t0 = time.perf_counter()
    for _ in range(n):
        scope = dict(base)
        scope["state"] = {}
        await app(scope, _receive, _noop_send)
    return time.perf_counter() - t0


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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="profile one benchmark case in-process")
    ap.add_argument("--case", default="hot", choices=list(SHAPES))
    ap.add_argument("-n", type=int, default=20_000, help="calls per measurement (default 20000)")
    ap.add_argument("--top", type=int, default=30, help="rows of the cProfile table")
    ap.add_argument("--pyinstrument", action="store_true", help="pyinstrument tree, not cProfile")
    ap.add_argument("--app", choices=("starlette", "raw"), default="starlette")
    ap.add_argument("--no-timing", action="store_true", help="skip the unprofiled timings")
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
        if args.pyinstrument:
            print(await pyinstrument_tree(built[args.case], args.case, fx, args.n))
        else:
            print(await cprofile_table(built[args.case], args.case, fx, args.n, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The measurements beyond the table: refresh storm, many sessions, sign-in throughput. They all
run against real servers on loopback: Local Cognito served from this process (a thread, so its
request counter `lc.requests` can be read) and our app in uvicorn subprocesses on core 0."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import fixture
import httpx
import pool
import servers


def _pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


class LocalCognitoServer:
    """Local Cognito on a loopback port (a thread of this process), with the benchmark's client
    and user, and the app URL its callback points to."""

    def __enter__(self) -> LocalCognitoServer:
        from cognito_gate.local import LocalCognito

        self.lc = LocalCognito()
        self._serving = self.lc.serve("127.0.0.1", 0)
        self.base_url = self._serving.__enter__()
        self.app_port = servers.free_port()
        self.app_url = f"http://127.0.0.1:{self.app_port}"
        self.client = pool.configure(self.lc, self.app_url)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._serving.__exit__(exc_type, exc, tb)

    def config(self) -> dict[str, Any]:
        mint = {}
        for purpose in ("id", "access"):
            key = self.lc.keys.signing_key(purpose)
            mint[purpose] = {"kid": key.kid, "pem": key.private_pem.decode()}
        return {
            "settings": pool.settings_dict(self.lc, self.client, self.app_url),
            "starlette_secret": fixture.STARLETTE_SECRET,
            "mint": mint,
        }

    def sign_in(self, cfg_path: str, *, times: int = 1) -> list[str]:
        """`times` real sign-ins through an app server on the callback port."""
        srv = servers.start("hot", cfg_path, port=self.app_port)
        try:
            servers.wait_ready(srv)
            return asyncio.run(self._sign_in_many(times))
        finally:
            srv.stop()

    async def _sign_in_many(self, times: int) -> list[str]:
        cookies = []
        for _ in range(times):
            async with httpx.AsyncClient(timeout=30) as browser:
                cookie, _ = await fixture.sign_in(
                    browser, self.app_url, pool.EMAIL, pool.PASSWORD, fetch_return_to=False
                )
            cookies.append(cookie)
        return cookies

    def real_fixture(self, tmp: str) -> fixture.Fixture:
        cfg = self.config()
        path = os.path.join(tmp, "signin.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(cfg, f)
        (cookie,) = self.sign_in(path)
        tokens = pool.tokens_from_cookie(cookie)
        return {
            **cfg,
            "source": "local-cognito",
            "tokens": tokens,
            "cookie_ours": cookie,
            "cookie_session": fixture.starlette_session_cookie(tokens),
        }

    def real_fixture_file(self, tmp: str) -> tuple[fixture.Fixture, str]:
        """``real_fixture``, also written to ``tmp/fixture.json`` for the servers to read."""
        fx = self.real_fixture(tmp)
        path = os.path.join(tmp, "fixture.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(fx, f)
        return fx, path


# ---------------------------------------------------------------- refresh storm


@dataclass
class Reply:
    seconds: float
    status: int
    set_cookie: bool
    body: bytes


async def _raw_get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> Reply:
    t0 = time.perf_counter()
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    set_cookie = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        lname = name.strip().lower()
        if lname == b"content-length":
            length = int(value)
        elif lname == b"set-cookie":
            set_cookie = True
    body = await reader.readexactly(length)
    return Reply(time.perf_counter() - t0, status, set_cookie, body)


async def storm(port: int, path: str, cookie: str, n: int) -> tuple[list[Reply], float]:
    """`n` concurrent GETs carrying `cookie`: all connections are opened first, then every
    request is written at once; latency is per request, from its write to its full response."""
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/html\r\n"
               f"Cookie: {cookie}\r\n\r\n").encode("latin-1")  # fmt: skip
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(n)]
    t0 = time.perf_counter()
    replies = await asyncio.wait_for(
        asyncio.gather(*(_raw_get(r, w, request) for r, w in conns)), timeout=60
    )
    total = time.perf_counter() - t0
    for _, w in conns:
        w.close()
    return list(replies), total


def refresh_storm(lcs: LocalCognitoServer, cfg_path: str, *, n: int = 200, processes: int = 1,
                  env: dict[str, str] | None = None,
                  stored: Callable[[list[str]], list[str]] | None = None) -> dict[str, Any]:
    """Sign in, then jump (validity - 30) s ahead on both clocks (Local Cognito's and the app
    servers'): the session's tokens have 30 s left, inside the 60 s refresh margin. ``n``
    requests spread over ``processes`` app servers (started with ``env``); ``stored`` turns the
    signed-in cookies into those of the same sessions kept in a shared store."""
    lc = lcs.lc
    ahead = lcs.client.access_token_validity - 30
    stale, other = (stored or list)(lcs.sign_in(cfg_path, times=2))
    started = [servers.start("hot", cfg_path, env={**(env or {}),
                                                   "BENCH_CLOCK_OFFSET": str(ahead)})
               for _ in range(processes)]
    lc.clock.set_offset(ahead)
    try:
        for srv in started:
            servers.wait_ready(srv)
            # Another session first, so every server has fetched the JWKS before the storm.
            warm = httpx.get(srv.url + "/protected", headers={"Cookie": other}, timeout=10)
            if warm.content != b"ok:1":
                raise RuntimeError(f"storm warm-up failed: {warm.status_code} {warm.text[:200]}")
        before = dict(lc.requests)

        async def spread() -> tuple[list[Reply], float]:
            t0 = time.perf_counter()
            parts = await asyncio.gather(*(storm(srv.port, "/protected", stale, n // processes)
                                           for srv in started))
            return [r for replies, _ in parts for r in replies], time.perf_counter() - t0

        replies, total = asyncio.run(spread())
        after = dict(lc.requests)
    finally:
        lc.clock.set_offset(0)
        for srv in started:
            srv.stop()
    lat = [r.seconds * 1000 for r in replies]
    return {
        "requests": len(replies),
        "processes": processes,
        "token_calls": after.get("token", 0) - before.get("token", 0),
        "jwks_calls": after.get("jwks", 0) - before.get("jwks", 0),
        "ok": sum(1 for r in replies if r.status == 200 and r.body == b"ok:1"),
        "set_cookie": sum(1 for r in replies if r.set_cookie),
        "statuses": sorted({r.status for r in replies}),
        "p50_ms": _pct(lat, 50),
        "p99_ms": _pct(lat, 99),
        "max_ms": max(lat),
        "total_ms": total * 1000,
    }


# ---------------------------------------------------------------- sign-in throughput


async def _signin_load(app_url: str, count: int, concurrency: int, budget_s: float) -> list[float]:
    done: list[float] = []
    deadline = time.monotonic() + budget_s
    left = count

    async def worker() -> None:
        nonlocal left
        while left > 0 and time.monotonic() < deadline:
            left -= 1
            t0 = time.perf_counter()
            async with httpx.AsyncClient(timeout=30) as browser:
                await fixture.sign_in(browser, app_url, pool.EMAIL, pool.PASSWORD,
                                      fetch_return_to=False)  # fmt: skip
            done.append(time.perf_counter() - t0)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


def signin_throughput(
    lcs: LocalCognitoServer, cfg_path: str, *, count: int, concurrency: int, budget_s: float
) -> dict[str, Any]:
    lc = lcs.lc
    srv = servers.start("hot", cfg_path, port=lcs.app_port)
    try:
        servers.wait_ready(srv)
        asyncio.run(_signin_load(lcs.app_url, 2, 1, 30))  # warm-up
        before = dict(lc.requests)
        t0 = time.perf_counter()
        lat = asyncio.run(_signin_load(lcs.app_url, count, concurrency, budget_s))
        seconds = time.perf_counter() - t0
        after = dict(lc.requests)
    finally:
        srv.stop()
    calls = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    return {
        "signins": len(lat),
        "concurrency": concurrency,
        "seconds": seconds,
        "per_second": len(lat) / seconds,
        "p50_ms": statistics.median(lat) * 1000,
        "p99_ms": _pct(lat, 99) * 1000,
        "lc_requests_per_signin": {k: round(v / len(lat), 2) for k, v in calls.items() if v},
    }


# ---------------------------------------------------------------- many sessions


def many_sessions(
    cfg_path: str,
    fx: fixture.Fixture,
    tmp: str,
    *,
    n: int,
    rounds: int,
    seconds: float,
    warmup: float,
    connections: int,
    flavour: str,
) -> dict[str, Any]:
    import run as runner

    report_path = os.path.join(tmp, "prefill.json")
    env = {"BENCH_PREFILL_SESSIONS": str(n), "BENCH_PREFILL_REPORT": report_path}
    rows = runner.measure(
        [runner.CASES["baseline"], runner.CASES["hot"]],
        fx,
        cfg_path,
        rounds=rounds,
        seconds=seconds,
        warmup=warmup,
        connections=connections,
        flavour=flavour,
        env_for={"hot": env},
        ready_timeout=900,
        log=False,
    )
    with open(report_path, encoding="utf-8") as f:
        report: dict[str, Any] = json.load(f)
    report["ratio"] = rows["hot"].ratio
    report["hot_rps"] = rows["hot"].rps
    report["baseline_rps"] = rows["baseline"].rps
    report["hot_p99_ms"] = rows["hot"].p99_ms
    return report


# ---------------------------------------------------------------- all of them


def run_all(
    lcs: LocalCognitoServer,
    fx: fixture.Fixture,
    cfg_path: str,
    tmp: str,
    *,
    quick: bool,
    flavour: str,
    connections: int,
    seconds: int,
    rounds: int,
    warmup: int,
) -> dict[str, Any]:
    lines: list[str] = []
    out: dict[str, Any] = {"lines": lines}

    print("refresh storm ...", flush=True)
    st = refresh_storm(lcs, cfg_path, n=200)
    out["storm"] = st
    verdict = "MET " if st["token_calls"] == 1 else "MISS"
    lines.append(
        f"refresh storm   {st['requests']} concurrent requests, one session due for refresh: "
        f"token-endpoint calls {st['token_calls']} [{verdict}] (target exactly 1), "
        f"{st['ok']}/{st['requests']} served signed-in, {st['set_cookie']} carried new cookies; "
        f"latency p50 {st['p50_ms']:.1f} ms, p99 {st['p99_ms']:.1f} ms, "
        f"all done in {st['total_ms']:.0f} ms"
    )

    n = 3_000 if quick else 100_000
    print(f"many sessions ({n:,} distinct sessions through the middleware) ...", flush=True)
    ms = many_sessions(cfg_path, fx, tmp, n=n, rounds=rounds, seconds=seconds, warmup=warmup,
                       connections=connections, flavour=flavour)  # fmt: skip
    out["many_sessions"] = ms
    bounded = ms["hot_entries"] <= ms["hot_maxsize"] and (
        ms["claims_entries"] <= ms["claims_maxsize"]
    )
    ratio = ms["ratio"]
    lines.append(
        f"many sessions   {ms['signed_in']:,}/{ms['sessions']:,} distinct sessions signed in "
        f"({ms['seconds']:.0f} s); caches: session cache {ms['hot_entries']:,}/"
        f"{ms['hot_maxsize']:,} entries = {ms['hot_bytes'] / 2**20:.1f} MiB, claims cache "
        f"{ms['claims_entries']:,}/{ms['claims_maxsize']:,} entries = "
        f"{ms['claims_bytes'] / 2**20:.1f} MiB; RSS +{ms['rss_delta'] / 2**20:.0f} MiB; "
        f"bounded [{'MET ' if bounded else 'MISS'}]; hot path then {ms['hot_rps']:,.0f} req/s, "
        f"ratio to (1) {ratio:.2f} [{'MET ' if ratio >= 0.90 else 'MISS'}] (target >= 0.90)"
    )

    count, conc = (12, 4) if quick else (100, 8)
    print(f"sign-in throughput ({count} sign-ins, {conc} at a time) ...", flush=True)
    si = signin_throughput(lcs, cfg_path, count=count, concurrency=conc,
                           budget_s=15 if quick else 40)  # fmt: skip
    out["signin"] = si
    per = ", ".join(f"{k} {v:g}" for k, v in sorted(si["lc_requests_per_signin"].items()))
    lines.append(
        f"sign-in         {si['signins']} complete sign-ins ({si['concurrency']} at a time) in "
        f"{si['seconds']:.1f} s = {si['per_second']:.1f} sign-ins/s; per sign-in p50 "
        f"{si['p50_ms']:.0f} ms, p99 {si['p99_ms']:.0f} ms; Local Cognito requests per sign-in: "
        f"{per}"
    )
    return out

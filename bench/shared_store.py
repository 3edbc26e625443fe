"""Sessions in Redis (``SESSION_STORE_URL``), measured side by side in one run (issue 9):

    uv run python bench/shared_store.py            # about 5 minutes
    uv run python bench/shared_store.py --quick    # 20,000 sessions, short bursts

A throwaway ``redis-server`` (free loopback port, no persistence, on the load core), Local
Cognito on loopback, our app under uvicorn on core 0 and ``wrk`` on core 1, as bench/run.py:

  (R1) the hot path with ``RedisStore`` next to the no-auth baseline sent the same cookie bytes
       (run.measure: every server up at once, interleaved bursts, medians of per-round ratios,
       req/s and server CPU per request). Target >= 0.90x;
  (R2) cache misses: N sessions stored in Redis, wrk cycling through their cookies (every request
       another session) at a server whose session cache is off (``session_cache_size=0``), so
       every request is a GET and an unseal; beside it the no-auth server sent the same headers.
       The N sessions carry one sign-in's tokens, so the verified-token cache answers: the row is
       what the store costs, not RS256 (that is run.py's row (4));
  (R3) Redis memory per session: ``used_memory`` before and after storing the N sessions, and
       ``MEMORY USAGE`` of one key;
  (R4) refresh storm across 4 app processes sharing the store: 200 concurrent requests of one
       session due for refresh, 50 to each → token-endpoint calls (target exactly 1).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from typing import Any

import active
import extras
import fixture
import loadgen
import machine
import ours
import pool
import run as runner
import servers
from redis import Redis

from cognito_gate import RedisStore
from cognito_gate.core.cookies import CookiePolicy
from cognito_gate.core.session import SessionCodec, SessionData, new_session_id


async def _seed(url: str, cfg: dict[str, Any], tokens: dict[str, str], n: int) -> list[str]:
    """``n`` sessions with these tokens stored in Redis exactly as the library stores them;
    their ``Cookie`` headers."""
    settings = ours.settings(cfg)
    store = RedisStore.from_url(url, timeout=30)
    codec = SessionCodec(settings.session_secret, CookiePolicy(secure=settings.secure_cookies),
                         store)
    now = time.time()

    async def one() -> str:
        data = SessionData(new_session_id(), tokens["id_token"], tokens["access_token"],
                           tokens["refresh_token"], now)
        headers = await codec.save(data, settings.session_lifetime, {})
        return fixture.cookie_header([v.decode("latin-1") for _, v in headers])

    cookies: list[str] = []
    try:
        for start in range(0, n, 100):
            cookies += await asyncio.gather(*(one() for _ in range(min(100, n - start))))
    finally:
        await store.aclose()
    return cookies


def seed(url: str, cfg: dict[str, Any], tokens: dict[str, str], n: int) -> list[str]:
    return asyncio.run(_seed(url, cfg, tokens, n))


def cache_misses(cfg_path: str, url: str, cookie_file: str, *, rounds: int, seconds: float,
                 connections: int) -> dict[str, Any]:
    """(R2): our server (session cache off) and the no-auth one, sent the same cycling cookies,
    in alternating bursts."""
    started = {"hot": servers.start("hot", cfg_path, env={"BENCH_STORE": url,
                                                          "BENCH_SESSION_CACHE_SIZE": "0"}),
               "baseline": servers.start("baseline", cfg_path)}
    script = loadgen.write_rotating_script("/protected", {"Accept": "text/html"}, cookie_file)
    got: dict[str, list[tuple[loadgen.WrkResult, float | None]]] = {k: [] for k in started}
    try:
        for srv in started.values():
            servers.wait_ready(srv)
            loadgen.run(srv.url, script, seconds=1, connections=connections)
        for rnd in range(rounds):
            for key in ("hot", "baseline") if rnd % 2 else ("baseline", "hot"):
                got[key].append(runner._burst(started[key], script, seconds=seconds,
                                              connections=connections))
    finally:
        for srv in started.values():
            srv.stop()
        os.unlink(script)
    hot, base = got["hot"], got["baseline"]
    cpu = [(b[1], h[1]) for h, b in zip(hot, base, strict=True) if h[1] and b[1]]
    return {"rps": statistics.median(h[0].rps for h in hot),
            "base_rps": statistics.median(b[0].rps for b in base),
            "ratio": statistics.median(h[0].rps / b[0].rps for h, b in zip(hot, base,
                                                                             strict=True)),
            "p50_ms": statistics.median(h[0].p50_us for h in hot) / 1000,
            "p99_ms": statistics.median(h[0].p99_us for h in hot) / 1000,
            "cpu_us": statistics.median(h for _, h in cpu) if cpu else None,
            "base_cpu_us": statistics.median(b for b, _ in cpu) if cpu else None,
            "errors": sum(h[0].errors for h in hot)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="20,000 sessions, short runs")
    ap.add_argument("--sessions", type=int, help="sessions stored for (R2)/(R3) (100,000)")
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args()
    loadgen.require_wrk()
    if not os.environ.get("BENCH_PINNED"):
        return runner.run_boosted(__file__)
    runner.pin_self()
    rounds, seconds = (4, 1) if args.quick else (12, 1)
    n = args.sessions or (20_000 if args.quick else 100_000)
    print("cognito-gate benchmark: sessions in Redis (issue 9)")
    for line in machine.header_lines():
        print(line)
    print(f"load     {machine.loadavg()}")
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cg-redis-") as tmp, \
            extras.LocalCognitoServer() as lcs:
        fx, cfg_path = lcs.real_fixture_file(tmp)
        redis_proc, port = active.start_redis(tmp)
        url = f"redis://127.0.0.1:{port}/0"
        client = Redis(host="127.0.0.1", port=port)
        try:
            print("(R1) hot path ...", flush=True)
            (cookie,) = seed(url, fx, fx["tokens"], 1)
            rows = runner.measure([runner.CASES["hot"]], {**fx, "cookie_ours": cookie},
                                  cfg_path, rounds=rounds, seconds=seconds, warmup=1,
                                  connections=args.connections, flavour="starlette",
                                  env_for={"hot": {"BENCH_STORE": url}}, log=False)
            print(f"(R3) storing {n:,} sessions ...", flush=True)
            used = int(client.info("memory")["used_memory"])
            cookies = seed(url, fx, fx["tokens"], n)
            per_session = (int(client.info("memory")["used_memory"]) - used) / n
            key = next(client.scan_iter("cognito-gate:s:*", count=100))
            one_key = client.memory_usage(key)
            value_len = len(client.get(key) or b"")
            cookie_file = os.path.join(tmp, "cookies.txt")
            with open(cookie_file, "w", encoding="latin-1") as f:
                f.write("\n".join(cookies) + "\n")
            print(f"(R2) cache misses over {n:,} sessions ...", flush=True)
            miss = cache_misses(cfg_path, url, cookie_file, rounds=rounds, seconds=seconds,
                                connections=args.connections)
            print("(R4) refresh storm across 4 processes ...", flush=True)
            storm = extras.refresh_storm(
                lcs, cfg_path, n=200, processes=4, env={"BENCH_STORE": url},
                stored=lambda signed: [seed(url, fx, pool.tokens_from_cookie(c), 1)[0]
                                       for c in signed])
        finally:
            client.close()
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
    base, hot = rows["baseline"], rows["hot"]
    print()
    print(f"load     {machine.loadavg()}")
    print(f"(R1) hot path, session in Redis: {hot.rps:,.0f} req/s (base {base.rps:,.0f}), "
          f"CPU {hot.cpu_us or 0:.1f} µs/req (base {base.cpu_us or 0:.1f}); x base "
          f"{hot.ratio or 0:.2f} by req/s, {hot.cpu_ratio or 0:.2f} by CPU "
          f"[{'MET ' if (hot.cpu_ratio or 0) >= 0.90 else 'MISS'}] (target >= 0.90; "
          f"cookie {hot.cookie_bytes} B, the base sent the same)")
    print(f"(R2) cache miss, every request another of {n:,} sessions in Redis: "
          f"{miss['rps']:,.0f} req/s (base {miss['base_rps']:,.0f}, x{miss['ratio']:.2f}), "
          f"p50 {miss['p50_ms']:.2f} ms, p99 {miss['p99_ms']:.2f} ms, CPU "
          f"{miss['cpu_us'] or 0:.1f} µs/req (base {miss['base_cpu_us'] or 0:.1f}), "
          f"{miss['errors']} errors")
    print(f"(R3) Redis memory: {per_session:,.0f} B per session (used_memory over {n:,}); "
          f"MEMORY USAGE of one key {one_key} B, its value {value_len} B")
    print(f"(R4) refresh storm: {storm['requests']} concurrent requests of one session over "
          f"{storm['processes']} processes: token-endpoint calls {storm['token_calls']} "
          f"[{'MET ' if storm['token_calls'] == 1 else 'MISS'}] (target exactly 1), "
          f"{storm['ok']}/{storm['requests']} served signed in, statuses {storm['statuses']}, "
          f"p50 {storm['p50_ms']:.0f} ms, p99 {storm['p99_ms']:.0f} ms")
    print(f"total time {time.monotonic() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

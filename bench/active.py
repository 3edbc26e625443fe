"""How the cost grows with the number of active sessions (issue 9).

    uv run python bench/active.py                              # 1k / 10k / 100k, all modes
    uv run python bench/active.py --sessions 1000,10000 --modes cookie --cache-size 0

For each mode and each N: a server of our middleware first pushes N distinct real sessions
through itself (prefill.py: Local Cognito claims, RS256-signed with its keys, sealed by our codec)
and writes their Cookie headers to a file; then wrk cycles through those N headers in order (a
working set of N sessions: every request a different session until the cycle comes round), next
to a no-auth server sent the very same headers (the base). Bursts of the two alternate over the
rounds; the ratios are medians of per-round ratios, with the servers' CPU time per request.

Modes: ``cookie`` (the whole session sealed in the cookie, the default), ``memory``
(``MemoryStore``: the cookie holds the sealed session id, the session lives in the process) and
``redis`` (``RedisStore`` on a throwaway loopback ``redis-server`` this script starts).
``--cache-size`` bounds both caches (``claims_cache_size``; 0 keeps the library's default).
Also printed: what the caches hold and their bytes per session (every object reachable from them,
shared ones counted once), and the server's RSS growth.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

import extras
import fixture
import httpx
import loadgen
import machine
import run as runner
import servers


def one(fx: fixture.Fixture, cfg_path: str, tmp: str, *, mode: str, n: int, cache_size: int,
        rounds: int, seconds: float, connections: int, redis_url: str = "") -> dict[str, object]:
    cookies = os.path.join(tmp, f"cookies-{mode}-{n}.txt")
    report_path = os.path.join(tmp, f"prefill-{mode}-{n}.json")
    env = {"BENCH_PREFILL_SESSIONS": str(n), "BENCH_PREFILL_REPORT": report_path,
           "BENCH_PREFILL_COOKIES": cookies}
    if cache_size:
        env["BENCH_CACHE_SIZE"] = str(cache_size)
    if mode == "memory":
        env["BENCH_STORE"] = "memory"
    elif mode == "redis":
        env["BENCH_STORE"] = redis_url
    started = {"hot": servers.start("hot", cfg_path, env=env)}
    scripts: dict[str, str] = {}
    try:
        servers.wait_ready(started["hot"], timeout_s=1800)
        started["baseline"] = servers.start("baseline", cfg_path)
        servers.wait_ready(started["baseline"])
        with open(cookies, encoding="latin-1") as f:
            first = f.readline().rstrip("\n")
        r = httpx.get(started["hot"].url + "/protected", headers={"Cookie": first}, timeout=10)
        if r.content != b"ok:1":
            raise RuntimeError(f"{mode}/{n}: a prefilled session is not signed in: {r.status_code}")
        for key in started:
            scripts[key] = loadgen.write_rotating_script("/protected", {"Accept": "text/html"},
                                                         cookies)
            loadgen.run(started[key].url, scripts[key], seconds=1, connections=connections)
        got: dict[str, list[tuple[loadgen.WrkResult, float | None]]] = {k: [] for k in started}
        for rnd in range(rounds):
            for key in (("hot", "baseline") if rnd % 2 else ("baseline", "hot")):
                got[key].append(runner._burst(started[key], scripts[key], seconds=seconds,
                                              connections=connections))
    finally:
        for srv in started.values():
            srv.stop()
        for path in scripts.values():
            os.unlink(path)
    with open(report_path, encoding="utf-8") as f:
        report: dict[str, object] = json.load(f)
    os.unlink(cookies)
    hot, base = got["hot"], got["baseline"]
    cpu_pairs = [(b[1], h[1]) for h, b in zip(hot, base, strict=True) if h[1] and b[1]]
    report.update(
        mode=mode, n=n, cache_size=cache_size or "default",
        hot_rps=statistics.median(h[0].rps for h in hot),
        base_rps=statistics.median(b[0].rps for b in base),
        ratio=statistics.median(h[0].rps / b[0].rps for h, b in zip(hot, base, strict=True)),
        hot_p99_ms=statistics.median(h[0].p99_us for h in hot) / 1000,
        hot_cpu_us=statistics.median(h for _, h in cpu_pairs) if cpu_pairs else None,
        base_cpu_us=statistics.median(b for b, _ in cpu_pairs) if cpu_pairs else None,
        cpu_ratio=statistics.median(b / h for b, h in cpu_pairs) if cpu_pairs else None,
    )
    return report


def start_redis(tmp: str) -> tuple[subprocess.Popen[bytes], int]:
    """A throwaway redis-server on a free loopback port (no persistence), on the load core."""
    port = servers.free_port()
    cmd = servers.pinned([shutil.which("redis-server") or "redis-server", "--port", str(port),
                          "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--dir", tmp], loadgen.LOAD_CORE)  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return proc, port
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


def line(r: dict[str, object]) -> str:
    entries = int(r["hot_entries"])  # type: ignore[call-overload]
    per = int(r["both_bytes"]) / entries if entries else 0.0  # type: ignore[call-overload]
    cpu = r["hot_cpu_us"]
    cpu_s = f"{cpu:7.1f}" if isinstance(cpu, float) else "      -"
    cpu_x = r["cpu_ratio"]
    cpu_xs = f"{cpu_x:5.2f}" if isinstance(cpu_x, float) else "    -"
    return (f"{r['mode']:<7} {r['n']:>8,} {r['cache_size']!s:>8} {r['hot_rps']:>9,.0f}"
            f" {r['base_rps']:>9,.0f} {r['ratio']:>5.2f} {cpu_s} {cpu_xs} {r['hot_p99_ms']:>7.2f}"
            f" {entries:>8,} {per:>8,.0f} {int(r['rss_delta']) / 2**20:>7.0f}")  # type: ignore[call-overload]


HEAD = (f"{'mode':<7} {'sessions':>8} {'caps':>8} {'req/s':>9} {'base':>9} {'x':>5} {'cpu µs':>7}"
        f" {'cpu x':>5} {'p99 ms':>7} {'cached':>8} {'B/sess':>8} {'RSS MiB':>7}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--sessions", default="1000,10000,100000", help="comma-separated Ns")
    ap.add_argument("--modes", default="cookie,memory,redis",
                    help="cookie, memory (MemoryStore) and/or redis (RedisStore)")
    ap.add_argument("--cache-size", type=int, default=0, help="both caches' bound (0: default)")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--seconds", type=int, default=2)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args(argv)
    loadgen.require_wrk()
    if not os.environ.get("BENCH_PINNED"):
        return runner.run_boosted(__file__)
    runner.pin_self()
    print("cognito-gate benchmark: active sessions (issue 9)")
    for text in machine.header_lines():
        print(text)
    print(f"load     {machine.loadavg()}")
    t0 = time.monotonic()
    rows = []
    with tempfile.TemporaryDirectory(prefix="cg-active-") as tmp, \
            extras.LocalCognitoServer() as lcs:
        fx, cfg_path = lcs.real_fixture_file(tmp)
        print(HEAD, flush=True)
        for mode in args.modes.split(","):
            redis = start_redis(tmp) if mode == "redis" else None
            try:
                for n in (int(x) for x in args.sessions.split(",")):
                    r = one(fx, cfg_path, tmp, mode=mode, n=n, cache_size=args.cache_size,
                            rounds=args.rounds, seconds=args.seconds,
                            connections=args.connections,
                            redis_url=f"redis://127.0.0.1:{redis[1]}/0" if redis else "")
                    rows.append(r)
                    print(line(r), flush=True)
            finally:
                if redis is not None:
                    redis[0].terminate()
                    redis[0].wait(timeout=10)
    print(f"load     {machine.loadavg()}")
    print("x = median over rounds of req/s / the base's (no auth, the same Cookie headers);\n"
          "cpu x = median of base CPU per request / ours; B/sess = bytes of both caches (shared\n"
          "objects once) / sessions cached; RSS = server RSS growth over the prefill")
    print(f"total time {time.monotonic() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

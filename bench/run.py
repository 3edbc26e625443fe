"""cognito-gate benchmark: what the auth layer costs per request (issue 5).

    uv run python bench/run.py            # full run, a few minutes
    uv run python bench/run.py --quick    # well under a minute

Serves one tiny endpoint with uvicorn (uvloop + httptools, one worker, access log off) on
127.0.0.1, pinned to core 0, and loads it with Debian's `wrk` pinned to core 1, under:

  (1) no auth middleware, the request carrying the same cookie bytes   (the baseline)
  (2) our middleware, a valid signed-in session, protected route        (the hot path)
  (2m) the hot path with metrics on: /metrics served and scraped (compared with (2))
  (2b) the same session on a public route (no-store added only if the app set no Cache-Control)
  (3) our middleware, an anonymous request to a public route
  (4) our middleware with its verified-claims cache switched off        (verify every request)
  (5) Starlette's SessionMiddleware holding the same three tokens       (Authlib-style)
  (1') no auth middleware, no cookie                                    (base of (3))
  (1s) no auth middleware, the cookie of (5)                            (base of (5))
  (7) a pure-ASGI middleware with a plain dict of claims keyed by the cookie (the issue's
      reference: no expiry, bound, protection or refresh); (6) pass-through, with --floor

Every row is compared like with like: with the no-auth case that sends the same bytes (its
base). Every server is up at once; each round runs one short burst of every case in a rotated
order, and a ratio is the median over many rounds of the per-round ratios, so slow drift of a
shared machine cancels. Beside req/s the table gives the server's CPU time per request (read
from /proc before and after each burst), which swings far less than req/s. Then: the refresh
storm, many sessions, and sign-in throughput (extras.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Any

import fixture
import httpx
import inproc
import loadgen
import machine
import servers


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    path: str
    cookie: str | None  # fixture key of the Cookie header value, or None
    expect: bytes  # response body the pre-flight check requires
    needs_library: bool
    base: str = "baseline"  # the no-auth case sending the same bytes: this row's ratio is to it


CASES: dict[str, Case] = {
    c.key: c
    for c in (
        Case(
            "baseline",
            "(1)  no auth, same cookie (baseline)",
            "/protected",
            "cookie_ours",
            b"ok:0",
            False,
        ),
        Case(
            "hot",
            "(2)  ours, signed-in session (hot path)",
            "/protected",
            "cookie_ours",
            b"ok:1",
            True,
        ),
        Case(
            "hotmet",
            "(2m) ours, hot path, metrics on (vs (2))",
            "/protected",
            "cookie_ours",
            b"ok:1",
            True,
            base="hot",
        ),
        Case(
            "hotpub",
            "(2b) ours, signed-in session, public route",
            "/public",
            "cookie_ours",
            b"ok:1",
            True,
        ),
        Case("anon", "(3)  ours, anonymous, public route", "/public", None, b"ok:0", True,
             base="bare"),
        Case(
            "nocache",
            "(4)  ours, claims cache off (verify every req)",
            "/protected",
            "cookie_ours",
            b"ok:1",
            True,
        ),
        Case(
            "session",
            "(5)  Starlette SessionMiddleware, same tokens",
            "/protected",
            "cookie_session",
            b"ok:1",
            False,
            base="basesess",
        ),
        Case("bare", "(1') no auth, no cookie", "/public", None, b"ok:0", False, base="bare"),
        Case(
            "basesess",
            "(1s) no auth, the cookie of (5)",
            "/protected",
            "cookie_session",
            b"ok:0",
            False,
            base="basesess",
        ),
        Case(
            "null",
            "(6)  pure-ASGI pass-through middleware",
            "/protected",
            "cookie_ours",
            b"ok:0",
            False,
        ),
        Case(
            "dict",
            "(7)  pure-ASGI + plain dict of claims by cookie",
            "/protected",
            "cookie_ours",
            b"ok:1",
            False,
        ),
    )
}


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run_boosted(script: str = __file__) -> int:
    """Re-run this script pinned to the load core, in its own session at the raised priority
    (as the servers and wrk are): Local Cognito and the clients of the extras run in it. Ctrl-C
    or SIGTERM here is passed on as SIGTERM, so the child stops its servers before it exits."""
    cmd = servers.pinned([sys.executable, os.path.abspath(script), *sys.argv[1:]],
                         loadgen.LOAD_CORE)  # fmt: skip
    child = subprocess.Popen(cmd, env=dict(os.environ, BENCH_PINNED="1"), start_new_session=True)

    def forward(signum: int, frame: object) -> None:
        child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    return child.wait()


def pin_self() -> None:
    """The orchestrator (idle during wrk runs) stays off the server's core."""
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {loadgen.LOAD_CORE})


def request_headers(case: Case, fx: fixture.Fixture) -> dict[str, str]:
    headers = {"Accept": "text/html"}
    if case.cookie is not None:
        headers["Cookie"] = fx[case.cookie]
    return headers


def preflight(server: servers.Server, case: Case, fx: fixture.Fixture) -> None:
    r = httpx.get(server.url + case.path, headers=request_headers(case, fx), timeout=10.0)
    problems = []
    if r.status_code != 200:
        problems.append(f"status {r.status_code}")
    if r.content != case.expect:
        problems.append(f"body {r.content[:60]!r}, expected {case.expect!r}")
    quiet = ("hot", "hotpub", "anon", "baseline", "bare")
    if case.key in quiet and r.headers.get_list("set-cookie"):
        problems.append("sets cookies on a request that should not need to")
    if case.key == "hotmet":  # metrics really on: served, and counting this server's hits
        scraped = httpx.get(server.url + "/metrics", timeout=10.0)
        if 'cognito_gate_cache_hits_total{cache="session"}' not in scraped.text:
            problems.append(f"/metrics answered {scraped.status_code} without the hit counter")
    if problems:
        raise RuntimeError(
            f"pre-flight of {case.label} failed: {', '.join(problems)}\n{server.log_tail()}"
        )


@dataclass
class Row:
    key: str
    label: str
    base: str
    cookie_bytes: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us: float | None  # server CPU time per request, median over rounds
    ratio: float | None  # median over rounds of req/s / req/s of its base in the same round
    cpu_ratio: float | None  # median over rounds of base CPU per request / this CPU per request
    best_ratio: float | None
    rounds_rps: list[float]
    errors: int


def _burst(server: servers.Server, script: str, *, seconds: float,
           connections: int) -> tuple[loadgen.WrkResult, float | None]:
    """One wrk run and the server's CPU time per request during it (µs), None if unreadable."""
    cpu0 = servers.cpu_seconds(server.proc.pid)
    res = loadgen.run(server.url, script, seconds=seconds, connections=connections)
    cpu1 = servers.cpu_seconds(server.proc.pid)
    if cpu0 is None or cpu1 is None or not res.requests:
        return res, None
    return res, (cpu1 - cpu0) / res.requests * 1e6


def with_bases(cases: list[Case]) -> list[Case]:
    """``cases`` and, first, every case one of them is compared with."""
    out: list[Case] = []
    for case in cases:
        for key in (case.base, case.key):
            if all(c.key != key for c in out):
                out.append(CASES[key])
    return out


def measure(
    cases: list[Case],
    fx: fixture.Fixture,
    cfg_path: str,
    *,
    rounds: int,
    seconds: float,
    warmup: float,
    connections: int,
    flavour: str,
    env_for: dict[str, dict[str, str]] | None = None,
    ready_timeout: float = 30.0,
    log: bool = True,
) -> dict[str, Row]:
    """Every server up at once; each round runs one short burst of every case in a rotated
    order, and a case's ratios are the medians over rounds of its ratios to its own base (the
    no-auth case that sends the same bytes) in the same round, so drift of the machine cancels.
    """
    cases = with_bases(cases)
    started: dict[str, servers.Server] = {}
    scripts: dict[str, str] = {}
    try:
        for case in cases:
            env = (env_for or {}).get(case.key)
            started[case.key] = servers.start(case.key, cfg_path, flavour=flavour, env=env)
        for case in cases:
            srv = started[case.key]
            servers.wait_ready(srv, timeout_s=ready_timeout)
            preflight(srv, case, fx)
            scripts[case.key] = loadgen.write_script(case.path, request_headers(case, fx))
        for case in cases:  # warm-up, not recorded
            loadgen.run(
                started[case.key].url, scripts[case.key], seconds=warmup, connections=connections
            )
        results: dict[str, list[loadgen.WrkResult]] = {c.key: [] for c in cases}
        cpus: dict[str, list[float | None]] = {c.key: [] for c in cases}
        for rnd in range(rounds):
            shift = rnd % len(cases)
            for case in cases[shift:] + cases[:shift]:
                res, cpu = _burst(started[case.key], scripts[case.key], seconds=seconds,
                                  connections=connections)  # fmt: skip
                results[case.key].append(res)
                cpus[case.key].append(cpu)
                if log:
                    us = f"{cpu:6.1f} µs/req" if cpu is not None else ""
                    print(
                        f"  round {rnd + 1}/{rounds}  {case.label:<48} {res.rps:>9,.0f} req/s"
                        f"  p99 {res.p99_us / 1000:.2f} ms  {us}",
                        flush=True,
                    )
        for case in cases:  # still serving correctly after the load?
            preflight(started[case.key], case, fx)
    finally:
        for srv in started.values():
            srv.stop()
        for path in scripts.values():
            os.unlink(path)

    rows: dict[str, Row] = {}
    for case in cases:
        rs, cs = results[case.key], cpus[case.key]
        base_rs, base_cs = results[case.base], cpus[case.base]
        ratios = [r.rps / b.rps for r, b in zip(rs, base_rs, strict=True) if b.rps]
        cpu_ratios = [b / c for c, b in zip(cs, base_cs, strict=True) if c and b]
        known = [c for c in cs if c is not None]
        cookie = fx[case.cookie] if case.cookie else ""
        rows[case.key] = Row(
            key=case.key,
            label=case.label,
            base=case.base,
            cookie_bytes=len(cookie.encode()),
            rps=statistics.median(r.rps for r in rs),
            p50_ms=statistics.median(r.p50_us for r in rs) / 1000,
            p99_ms=statistics.median(r.p99_us for r in rs) / 1000,
            cpu_us=statistics.median(known) if known else None,
            ratio=statistics.median(ratios) if ratios else None,
            cpu_ratio=statistics.median(cpu_ratios) if cpu_ratios else None,
            best_ratio=max(r.rps for r in rs) / max(b.rps for b in base_rs),
            rounds_rps=[round(r.rps) for r in rs],
            errors=sum(r.errors for r in rs),
        )
    return rows


def print_table(rows: dict[str, Row]) -> None:
    print(
        f"{'case':<48} {'base':>8} {'cookie B':>8} {'req/s':>9} {'p99 ms':>7} {'x base':>6}"
        f" {'cpu µs':>7} {'cpu x':>6} {'spread':>7}"
    )
    print("-" * 114)
    for row in rows.values():
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else "-"
        cpu = f"{row.cpu_us:.1f}" if row.cpu_us is not None else "-"
        cpu_ratio = f"{row.cpu_ratio:.2f}" if row.cpu_ratio is not None else "-"
        err = f"  ({row.errors} errors)" if row.errors else ""
        spread = (max(row.rounds_rps) - min(row.rounds_rps)) / row.rps * 100 if row.rps else 0
        base = rows[row.base].label.split()[0] if row.base in rows else row.base
        print(
            f"{row.label:<48} {base:>8} {row.cookie_bytes:>8,} {row.rps:>9,.0f}"
            f" {row.p99_ms:>7.2f} {ratio:>6} {cpu:>7} {cpu_ratio:>6} {spread:>6.0f}%{err}"
        )
    print(
        "base   = the no-auth case sending the same bytes, run in every round beside this one;\n"
        "x base = median over rounds of req/s / req/s of the base in the same round;\n"
        "cpu µs = the server's CPU time per request (/proc/PID/task/*/schedstat), median;\n"
        "cpu x  = median over rounds of the base's CPU per request / this row's (1.00 = free);\n"
        "spread = (max - min) / median of the per-round req/s (noise from other work)"
    )


def print_targets(rows: dict[str, Row]) -> list[str]:
    """Each target judged on the median CPU-per-request ratio (steadier than req/s on a shared
    machine), with the req/s ratio shown alongside."""
    lines: list[str] = []

    def check(name: str, num: str, den: str, target: float) -> None:
        a, b = rows.get(num), rows.get(den)
        if a is None or b is None or a.cpu_us is None or b.cpu_us is None:
            lines.append(f"  [n/a ]  {name}: not measured")
            return
        if a.base == den:  # against its own base: the per-round medians
            cpu, rps = a.cpu_ratio or 0.0, a.ratio or 0.0
        else:  # two middlewares: their medians
            cpu, rps = b.cpu_us / a.cpu_us, a.rps / b.rps
        mark = "MET " if cpu >= target else "MISS"
        lines.append(f"  [{mark}]  {name}: {cpu:.2f}x by CPU per request (target >= "
                     f"{target:.2f}x); {rps:.2f}x by req/s")

    check("hot path (2) / baseline (1)", "hot", "baseline", 0.90)
    check("anonymous (3) / no auth, no cookie (1')", "anon", "bare", 0.97)
    check("metrics on (2m) / hot path (2)", "hotmet", "hot", 0.98)
    check("hot path (2) / verify-every-request (4)", "hot", "nocache", 2.0)
    check("hot path (2) / SessionMiddleware (5)", "hot", "session", 1.0)
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument(
        "--quick", action="store_true", help="short run without (2b) and (7), about a minute"
    )
    ap.add_argument("--rounds", type=int, help="interleaved rounds (default 12, quick 4)")
    ap.add_argument("--seconds", type=int, help="seconds per wrk burst (default 1)")
    ap.add_argument("--warmup", type=int, help="seconds of warm-up per case (default 1)")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    ap.add_argument(
        "--app",
        choices=("starlette", "raw"),
        default="starlette",
        help="the app behind the middleware: a Starlette app (default) or a bare "
        "ASGI callable (the strictest baseline)",
    )
    ap.add_argument("--cases", help="comma-separated subset of: " + ",".join(CASES))
    ap.add_argument(
        "--stand-in",
        action="store_true",
        help="random stand-in tokens instead of a real Local Cognito sign-in",
    )
    ap.add_argument(
        "--no-extras",
        action="store_true",
        help="skip refresh storm, many sessions and sign-in throughput",
    )
    ap.add_argument(
        "--floor",
        action="store_true",
        help="also (6), a pass-through pure-ASGI middleware: with (7), a plain dict of claims "
        "keyed by the cookie, the floor any auth middleware stands on",
    )
    ap.add_argument("--json", metavar="PATH", help="also write all results as JSON")
    args = ap.parse_args(argv)

    loadgen.require_wrk()
    # Servers run in their own sessions: make SIGTERM unwind through the `finally` that stops them.
    signal.signal(signal.SIGTERM, _terminate)
    if shutil.which("taskset") is None:
        print("bench: taskset (util-linux) is missing; runs will not be pinned", file=sys.stderr)
    fixture.ensure_itsdangerous(__file__)
    if not os.environ.get("BENCH_PINNED"):
        return run_boosted()
    pin_self()

    rounds = args.rounds or (4 if args.quick else 12)
    seconds = args.seconds or 1
    warmup = args.warmup or 1
    have_lib = inproc.library_available() and not args.stand_in
    skip = {"null"} if not args.floor else set()
    if args.quick and not args.floor:
        skip |= {"hotpub", "dict"}
    default_cases = [k for k in CASES if k not in skip]
    wanted = args.cases.split(",") if args.cases else list(default_cases)
    unknown = [k for k in wanted if k not in CASES]
    if unknown:
        ap.error(f"unknown cases: {unknown}")
    cases = [CASES[k] for k in wanted if have_lib or not CASES[k].needs_library]

    t0 = time.monotonic()
    print("cognito-gate benchmark (issue 5)")
    for line in machine.header_lines():
        print(line)
    print(
        f"setup    server: uvicorn (uvloop, httptools, 1 worker, no access log) on core "
        f"{servers.SERVER_CORE}; wrk -t1 -c{args.connections} on core {loadgen.LOAD_CORE}; "
        f"127.0.0.1; {servers.priority_note()}; app={args.app}"
    )
    print(f"load     {machine.loadavg()} (other work on the machine makes runs noisy)")
    print(
        f"runs     {rounds} rounds x {seconds}s per case after {warmup}s warm-up, every server up"
        " at once, each round every case in a rotated order; ratios = medians of per-round ratios"
        " to the base of the same round"
    )

    report: dict[str, Any] = {"header": machine.header_lines(), "args": vars(args)}
    with tempfile.TemporaryDirectory(prefix="cg-bench-") as tmp:
        cfg_path = os.path.join(tmp, "fixture.json")

        def measure_with(fx: fixture.Fixture) -> dict[str, Row]:
            """Hand the servers the fixture (tokens, cookies) and measure every case."""
            with open(cfg_path, "w", encoding="utf-8") as f:
                json.dump(fx, f)
            print()
            return measure(
                cases,
                fx,
                cfg_path,
                rounds=rounds,
                seconds=seconds,
                warmup=warmup,
                connections=args.connections,
                flavour=args.app,
            )

        if have_lib:
            import extras

            with extras.LocalCognitoServer() as lcs:
                fx = lcs.real_fixture(tmp)
                print(
                    f"tokens   real, minted by Local Cognito through a hosted-UI sign-in "
                    f"(id {len(fx['tokens']['id_token'])} B, access "
                    f"{len(fx['tokens']['access_token'])} B, refresh "
                    f"{len(fx['tokens']['refresh_token'])} B)"
                )
                rows = measure_with(fx)
                if not args.no_extras:
                    report["extras"] = extras.run_all(
                        lcs,
                        fx,
                        cfg_path,
                        tmp,
                        quick=args.quick,
                        flavour=args.app,
                        connections=args.connections,
                        seconds=seconds,
                        rounds=rounds,
                        warmup=warmup,
                    )
        else:
            fx = fixture.standin_fixture()
            why = "--stand-in" if args.stand_in else "cognito_gate library not available yet"
            print(f"tokens   STAND-IN random tokens ({why}); cases (2)-(4) and extras skipped")
            rows = measure_with(fx)
    print()
    for line in machine.header_lines()[:2]:
        print(line)
    print(f"load     {machine.loadavg()}")
    print_table(rows)
    print()
    print("targets")
    target_lines = print_targets(rows)
    for line in target_lines:
        print(line)
    if "extras" in report:
        print()
        for line in report["extras"]["lines"]:
            print(line)
    print(f"\ntotal time {time.monotonic() - t0:.0f}s")
    report["rows"] = {k: asdict(v) for k, v in rows.items()}
    report["targets"] = target_lines
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

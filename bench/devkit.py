"""What the testing plugin and Local Cognito cost: a fresh pool, a sign-in in-process, a suite of
100 tests that each create a user and sign in, and Local Cognito's own sign-in throughput over
real HTTP — each measured side by side for the old set-up (new RSA keys per pool, scrypt N=2^14)
and the plugin's (keys generated once per process, scrypt at the plugin's TEST_COST).

    uv run python bench/devkit.py                       # 3-5 minutes
    uv run python bench/devkit.py --baseline REV        # REV's library beside this checkout
    uv run python bench/devkit.py --http-only           # Local Cognito over HTTP only
    uv run python bench/devkit.py --serve PORT COST     (internal: Local Cognito for the HTTP part)

Over HTTP the load is ``signin_load.py`` (hand-written HTTP/1.1, 8 keep-alive connections) on
core 1 and the server on core 0; the figures are the median of interleaved rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import signin_load

OLD_COST, NEW_COST = 14, 4  # NEW_COST: the plugin's TEST_COST (cognito_gate.local.passwords)
CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-client-secret-0123456789"
CALLBACK = "http://localhost:8000/callback/"
EMAIL, PASSWORD = "bench@example.com", "Bench-password-1"


def _median_ms(run: Callable[[], Any], times: int) -> float:
    spent = []
    for _ in range(times):
        t0 = time.perf_counter()
        run()
        spent.append(time.perf_counter() - t0)
    return statistics.median(spent) * 1000


# ------------------------------------------------------------------ fresh pool, in-process sign-in


def fresh_pool(times: int) -> tuple[float, float]:
    from cognito_gate.local import LocalCognito
    from cognito_gate.testing import LocalPool

    def old() -> None:
        LocalCognito(password_cost=OLD_COST).close()  # the demo pool: new keys, one user

    def new() -> None:
        pool = LocalPool()
        pool.user()
        pool.close()

    new()  # the process's keys, once
    return _median_ms(old, max(3, times // 4)), _median_ms(new, times)


def in_process_sign_in(times: int, cost: int) -> tuple[float, float]:
    """Median wall ms and mean CPU ms of one complete sign-in through ``LocalPool``."""
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from cognito_gate.testing import LocalPool

    async def home(_: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    inner = Starlette(routes=[Route("/", home)])

    async def measure() -> float:
        pool = LocalPool(password_cost=cost)
        app = pool.wrap(inner)
        await pool.signed_in(app, pool.user())  # warm: JWKS fetched, code paths imported
        spent = []
        users = [pool.user() for _ in range(times)]
        cpu0 = time.process_time()
        for user in users:
            t0 = time.perf_counter()
            await pool.signed_in(app, user)
            spent.append(time.perf_counter() - t0)
        cpu = (time.process_time() - cpu0) / times * 1000
        pool.close()
        return statistics.median(spent) * 1000, cpu

    return asyncio.run(measure())


# ------------------------------------------------------------------ 100 tests in a fresh pytest

SUITE = '''
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from cognito_gate import get_user


async def home(request):
    return PlainTextResponse(get_user(request).email)

INNER = Starlette(routes=[Route("/account", home)])


@pytest.mark.parametrize("n", range({tests}))
async def test_sign_in(n, local_cognito, cognito_user, cognito_client):
    app = local_cognito.wrap(INNER, protect=("/account",))
    user = cognito_user(groups=["readers"])
    client = await cognito_client(app, user)
    assert (await client.get("/account")).text == user.email
'''

OLD_CONFTEST = '''
import pytest
from cognito_gate.local.keys import generate_rsa
from cognito_gate.testing import LocalPool, pool as pool_module


class FreshKeys:  # the old cost: new RSA keys for every pool
    def factory(self):
        return generate_rsa


@pytest.fixture
def local_cognito(monkeypatch):
    monkeypatch.setattr(pool_module, "_SHARED_KEYS", FreshKeys())
    pool = LocalPool(password_cost={cost})
    yield pool
    pool.close()
'''


def hundred_tests(tests: int, old: bool) -> tuple[float, float, float, str]:
    """Wall time of a fresh ``pytest`` running the suite, the time pytest reports, and the CPU
    seconds it used (what the wall time comes to on an otherwise idle machine).

    Byte-code caches are on, as on a developer's machine, in a private folder filled by one
    warm-up run first: with ``PYTHONDONTWRITEBYTECODE`` set (as on the VM this was written on),
    every start compiles every module again, and pytest's assertion rewriting — which covers
    every module of a distribution that registers a ``pytest11`` plugin — does too."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_suite.py").write_text(SUITE.format(tests=tests))
        (folder / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n"
                                           "asyncio_default_fixture_loop_scope = function\n")
        if old:
            (folder / "conftest.py").write_text(OLD_CONFTEST.format(cost=OLD_COST))
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-W", "ignore::DeprecationWarning", str(folder)]
        subprocess.run([*cmd, "-k", "test_sign_in[0]"], cwd=folder, env=env,
                       capture_output=True, check=False)  # warm-up: the byte-code caches
        t0 = time.perf_counter()
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        run = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True,
                             check=False)
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-500:]
    if run.returncode != 0:
        raise RuntimeError(f"the suite failed:\n{run.stdout[-3000:]}\n{run.stderr[-2000:]}")
    found = re.search(r"in ([0-9.]+)s", last)
    return wall, float(found.group(1)) if found else float("nan"), cpu, last


# ------------------------------------------------------------------ Local Cognito over real HTTP


def serve(port: int, cost: int) -> None:
    """Local Cognito with the benchmark's client and user on 127.0.0.1:port (uvicorn)."""
    import uvicorn

    from cognito_gate.local import ClientConfig, LocalCognito

    lc = LocalCognito(base_url=f"http://127.0.0.1:{port}", password_cost=cost)
    lc.add_client(ClientConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                               callback_urls=(CALLBACK,)))
    lc.add_user(EMAIL, PASSWORD)
    uvicorn.run(lc.app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                loop="uvloop", http="httptools")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _load(base: str, count: int, concurrency: int) -> tuple[float, list[float]]:
    """``count`` sign-ins, ``concurrency`` at a time, each on its own keep-alive connection."""
    address = urlsplit(base)
    assert address.hostname
    assert address.port
    return await signin_load.run_load(address.hostname, address.port, count, concurrency,
                                      (CLIENT_ID, CLIENT_SECRET), CALLBACK, (EMAIL, PASSWORD))


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _start_server(
    cost: int, src: str | None, script: str = __file__
) -> tuple[subprocess.Popen[bytes], str]:
    """Local Cognito (``script --serve PORT COST``) in its own process on core 0, importing the
    library from ``src`` (a baseline's tree) or this checkout; warmed up. The caller runs on
    core 1."""
    port = _free_port()
    cmd = [sys.executable, script, "--serve", str(port), str(cost)]
    if (os.cpu_count() or 1) > 1:
        cmd = ["taskset", "-c", "0", *cmd]
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    server = subprocess.Popen(cmd, env=env)
    base = wait_until_up(port)
    asyncio.run(_load(base, 20, 2))  # warm-up
    return server, base


def wait_until_up(port: int) -> str:
    """The base URL of the Local Cognito starting on ``port``, once it answers (up to ~20 s)."""
    base = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            httpx.get(f"{base}/us-east-1_LocalDemo/.well-known/jwks.json", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.05)
    return base


def http_throughput(
    cost: int, count: int, concurrency: int, srcs: list[str | None], rounds: int = 1,
    scripts: list[str] | None = None,
) -> list[dict[str, float]]:
    """Sign-ins per second (wall), p50 ms and the server's CPU ms per sign-in for each library
    tree in ``srcs`` (None: this checkout), every server up at once and ``rounds`` rounds of
    ``count`` sign-ins each, the order rotated per round (the repo's interleaved method: slow
    drift of a shared machine hits every column alike). Per column: the medians, and ``ratio``
    = the median over rounds of the first column's CPU per sign-in / this one's in the same
    round. 1000 / CPU ms is the rate one idle core would serve. ``scripts``: each column's
    server script (default this one's ``--serve``)."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # the load generator off the servers' core
    servers = [_start_server(cost, src, script)
               for src, script in zip(srcs, scripts or [__file__] * len(srcs), strict=True)]
    got: list[list[tuple[float, float, float]]] = [[] for _ in srcs]
    try:
        for rnd in range(rounds):
            order = list(range(len(srcs)))
            order = order[rnd % len(order):] + order[:rnd % len(order)]
            for i in order:
                server, base = servers[i]
                cpu0 = _cpu_seconds(server.pid)
                seconds, latencies = asyncio.run(_load(base, count, concurrency))
                cpu_ms = (_cpu_seconds(server.pid) - cpu0) / count * 1000
                got[i].append((count / seconds, statistics.median(latencies) * 1000, cpu_ms))
    finally:
        for server, _ in servers:
            server.terminate()
            server.wait()
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    return [{"rate": statistics.median(r for r, _, _ in rows),
             "p50": statistics.median(p for _, p, _ in rows),
             "cpu": statistics.median(c for _, _, c in rows),
             "ratio": statistics.median(f[2] / r[2] for f, r in zip(got[0], rows, strict=True))}
            for rows in got]


def measure(args: argparse.Namespace) -> dict[str, float]:
    """The in-process figures for the library this process imports, at the plugin's settings
    (reused keys, the test cost); the HTTP ones are measured by ``main``, interleaved."""

    def step(name: str) -> None:
        print(f"  {time.strftime('%H:%M:%S')} {name}", file=sys.stderr, flush=True)

    step("fresh pools")
    _, pool_ms = fresh_pool(20)
    step("in-process sign-ins")
    sign_ms, sign_cpu = in_process_sign_in(args.signins, NEW_COST)
    step(f"{args.tests} tests in a fresh pytest")
    tests_wall, tests_py, tests_cpu, _ = hundred_tests(args.tests, old=False)
    return {"pool_ms": pool_ms, "sign_ms": sign_ms, "sign_cpu": sign_cpu,
            "tests_wall": tests_wall, "tests_py": tests_py, "tests_cpu": tests_cpu}


def _in_child(args: argparse.Namespace, src: str | None) -> dict[str, float]:
    """``measure`` in a child process importing the library from ``src`` (a baseline's
    exported tree) or, with None, from this checkout."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, __file__, "--measure", "--tests", str(args.tests),
           "--signins", str(args.signins)]
    print(f"measuring {src or 'this checkout'}", file=sys.stderr, flush=True)
    run = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"measuring failed:\n{run.stdout[-3000:]}")
    result: dict[str, float] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def _export(revision: str, into: str) -> str:
    """The ``src`` tree of ``revision``, written under ``into``; its path."""
    root = Path(__file__).resolve().parent.parent
    archive = subprocess.run(["git", "-C", str(root), "archive", revision, "src"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
    return str(Path(into) / "src")


ROWS = (  # label, key, unit, format; wall figures first, then what the CPU did
    ("fresh pool, one user (median wall)", "pool_ms", "ms", "{:8.1f}"),
    ("in-process sign-in (median wall)", "sign_ms", "ms", "{:8.1f}"),
    ("in-process sign-in (mean CPU)", "sign_cpu", "ms", "{:8.1f}"),
    ("100 tests: pytest wall", "tests_wall", "s", "{:8.2f}"),
    ("100 tests: pytest's own figure", "tests_py", "s", "{:8.2f}"),
    ("100 tests: pytest process CPU", "tests_cpu", "s", "{:8.2f}"),
    ("HTTP, test cost: sign-ins/s (wall)", "http_rate", "/s", "{:8.1f}"),
    ("HTTP, test cost: p50 sign-in", "http_p50", "ms", "{:8.1f}"),
    ("HTTP, test cost: server CPU/sign-in", "http_cpu", "ms", "{:8.2f}"),
    ("HTTP, default cost: sign-ins/s", "http_default_rate", "/s", "{:8.1f}"),
    ("HTTP, default cost: server CPU/sign-in", "http_default_cpu", "ms", "{:8.2f}"),
)


def main() -> None:
    from cognito_gate.local.passwords import DEFAULT_COST

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=100)
    parser.add_argument("--signins", type=int, default=50, help="in-process sign-ins timed")
    parser.add_argument("--http-signins", type=int, default=400,
                        help="sign-ins per round over HTTP (a column's figure: the median round)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved HTTP rounds")
    parser.add_argument("--http-only", action="store_true",
                        help="only Local Cognito over HTTP (no in-process or pytest figures)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--baseline", metavar="REV",
                        help="also measure the library at git revision REV, side by side")
    parser.add_argument("--old-setup", action="store_true",
                        help="the earlier comparison: new RSA keys per pool and scrypt N=2^14 "
                             "against the plugin's settings, in this process")
    parser.add_argument("--serve", nargs=2, type=int, metavar=("PORT", "COST"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(*args.serve)
        return
    if args.measure:
        print(json.dumps(measure(args)))
        return
    if args.old_setup:
        old_setup(args)
        return
    print(f"cognito-gate devkit benchmark — {os.cpu_count()} CPUs, Python "
          f"{sys.version.split()[0]}, load average {_loadavg()} at the start")
    print(f"settings: keys reused per process, scrypt N=2^{NEW_COST} (the plugin's); in-process "
          f"columns each in its own child process; over HTTP every column's server up at once "
          f"(core 0, load on core 1), {args.rounds} interleaved rounds of {args.http_signins} "
          f"sign-ins over {args.concurrency} keep-alive connections (the default cost: rounds "
          f"of {max(args.http_signins // 8, 10)})\n")
    columns: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        srcs: list[str | None] = [None]
        if args.baseline:
            srcs = [_export(args.baseline, tmp), None]
            columns.append((args.baseline[:12], {} if args.http_only else _in_child(args, srcs[0])))
        columns.append(("this checkout", {} if args.http_only else _in_child(args, None)))
        print(f"  {time.strftime('%H:%M:%S')} HTTP, test cost", file=sys.stderr, flush=True)
        test_cost = http_throughput(NEW_COST, args.http_signins, args.concurrency, srcs,
                                    args.rounds)
        print(f"  {time.strftime('%H:%M:%S')} HTTP, default cost", file=sys.stderr, flush=True)
        default_cost = http_throughput(DEFAULT_COST, max(args.http_signins // 8, 10),
                                       args.concurrency, srcs, args.rounds)
    for (_, column), test, default in zip(columns, test_cost, default_cost, strict=True):
        column.update({"http_rate": test["rate"], "http_p50": test["p50"],
                       "http_cpu": test["cpu"], "http_cpu_ratio": test["ratio"],
                       "http_default_rate": default["rate"], "http_default_cpu": default["cpu"],
                       "http_default_cpu_ratio": default["ratio"]})
    print(f"{'':40}" + "".join(f"{label:>16}" for label, _ in columns)
          + ("        ratio" if len(columns) == 2 else ""))
    for label, key, unit, fmt in ROWS:
        if key not in columns[-1][1]:
            continue
        cells = "".join(f"{fmt.format(c[key]):>13} {unit:<2}" for _, c in columns)
        ratio = ""
        if len(columns) == 2 and columns[1][1][key]:
            ratio = f"   x{columns[0][1][key] / columns[1][1][key]:.2f}"
            if key.endswith("rate"):
                ratio = f"   x{columns[1][1][key] / columns[0][1][key]:.2f}"
            if key + "_ratio" in columns[1][1]:
                ratio = f"   x{columns[1][1][key + '_ratio']:.2f} (median of rounds)"
        print(f"{label:40}{cells}{ratio}")
    last = columns[-1][1]
    print(f"\n= per idle core, test cost: {1000 / last['http_cpu']:.0f} sign-ins/s (target >= "
          f"200); default cost: {1000 / last['http_default_cpu']:.0f}/s. load average {_loadavg()} "
          f"at the end")


def _loadavg() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def old_setup(args: argparse.Namespace) -> None:
    print(textwrap.dedent(f"""\
        cognito-gate devkit benchmark — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}
        old: new RSA keys per pool, scrypt N=2^{OLD_COST};  new: keys once per process, \
scrypt N=2^{NEW_COST}
        """))
    old_pool, new_pool = fresh_pool(20)
    print(f"fresh pool (median)                 old {old_pool:8.1f} ms   new {new_pool:8.1f} ms"
          f"   x{old_pool / new_pool:.0f}")
    (old_sign, old_cpu), (new_sign, new_cpu) = (
        in_process_sign_in(args.signins, c) for c in (OLD_COST, NEW_COST))
    print(f"in-process sign-in (median)         old {old_sign:8.1f} ms   new {new_sign:8.1f} ms"
          f"   (CPU {old_cpu:.1f} / {new_cpu:.1f} ms; target <= 30 ms)")
    old_wall, old_py, old_cpu, _ = hundred_tests(args.tests, old=True)
    new_wall, new_py, new_cpu, line = hundred_tests(args.tests, old=False)
    print(f"{args.tests} tests, user + sign-in each   old {old_wall:8.1f} s    "
          f"new {new_wall:8.1f} s"
          f"   (CPU {old_cpu:.1f} s / {new_cpu:.1f} s; pytest's own: {old_py:.1f} s / "
          f"{new_py:.1f} s; target < 5 s)  [{line}]")
    for label, cost in (("old", OLD_COST), ("new", NEW_COST)):
        (http,) = http_throughput(cost, args.http_signins, args.concurrency, [None])
        rate, p50, cpu = http["rate"], http["p50"], http["cpu"]
        print(f"Local Cognito over HTTP, {label} cost  {rate:8.1f} sign-ins/s  p50 {p50:6.1f} ms, "
              f"server CPU {cpu:5.2f} ms/sign-in = {1000 / cpu:6.0f}/s per idle core "
              f"({args.http_signins} sign-ins, {args.concurrency} at a time; target >= 200/s)")


if __name__ == "__main__":
    main()

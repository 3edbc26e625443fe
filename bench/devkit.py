"""What the testing plugin and Local Cognito cost: a fresh pool, a sign-in in-process, a suite of
100 tests that each create a user and sign in, and Local Cognito's own sign-in throughput over
real HTTP — each measured side by side for the old set-up (new RSA keys per pool, scrypt N=2^14)
and the plugin's (keys generated once per process, scrypt N=2^8).

    uv run python bench/devkit.py                 # about a minute
    uv run python bench/devkit.py --serve PORT COST   (internal: Local Cognito for the HTTP part)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import os
import re
import resource
import secrets
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
from urllib.parse import parse_qs, urlsplit

import httpx

OLD_COST, NEW_COST = 14, 8
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
    seconds it used (what the wall time comes to on an otherwise idle machine)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_suite.py").write_text(SUITE.format(tests=tests))
        (folder / "pytest.ini").write_text("[pytest]\nasyncio_mode = auto\n"
                                           "asyncio_default_fixture_loop_scope = function\n")
        if old:
            (folder / "conftest.py").write_text(OLD_CONFTEST.format(cost=OLD_COST))
        t0 = time.perf_counter()
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              "-W", "ignore::DeprecationWarning", str(folder)],
                             cwd=folder, capture_output=True, text=True, check=False)
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


async def _one_sign_in(http: httpx.AsyncClient, base: str) -> None:
    """authorize → sign-in page → form POST → code → token exchange (PKCE, Basic auth)."""
    http.cookies.clear()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = {"response_type": "code", "client_id": CLIENT_ID, "redirect_uri": CALLBACK,
             "scope": "openid email", "state": secrets.token_urlsafe(16),
             "nonce": secrets.token_urlsafe(16), "code_challenge_method": "S256",
             "code_challenge": challenge.rstrip(b"=").decode()}
    hop = await http.get(f"{base}/oauth2/authorize", params=query)
    page = await http.get(hop.url.join(hop.headers["location"]))
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page.text)
    assert csrf, page.text
    posted = await http.post(page.url, data={"username": EMAIL, "password": PASSWORD,
                                             "_csrf": csrf.group(1)})
    code = parse_qs(urlsplit(posted.headers["location"]).query)["code"][0]
    tokens = await http.post(f"{base}/oauth2/token", auth=(CLIENT_ID, CLIENT_SECRET), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
        "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text


async def _load(base: str, count: int, concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    left = count

    async def worker() -> None:
        nonlocal left
        async with httpx.AsyncClient(timeout=30) as http:
            while left > 0:
                left -= 1
                t0 = time.perf_counter()
                await _one_sign_in(http, base)
                latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - t0, latencies


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def http_throughput(cost: int, count: int, concurrency: int) -> tuple[float, float, float]:
    """Sign-ins per second, p50 ms, and the server's CPU ms per sign-in, against Local Cognito
    in its own process. The CPU figure is what the rate would be on an idle core: 1000 / it."""
    port = _free_port()
    cmd = [sys.executable, __file__, "--serve", str(port), str(cost)]
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:
        cmd = ["taskset", "-c", "0", *cmd]  # the server on core 0, this load generator on 1
        os.sched_setaffinity(0, {1})
    server = subprocess.Popen(cmd)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(f"{base}/us-east-1_LocalDemo/.well-known/jwks.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        asyncio.run(_load(base, 10, 2))  # warm-up
        cpu0 = _cpu_seconds(server.pid)
        seconds, latencies = asyncio.run(_load(base, count, concurrency))
        cpu_ms = (_cpu_seconds(server.pid) - cpu0) / count * 1000
    finally:
        server.terminate()
        server.wait()
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    return count / seconds, statistics.median(latencies) * 1000, cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=100)
    parser.add_argument("--signins", type=int, default=50, help="in-process sign-ins timed")
    parser.add_argument("--http-signins", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--serve", nargs=2, type=int, metavar=("PORT", "COST"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(*args.serve)
        return
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
        rate, p50, cpu = http_throughput(cost, args.http_signins, args.concurrency)
        print(f"Local Cognito over HTTP, {label} cost  {rate:8.1f} sign-ins/s  p50 {p50:6.1f} ms, "
              f"server CPU {cpu:5.2f} ms/sign-in = {1000 / cpu:6.0f}/s per idle core "
              f"({args.http_signins} sign-ins, {args.concurrency} at a time; target >= 200/s)")


if __name__ == "__main__":
    main()

"""Flask and Django under gunicorn (issue 12): the signed-in hot path against the same app with
no auth, side by side in one run, and flask-cognito-lib's per-request verification.

    uv run python bench/frameworks.py            # about 3 minutes
    uv run python bench/frameworks.py --quick    # under a minute

Local Cognito is served from this process on loopback; each app runs in gunicorn (one worker,
gthread with 4 threads, so connections are kept alive; access log off) pinned to core 0, wrk
-t1 -c8 on core 1. Every app is up at once; each round runs one burst of every app in a rotated
order, and a ratio is the median over rounds of the per-round ratios to the same framework's
no-auth app, so drift of a shared machine cancels (bench/run.py's method). Beside req/s: the
worker's CPU time per request, which swings far less. Every app is sent the same Cookie header —
our session's cookies and flask-cognito-lib's access-token cookie — so each reads what it needs
from the same bytes. A response other than 200 fails the run (wrk counts them as errors).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import loadgen  # noqa: E402
import machine  # noqa: E402
import servers  # noqa: E402

from cognito_gate.local import LocalCognito  # noqa: E402
from frameworks.servers import settings_env, sign_in  # noqa: E402

APPS = {  # variant -> (label, its framework's no-auth variant)
    "flask-plain": ("Flask, no auth", "flask-plain"),
    "flask-ours": ("Flask, cognito-gate signed in", "flask-plain"),
    "flask-fcl": ("Flask, flask-cognito-lib", "flask-plain"),
    "django-plain": ("Django, no auth", "django-plain"),
    "django-ours": ("Django, cognito-gate signed in", "django-plain"),
}
EMAIL, PASSWORD = "bench@example.com", "Bench-password-1"
PAGE = "/page"


@dataclass
class App:
    variant: str
    port: int
    proc: subprocess.Popen[bytes]
    rps: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _gunicorn(variant: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    cmd = servers.pinned([sys.executable, "-m", "gunicorn", "--chdir", str(HERE), "-w", "1",
                          "-k", "gthread", "--threads", "4", "-b", f"127.0.0.1:{port}",
                          "--log-level", "warning", "wsgi_apps:app"], servers.SERVER_CORE)
    return subprocess.Popen(cmd, env={**os.environ, **env, "BENCH_APP": variant},
                            start_new_session=True)


def _ready(app: App) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.proc.poll() is not None:
            raise RuntimeError(f"{app.variant}: gunicorn exited ({app.proc.returncode})")
        try:
            httpx.get(app.url + "/", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{app.variant}: gunicorn did not start")


def _cpu(pid: int) -> float | None:
    """CPU seconds of the gunicorn master ``pid`` and its worker (its children)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            pids = [pid, *(int(c) for c in f.read().split())]
    except OSError:
        return None
    times = [servers.cpu_seconds(p) for p in pids]
    return None if None in times else sum(t for t in times if t is not None)


def _fcl_cookie(lc: LocalCognito, client_id: str) -> str:
    """flask-cognito-lib's cookie: the access token of a sign-in through its own client."""
    client, user = lc.clients[client_id], lc.store.user(email=EMAIL)
    lineage = lc.tokens.start_lineage(client, user.sub, ("openid", "email", "phone"),
                                      int(time.time()))
    return "cognito_access_token=" + lc.tokens.for_user(lineage, user, client).access_token


def _check(app: App, cookie: str) -> None:
    """The page answers 200 to the bench's request (wrk would count anything else as an error
    and the figures would measure the wrong page)."""
    got = httpx.get(app.url + PAGE, headers={"cookie": cookie}, timeout=10)
    if got.status_code != 200 or "Hello" not in got.text or got.headers.get_list("set-cookie"):
        raise RuntimeError(f"{app.variant}: {got.status_code} {got.text[:200]!r}")


def _burst(app: App, script: str, seconds: float, connections: int) -> loadgen.WrkResult:
    before = _cpu(app.proc.pid)
    result = loadgen.run(app.url + PAGE, script, seconds=seconds, connections=connections)
    after = _cpu(app.proc.pid)
    if result.errors:
        raise RuntimeError(f"{app.variant}: {result.errors} wrk errors\n{result.text}")
    app.rps.append(result.rps)
    app.p99_ms.append(result.p99_us / 1000)
    if before is not None and after is not None and result.requests:
        app.cpu_us.append((after - before) / result.requests * 1e6)
    return result


def _table(apps: dict[str, App], rounds: int, seconds: float, connections: int,
           cookie_bytes: int) -> None:
    print(f"\nGET {PAGE} under gunicorn (1 worker, gthread x4), {rounds} rounds x {seconds:g} s, "
          f"wrk -t1 -c{connections}; every app sent the same {cookie_bytes:,}-byte Cookie header")
    print(f"{'app':<34}{'req/s':>8}{'p99 ms':>8}{'cpu µs':>8}{'x no auth':>10}{'cpu x':>7}"
          f"{'spread':>8}")
    for variant, app in apps.items():
        base = apps[APPS[variant][1]]
        ratios = [r / b for r, b in zip(app.rps, base.rps, strict=True)]
        cpu_ratios = [b / c for c, b in zip(app.cpu_us, base.cpu_us, strict=True)]
        rps = statistics.median(app.rps)
        cpu = f"{statistics.median(app.cpu_us):8.0f}" if app.cpu_us else f"{'-':>8}"
        cpu_x = f"{statistics.median(cpu_ratios):7.2f}" if cpu_ratios else f"{'-':>7}"
        spread = (max(app.rps) - min(app.rps)) / rps * 100
        print(f"{APPS[variant][0]:<34}{rps:>8.0f}{statistics.median(app.p99_ms):>8.2f}{cpu}"
              f"{statistics.median(ratios):>9.2f}x{cpu_x}{spread:>7.0f}%")
    print("x no auth = median over rounds of req/s / the same framework's no-auth app's in that\n"
          "round; cpu µs = the worker's CPU time per request (schedstat), median; cpu x = median\n"
          "of the no-auth app's CPU per request / this app's; spread = (max - min) / median req/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    rounds, seconds = (3, 2.0) if args.quick else (args.rounds, args.seconds)
    loadgen.require_wrk()
    lc = LocalCognito(password_cost=8)
    lc.add_user(EMAIL, PASSWORD)
    print(servers.priority_note(), "|", machine.loadavg())
    apps: dict[str, App] = {}
    script = ""
    try:
        with lc.serve():
            envs = {}
            for variant in APPS:
                port = servers.free_port()
                envs[variant] = settings_env(lc, f"http://localhost:{port}")
                apps[variant] = App(variant, port, _gunicorn(variant, envs[variant], port))
            for app in apps.values():
                _ready(app)
            with httpx.Client(base_url=f"http://localhost:{apps['flask-ours'].port}",
                              timeout=30) as browser:
                sign_in(browser, EMAIL, PASSWORD)
                ours = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
            # One header for every app: flask-ours and django-ours share their settings' secret
            # and issuer, so our session is valid at both; fcl reads its own cookie from it.
            cookie = f"{ours}; {_fcl_cookie(lc, envs['flask-fcl']['COGNITO_CLIENT_ID'])}"
            script = loadgen.write_script(PAGE, {"cookie": cookie})
            for app in apps.values():
                _check(app, cookie)
                loadgen.run(app.url + PAGE, script, seconds=1, connections=args.connections)
            order = list(apps.values())
            for rnd in range(rounds):
                shift = rnd % len(order)
                for app in order[shift:] + order[:shift]:
                    res = _burst(app, script, seconds, args.connections)
                    print(f"  round {rnd + 1}/{rounds}  {app.variant:<13}{res.rps:>7.0f} req/s",
                          flush=True)
            for app in apps.values():
                _check(app, cookie)  # still right after the load
    finally:
        for app in apps.values():
            app.proc.terminate()
            app.proc.wait(timeout=20)
        if script:
            os.unlink(script)
        lc.close()
    _table(apps, rounds, seconds, args.connections, len(cookie.encode()))
    print("after:", machine.loadavg())
    return 0


if __name__ == "__main__":
    sys.exit(main())

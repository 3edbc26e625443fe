"""Flask and Django under gunicorn (issue 12): the signed-in hot path against the same app with
no auth, side by side in one run, and flask-cognito-lib's per-request verification pattern (a
stand-in, see wsgi_apps.py).

    uv run python bench/frameworks.py            # about 2 minutes
    uv run python bench/frameworks.py --quick    # under a minute

Local Cognito is served from this process on loopback; each app runs in gunicorn (one worker,
gthread with 4 threads, so connections are kept alive; access log off) pinned to core 0, wrk
-t1 -c8 on core 1. Rounds alternate the variants so drift hits them alike; the table shows the
median round. The ratio is requests/s against the same framework's plain app: the signed-in hot
path's target is >= 0.85x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import loadgen  # noqa: E402
import servers  # noqa: E402

from cognito_gate.local import LocalCognito  # noqa: E402
from frameworks.servers import settings_env, sign_in  # noqa: E402

VARIANTS = {
    "flask": ["flask-plain", "flask-ours", "flask-fcl"],
    "django": ["django-plain", "django-ours"],
}
EMAIL, PASSWORD = "bench@example.com", "Bench-password-1"


def _gunicorn(variant: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    cmd = servers.pinned([sys.executable, "-m", "gunicorn", "--chdir", str(HERE), "-w", "1",
                          "-k", "gthread", "--threads", "4", "-b", f"127.0.0.1:{port}",
                          "--log-level", "warning", "wsgi_apps:app"], servers.SERVER_CORE)
    return subprocess.Popen(cmd, env={**os.environ, **env, "BENCH_APP": variant},
                            start_new_session=True)


def _ready(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def _cookie(lc: LocalCognito, variant: str, app_url: str, client_id: str) -> str:
    """What a signed-in browser sends to this variant (the no-auth one: set by the caller)."""
    if variant.endswith("-plain"):
        return ""
    if variant.endswith("-fcl"):
        client = lc.clients[client_id]
        user = lc.store.user(email=EMAIL)
        lineage = lc.tokens.start_lineage(client, user.sub, ("openid", "email", "phone"),
                                          int(time.time()))
        return "cognito_access_token=" + lc.tokens.for_user(lineage, user, client).access_token
    with httpx.Client(base_url=app_url, timeout=30) as browser:
        sign_in(browser, EMAIL, PASSWORD)
        return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    rounds, seconds = (1, 3.0) if args.quick else (args.rounds, args.seconds)
    loadgen.require_wrk()
    lc = LocalCognito(password_cost=8)
    lc.add_user(EMAIL, PASSWORD)
    print(servers.priority_note())
    with lc.serve(), tempfile.TemporaryDirectory() as tmp:
        for framework, variants in VARIANTS.items():
            results: dict[str, list[loadgen.WrkResult]] = {v: [] for v in variants}
            running = {}
            try:
                cookies = {}
                for variant in variants:
                    port = servers.free_port()
                    env = settings_env(lc, f"http://localhost:{port}")
                    proc = _gunicorn(variant, env, port)
                    running[variant] = (proc, port, "")
                    _ready(port)
                    cookies[variant] = _cookie(lc, variant, f"http://localhost:{port}",
                                               env["COGNITO_CLIENT_ID"])
                # The no-auth app is sent our session's cookie bytes: like with like.
                cookies[variants[0]] = cookies[variants[1]]
                for variant in variants:
                    proc, port, _ = running[variant]
                    cookie = cookies[variant]
                    script = loadgen.write_script(os.path.join(tmp, f"{variant}.lua"),
                                                  {"cookie": cookie} if cookie else {})
                    check = httpx.get(f"http://127.0.0.1:{port}/page",
                                      headers={"cookie": cookie})
                    assert check.status_code == 200, (variant, check.status_code)
                    assert "Hello" in check.text, (variant, check.text)
                    running[variant] = (proc, port, script)
                for _ in range(rounds):
                    for variant, (_, port, script) in running.items():
                        results[variant].append(loadgen.run(
                            f"http://127.0.0.1:{port}/page", script, seconds=seconds,
                            connections=args.connections))
            finally:
                for proc, _, _ in running.values():
                    proc.terminate()
                    proc.wait(timeout=20)
            base = statistics.median(r.rps for r in results[variants[0]])
            print(f"\n{framework} under gunicorn (1 worker, gthread x4), GET /page, "
                  f"{rounds} round(s) x {seconds:g} s, wrk -c{args.connections}")
            print(f"{'variant':<14}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
                  f"{'vs plain':>10}")
            for variant in variants:
                rps = statistics.median(r.rps for r in results[variant])
                mid = sorted(results[variant], key=lambda r: r.rps)[len(results[variant]) // 2]
                print(f"{variant:<14}{rps:>10.0f}{mid.p50_us / 1000:>9.2f}"
                      f"{mid.p99_us / 1000:>9.2f}{sum(r.errors for r in results[variant]):>8}"
                      f"{rps / base:>9.2f}x")
    lc.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

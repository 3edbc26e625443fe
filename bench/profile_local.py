"""Profile Local Cognito's own sign-in over real HTTP: a uvicorn server (as ``devkit.py`` serves
it) on core 0 under cProfile, driven from core 1 by ``devkit.py``'s sign-in load; prints where
the server's time goes, per sign-in.

    uv run python bench/profile_local.py                  # 400 sign-ins, top 35 by own time
    uv run python bench/profile_local.py -n 1000 --top 60 --sort cumulative
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import devkit
import httpx


def serve_profiled(port: int, cost: int, out: str) -> None:
    """``devkit.serve`` under cProfile until SIGINT (uvicorn then returns and the stats are
    written)."""
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        devkit.serve(port, cost)
    finally:
        profiler.disable()
        profiler.dump_stats(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=400, help="sign-ins profiled")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--cost", type=int, default=devkit.NEW_COST, help="scrypt log2(N)")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_profiled(int(args.serve[0]), int(args.serve[1]), args.serve[2])
        return
    port = devkit._free_port()
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "server.prof")
        cmd = [sys.executable, __file__, "--serve", str(port), str(args.cost), out]
        if (os.cpu_count() or 1) > 1:
            cmd = ["taskset", "-c", "0", *cmd]
            os.sched_setaffinity(0, {1})
        server = subprocess.Popen(cmd)
        base = f"http://127.0.0.1:{port}"
        for _ in range(400):
            try:
                httpx.get(f"{base}/us-east-1_LocalDemo/.well-known/jwks.json", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        asyncio.run(devkit._load(base, 20, 2))  # warm-up (counted in the profile, little)
        asyncio.run(devkit._load(base, args.n, args.concurrency))
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        stats = pstats.Stats(out)
    print(
        f"server profile, {args.n + 20} sign-ins (times per sign-in below = total / sign-ins); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    total = stats.total_tt  # type: ignore[attr-defined]
    print(
        f"total profiled time {total:.2f} s = {total / (args.n + 20) * 1000:.2f} ms per sign-in"
        " (cProfile inflates Python-heavy code)"
    )
    stats.sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()

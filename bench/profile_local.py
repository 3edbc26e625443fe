"""Where Local Cognito's own sign-in time goes, over real HTTP: a uvicorn server (as
``devkit.py`` serves it) on core 0, driven from core 1 by ``signin_load.py``.

    uv run python bench/profile_local.py                  # cProfile, 400 sign-ins, top 35
    uv run python bench/profile_local.py -n 1000 --top 60 --sort cumulative
    uv run python bench/profile_local.py --breakdown      # CPU per sign-in with and without crypto

``--breakdown`` runs two servers at once, interleaved (``devkit.http_throughput``): the real one,
and one whose two RS256 signatures and scrypt are stubbed out (constant bytes: analysis only,
the tokens it issues verify nowhere), so the difference is what the crypto costs and the rest
is HTTP, routing, pages, the store and JSON. cProfile inflates Python-heavy code several-fold;
the breakdown does not.
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
from pathlib import Path

import devkit


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


def serve_without_crypto(port: int, cost: int) -> None:
    """``devkit.serve`` with RSA signing and scrypt replaced by constants (analysis only)."""
    from cognito_gate.local import passwords, signing

    kept: dict[tuple[bytes, bytes, int], bytes] = {}

    def scrypt_once(password: bytes, *, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
        key = (password, salt, n)  # the real hash once per (password, salt), then remembered
        if key not in kept:
            kept[key] = hashlib_scrypt(password, salt=salt, n=n, r=r, p=p, dklen=dklen)
        return kept[key]

    import hashlib

    hashlib_scrypt = hashlib.scrypt
    passwords.hashlib = type("Hashlib", (), {"scrypt": staticmethod(scrypt_once)})  # type: ignore[assignment]
    signing._signature = lambda *_: b"\0" * 256  # type: ignore[assignment]
    devkit.serve(port, cost)


def breakdown(args: argparse.Namespace) -> None:
    here = str(Path(__file__).resolve())
    real, stubbed = devkit.http_throughput(
        args.cost, args.n, args.concurrency, [None, None], args.rounds,
        scripts=[devkit.__file__, here])
    crypto = real["cpu"] - stubbed["cpu"]
    print(f"server CPU per sign-in over HTTP ({args.rounds} interleaved rounds of {args.n}, "
          f"{args.concurrency} connections, scrypt N=2^{args.cost}):")
    print(f"  real server              {real['cpu']:6.2f} ms  ({1000 / real['cpu']:.0f}/s per "
          f"idle core; {real['rate']:.0f}/s wall here)")
    print(f"  crypto stubbed out       {stubbed['cpu']:6.2f} ms  (HTTP, routing, pages, store, "
          f"JSON: {stubbed['cpu'] / real['cpu']:.0%})")
    print(f"  = 2 RS256 + scrypt       {crypto:6.2f} ms  ({crypto / real['cpu']:.0%})")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=400, help="sign-ins (per round)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--cost", type=int, default=devkit.NEW_COST, help="scrypt log2(N)")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--rounds", type=int, default=5, help="--breakdown's rounds")
    parser.add_argument("--serve", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--profile-serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:  # --breakdown's stubbed server (devkit's --serve convention)
        serve_without_crypto(*args.serve)
        return
    if args.profile_serve:
        serve_profiled(int(args.profile_serve[0]), int(args.profile_serve[1]),
                       args.profile_serve[2])
        return
    if args.breakdown:
        breakdown(args)
        return
    port = devkit._free_port()
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "server.prof")
        cmd = [sys.executable, __file__, "--profile-serve", str(port), str(args.cost), out]
        if (os.cpu_count() or 1) > 1:
            cmd = ["taskset", "-c", "0", *cmd]
            os.sched_setaffinity(0, {1})
        server = subprocess.Popen(cmd)
        base = devkit.wait_until_up(port)
        asyncio.run(devkit._load(base, 20, 2))  # warm-up (counted in the profile, little)
        asyncio.run(devkit._load(base, args.n, args.concurrency))
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
        stats = pstats.Stats(out)
    print(f"server profile, {args.n + 20} sign-ins; load average {os.getloadavg()[0]:.1f}")
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"total profiled time {total:.2f} s = {total / (args.n + 20) * 1000:.2f} ms per sign-in"
          " (start-up and idle loop included; cProfile inflates Python-heavy code)")
    stats.sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()

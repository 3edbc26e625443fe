"""What one active session costs in process, measured with tracemalloc (issue 9):

    uv run python bench/session_memory.py                    # 100,000 sessions, cookie mode
    uv run python bench/session_memory.py --sessions 20000 --top 15

In this process, no sockets: our middleware (``apps.build("hot")``, both caches bounded at
``--cache-size``) is handed N distinct real sessions (prefill.py: Local Cognito claims with their
own ``sub``, ``jti``, nonce and times, RS256-signed with its keys, sealed by our codec), each
verified and cached as a first request would. Reported: every byte Python allocated and still
holds afterwards (tracemalloc, after a full collection) divided by N — the caches, the users and
their claims, and anything else a session leaves behind — and the largest contributors by line.
Fixed costs are included: the 1,024 Cookie headers the session cache keeps whole (~4 MB) and the
doorkeepers' filters (2 bytes per cache slot).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import tempfile
import tracemalloc

import apps
import extras
import machine
import prefill


async def measure(cfg: dict[str, object], n: int, top: int) -> None:
    app = apps.build("hot", cfg)
    gc.collect()
    tracemalloc.start(3)
    before = tracemalloc.take_snapshot()
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        await prefill.run(app, cfg, n, report.name)
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    stats = after.compare_to(before, "traceback")
    auth = app.auth  # type: ignore[attr-defined]
    total = sum(s.size_diff for s in stats)
    print(f"sessions {n:,}: session cache {len(auth.hot):,} entries, verified-token cache "
          f"{len(auth.verifier.cache):,} entries (bounds {auth.hot.maxsize:,})")
    print(f"held after the sessions: {total / 2**20:.1f} MiB = {total / n:,.0f} bytes per session")
    for s in stats[:top]:
        where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in s.traceback)
        print(f"  {s.size_diff / n:7.1f} B/session {s.count_diff / n:5.2f} objects  {where}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--cache-size", type=int, default=120_000, help="both caches' bound")
    ap.add_argument("--top", type=int, default=12, help="largest contributors shown")
    args = ap.parse_args()
    os.environ["BENCH_CACHE_SIZE"] = str(args.cache_size)
    for line in machine.header_lines():
        print(line)
    print(f"load     {machine.loadavg()}")
    with tempfile.TemporaryDirectory(prefix="cg-mem-") as tmp, \
            extras.LocalCognitoServer() as lcs:
        asyncio.run(measure(lcs.real_fixture(tmp), args.sessions, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What the signed-out list costs: bytes per signed-out session, and per sign-out and look-up time.

Signs out N sessions (real session ids, each with its own deadline within one session lifetime,
as sign-outs spread over a day would have) into ``SignedOut`` and measures the memory it holds
with ``tracemalloc`` (every allocation made while filling it, so the ids, deadlines, dictionary
and heap are all counted). A session id costs the same wherever it is kept, so the figure is the
list's own cost per entry: multiply by the sign-outs of one session lifetime (12 h by default).

    uv run python bench/signedout.py [--sessions 100000]
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

from cognito_gate import ManualClock
from cognito_gate.core.session import new_session_id
from cognito_gate.core.signedout import SignedOut

LIFETIME = 12 * 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    n = parser.parse_args().sessions
    clock = ManualClock(1_800_000_000.0)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    signed_out = SignedOut(clock)
    ids = [new_session_id() for _ in range(n)]
    deadlines = [clock.now() + LIFETIME * (i + 1) / n for i in range(n)]  # over one lifetime
    for sid, until in zip(ids, deadlines, strict=True):
        signed_out.add(sid, until)
    # everything allocated, less the benchmark's own two lists (their pointer arrays)
    held = tracemalloc.get_traced_memory()[0] - before - ids.__sizeof__() - deadlines.__sizeof__()
    tracemalloc.stop()

    timed = SignedOut(clock)
    started = time.perf_counter()
    for sid, until in zip(ids, deadlines, strict=True):
        timed.add(sid, until)
    added = time.perf_counter() - started
    started = time.perf_counter()
    hits = sum(sid in timed for sid in ids)
    looked = time.perf_counter() - started
    assert hits == n == len(signed_out) == len(timed)
    per_entry = held / n
    print(f"signed-out sessions held:   {n:,}")
    print(f"memory:                     {held / 2**20:.1f} MiB, {per_entry:.0f} bytes per entry")
    print(f"add (sign-out):             {added / n * 1e6:.2f} µs each")
    print(f"look-up:                    {looked / n * 1e6:.2f} µs each")
    for per_day in (10_000, 100_000, 1_000_000):
        print(f"{per_day:>9,} sign-outs a day -> at most {per_day / 2 * per_entry / 2**20:6.1f} "
              "MiB (the last 12 h of sign-outs live at once)")


if __name__ == "__main__":
    main()

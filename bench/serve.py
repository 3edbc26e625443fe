"""Serve one benchmark case with uvicorn: `python bench/serve.py CASE CONFIG.json PORT [FLAVOUR]`.

With BENCH_PREFILL_SESSIONS=N (and BENCH_PREFILL_REPORT=path) the server first pushes N distinct
sessions through the middleware (prefill.py) and writes what the caches then hold. With
BENCH_SERVER_PROFILE=path the whole server runs under pyinstrument, which writes its tree there.

uvicorn with uvloop + httptools, one worker, access log off, bound to 127.0.0.1 only. run.py
starts this under `taskset -c 0`.
"""

from __future__ import annotations

import json
import os
import sys

import apps
import uvicorn


def main(argv: list[str]) -> None:
    case, cfg_path, port = argv[0], argv[1], int(argv[2])
    flavour = argv[3] if len(argv) > 3 else "starlette"
    with open(cfg_path, encoding="utf-8") as f:
        cfg = json.load(f)
    app = apps.build(case, cfg, flavour=flavour)
    prefill = int(os.environ.get("BENCH_PREFILL_SESSIONS", "0"))
    if prefill:
        import prefill as prefill_mod

        app = prefill_mod.PrefillOnStartup(app, cfg, prefill, os.environ["BENCH_PREFILL_REPORT"])
    profile_to = os.environ.get("BENCH_SERVER_PROFILE")
    profiler = None
    if profile_to:  # sample the whole server (uvicorn + app) while it is under load
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002, async_mode="disabled")
        profiler.start()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        workers=1,
        access_log=False,
        log_level="warning",
        lifespan="auto",
    )
    if profiler is not None and profile_to:
        profiler.stop()
        with open(profile_to, "w", encoding="utf-8") as f:
            f.write(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main(sys.argv[1:])

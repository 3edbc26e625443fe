"""Soak: the demo app and Local Cognito as real servers, N simulated users, faults cycling.

    uv run python bench/soak.py --minutes 5 --users 20     # the figure for issue 4
    uv run python bench/soak.py --quick                    # ~30 s smoke run

What runs (everything on loopback, bounded in time, stops by itself):

* Local Cognito (admin API on) and the demo app (`cognito_gate.demo.app.create_app`), each in
  its own process (bench/soak_servers.py) under uvicorn — the app on `localhost`, Local Cognito
  on `127.0.0.1`, so they are separate sites with separate cookies, as with a real pool. The
  app's process holds nothing but the app, so its RSS (read from /proc/<pid>/status every
  second) is the app's memory.
* `--users` simulated browsers (bench/soak_user.py): sign in through the hosted UI, browse
  /protected, /api/me and / (sometimes four /api/me calls at once, as a page's scripts would)
  with random think times, sign out with the page's CSRF field, sign in again.
* A fault cycler switching Local Cognito's faults on and off through `/_local/faults` and
  `/_local/keys`: token endpoint 503, signing-key rotation (overlap), token endpoint slow (3 s),
  JWKS 503 while the keys rotate, token endpoint 429 with Retry-After, token endpoint timeout
  (12 s, beyond the library's 10 s deadline). The run starts and ends with calm periods.

Time, and why it is sped up. Cognito does not allow ID/access tokens shorter than 5 minutes,
and Local Cognito enforces that limit too, so in real time a 5-minute soak would see barely one
refresh per session. Rather than break the limit (a 30-second token is a configuration no real
pool can have) the soak keeps 5-minute tokens and runs time faster: both server processes read
one `WarpClock` (`--speed`, default 10: wall-clock time since the start, times ten), passed as
the app's `clock=` and Local Cognito's `clock=`. Every time decision on both sides — `exp`,
`iat`, the refresh margin, the leeway, cache and back-off lifetimes, code and session TTLs —
then happens exactly as it would over ten times the real duration, and the two sides agree on
the time, as NTP-synchronised hosts do. What stays in real time: the network, the fault delays,
the library's 10 s HTTP deadline and the users' think times (0.2-2 s real, i.e. a user clicking
every 2-20 s of simulated time). With `--speed 1` nothing is warped (run 30+ minutes then).

How answers are judged (details in bench/SOAK.md): a 503 `provider_unavailable` from the app is
deliberate when it overlaps a window in which the provider is down (plus a short slack); any
other 5xx counts against the run; a `provider_unavailable` after the outage ended is listed
apart. A user with a session who is sent to sign in or has the session cookies cleared
— other than by their own sign-out — is wrongly signed out: the cycle injects no definitive
revocation (no `invalid_grant`, no key dropped without overlap). A 401 that leaves the session
cookies in place is counted apart (an API should have said 503). The signed-out session cookie
is replayed once after every sign-out and must be refused.

Exit status 0 when the "Done when" figures of issue 4 hold, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from soak_user import Config, Recorder, SimUser, Timeline, Window

HERE = Path(__file__).resolve().parent
TOKEN_SECONDS = 300  # Cognito's (and Local Cognito's) minimum ID/access token validity
PASSWORD = "Soak-password-1"


# ---------------------------------------------------------------------------------------------
# the fault plan


@dataclass(frozen=True)
class Phase:
    name: str
    down: bool  # the provider cannot answer the app: its 503s are deliberate
    faults: tuple[dict[str, Any], ...] = ()
    keys: tuple[dict[str, Any], ...] = ()


PHASES = (
    Phase("token endpoint 503", True, ({"switch": "set", "endpoint": "token", "status": 503},)),
    Phase("signing keys rotated (with overlap)", False, keys=({"rotate": True, "overlap": True},)),
    Phase(
        "token endpoint slow (3 s)", False, ({"switch": "set", "endpoint": "token", "delay": 3},)
    ),
    Phase(
        "JWKS 503 while keys rotate",
        True,
        ({"switch": "set", "endpoint": "jwks", "status": 503},),
        ({"rotate": True, "overlap": True},),
    ),
    Phase(
        "token endpoint 429 + Retry-After",
        True,
        ({"switch": "set", "endpoint": "token", "status": 429, "retry_after": 5},),
    ),
    Phase(
        "token endpoint timeout (12 s)",
        True,
        ({"switch": "set", "endpoint": "token", "delay": 12},),
    ),
)


@dataclass(frozen=True)
class Plan:
    duration: float
    warmup: float
    tail: float
    fault_len: float
    calm_len: float

    @classmethod
    def for_duration(cls, seconds: float) -> Plan:
        def clamp(x: float, lo: float, hi: float) -> float:
            return max(lo, min(hi, x))

        return cls(
            seconds,
            clamp(0.08 * seconds, 3, 20),
            clamp(0.12 * seconds, 4, 30),
            clamp(seconds / 20, 3, 15),
            clamp(seconds / 30, 2, 10),
        )


async def cycle_faults(admin: httpx.AsyncClient, plan: Plan, rec: Recorder) -> None:
    """Switch each phase's faults on for ``fault_len``, then everything off for ``calm_len``."""
    await asyncio.sleep(max(0.0, plan.warmup - rec.now()))
    i = 0
    while rec.now() + plan.fault_len <= plan.duration - plan.tail:
        phase = PHASES[i % len(PHASES)]
        window = Window(phase.name, rec.now(), down=phase.down)
        rec.timeline.windows.append(window)
        for command in phase.faults:
            (await admin.post("/_local/faults", json=command)).raise_for_status()
        for command in phase.keys:
            (await admin.post("/_local/keys", json=command)).raise_for_status()
        await asyncio.sleep(plan.fault_len)
        (await admin.post("/_local/faults", json={"switch": "reset"})).raise_for_status()
        window.end = rec.now()
        await asyncio.sleep(plan.calm_len)
        i += 1


# ---------------------------------------------------------------------------------------------
# processes


@dataclass
class Child:
    name: str
    proc: asyncio.subprocess.Process
    log: Path


def _listen_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


async def start_child(name: str, cfg: dict[str, Any], sock: socket.socket, logs: Path) -> Child:
    log = logs / f"{name}.log"
    cfg = {**cfg, "fd": sock.fileno()}
    with log.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(HERE / "soak_servers.py"),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=err,
            pass_fds=(sock.fileno(),),
        )
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(cfg).encode())
    await proc.stdin.drain()
    proc.stdin.close()
    child = Child(name, proc, log)
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
    except TimeoutError:
        line = b""
    if line.strip() != b"READY":
        await stop_child(child)
        raise SystemExit(f"soak: {name} did not start; see {log}:\n{log.read_text()[-2000:]}")
    return child


async def stop_child(child: Child) -> None:
    if child.proc.returncode is None:
        child.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(child.proc.wait(), 15)
        except TimeoutError:
            child.proc.kill()
            await child.proc.wait()


def read_memory(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) of a process in kB, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", text, re.M))
    if "VmRSS" not in values:
        return None
    return int(values["VmRSS"]), int(values.get("VmHWM", values["VmRSS"]))


def read_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Machine:
    """What else the machine was doing: the soak shares it, and starvation looks like slowness."""

    load: list[float] = field(default_factory=list)  # 1-minute load average, every second
    driver_lag_ms: float = 0.0  # worst lateness of the load driver's own event loop
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per server process


async def sample_memory(
    pid: int,
    rec: Recorder,
    samples: list[tuple[float, int, int]],
    machine: Machine,
    stop: asyncio.Event,
) -> None:
    while not stop.is_set():
        reading = read_memory(pid)
        if reading is not None:
            samples.append((rec.now(), *reading))
        with contextlib.suppress(OSError):
            machine.load.append(os.getloadavg()[0])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def watch_driver_lag(machine: Machine, period: float = 0.25) -> None:
    while True:
        began = time.perf_counter()
        await asyncio.sleep(period)
        late = (time.perf_counter() - began - period) * 1000
        machine.driver_lag_ms = max(machine.driver_lag_ms, late)


# ---------------------------------------------------------------------------------------------
# the run


@dataclass
class Outcome:
    args: argparse.Namespace
    plan: Plan
    rec: Recorder
    memory: list[tuple[float, int, int]]
    load_seconds: float
    wall_seconds: float
    final: list[bool | None]
    app_stats: dict[str, Any] = field(default_factory=dict)
    app_stats_mid: dict[str, Any] = field(default_factory=dict)
    lc_stats: dict[str, Any] = field(default_factory=dict)
    logs: Path = Path()
    cancelled: int = 0
    machine: Machine = field(default_factory=Machine)


async def soak(args: argparse.Namespace) -> Outcome:
    began = time.monotonic()
    plan = Plan.for_duration(args.minutes * 60)
    logs = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="cognito-gate-soak-"))
    logs.mkdir(parents=True, exist_ok=True)
    app_sock, lc_sock = _listen_socket(), _listen_socket()
    app_url = f"http://localhost:{app_sock.getsockname()[1]}"
    lc_url = f"http://127.0.0.1:{lc_sock.getsockname()[1]}"
    common = {
        "start": time.time(),
        "speed": args.speed,
        "app_url": app_url,
        "lc_url": lc_url,
        "client_id": "soak-app",
        "client_secret": secrets.token_urlsafe(36),
        "token_seconds": TOKEN_SECONDS,
    }
    children: list[Child] = []
    try:
        children.append(await start_child("local-cognito", {**common, "role": "lc"}, lc_sock, logs))
        children.append(
            await start_child(
                "app",
                {**common, "role": "app", "session_secret": secrets.token_urlsafe(32)},
                app_sock,
                logs,
            )
        )
        app_sock.close()
        lc_sock.close()
        return await _drive(args, plan, app_url, lc_url, children, logs, began)
    finally:
        for child in reversed(children):
            await stop_child(child)


async def _drive(
    args: argparse.Namespace,
    plan: Plan,
    app_url: str,
    lc_url: str,
    children: list[Child],
    logs: Path,
    began: float,
) -> Outcome:
    rng = random.Random(args.seed)
    app = children[1]
    machine = Machine()
    async with (
        httpx.AsyncClient(base_url=lc_url, timeout=30) as admin,
        httpx.AsyncClient(base_url=app_url, timeout=30) as app_admin,
    ):
        people = []
        for i in range(args.users):
            email = f"soak-user-{i:03d}@example.com"
            answer = await admin.post(
                "/_local/users", json={"email": email, "password": PASSWORD, "groups": ["readers"]}
            )
            answer.raise_for_status()
            people.append((f"user-{i:03d}", email, answer.json()["sub"]))
        seconds = plan.duration
        cfg = Config(
            app_url=app_url,
            lc_url=lc_url,
            max_redirects=args.max_redirects,
            think=(0.1, 0.8) if seconds < 90 else (0.2, 2.0),
            session=(max(5.0, min(60.0, seconds / 10)), max(12.0, min(180.0, seconds / 3.3))),
        )
        rec = Recorder(time.monotonic(), Timeline(slack=1.0 + 10 / args.speed))
        users = [
            SimUser(name, email, PASSWORD, sub, cfg, rec, random.Random(rng.random()))
            for name, email, sub in people
        ]
        memory: list[tuple[float, int, int]] = []
        stop_sampling = asyncio.Event()
        sampler = asyncio.create_task(
            sample_memory(app.proc.pid, rec, memory, machine, stop_sampling)
        )
        lag = asyncio.create_task(watch_driver_lag(machine))
        cycler = asyncio.create_task(cycle_faults(admin, plan, rec))
        tasks = [asyncio.create_task(u.run(seconds, min(5.0, plan.warmup / 2))) for u in users]
        print(
            f"soak: {args.users} users for {seconds:.0f} s against {app_url} (app pid "
            f"{app.proc.pid}) and Local Cognito {lc_url}; logs in {logs}",
            flush=True,
        )
        mid_stats: dict[str, Any] = {}
        progress = asyncio.create_task(_progress(rec, seconds, app_admin, mid_stats, memory))
        await cycler
        await asyncio.sleep(max(0.0, seconds - rec.now()))
        load_seconds = rec.now()
        done, pending = await asyncio.wait(tasks, timeout=20)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        progress.cancel()
        await asyncio.gather(progress, return_exceptions=True)
        final = [await u.final_check() for u in users]
        stop_sampling.set()
        await sampler
        lag.cancel()
        app_stats = (await app_admin.get("/_soak/stats")).json()
        lc_stats = (await admin.get("/_soak/stats")).json()
        for child in children:
            machine.cpu[child.name] = read_cpu_seconds(child.proc.pid) or 0.0
        for u in users:
            await u.aclose()
    return Outcome(
        args,
        plan,
        rec,
        memory,
        load_seconds,
        time.monotonic() - began,
        final,
        app_stats,
        mid_stats,
        lc_stats,
        logs,
        len(pending),
        machine,
    )


async def _progress(
    rec: Recorder,
    seconds: float,
    app_admin: httpx.AsyncClient,
    mid: dict[str, Any],
    memory: list[tuple[float, int, int]],
) -> None:
    step = 30.0 if seconds >= 120 else 10.0
    next_at = step
    while True:
        await asyncio.sleep(max(0.0, next_at - rec.now()))
        if not mid and rec.now() >= seconds / 2:
            with contextlib.suppress(httpx.HTTPError):
                mid.update((await app_admin.get("/_soak/stats")).json())
        fault = rec.fault_name(rec.now(), rec.now())
        rss = memory[-1][1] / 1024 if memory else 0.0
        print(
            f"  t={rec.now():5.0f}s  requests {len(rec.app_latency):6d}  sign-ins "
            f"{rec.sign_ins:4d}  refreshes {rec.refreshes_seen:4d}  sign-outs "
            f"{rec.sign_outs:4d}  5xx {len(rec.real_5xx)}  wrong sign-outs "
            f"{len(rec.wrong_signouts)}  RSS {rss:5.1f} MB  fault: {fault}",
            flush=True,
        )
        next_at += step


# ---------------------------------------------------------------------------------------------
# the report


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Memory:
    peak_mb: float
    final_mb: float
    half_mb: float
    end_mb: float
    growth_mb: float
    slope_mb_min: float
    stable: bool


def judge_memory(samples: list[tuple[float, int, int]], duration: float) -> Memory | None:
    """Growth over the second half: the median RSS of the run's last tenth against that of the
    tenth after half-time, plus a least-squares slope over the whole second half."""
    if len(samples) < 10:
        return None

    def median_between(lo: float, hi: float) -> float:
        window = [rss for t, rss, _ in samples if lo * duration <= t <= hi * duration]
        return statistics.median(window) / 1024 if window else float("nan")

    half, end = median_between(0.5, 0.6), median_between(0.9, 1.0)
    second = [(t, rss / 1024) for t, rss, _ in samples if t >= duration / 2]
    slope = 0.0
    if len(second) >= 2:
        mean_t = statistics.fmean(t for t, _ in second)
        mean_m = statistics.fmean(m for _, m in second)
        var = sum((t - mean_t) ** 2 for t, _ in second)
        slope = sum((t - mean_t) * (m - mean_m) for t, m in second) / var * 60 if var else 0.0
    growth = end - half
    stable = growth <= max(2.0, 0.03 * half)
    return Memory(
        max(h for *_, h in samples) / 1024, samples[-1][1] / 1024, half, end, growth, slope, stable
    )


def _log_summary(path: Path, limit: int = 12) -> list[str]:
    """The app's own log lines, grouped by logger, level and message (numbers kept)."""
    counts: Counter[str] = Counter()
    with contextlib.suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            parts = line.split(" ", 3)
            if len(parts) == 4 and parts[2] in ("INFO", "WARNING", "ERROR", "CRITICAL"):
                counts[f"{parts[2]:<7} {parts[1]}: {parts[3]}"] += 1
            elif line.strip() and not line.startswith(" "):
                counts[f"(other) {line[:100]}"] += 1
    return [f"{n:6d}  {text}" for text, n in counts.most_common(limit)]


def render(o: Outcome) -> tuple[str, bool]:
    rec, args = o.rec, o.args
    mem = judge_memory(o.memory, o.load_seconds)
    lc_grants: dict[str, int] = o.lc_stats.get("grants", {})
    refresh_ok = sum(n for k, n in lc_grants.items() if k == "refresh_token:200")
    refresh_all = sum(n for k, n in lc_grants.items() if k.startswith("refresh_token:"))
    code_ok = lc_grants.get("authorization_code:200", 0)
    lc_total = sum(o.lc_stats.get("requests", {}).values())
    n_req = len(rec.app_latency)
    wrong_users = {e.user for e in rec.wrong_signouts}
    signed_in_end = [f for f in o.final if f is not None]
    phases = Counter(w.name for w in rec.timeline.windows)
    late = rec.late_503
    ms = 1000.0
    quiet = [lat for start, end, lat in rec.timed if rec.timeline.active(start, end) is None]
    mach = o.machine
    load = mach.load or [0.0]
    server_lag = {
        name: o_stats.get("loop_lag", {})
        for name, o_stats in (("app", o.app_stats), ("Local Cognito", o.lc_stats))
    }

    rows = [
        (
            "duration",
            f"{o.load_seconds / 60:.1f} min of load ({o.load_seconds:.0f} s; "
            f"{o.wall_seconds:.0f} s with start-up and shut-down)",
        ),
        ("users", f"{args.users} simulated browsers, each with its own cookie jar"),
        (
            "clock",
            f"×{args.speed:g}: {TOKEN_SECONDS} s tokens last "
            f"{TOKEN_SECONDS / args.speed:.0f} s real; "
            f"{o.load_seconds * args.speed / 60:.0f} min of token time",
        ),
        (
            "requests",
            f"{n_req} to the app ({n_req / max(1.0, o.load_seconds):.0f}/s); "
            f"{lc_total} to Local Cognito",
        ),
        (
            "sign-ins",
            f"{rec.sign_ins} completed (hosted-UI form posts {rec.sign_in_attempts}, "
            f"code exchanges answered 200 by Local Cognito {code_ok})",
        ),
        (
            "refreshes",
            f"{rec.refreshes_seen} seen by users (session cookie rewritten); "
            f"Local Cognito answered {refresh_ok} of {refresh_all} refresh grants "
            "with 200",
        ),
        (
            "sign-outs",
            f"{rec.sign_outs} (POST /logout with csrf → Cognito /logout → /); "
            f"failed {len(rec.signout_failures)}",
        ),
        ("app 5xx (not deliberate)", str(len(rec.real_5xx))),
        ("deliberate 503s (provider down)", f"{rec.deliberate_503} provider_unavailable"),
        (
            "503s after an outage ended",
            f"{len(late)}"
            + (f" (up to {max(late):.1f} s after the fault was switched off)" if late else ""),
        ),
        ("wrongly signed-out users", f"{len(wrong_users)} ({len(rec.wrong_signouts)} events)"),
        (
            "API 401 with the session kept",
            f"{len(rec.api_401_kept)} (require_user answered 401 instead of 503)"
            if rec.api_401_kept
            else "0",
        ),
        (
            "redirect loops",
            f"{len(rec.loops)} (> {args.max_redirects} redirects in one "
            f"navigation); loop-breaker pages {len(rec.loop_breaker)}",
        ),
        ("answers about the wrong user", str(len(rec.identity))),
        ("signed-out cookie replay accepted", f"{len(rec.replay_accepted)} of {rec.sign_outs}"),
        ("sign-in failures (not outages)", str(len(rec.signin_failures))),
        (
            "transport errors",
            f"{len(rec.transport)} (plus {rec.keepalive_retries} requests resent once after the "
            "server closed an idle kept-alive connection, as browsers do)",
        ),
        (
            "latency, all app requests",
            f"p50 {_pct(rec.app_latency, 0.5) * ms:.1f} ms, "
            f"p99 {_pct(rec.app_latency, 0.99) * ms:.1f} ms, "
            f"max {max(rec.app_latency, default=0) * ms:.0f} ms",
        ),
        (
            "latency, browsing signed in",
            f"p50 {_pct(rec.browse_latency, 0.5) * ms:.1f} ms, "
            f"p99 {_pct(rec.browse_latency, 0.99) * ms:.1f} ms",
        ),
        (
            "latency, outside fault windows",
            f"p50 {_pct(quiet, 0.5) * ms:.1f} ms, p99 {_pct(quiet, 0.99) * ms:.1f} ms "
            f"({len(quiet)} requests)",
        ),
    ]
    if mem is not None:
        rows += [
            ("app memory (RSS)", f"peak {mem.peak_mb:.1f} MB (VmHWM), final {mem.final_mb:.1f} MB"),
            (
                "RSS growth, second half",
                f"{mem.growth_mb:+.1f} MB ({mem.half_mb:.1f} → "
                f"{mem.end_mb:.1f} MB; slope {mem.slope_mb_min:+.2f} "
                f"MB/min) → {'stable' if mem.stable else 'GROWING'}",
            ),
        ]
    caches = o.app_stats.get("caches", {})
    if caches:
        held = sum(c["entries"] for c in caches.values())
        expired = sum(c["expired"] for c in caches.values())
        rows.append(
            (
                "library caches",
                f"{held:.0f} entries ≈ {sum(c['kb'] for c in caches.values()) / 1024:.1f} MB, "
                f"{expired:.0f} of them past their deadline (kept until the cap evicts them); "
                f"bounded by the caps at ≈ {sum(c['cap_mb'] for c in caches.values()):.0f} MB",
            )
        )
    rows += [
        ("faults cycled", "; ".join(f"{name} ×{n}" for name, n in phases.items()) or "none"),
        (
            "signed in at the end, /api/me 200",
            f"{sum(1 for f in signed_in_end if f)} of {len(signed_in_end)} (faults off)",
        ),
        (
            "machine",
            f"{os.cpu_count()} CPUs, 1-min load {min(load):.1f}-{max(load):.1f} "
            f"(mean {statistics.fmean(load):.1f}); CPU used: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in mach.cpu.items())
            + "; worst event-loop lag: "
            + ", ".join(f"{k} {v.get('max_ms', 0):.0f} ms" for k, v in server_lag.items())
            + f", load driver {mach.driver_lag_ms:.0f} ms",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [
        f"cognito-gate soak: {args.minutes:g} min, {args.users} users, speed ×{args.speed:g}, "
        f"seed {args.seed}",
        "",
        f"| {'metric':<{width}} | value |",
        f"|{'-' * (width + 2)}|-------|",
    ]
    lines += [f"| {k:<{width}} | {v} |" for k, v in rows]

    checks = {
        "zero 5xx besides deliberate 503s": not rec.real_5xx,
        "zero wrongly signed-out users": not rec.wrong_signouts,
        "zero redirect loops": not rec.loops and not rec.loop_breaker,
        "memory stops growing": mem is not None and mem.stable,
    }
    extra = {
        "no answer about another user": not rec.identity,
        "signed-out cookies refused": not rec.replay_accepted,
        "no transport errors": not rec.transport,
        "APIs get 503, not 401, while the provider is down": not rec.api_401_kept,
        "no 503 after outages ended": not late,
        "every signed-in user served at the end": all(signed_in_end),
    }
    lines += ["", "Done-when checks (issue 4):"]
    lines += [f"  [{'ok' if ok else 'FAIL'}] {name}" for name, ok in checks.items()]
    lines += ["Other checks:"]
    lines += [f"  [{'ok' if ok else 'FAIL'}] {name}" for name, ok in extra.items()]

    for title, events in (
        ("app 5xx", rec.real_5xx),
        ("503s after an outage ended", rec.late_events),
        ("wrong sign-outs", rec.wrong_signouts),
        ("API 401 with the session kept", rec.api_401_kept),
        ("redirect loops", rec.loops),
        ("loop-breaker pages", rec.loop_breaker),
        ("wrong user", rec.identity),
        ("replays accepted", rec.replay_accepted),
        ("sign-in failures", rec.signin_failures),
        ("sign-out failures", rec.signout_failures),
        ("transport errors", rec.transport),
    ):
        if events:
            lines += ["", f"{title} (first 10 of {len(events)}):"]
            lines += ["  " + e.line() for e in events[:10]]
    if rec.anonymous_home:
        lines += [
            "",
            "Home page rendered signed-out for a signed-in user (cookies kept): "
            + ", ".join(f"{n} during '{f}'" for f, n in rec.anonymous_home.items()),
        ]
    lines += ["", "Fault windows (s since start; the provider is down in those marked *):"]
    lines += [
        "  "
        + "; ".join(
            f"{w.start:.0f}-{w.end if w.end is not None else o.load_seconds:.0f}"
            f"{'*' if w.down else ''} {w.name}"
            for w in rec.timeline.windows
        )
    ]
    lines += [
        "",
        "App answers by status: "
        + ", ".join(f"{s}: {n}" for s, n in sorted(rec.app_status.items())),
    ]
    lines += [
        "Local Cognito token grants (type:status): "
        + ", ".join(f"{k} {v}" for k, v in sorted(lc_grants.items()))
    ]
    caches_mid = o.app_stats_mid.get("caches", {})
    caches_end = o.app_stats.get("caches", {})
    if caches_end:
        lines += ["", "App caches (entries at half-time → end; held past their deadline; size):"]
        for name, c in caches_end.items():
            half = caches_mid.get(name, {}).get("entries", "?")
            lines.append(
                f"  {name:<16} {half} → {c['entries']:.0f} entries, {c['expired']:.0f} expired, "
                f"≈ {c['kb']:.0f} KB; cap {c['cap']:.0f} entries ≈ {c['cap_mb']:.0f} MB"
            )
    lines += ["", f"App log ({o.logs / 'app.log'}), most frequent lines:"]
    lines += ["  " + line for line in _log_summary(o.logs / "app.log")] or ["  (empty)"]
    if o.cancelled:
        lines += [f"\n{o.cancelled} users were still mid-step 20 s after the end and were stopped."]
    return "\n".join(lines), all(checks.values())


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--minutes", type=float, default=5.0, help="load duration (default 5)")
    p.add_argument("--users", type=int, default=20, help="simulated users (default 20)")
    p.add_argument(
        "--speed",
        type=float,
        default=None,
        help="clock speed-up of both servers (default 10: 5-min tokens last 30 s; --quick: 30)",
    )
    p.add_argument("--quick", action="store_true", help="a ~30 s smoke run")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    p.add_argument(
        "--max-redirects",
        type=int,
        default=10,
        help="redirects in one navigation above which it counts as a loop",
    )
    p.add_argument("--logs", default=None, help="directory for the servers' logs")
    args = p.parse_args(argv)
    if args.quick:
        args.minutes = 0.5
    if args.speed is None:
        args.speed = 30.0 if args.quick else 10.0
    if args.seed is None:
        args.seed = random.randrange(1_000_000)
    if (
        not 0.25 <= args.minutes <= 24 * 60
        or not 1 <= args.users <= 1000
        or not 1 <= args.speed <= 60
    ):
        p.error("--minutes 0.25..1440, --users 1..1000, --speed 1..60")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    outcome = asyncio.run(soak(args))
    text, ok = render(outcome)
    print("\n" + text)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""Start, check and stop benchmark servers: one uvicorn process per case, pinned to core 0."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import httpx

SERVER_CORE = 0
HERE = os.path.dirname(os.path.abspath(__file__))


# As root, favour the benchmark over whatever else the machine runs (BENCH_NICE=0 to not).
NICE = int(os.environ.get("BENCH_NICE", "-20"))


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def pinned(cmd: list[str], core: int) -> list[str]:
    """`cmd` pinned to one core with taskset and, as root, at a raised priority. Start it with
    `start_new_session=True`: the kernel's autogroup scheduler shares CPU between sessions, so
    the new session's autogroup gets the raised nice value too (plain `nice` alone would only
    rank processes inside their own session)."""
    taskset = shutil.which("taskset")
    if taskset:
        cmd = [taskset, "-c", str(core), *cmd]
    if NICE and _is_root() and shutil.which("nice"):
        cmd = ["nice", "-n", str(NICE), *cmd]
        boost = f'echo {NICE} > /proc/self/autogroup 2>/dev/null; exec "$@"'
        cmd = ["/bin/sh", "-c", boost, "bench", *cmd]
    return cmd


def priority_note() -> str:
    if NICE and _is_root():
        return f"nice {NICE} (process and autogroup)"
    return "normal priority"


def cpu_seconds(pid: int) -> float | None:
    """CPU time a process has used so far, all its threads: from schedstat (nanoseconds) where
    the kernel keeps it, else /proc/PID/stat's utime + stime (clock ticks); None if neither."""
    try:
        total = 0
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat", encoding="ascii") as f:
                total += int(f.read().split()[0])
        return total / 1e9
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    case: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: str
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, n: int = 30) -> str:
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        with contextlib.suppress(OSError):
            os.unlink(self.log_path)


def start(
    case: str,
    cfg_path: str,
    *,
    flavour: str = "starlette",
    pin: bool = True,
    port: int | None = None,
    env: dict[str, str] | None = None,
) -> Server:
    port = port or free_port()
    cmd = [sys.executable, os.path.join(HERE, "serve.py"), case, cfg_path, str(port), flavour]
    if pin:
        cmd = pinned(cmd, SERVER_CORE)
    fd, log_path = tempfile.mkstemp(prefix=f"bench-{case}-", suffix=".log")
    proc_env = dict(os.environ)
    proc_env.update(env or {})
    with os.fdopen(fd, "wb") as log:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=proc_env, start_new_session=True
        )
    return Server(case=case, port=port, proc=proc, log_path=log_path)


def wait_ready(server: Server, *, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"server {server.case} exited ({server.proc.returncode}):\n{server.log_tail()}"
            )
        try:
            httpx.get(server.url + "/public", timeout=1.0)
            return
        except httpx.HTTPError as exc:
            last = exc
            time.sleep(0.05)
    raise RuntimeError(f"server {server.case} not ready after {timeout_s}s: {last}")

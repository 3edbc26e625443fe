"""Drive `wrk` (Debian's package) against one loopback URL and parse what it reports.

The request is described in a generated Lua script (method, path, headers) so that cookies of
any size pass untouched, and the script's `done()` hook prints one machine-readable line with the
totals and latency percentiles; `--latency` is passed as well, and wrk's own text is kept for the
record. A run is bounded by its duration (`-d`) and wrk's timeout (`--timeout`); the subprocess
gets a hard wall-clock limit on top.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass

WRK = "/usr/bin/wrk"
LOAD_CORE = 1  # wrk runs on this core; the server under test on core 0

_DONE_MARK = "BENCH_RESULT "

_LUA_TEMPLATE = """
wrk.method = "GET"
wrk.path = [==[{path}]==]
{headers}
done = function(summary, latency, requests)
  io.write(string.format(
    "{mark}{{\\"requests\\":%d,\\"duration_us\\":%d,\\"bytes\\":%d,"
    .. "\\"p50_us\\":%d,\\"p90_us\\":%d,\\"p99_us\\":%d,\\"max_us\\":%d,\\"mean_us\\":%f,"
    .. "\\"err_connect\\":%d,\\"err_read\\":%d,\\"err_write\\":%d,\\"err_status\\":%d,"
    .. "\\"err_timeout\\":%d}}\\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout))
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_us: float
    p90_us: float
    p99_us: float
    max_us: float
    errors: int
    text: str  # wrk's own printout

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


class WrkMissingError(RuntimeError):
    pass


def require_wrk() -> str:
    """Path of wrk, or exit with how to install it."""
    path = WRK if os.path.exists(WRK) else shutil.which("wrk")
    if path is None:
        print(
            "bench: wrk is not installed (the load generator, Debian package `wrk`).\n"
            "       install it with:  apt-get install -y wrk   (as root; apt-get update first)",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return path


def _lua_headers(headers: dict[str, str]) -> str:
    lines = []
    for name, value in headers.items():
        if "]==]" in value or "]==]" in name:
            raise ValueError(f"header {name!r} cannot be quoted for Lua")
        lines.append(f"wrk.headers[ [==[{name}]==] ] = [==[{value}]==]")
    return "\n".join(lines)


def write_script(path: str, headers: dict[str, str]) -> str:
    """A Lua script file for one request shape; returns its path (caller removes it)."""
    fd, name = tempfile.mkstemp(prefix="bench-wrk-", suffix=".lua")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(_LUA_TEMPLATE.format(path=path, headers=_lua_headers(headers), mark=_DONE_MARK))
    return name


_ROTATE = """
local cookies = {{}}
for line in io.lines([==[{cookie_file}]==]) do cookies[#cookies + 1] = line end
local i = 0
request = function()
  i = i % #cookies + 1
  wrk.headers["Cookie"] = cookies[i]
  return wrk.format()
end
"""


def write_rotating_script(path: str, headers: dict[str, str], cookie_file: str) -> str:
    """A Lua script whose every request carries the next Cookie header of ``cookie_file`` (one a
    line), round and round: a working set of that many distinct sessions."""
    name = write_script(path, headers)
    with open(name, "a", encoding="utf-8") as f:
        f.write(_ROTATE.format(cookie_file=cookie_file))
    return name


_REQS_SEC = re.compile(r"Requests/sec:\s+([\d.]+)")


def parse(stdout: str) -> WrkResult:
    data: dict[str, float] | None = None
    for line in stdout.splitlines():
        if line.startswith(_DONE_MARK):
            data = json.loads(line[len(_DONE_MARK) :])
    if data is None:
        raise RuntimeError(f"wrk printed no result line:\n{stdout}")
    seconds = data["duration_us"] / 1e6
    # Cross-check against wrk's own summary line.
    m = _REQS_SEC.search(stdout)
    if m and seconds > 0:
        own = float(m.group(1))
        mine = data["requests"] / seconds
        if own > 0 and abs(own - mine) / own > 0.02:
            raise RuntimeError(f"wrk result mismatch: Requests/sec {own} vs computed {mine}")
    errors = int(
        data["err_connect"]
        + data["err_read"]
        + data["err_write"]
        + data["err_status"]
        + data["err_timeout"]
    )
    return WrkResult(
        requests=int(data["requests"]),
        seconds=seconds,
        p50_us=float(data["p50_us"]),
        p90_us=float(data["p90_us"]),
        p99_us=float(data["p99_us"]),
        max_us=float(data["max_us"]),
        errors=errors,
        text=stdout,
    )


def run(
    url: str,
    script: str,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    timeout_s: float = 2.0,
    pin: bool = True,
) -> WrkResult:
    """One bounded wrk run against `url` (must be loopback) with a prepared Lua script."""
    if not url.startswith(("http://127.0.0.1:", "http://[::1]:", "http://localhost:")):
        raise ValueError(f"load tests stay on loopback, got {url}")
    wrk = require_wrk()
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout_s:g}s",
        "--latency",
        "-s",
        script,
        url,
    ]
    if pin:
        import servers

        cmd = servers.pinned(cmd, LOAD_CORE)
    out = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        check=False,
        timeout=seconds + timeout_s + 30,
        start_new_session=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr}\n{out.stdout}")
    return parse(out.stdout)

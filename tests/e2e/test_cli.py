"""`cognito-gate demo` as a user runs it: a real process, real ports, Ctrl+C to stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cognito_gate.demo.launch import LOCAL_PORT

from .conftest import free_socket

COMMAND = [str(Path(sys.executable).with_name("cognito-gate"))]  # the installed console script


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("COGNITO_", "SESSION_"))}


def test_bad_settings_exit_2_with_the_message_and_no_traceback(tmp_path: Path) -> None:
    env = {**clean_env(), "COGNITO_DOMAIN": "https://auth.example.com"}
    done = subprocess.run(
        [*COMMAND, "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "COGNITO_CLIENT_ID" in done.stderr
    assert "Traceback" not in done.stderr


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.skipif(not port_free(LOCAL_PORT), reason=f"port {LOCAL_PORT} is busy")
def test_demo_runs_with_local_cognito_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    with free_socket() as sock:
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [*COMMAND, "demo", "--port", str(port)],
        cwd=tmp_path,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        app = f"http://localhost:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                home = httpx.get(app + "/", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, "demo exited early"
                assert time.monotonic() < deadline, "demo did not start"
                time.sleep(0.2)
        assert "Sign in (or sign up)" in home.text
        login = httpx.get(app + "/login", timeout=5)
        assert login.status_code == 303
        assert login.headers["location"].startswith(f"http://127.0.0.1:{LOCAL_PORT}/oauth2/")
        assert (tmp_path / ".cognito-gate" / "local.sqlite3").is_file()
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, output
    assert f"open {app}" in output
    assert "demo@example.com / Demo-password-1" in output
    assert "Ctrl+C" in output

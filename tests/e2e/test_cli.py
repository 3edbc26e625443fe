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


def wait_for(url: str, proc: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + 90  # generous: the machine may be busy
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            assert proc.poll() is None, f"{proc.args} exited early"
            assert time.monotonic() < deadline, f"{url} did not answer"
            time.sleep(0.2)


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
        home = wait_for(app + "/", proc)
        assert "Sign in (or sign up)" in home.text
        login = httpx.get(app + "/login", timeout=5)
        assert login.status_code == 303
        assert login.headers["location"].startswith(f"http://127.0.0.1:{LOCAL_PORT}/oauth2/")
        assert (tmp_path / ".cognito-gate" / "local.sqlite3").is_file()
        httpx.get(app + "/callback/?code=c0de-5ecret&state=st4te-5ecret", timeout=5)
        metrics = httpx.get(app + "/metrics", timeout=5)
        assert metrics.status_code == 200
        assert 'cognito_gate_signins_total{code="signin_expired",outcome="failure"} 1.0' \
            in metrics.text
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, output
    assert "GET /callback/?code=[redacted]&state=[redacted]" in output  # logged, redacted
    assert "5ecret" not in output
    # the audit events, as JSON lines in the terminal: the refused callback among them
    assert '{"type":"signin","outcome":"failure",' in output
    assert '"code":"signin_expired","reason":"signin_expired"' in output
    assert f"Metrics: {app}/metrics" in output
    for line in ("Started server process", "Shutting down", "Finished server process"):
        assert output.count(line) == 1, output  # one process, however many servers
    assert f"open {app}" in output
    assert "demo@example.com / Demo-password-1" in output
    assert "Ctrl+C" in output
    assert f"kept in {tmp_path / '.cognito-gate' / 'local.sqlite3'}" in output  # absolute path


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=20)
    return output


def test_local_and_demo_run_side_by_side_with_local_port(tmp_path: Path) -> None:
    with free_socket() as a, free_socket() as b, free_socket() as c:
        local_port, demo_local_port, app_port = (s.getsockname()[1] for s in (a, b, c))
    run = {"cwd": tmp_path, "env": clean_env(), "stdout": subprocess.PIPE,
           "stderr": subprocess.STDOUT, "text": True}
    local = subprocess.Popen([*COMMAND, "local", "--port", str(local_port)], **run)
    try:
        wait_for(f"http://127.0.0.1:{local_port}/us-east-1_LocalDemo/.well-known/jwks.json", local)
        demo = subprocess.Popen([*COMMAND, "demo", "--port", str(app_port),
                                 "--local-port", str(demo_local_port)], **run)
        try:
            wait_for(f"http://localhost:{app_port}/", demo)
            login = httpx.get(f"http://localhost:{app_port}/login", timeout=5)
            assert login.headers["location"].startswith(f"http://127.0.0.1:{demo_local_port}/")
        finally:
            demo_output = stop(demo)
    finally:
        stop(local)
    assert demo.returncode == 0, demo_output
    assert f"Local Cognito (hosted UI and OAuth endpoints): http://127.0.0.1:{demo_local_port}" \
        in demo_output


@pytest.mark.parametrize("flag", ["--port", "--local-port"])
def test_demo_port_in_use_names_the_flag_and_exits_3(tmp_path: Path, flag: str) -> None:
    with free_socket() as busy, free_socket() as free:
        busy_port, free_port = busy.getsockname()[1], free.getsockname()[1]
        other = "--local-port" if flag == "--port" else "--port"
        free.close()
        done = subprocess.run(
            [*COMMAND, "demo", flag, str(busy_port), other, str(free_port)],
            cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=60,
        )
    assert done.returncode == 3, done.stderr
    assert f"cannot listen on 127.0.0.1:{busy_port} (the port is in use)" in done.stderr
    assert f"choose another port with {flag}" in done.stderr
    assert "Traceback" not in done.stderr

"""README's "Use it in your app", run as written: from an empty directory, the setup commands,
`app.py`, Local Cognito, `.env` and uvicorn — all read from README.md, so the two cannot drift —
then a sign-in through the resulting app. Only the ports (free ones instead of 8000 and 9229,
with `--app-url` telling Local Cognito the app's) and the clone's path are filled in. Needs uv
and PyPI (or uv's cache) for the app's dependencies."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SECTION = re.compile(r"^## Use it in your app\n(.*?)^What you get:", re.S | re.M)
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
DEMO_EMAIL, DEMO_PASSWORD = "demo@example.com", "Demo-password-1"


def readme_blocks() -> list[tuple[str, str]]:
    """The fenced (language, code) blocks of the section, in order."""
    section = SECTION.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert section is not None, "README.md has no 'Use it in your app' section"
    return FENCE.findall(section.group(1))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env() -> dict[str, str]:
    """This environment without our own virtualenv or any app settings."""
    drop = ("VIRTUAL_ENV", "COGNITO_", "SESSION_SECRET", "APP_URL", "CF_PAGES_URL")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def bash(script: str, cwd: Path) -> None:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=clean_env(),
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{script}\n{done.stdout}\n{done.stderr}"


def wait_for(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            assert proc.poll() is None, f"{proc.args} exited: {proc.communicate()[0]}"
            assert time.monotonic() < deadline, f"{url} did not answer"
            time.sleep(0.3)


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_readme_steps_from_an_empty_directory_give_an_app_you_can_sign_in_to(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    if shutil.which("uv") is None:
        pytest.skip("uv is not on PATH")
    blocks = readme_blocks()
    assert [lang for lang, _ in blocks] == ["bash", "python", "bash", "bash"], blocks
    (setup, _), (app_py, _), (local, _), (run, _) = [(code, lang) for lang, code in blocks]
    app_port, local_port = free_port(), free_port()

    def fill(text: str) -> str:
        return (text.replace("/path/to/cognito-gate", str(ROOT))
                .replace(":8000", f":{app_port}").replace("--port 8000", f"--port {app_port}")
                .replace(":9229", f":{local_port}"))

    bash(fill(setup), tmp_path)  # mkdir myapp && cd myapp, uv init, uv add …
    myapp = tmp_path / "myapp"
    (myapp / "app.py").write_text(app_py, encoding="utf-8")

    local_command = local.strip()
    assert local_command.startswith("uv run cognito-gate local"), local_command
    started.append(subprocess.Popen(
        ["bash", "-c", f"exec {local_command} --port {local_port} "
                       f"--app-url http://localhost:{app_port}"], cwd=myapp, env=clean_env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    wait_for(f"http://127.0.0.1:{local_port}/us-east-1_LocalDemo/.well-known/jwks.json",
             started[-1])

    *write_env, serve = fill(run).strip().splitlines()
    assert serve.startswith("uv run uvicorn app:app"), serve
    bash("\n".join(write_env) + "\n", myapp)  # cat > .env <<EOF … EOF
    server = subprocess.Popen(["bash", "-c", f"exec {serve}"], cwd=myapp, env=clean_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started.append(server)
    app = f"http://localhost:{app_port}"
    wait_for(app + "/", server)

    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        form = browser.get(app + "/account")  # → /login → Local Cognito's hosted UI
        assert form.url.host == "127.0.0.1"
        assert form.url.port == local_port
        csrf = re.search(r'name="_csrf" value="([^"]+)"', form.text)
        assert csrf is not None, form.text
        account = browser.post(str(form.url), data={
            "username": DEMO_EMAIL, "password": DEMO_PASSWORD, "_csrf": csrf.group(1)})
        assert account.url == httpx.URL(app + "/account")
        assert "is in readers" in account.text
        me = browser.get(app + "/api/me").json()
        assert me["email"] == DEMO_EMAIL
        assert me["groups"] == ["readers"]
    with httpx.Client() as stranger:
        assert stranger.get(app + "/api/me").status_code == 401

    server.send_signal(signal.SIGINT)
    log, _ = server.communicate(timeout=20)
    assert "GET /callback/?code=[redacted]&state=[redacted]" in log  # README's claim, checked

"""scripts/test on a machine without apt-get or root: it names what is missing and how to get
it, then runs the rest (the tests that need a missing tool skip, with the reason shown); under
CI=true a missing tool fails instead."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFTEST = ROOT / "tests" / "conftest.py"
NEEDS_CHROMIUM = '''
def test_needs_chromium(missing_tool):
    missing_tool("Chromium is missing: sudo apt-get install chromium")
'''


def bare_path(tmp_path: Path) -> str:
    """A PATH with uv, python3 and the few utilities the script calls — no apt-get, sudo,
    chromium, wrk or npm."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("uv", "python3", "dirname", "id", "env"):
        found = shutil.which(tool) or (sys.executable if tool == "python3" else None)
        assert found is not None, tool
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def run_script(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PATH", "VIRTUAL_ENV")}
    env["PATH"] = bare_path(tmp_path)
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(ROOT / "scripts" / "test"),
         "-q", "-p", "no:cacheprovider", "tests/unit/test_returnto.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )


def test_without_apt_the_script_names_what_is_missing_and_runs_the_rest(tmp_path: Path) -> None:
    done = run_script(tmp_path, ci=False)
    assert done.returncode == 0, done.stderr
    assert "there is no apt-get" in done.stderr
    assert "chromium (Debian: chromium) for the browser tests (tests/e2e)" in done.stderr
    assert "wrk (Debian: wrk)" in done.stderr
    assert "npm (Debian: nodejs npm)" in done.stderr
    assert 'scripts/test -m "not e2e and not interop"' in done.stderr
    assert " passed" in done.stdout


def test_under_ci_a_missing_tool_fails_the_script(tmp_path: Path) -> None:
    done = run_script(tmp_path, ci=True)
    assert done.returncode == 1
    assert "CI=true, so a missing tool is an error" in done.stderr
    assert " passed" not in done.stdout  # it stopped before pytest


@pytest.mark.parametrize(("ci", "outcome"), [(False, "1 skipped"), (True, "1 failed")])
def test_a_test_needing_a_missing_tool_skips_locally_and_fails_under_ci(
    tmp_path: Path, ci: bool, outcome: str
) -> None:
    shutil.copy(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "test_tool.py").write_text(NEEDS_CHROMIUM)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-ra", "-p", "no:cacheprovider", "-c", os.devnull,
         "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert outcome in done.stdout, done.stdout
    assert "Chromium is missing: sudo apt-get install chromium" in done.stdout  # in the summary


def test_uv_run_installs_no_dev_tools_by_default() -> None:
    """`uv run cognito-gate demo` syncs the default groups only: the `run` group, which is the
    package's own demo extra (FastAPI and uvicorn) — no pytest or mypy, and no Flask or Django."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["tool"]["uv"]["default-groups"] == ["run"]
    assert project["dependency-groups"]["run"] == ["cognito-gate[demo]"]
    extras = project["project"]["optional-dependencies"]
    runtime = " ".join(project["project"]["dependencies"])
    demo = " ".join(extras["demo"] + extras["fastapi"])
    for tool in ("pytest", "mypy", "ruff", "playwright", "hypothesis"):
        assert tool not in runtime
        assert tool not in demo
        assert any(d.startswith(tool) for d in project["dependency-groups"]["dev"])
    for framework in ("fastapi", "uvicorn", "flask", "django"):
        assert framework not in runtime  # the core installs no web framework or server
    assert "flask" not in demo
    assert "django" not in demo

"""The package as users get it: a wheel and an sdist build, the wheel installs into a fresh venv
with only the core, and a missing extra is one line naming the ``pip install`` to run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(600)
def test_wheel_and_sdist_build_and_the_wheel_installs_with_a_small_core(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run([uv, "build", "--out-dir", str(tmp_path / "dist"), str(ROOT)], check=True,
                   env=env, capture_output=True, timeout=300)
    wheels = list((tmp_path / "dist").glob("*.whl"))
    assert len(wheels) == 1
    assert list((tmp_path / "dist").glob("*.tar.gz"))
    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "cognito_gate/flask/extension.py" in names
    assert "cognito_gate/sync/bridge.py" in names
    venv = tmp_path / "venv"
    subprocess.run([uv, "venv", "--python", sys.executable, str(venv)], check=True, env=env,
                   capture_output=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([uv, "pip", "install", "--python", str(python), str(wheels[0])], check=True,
                   env=env, capture_output=True, timeout=300)
    check = subprocess.run([str(python), "-c", """
import importlib.util as u
import cognito_gate
assert [m for m in ("fastapi", "uvicorn", "flask", "django") if u.find_spec(m)] == []
try:
    import cognito_gate.flask
except ImportError as exc:
    print(exc)
"""], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == ("cognito_gate.flask needs flask, which is not installed: "
                                    "pip install 'cognito-gate[flask]'")

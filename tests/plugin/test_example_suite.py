"""The README's example: its FastAPI app and the test suite for it are the files in
examples/fastapi/, and that suite passes when run the way a user runs it (a fresh pytest)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "fastapi"


def readme_block(after: str) -> str:
    """The first ```python block after the line containing ``after``."""
    text = (ROOT / "README.md").read_text("utf-8")
    match = re.search(re.escape(after) + r".*?```python\n(.*?)```", text, re.S)
    assert match, f"no python block after {after!r} in README.md"
    return match.group(1)


def test_the_readme_shows_the_example_app_and_suite_verbatim() -> None:
    assert readme_block("save it as `app.py`") == (EXAMPLE / "app.py").read_text("utf-8")
    assert readme_block("save it as `test_app.py`") == (EXAMPLE / "test_app.py").read_text(
        "utf-8")


def test_the_example_suite_passes_in_a_fresh_pytest() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE)],
        cwd=EXAMPLE, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"\b6 passed\b", run.stdout), run.stdout

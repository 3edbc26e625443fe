"""Refresh the README's screenshots from the browser tests' own: run the journey test (it saves
every page to test-artifacts/screenshots/), then crop three of them and save them as optimised
256-colour PNGs in docs/screenshots/.

    uv run --all-groups --with pillow python scripts/readme_screenshots.py [--no-run]

``--no-run`` reuses the last test run's pictures.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-artifacts" / "screenshots" / "test_sign_up_refresh_sign_out"
OUT = ROOT / "docs" / "screenshots"
TEST = "tests/e2e/test_journey.py::test_sign_up_refresh_sign_out"
# name: (the test's picture, crop box (left, top, right, bottom) of the 1100-pixel-wide page)
PICTURES = {
    "hosted-sign-in": ("02-hosted-sign-in.png", (330, 66, 770, 724)),
    "home-signed-in": ("05-home-signed-in.png", (0, 0, 1100, 690)),
    "protected": ("06-protected.png", (0, 0, 1100, 620)),
}


def main() -> None:
    if "--no-run" not in sys.argv:
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST]
        subprocess.run(command, cwd=ROOT, check=True)  # noqa: S603 (a fixed command)
    OUT.mkdir(parents=True, exist_ok=True)
    for name, (source, box) in PICTURES.items():
        with Image.open(SHOTS / source) as shot:
            picture = shot.convert("RGB").crop(box).quantize(256, method=Image.Quantize.MEDIANCUT)
            picture.save(OUT / f"{name}.png", optimize=True)
        print(f"{OUT / name}.png: {(OUT / f'{name}.png').stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()

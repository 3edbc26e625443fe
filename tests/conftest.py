"""Fixtures for every test directory."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import NoReturn

import pytest


@pytest.fixture(scope="session")
def missing_tool() -> Callable[[str], NoReturn]:
    """``missing_tool(reason)`` for a test that needs a tool this machine lacks (Chromium, npm…):
    locally the test is skipped and pytest's summary shows ``reason``; under ``CI=true`` it
    fails, so CI never passes with parts of the suite silently left out."""

    def missing(reason: str) -> NoReturn:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: a missing tool is an error)", pytrace=False)
        pytest.skip(reason)

    return missing

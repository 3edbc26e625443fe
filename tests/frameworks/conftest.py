"""Fixtures of the framework tests that run real servers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cognito_gate.local import LocalCognito
from cognito_gate.testing import fast_local_cognito


@pytest.fixture
def lc() -> Iterator[LocalCognito]:
    """Local Cognito served on a loopback port, for apps running in other processes."""
    lc = fast_local_cognito()
    with lc.serve():
        yield lc
    lc.close()

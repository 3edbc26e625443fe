"""Real boto3 against Local Cognito served on loopback (``lc.serve()``).

One pool per test module (starting one costs key generation); tests make their own users with
``new_email()``. Every successful response boto3 receives is checked against its operation's
output shape in botocore's own service model (``shapecheck``); a mismatch fails the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from cognito_gate.local import TEST_COST, LocalCognito

from ..conftest import KEYS
from .shapecheck import check_output
from .support import API_POOL


@pytest.fixture(scope="module")
def lc() -> Iterator[LocalCognito]:
    pool = LocalCognito(API_POOL, key_factory=KEYS.factory(), password_cost=TEST_COST)
    with pool.serve():
        yield pool
    pool.close()


@pytest.fixture(scope="module")
def checked() -> list[str]:
    """Every operation whose response was checked against its model shape in this module."""
    return []


@pytest.fixture
def idp(lc: LocalCognito, checked: list[str]) -> Iterator[Any]:
    client = boto3.client(
        "cognito-idp",
        endpoint_url=lc.base_url,
        region_name="eu-west-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    problems: list[str] = []

    def after_call(http_response: Any, model: Any, **_: Any) -> None:
        if http_response.status_code != 200:
            return
        body = json.loads(http_response.content or b"{}")
        problems.extend(check_output(model, body))
        checked.append(model.name)

    client.meta.events.register("after-call.cognito-idp", after_call)
    yield client
    assert problems == [], problems

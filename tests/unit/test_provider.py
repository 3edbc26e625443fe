"""Reading the provider's answers defensively: ``Retry-After`` never raises, is bounded."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cognito_gate import ProviderUnavailable
from cognito_gate.core.provider import retry_after

NOW = 1_800_000_000.0


@pytest.mark.parametrize(("value", "seconds"), [
    ("7", 7), (" 12 ", 12), ("0", 0), ("9" * 400, 300), ("86400", 300), (None, None), ("", None),
    ("²", None), ("٣", None), ("1.5", None), ("-5", None), ("inf", None), ("soon", None),
    (format_datetime(datetime.fromtimestamp(NOW + 42, UTC), usegmt=True), 42),
    (format_datetime(datetime.fromtimestamp(NOW - 42, UTC), usegmt=True), 0),
    ("Fri, 31 Dec 9999 23:59:59 GMT", 300), ("Mon, 99 Foo 0000 99:99:99 GMT", None),
])
def test_retry_after_parsed_from_ascii_seconds_or_http_date_and_bounded(
        value: str | None, seconds: int | None):
    assert retry_after(value, NOW) == seconds


@given(st.text(max_size=500))
def test_retry_after_never_raises_and_stays_within_bounds(value: str):
    seconds = retry_after(value, NOW)
    assert seconds is None or 0 <= seconds <= 300


@pytest.mark.parametrize(("given_value", "kept", "told"), [
    (None, None, 30), (0, 1, 1), (7, 7, 7), (10**400, 300, 300), (-10**400, 1, 1),
])
def test_provider_unavailable_bounds_the_retry_after_it_carries(
        given_value: int | None, kept: int | None, told: int):
    error = ProviderUnavailable("token_http_429", retry_after=given_value)
    assert (error.provider_retry_after, error.retry_after) == (kept, told)

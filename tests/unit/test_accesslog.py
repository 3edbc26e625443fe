"""The access log never carries the callback's code and state (nor tokens or secrets)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from uvicorn.logging import AccessFormatter

from cognito_gate import CognitoAuth, RedactSecrets, Settings
from cognito_gate.asgi import accesslog

ACCESS_FORMAT = '%s - "%s %s HTTP/%s" %d'  # uvicorn's own call (httptools_impl / h11_impl)
CALLBACK = "/callback/?code=c0de-5ecret&state=st4te-5ecret&iss=http%3A%2F%2Fx"


@pytest.fixture
def access_log() -> Iterator[io.StringIO]:
    """uvicorn's access logger with its own formatter, writing to a string; filters restored."""
    logger = logging.getLogger("uvicorn.access")
    saved_filters, saved_level = list(logger.filters), logger.level
    saved_propagate = logger.propagate
    for f in saved_filters:
        logger.removeFilter(f)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s',
                                         use_colors=False))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield out
    finally:
        logger.removeHandler(handler)
        for f in list(logger.filters):
            logger.removeFilter(f)
        for f in saved_filters:
            logger.addFilter(f)
        logger.setLevel(saved_level)
        logger.propagate = saved_propagate


def log_request(path: str) -> None:
    logging.getLogger("uvicorn.access").info(
        ACCESS_FORMAT, "127.0.0.1:5000", "GET", path, "1.1", 303)


def test_cognito_auth_makes_uvicorn_access_log_redact_code_and_state(
        access_log: io.StringIO, settings: Settings) -> None:
    log_request(CALLBACK)
    assert "c0de-5ecret" in access_log.getvalue()  # uvicorn alone logs the code
    CognitoAuth(settings)
    CognitoAuth(settings)  # installed once, however many apps
    log_request(CALLBACK)
    line = access_log.getvalue().splitlines()[-1]
    assert line == ('127.0.0.1:5000 - "GET /callback/?code=[redacted]&state=[redacted]'
                    '&iss=http%3A%2F%2Fx HTTP/1.1" 303 See Other')
    filters = logging.getLogger("uvicorn.access").filters
    assert sum(isinstance(f, RedactSecrets) for f in filters) == 1


@pytest.mark.parametrize("path", [
    "/x?access_token=SECRET", "/x?a=1&ID_TOKEN=SECRET&b=2", "/x?refresh_token=SECRET",
    "/x?token=SECRET", "/x?client_secret=SECRET", "/x?password=SECRET", "/x?nonce=SECRET",
    "/x?code_verifier=SECRET", "/x?a=1;code=SECRET",
])
def test_every_secret_parameter_is_redacted(path: str) -> None:
    assert "SECRET" not in accesslog.redact(path)
    assert "=[redacted]" in accesslog.redact(path)


@pytest.mark.parametrize("path", ["/x?zipcode=1&statement=2", "/code=1", "/x?mystate=3"])
def test_other_parameters_and_paths_are_left_alone(path: str) -> None:
    assert accesslog.redact(path) == path


def test_a_mapping_of_arguments_is_redacted_too() -> None:
    """gunicorn's access log passes its atoms as a mapping (``q`` is the bare query string)."""
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(r)s %(q)s",
                               None, None)
    record.args = {"r": "GET /callback/?code=SECRET HTTP/1.1", "q": "code=SECRET&state=S2"}
    assert RedactSecrets().filter(record)
    assert "SECRET" not in record.getMessage()
    assert "S2" not in record.getMessage()

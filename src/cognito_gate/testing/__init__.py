"""Test your own app against Local Cognito: a pytest plugin (installed with the package).

Fixtures (see README, "Testing your app"): ``local_cognito`` (a fresh in-process pool per test:
a :class:`LocalPool`), ``cognito_user``, ``cognito_machine``, ``bearer_token``,
``cognito_client`` (an ``httpx.AsyncClient`` signed in through the real hosted UI) and
``cognito_test_client`` (Starlette's ``TestClient``). Outside pytest, use ``LocalPool`` itself.
"""

__all__ = [
    "APP_URL",
    "TEST_ENV",
    "LocalPool",
    "MachineClient",
    "SignInFailed",
    "TestUser",
    "fast_local_cognito",
]

from .browser import SignInFailed
from .pool import APP_URL, TEST_ENV, LocalPool, MachineClient, TestUser, fast_local_cognito

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from cognito_gate.local import (
    TEST_COST,
    ClientConfig,
    GroupConfig,
    LocalCognito,
    PoolConfig,
    ResourceServerConfig,
    ReusedKeys,
    UserConfig,
)

WEB = ClientConfig(
    client_id="web-client",
    client_secret="webSecret123",
    callback_urls=("https://app.example.com/callback", "http://localhost:8000/callback/"),
    logout_urls=("https://app.example.com/signed-out",),
)
SPA = ClientConfig(client_id="spa-client", callback_urls=("https://spa.example.com/cb",))
OTHER = ClientConfig(
    client_id="other-client",
    client_secret="otherSecret456",
    callback_urls=("https://other.example.com/cb",),
    logout_urls=("https://other.example.com/bye",),
)
ROTATING = ClientConfig(
    client_id="rotating-client",
    client_secret="rotSecret789",
    callback_urls=("https://rot.example.com/cb",),
    rotation=True,
    rotation_grace_seconds=10,
)
MACHINE = ClientConfig(
    client_id="machine-client",
    client_secret="machineSecret1",
    allowed_flows=("client_credentials",),
    allowed_scopes=("orders/read", "orders/write"),
)
KEYS = ReusedKeys()  # RSA keys made once for the run: a fresh pool per test costs milliseconds
TEST_POOL = PoolConfig(
    pool_id="eu-west-1_TestPool1",
    clients=(WEB, SPA, OTHER, ROTATING, MACHINE),
    users=(
        UserConfig(
            "demo@example.com",
            "Demo-password-1",
            groups=("readers",),
            attributes={"name": "Demo User", "custom:tenant": "acme", "phone_number": "+15550100"},
        ),
        UserConfig("nogroups@example.com", "Other-password-2"),
        UserConfig("pending@example.com", "Pending-password-3", confirmed=False),
    ),
    groups=(GroupConfig("readers"),),
    resource_servers=(ResourceServerConfig("orders", "Orders API", ("read", "write")),),
)


@pytest.fixture
def lc() -> Iterator[LocalCognito]:
    pool = LocalCognito(TEST_POOL, admin_api=True, key_factory=KEYS.factory(),
                        password_cost=TEST_COST)
    yield pool
    pool.close()


@pytest.fixture
async def http(lc: LocalCognito) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=lc.app)
    async with httpx.AsyncClient(transport=transport, base_url=lc.base_url) as client:
        yield client

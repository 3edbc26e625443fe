"""Local Cognito: Amazon Cognito's hosted UI and OAuth 2.0/OIDC endpoints, offline.

A faithful stand-in for a Cognito user pool (reference: cognito-behaviour.md) for development,
demos and tests, with fault switches to test relying parties against a misbehaving provider.
It imports nothing from the cognito-gate client: two independent implementations of one
protocol catch each other's mistakes.
"""

from .clock import LocalClock
from .config import (
    ClientConfig,
    ConfigError,
    GroupConfig,
    IdentityProviderConfig,
    PoolConfig,
    ResourceServerConfig,
    UserConfig,
    demo_pool,
    load_config,
)
from .fault_injection import DroppedConnection
from .faults import FaultError, Faults
from .keys import ReusedKeys
from .local_cognito import LocalCognito, UserExistsError
from .passwords import DEFAULT_COST, TEST_COST

__all__ = [
    "DEFAULT_COST",
    "TEST_COST",
    "ClientConfig",
    "ConfigError",
    "DroppedConnection",
    "FaultError",
    "Faults",
    "GroupConfig",
    "IdentityProviderConfig",
    "LocalClock",
    "LocalCognito",
    "PoolConfig",
    "ResourceServerConfig",
    "ReusedKeys",
    "UserConfig",
    "UserExistsError",
    "demo_pool",
    "load_config",
]

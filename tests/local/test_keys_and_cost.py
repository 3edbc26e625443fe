"""What makes a fresh pool cheap for test suites: reused RSA keys and an explicit scrypt cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from cognito_gate.local import DEFAULT_COST, TEST_COST, ConfigError, LocalCognito, ReusedKeys
from cognito_gate.local.passwords import hash_password, verify_password


def test_the_scrypt_cost_is_recorded_in_each_hash_and_used_to_verify_it() -> None:
    cheap, dear = hash_password("Pw-1234!", TEST_COST), hash_password("Pw-1234!", DEFAULT_COST)
    assert cheap.startswith("scrypt$16$8$1$")
    assert dear.startswith("scrypt$16384$8$1$")
    # a pool's cost only decides new hashes: an old hash keeps verifying at its own cost
    assert verify_password("Pw-1234!", dear, TEST_COST)
    assert not verify_password("Pw-1234?", cheap, DEFAULT_COST)
    assert not verify_password("Pw-1234!", None, TEST_COST)


def test_a_pool_hashes_its_users_at_its_password_cost() -> None:
    lc = LocalCognito(password_cost=TEST_COST)
    user = lc.user("demo@example.com")
    assert user is not None
    assert user.password_hash.startswith("scrypt$16$")
    lc.close()


@pytest.mark.parametrize("cost", [0, 21])
def test_a_password_cost_out_of_range_is_refused_at_start(cost: int) -> None:
    with pytest.raises(ConfigError, match="password_cost must be 1-20"):
        LocalCognito(password_cost=cost)


def test_reused_keys_are_shared_between_pools_and_distinct_within_one() -> None:
    keys = ReusedKeys()
    first = LocalCognito(key_factory=keys.factory(), password_cost=TEST_COST)
    second = LocalCognito(key_factory=keys.factory(), password_cost=TEST_COST)
    for purpose in ("id", "access"):
        a, b = first.keys.signing_key(purpose), second.keys.signing_key(purpose)
        assert a.private_key is b.private_key
        assert a.kid != b.kid
    before = {k.private_key for k in first.keys.published()}
    first.rotate_keys()
    after = first.keys.published()
    assert len({k.private_key for k in after}) == 4  # two retired, two new: all different
    assert {first.keys.signing_key(p).private_key for p in ("id", "access")}.isdisjoint(before)
    assert first.keys.foreign_key.private_key not in {k.private_key for k in after}
    first.close()
    second.close()


def test_a_pool_reopened_from_its_file_signs_with_the_keys_it_stored(tmp_path: Path) -> None:
    path = str(tmp_path / "pool.sqlite3")
    first = LocalCognito(data=path, password_cost=TEST_COST)
    jwks = first.keys.jwks()
    first.close()
    again = LocalCognito(data=path, password_cost=TEST_COST)
    assert again.keys.jwks() == jwks
    n = again.keys.signing_key("id").private_key.private_numbers()
    assert n.p * n.q == n.public_numbers.n  # loaded without re-validation, and still right
    again.close()

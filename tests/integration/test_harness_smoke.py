"""The harness itself: a full sign-in through the real Local Cognito lands on the asked page."""

from __future__ import annotations

from .harness import World


async def test_sign_in_returns_to_the_requested_page(world: World) -> None:
    final = await world.sign_in("/protected")
    assert final.status_code == 200
    assert "secret page for demo@example.com" in final.text
    assert str(final.url).endswith("/protected")
    home = await world.get("/")
    assert "Signed in as demo@example.com" in home.text

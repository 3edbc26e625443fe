"""The demo shows authorization: `/admin` for the `admins` group (the demo user is not in it, and
meets the demo's styled 403 page) and `/api/reports` for the `reports/read` scope, which a
machine gets through the client-credentials grant of Local Cognito's demo pool."""

from __future__ import annotations

from .harness import World

PAGE, JSON = {"accept": "text/html"}, {"accept": "application/json"}


async def test_the_demo_user_is_not_an_admin_and_sees_the_styled_403_page(demo: World) -> None:
    await demo.sign_in("/protected")
    page = await demo.get("/admin", headers=PAGE)
    assert page.status_code == 403
    assert "Not allowed" in page.text
    assert 'class="who"' in page.text  # the demo's own page: its header shows who is signed in
    assert "forbidden" in page.text


async def test_a_member_of_admins_sees_the_admin_page(demo: World) -> None:
    demo.lc.add_user("ada@example.com", "Ada-password-1", groups=["admins"])
    await demo.sign_in("/protected", email="ada@example.com", password="Ada-password-1")
    page = await demo.get("/admin", headers=PAGE)
    assert page.status_code == 200
    assert "<h1>Admin</h1>" in page.text


async def test_an_anonymous_visitor_of_admin_is_sent_to_sign_in(demo: World) -> None:
    page = await demo.get("/admin", headers=PAGE)
    assert page.status_code == 303
    assert page.headers["location"].endswith("/login?return_to=/admin")


async def test_a_machine_with_the_scope_reads_the_reports_api(demo: World) -> None:
    grant = await demo.provider_http.post(
        f"{demo.lc.base_url}/oauth2/token", data={"grant_type": "client_credentials",
                                                  "scope": "reports/read"},
        auth=("cognito-gate-demo-reports", "demo-reports-secret"))
    token = grant.json()["access_token"]
    answer = await demo.get("/api/reports", headers={"authorization": f"Bearer {token}"})
    assert answer.json() == {"caller": "machine", "client_id": "cognito-gate-demo-reports",
                             "reports": ["q3"]}


async def test_a_signed_in_user_without_the_scope_gets_403_json(demo: World) -> None:
    await demo.sign_in("/protected")
    answer = await demo.get("/api/reports", headers=JSON)
    assert (answer.status_code, answer.json()["error"]) == (403, "forbidden")

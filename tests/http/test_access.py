"""Authentication and tenant isolation over real HTTP."""

from __future__ import annotations

VIEWER = "{ viewer { name permissions partner { name kind } } }"


async def test_no_token_gets_401_and_no_data(api):
    response = await api.post(VIEWER, token=None)
    body = response.json()
    assert response.status_code == 401
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_unknown_token_gets_401(api):
    response = await api.post(VIEWER, token="not-a-token")
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_viewer_sees_own_company_and_permissions(api):
    data = await api(VIEWER, token="demo-alice")
    assert data["viewer"]["permissions"] == ["QUOTE_EDIT", "CONTACT_EDIT"]
    assert data["viewer"]["partner"]["kind"] == "PARTNER"
    assert (await api(VIEWER, token="demo-victor"))["viewer"]["permissions"] == []

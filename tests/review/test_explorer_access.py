"""Who may open the evidence explorer, and what a read-only viewer may not open."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route

from pipeline.evidence.store import Store
from pipeline.review import accounts
from pipeline.review.explorer import viewer_may

from .conftest import login

VIEWER_PASSWORD = "viewer-password-1"


@pytest.fixture
def viewer(client: TestClient, db_url: str) -> TestClient:
    store = Store.open(db_url)
    accounts.add_user(store, "vera", VIEWER_PASSWORD, "viewer")
    store.dispose()
    assert login(client, "vera", VIEWER_PASSWORD).headers["location"] == "/evidence"
    return client


def closed_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route a viewer may not open, path parameters filled in."""
    found = []
    for route in app.routes:
        if not isinstance(route, Route) or route.path == "/login":
            continue
        path = route.path.replace("{passage_id}", "p0")
        if not viewer_may(path):
            found += [(method, path) for method in sorted(route.methods or ()) if method != "HEAD"]
    return found


def test_a_viewer_cannot_open_any_review_admin_or_export_route(app, viewer: TestClient):
    closed = closed_routes(app)
    paths = {path for _, path in closed}
    assert {"/queue", "/item/p0", "/item/p0/decide", "/undo", "/mine", "/status", "/admin/users", "/export/reviews.csv", "/export/argilla.json", "/admin/settle/p0"} <= paths
    for method, path in closed:
        response = viewer.request(method, path, follow_redirects=False)
        assert response.status_code == 403, (method, path, response.status_code)
        assert "This page is for reviewers" in response.text


def test_a_viewer_lands_on_the_evidence_and_the_review_links_are_gone(viewer: TestClient):
    home = viewer.get("/", follow_redirects=False)
    assert home.headers["location"] == "/evidence"
    page = viewer.get("/account").text
    assert 'href="/evidence"' in page and 'href="/queue"' not in page and "/review.js" not in page


def test_a_viewer_decides_nothing(viewer: TestClient, db_url: str):
    response = viewer.post("/item/p0/decide", data={"decision": "accept", "goals": "3"})
    assert response.status_code == 403
    assert Store.open(db_url).reviews("levelling-up") == []


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_reviewers_and_admins_keep_the_queue_and_see_the_explorer_link(client: TestClient, role: str):
    login(client, "rita" if role == "reviewer" else "ada")
    page = client.get("/queue")
    assert page.status_code == 200 and 'href="/evidence"' in page.text


def test_the_viewer_role_is_offered_on_the_users_page(client: TestClient):
    login(client, "ada")
    assert '<option value="viewer">' in client.get("/admin/users").text

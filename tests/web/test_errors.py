"""Unexpected failures become 500 problem documents; secrets never reach the logs."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from comity.core.settings import load_settings
from comity.web.app import create_app
from tests.web.conftest import LiveServer, assert_problem, start_server, stop_server


def test_unexpected_exception_is_a_logged_500_problem(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(load_settings(home=tmp_path / "node"))

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("internal detail /srv/secret/path")

    caplog.set_level(logging.ERROR, logger="comity.web")
    server, thread, url = start_server(app)
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            response = client.get("/api/v1/boom")
    finally:
        stop_server(server, thread)
    doc = assert_problem(response, 500, "internal-error")
    assert "/srv/secret/path" not in response.text and "RuntimeError" not in response.text
    assert doc["incident"] in caplog.text
    assert "RuntimeError" in caplog.text


def test_node_without_database_answers_with_a_problem(tmp_path: Path) -> None:
    """An uninitialized node: requests fail with a problem document, never a traceback."""
    app = create_app(load_settings(home=tmp_path / "empty"))
    server, thread, url = start_server(app)
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            response = client.get("/api/v1/node", headers={"Authorization": "Bearer abc"})
    finally:
        stop_server(server, thread)
    assert response.status_code in (500, 503)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in response.text


def test_credentials_are_not_logged(live: LiveServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token, password = "tok-SECRET-4711", "pw-SECRET-0815"
    with live.client(token) as client:
        assert_problem(client.get("/api/v1/cases"), 401)
    with live.client(auth=("admin", password)) as client:
        assert_problem(client.get("/api/v1/cases"), 401)
    with live.admin() as admin:
        created = admin.post(
            "/api/v1/users",
            json={"username": "logcheck", "roles": ["analyst"], "password": password + "-long"},
        )
        assert created.status_code in (201, 409)
        weak = admin.post(
            "/api/v1/users",
            json={"username": "weakpw", "roles": ["analyst"], "password": "pw-SECRET"},
        )
        assert_problem(weak, 422)
        assert "pw-SECRET" not in weak.text
    assert "authentication failed" in caplog.text
    assert token not in caplog.text and password not in caplog.text
    assert live.admin_token not in caplog.text


def test_node_key_rotation_over_the_api(backend: str, tmp_path: Path) -> None:
    from tests.web.conftest import running_node

    with (
        running_node(backend, tmp_path, code="HSI", country="US", agency="HSI C3") as node,
        node.admin() as admin,
    ):
        before = admin.get("/api/v1/node").json()["keys"]["signing"]["fingerprint"]
        analyst = admin.post("/api/v1/users", json={"username": "ana", "roles": ["analyst"]})
        with node.client(analyst.json()["token"]) as client:
            assert_problem(client.post("/api/v1/node/keys/rotate", json={}), 403)
            assert_problem(client.post("/api/v1/users/ana/tokens"), 403)
        rotated = admin.post("/api/v1/node/keys/rotate", json={"reason": "annual"})
        assert rotated.status_code == 200, rotated.text
        after = rotated.json()["keys"]["signing"]["fingerprint"]
        assert after != before
        assert admin.get("/api/v1/node").json()["keys"]["signing"]["fingerprint"] == after
        descriptor = admin.get("/api/v1/node/descriptor").json()
        assert descriptor["keys"]["signing"] == rotated.json()["keys"]["signing"]["public_key"]

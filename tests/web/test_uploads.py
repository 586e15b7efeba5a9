"""Upload work folders: private, locked while in use, and removed after a crash."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import httpx
import pytest

from comity.core.settings import load_settings
from comity.web.app import create_app
from comity.web.uploads import (
    LOCK_NAME,
    UPLOADS_DIR,
    clean_stale_uploads,
    new_work_folder,
    remove_work_folder,
    safe_filename,
)
from tests.web.conftest import LiveServer, assert_problem, open_case, start_server, stop_server


def crashed_folder(home: Path, name: str, with_lock: bool = True) -> Path:
    """A work folder as a crashed server leaves it: files inside, its lock released."""
    folder = home / UPLOADS_DIR / name
    (folder / "incoming").mkdir(parents=True)
    (folder / "incoming" / "evidence.img").write_bytes(b"plaintext evidence")
    if with_lock:
        (folder / LOCK_NAME).write_bytes(b"")
    return folder


def test_only_unlocked_folders_are_cleaned(tmp_path: Path) -> None:
    home = tmp_path / "node"
    live_folder = new_work_folder(home)
    try:
        assert stat.S_IMODE(live_folder.stat().st_mode) == 0o700
        dead = crashed_folder(home, "dead")
        young = crashed_folder(home, "young", with_lock=False)
        old = crashed_folder(home, "old", with_lock=False)
        os.utime(old, (0, 0))
        assert clean_stale_uploads(home) == 2
        assert live_folder.is_dir() and young.is_dir()
        assert not dead.exists() and not old.exists()
    finally:
        remove_work_folder(live_folder)
    assert not live_folder.exists()
    assert clean_stale_uploads(home) == 0


def test_server_start_removes_a_crashed_servers_uploads(tmp_path: Path) -> None:
    home = tmp_path / "node"
    dead = crashed_folder(home, "crashed")
    server, thread, url = start_server(create_app(load_settings(home=home)))
    try:
        assert httpx.get(f"{url}/openapi.json", timeout=30).status_code == 200
    finally:
        stop_server(server, thread)
    assert not dead.exists()


def test_file_names_are_reduced_to_safe_base_names() -> None:
    assert safe_filename("C:\\Users\\x\\phone.img") == "phone.img"
    assert safe_filename("dir/sub/.bash_history") == ".bash_history"
    for bad in ("", "..", "a/..", "x\x00y", "tab\there", "n" * 300):
        try:
            safe_filename(bad)
        except Exception as exc:
            assert type(exc).__name__ == "UploadRefused"
        else:
            raise AssertionError(f"accepted {bad!r}")


def test_upload_names_that_meet_the_work_folders_own_files(live: LiveServer) -> None:
    with live.admin() as admin:
        case = open_case(admin, "Odd names")
        url = f"/api/v1/cases/{case['reference']}/evidence"
        for name in (LOCK_NAME, "receipt.json", "incoming"):
            response = admin.post(url, params={"filename": name}, content=name.encode())
            assert response.status_code == 201, response.text
            item = response.json()["items"][0]
            assert item["name"] == name
            assert item["hashes"]["sha256"] == hashlib.sha256(name.encode()).hexdigest()
        traversal = admin.post(url, files={"f": ("../../../etc/passwd", b"x")})
        assert traversal.status_code == 201, traversal.text
        assert traversal.json()["items"][0]["name"] == "passwd"
        assert_problem(admin.post(url, params={"filename": "a\tb"}, content=b"x"), 400)
    leftovers = list((live.settings.home / UPLOADS_DIR).iterdir())
    assert leftovers == []


def test_a_stalled_upload_is_refused(live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    from urllib.parse import urlsplit

    from comity.web import uploads

    monkeypatch.setattr(uploads, "IDLE_SECONDS", 1.0)
    with live.admin() as admin:
        case = open_case(admin, "Stalled")
    address = urlsplit(live.url)
    request = (
        f"POST /api/v1/cases/{case['reference']}/evidence?filename=slow.bin HTTP/1.1\r\n"
        f"Host: {address.netloc}\r\nAuthorization: Bearer {live.admin_token}\r\n"
        "Content-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n"
    ).encode() + b"only a little"
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"application/problem+json" in answer
    with live.admin() as admin:
        assert admin.get(f"/api/v1/cases/{case['reference']}/evidence").json()["items"] == []

"""``comity serve`` as a real process: plain HTTP, HTTPS with a self-signed certificate, bad TLS."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import CliNode
from tests.web.conftest import free_port

STARTUP_SECONDS = 60.0


@pytest.fixture
def initialized(cli_node_factory) -> CliNode:  # type: ignore[no-untyped-def]
    node: CliNode = cli_node_factory("serve")
    node.run(
        "init",
        "--agency",
        "Federal Bureau of Investigation",
        "--agency-code",
        "FBI",
        "--country",
        "US",
        check=True,
    )
    return node


def self_signed(folder: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for 127.0.0.1 and its key; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "comity test node")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "node.crt", folder / "node.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.chmod(key_path, 0o600)
    return cert_path, key_path


@pytest.fixture
def serve_process(initialized: CliNode) -> Iterator[object]:
    """Start ``comity serve ARGS`` and stop it after the test (bounded)."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "comity.cli.main", "serve", *args],
            env=initialized.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.terminate()
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(timeout=20)


def wait_for(
    url: str, proc: subprocess.Popen[str], verify: ssl.SSLContext | bool = True
) -> httpx.Response:
    """Poll ``url`` until it answers, the process dies, or the time is up."""
    deadline = time.monotonic() + STARTUP_SECONDS
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _out, err = proc.communicate(timeout=10)
            raise AssertionError(f"comity serve exited {proc.returncode}: {err}")
        try:
            return httpx.get(url, verify=verify, timeout=5)
        except httpx.TransportError as exc:
            last = exc
            time.sleep(0.2)
    raise AssertionError(f"no answer from {url}: {last}")


def test_serve_answers_openapi(initialized: CliNode, serve_process) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    proc = serve_process("--port", str(port))
    response = wait_for(f"http://127.0.0.1:{port}/openapi.json", proc)
    assert response.status_code == 200
    assert "/api/v1/cases" in response.json()["paths"]
    unauthenticated = httpx.get(f"http://127.0.0.1:{port}/api/v1/node", timeout=10)
    assert unauthenticated.status_code == 401
    assert "server" not in unauthenticated.headers


def test_serve_with_tls_answers_https(
    initialized: CliNode,
    serve_process,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    cert, key = self_signed(tmp_path)
    port = free_port()
    proc = serve_process("--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key))
    trust = ssl.create_default_context(cafile=str(cert))
    response = wait_for(f"https://127.0.0.1:{port}/openapi.json", proc, verify=trust)
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Comity"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=5).raise_for_status()


def test_serve_refuses_incomplete_or_unreadable_tls(initialized: CliNode, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    port = str(free_port())
    only_cert = initialized.run("serve", "--port", port, "--tls-cert", str(cert), timeout=60)
    assert only_cert.code == 2, only_cert.err
    assert "--tls-key" in only_cert.err
    only_key = initialized.run("serve", "--port", port, "--tls-key", str(key), timeout=60)
    assert only_key.code == 2
    missing = initialized.run(
        "serve",
        "--port",
        port,
        "--tls-cert",
        str(tmp_path / "none.crt"),
        "--tls-key",
        str(key),
        timeout=60,
    )
    assert missing.code == 2 and "cannot read" in missing.err
    garbage = tmp_path / "garbage.crt"
    garbage.write_text("not a certificate")
    unusable = initialized.run(
        "serve", "--port", port, "--tls-cert", str(garbage), "--tls-key", str(key), timeout=60
    )
    assert unusable.code == 2 and "Traceback" not in unusable.err


def test_serve_refuses_an_uninitialized_node(cli_node_factory) -> None:  # type: ignore[no-untyped-def]
    empty: CliNode = cli_node_factory("empty")
    result = empty.run("serve", "--port", str(free_port()), timeout=60)
    assert result.code == 2, result.err
    assert "comity init" in result.err

"""``comity serve``: run the HTTP API with uvicorn.

    comity serve                                   # http://127.0.0.1:8400
    comity serve --host 0.0.0.0 --tls-cert node.crt --tls-key node.key

The node must be initialized. TLS needs both a certificate and its key, readable and matching;
anything else exits with status 2 before the server starts. Serving without TLS on an address
other than loopback prints a warning: credentials would cross the network in clear.
"""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

import typer

from comity.cli.common import err_console, state
from comity.core.errors import InvalidInput

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def _check_tls(cert: Path | None, key: Path | None) -> None:
    """Refuse incomplete, unreadable or mismatched TLS material (exit 2)."""
    if cert is None and key is None:
        return
    if cert is None or key is None:
        raise InvalidInput("TLS needs both --tls-cert and --tls-key")
    for label, path in (("certificate", cert), ("key", key)):
        try:
            with path.open("rb") as handle:
                handle.read(1)
        except OSError as exc:
            raise InvalidInput(f"cannot read the TLS {label} {path}: {exc.strerror}") from exc
    try:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
    except (ssl.SSLError, ValueError, OSError) as exc:
        raise InvalidInput(f"unusable TLS certificate or key: {exc}") from exc


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8400, "--port", min=0, max=65535, help="Port to listen on."),
    tls_cert: Path = typer.Option(None, "--tls-cert", help="TLS certificate chain (PEM)."),
    tls_key: Path = typer.Option(None, "--tls-key", help="TLS private key (PEM)."),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level."),
) -> None:
    """Serve the HTTP API (OpenAPI description at /openapi.json)."""
    import uvicorn

    from comity.identity.services import describe_node
    from comity.web.app import create_app

    _check_tls(tls_cert, tls_key)
    if log_level.lower() not in LOG_LEVELS:
        raise InvalidInput(f"--log-level must be one of {', '.join(LOG_LEVELS)}")
    st = state(ctx)
    _ = st.ctx.address_key  # raises ConfigurationError (exit 2) before 'comity init'
    with st.ctx.transaction() as session:
        node = describe_node(session)
    if tls_cert is None and not _is_loopback(host):
        err_console.print(
            f"warning: serving without TLS on {host}; use --tls-cert and --tls-key",
            highlight=False,
        )
    scheme = "https" if tls_cert else "http"
    err_console.print(
        f"Serving the node of {node['agency']['code']} on {scheme}://{host}:{port}",
        highlight=False,
    )
    uvicorn.run(
        create_app(st.settings, st.ctx),
        host=host,
        port=port,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
        log_level=log_level.lower(),
        server_header=False,
        proxy_headers=False,
    )
    st.ctx.dispose()

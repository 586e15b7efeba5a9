"""HTTP routes for evidence packages: export (download), import, receipts, verify, unseal.

They call the same services as ``comity evidence export|import|receipt|unseal`` and
``comity verify``. Packages travel as one file (``.tar``, ``.zip`` or sealed); uploads are
streamed to a private folder under the node home like evidence uploads, and downloads are
written there first and removed once sent. Server-side paths never appear in answers: the
signed receipt an import produces is returned in the answer itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask

from comity.core.errors import InvalidInput
from comity.evidence.package import export_package
from comity.evidence.transfer import import_package, record_receipt, unseal_package
from comity.evidence.verify import load_trust_file, verify_package
from comity.web.auth import StandaloneActorDep
from comity.web.deps import CtxDep
from comity.web.uploads import (
    allow_large_body,
    disposition_filename,
    new_work_folder,
    receive_one_file,
    receive_upload,
    remove_work_folder,
    upload_folder,
)

router = APIRouter(prefix="/api/v1", tags=["packages"])

MEDIA_TYPES = {"tar": "application/x-tar", "zip": "application/zip"}
SEALED_MEDIA_TYPE = "application/octet-stream"
MAX_RECEIPT_BYTES = 16 << 20

_PACKAGE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "The package file (.tar, .zip or sealed): multipart/form-data with one file part, "
            "or the raw bytes. Streamed to disk: not bound by the API's request-size limit."
        ),
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}
_RECEIPT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The signed receipt (JSON) the recipient node sent back.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


class ExportRequest(BaseModel):
    """What to export, for whom, in which form."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=32, description="The recipient peer's code.")
    items: list[str] = Field(
        default_factory=list, max_length=10_000, description="Item ids or exhibits (default all)."
    )
    format: Literal["tar", "zip"] = Field("tar", description="Ignored when encrypt is set.")
    encrypt: bool = Field(False, description="Seal the package for the recipient's key.")
    purpose: str | None = Field(None, max_length=500)
    authority: str | None = Field(None, max_length=500)


def _without_paths(result: dict[str, Any], *keys: str) -> dict[str, Any]:
    """Drop server-side file paths from a service's answer."""
    return {k: v for k, v in result.items() if k not in keys}


def _upload_name(request: Request, filename: str | None) -> str:
    return filename or disposition_filename(request.headers.get("content-disposition")) or "package"


@router.post(
    "/cases/{case}/packages",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The package file; its id and tag-manifest hash are in headers.",
            "content": {"application/x-tar": {}, "application/zip": {}, SEALED_MEDIA_TYPE: {}},
        }
    },
)
async def export(
    case: str, body: ExportRequest, ctx: CtxDep, actor: StandaloneActorDep
) -> FileResponse:
    """Export a case's evidence as a signed package for a peer, and download it."""
    folder = await anyio.to_thread.run_sync(new_work_folder, ctx.settings.home)
    name = "package.sealed" if body.encrypt else f"package.{body.format}"
    out = folder / name
    username = actor.username
    try:
        result = await anyio.to_thread.run_sync(
            lambda: export_package(
                ctx,
                username,
                case,
                body.items,
                body.to,
                out,
                encrypt=body.encrypt,
                purpose=body.purpose,
                authority=body.authority,
            )
        )
    except BaseException:
        await anyio.to_thread.run_sync(remove_work_folder, folder)
        raise
    download = f"{result['package_id']}{Path(name).suffix}"
    return FileResponse(
        out,
        media_type=SEALED_MEDIA_TYPE if body.encrypt else MEDIA_TYPES[body.format],
        filename=download,
        headers={
            "Comity-Package-Id": str(result["package_id"]),
            "Comity-Manifest-SHA256": str(result.get("manifest_sha256") or ""),
        },
        background=BackgroundTask(remove_work_folder, folder),
    )


@router.post(
    "/packages/import",
    status_code=201,
    openapi_extra=_PACKAGE_BODY,
    dependencies=[Depends(allow_large_body)],
)
async def import_(
    request: Request,
    ctx: CtxDep,
    actor: StandaloneActorDep,
    case: Annotated[
        str | None, Query(description="Add the items to this case (default: a new case).")
    ] = None,
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> dict[str, Any]:
    """Verify a package from a peer and take its evidence into custody.

    The answer carries the signed ``receipt`` to send back to the sender.
    """
    username = actor.username
    async with upload_folder(ctx.settings.home) as folder:
        upload = await receive_one_file(request, folder, filename=_upload_name(request, filename))
        package = upload.files[0]
        receipt_path = folder / "receipt.json"
        result = await anyio.to_thread.run_sync(
            lambda: import_package(ctx, username, package, case_ref=case, receipt_out=receipt_path)
        )
        receipt = json.loads(receipt_path.read_text(encoding="utf-8"))
    return {**_without_paths(result, "receipt_path"), "receipt": receipt}


@router.post("/packages/receipts", openapi_extra=_RECEIPT_BODY)
async def receipt(request: Request, ctx: CtxDep, actor: StandaloneActorDep) -> dict[str, Any]:
    """Record a recipient's signed receipt: each item's ledger gets a ``transferred`` event."""
    body = await request.body()
    if not body.strip():
        raise InvalidInput("send the receipt (JSON) as the request body")
    if len(body) > MAX_RECEIPT_BYTES:
        raise InvalidInput("the receipt is too large")
    username = actor.username
    async with upload_folder(ctx.settings.home) as folder:
        path = folder / "receipt.json"
        await anyio.to_thread.run_sync(path.write_bytes, body)
        return await anyio.to_thread.run_sync(lambda: record_receipt(ctx, username, path))


@router.post(
    "/packages/verify",
    openapi_extra=_PACKAGE_BODY,
    dependencies=[Depends(allow_large_body)],
)
async def verify(
    request: Request,
    ctx: CtxDep,
    actor: StandaloneActorDep,
    trust: Annotated[
        list[str] | None,
        Query(description="The sender's Ed25519 public key (base64url); repeat."),
    ] = None,
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> dict[str, Any]:
    """Verify a package: structure, hashes, custody ledgers, signature.

    Trusted keys come as ``trust`` query parameters or multipart text fields (a key, or a node
    descriptor's JSON). The report comes with status 200 whether or not the package is intact:
    read ``ok`` and ``problems``.
    """
    async with upload_folder(ctx.settings.home) as folder:
        upload = await receive_upload(request, folder, filename=_upload_name(request, filename))
        if len(upload.files) != 1:
            raise InvalidInput(f"send one package file, not {len(upload.files)}")
        package = upload.files[0]
        keys = [*(trust or []), *upload.fields.get("trust", [])]
        limit = ctx.settings.max_package_expansion

        def run() -> dict[str, Any]:
            trusted: dict[str, Any] | None = None
            if keys:
                trusted = {}
                trust_dir = folder / ".trust"
                trust_dir.mkdir(mode=0o700)
                for index, text in enumerate(keys):
                    path = trust_dir / f"trust-{index}"
                    path.write_text(text, encoding="utf-8")
                    trusted.update(load_trust_file(path))
            report = verify_package(package, trusted, max_expansion=limit).as_dict()
            return {**report, "path": package.name}

        return await anyio.to_thread.run_sync(run)


@router.post(
    "/packages/unseal",
    response_class=FileResponse,
    openapi_extra=_PACKAGE_BODY,
    dependencies=[Depends(allow_large_body)],
    responses={200: {"content": {"application/x-tar": {}}}},
)
async def unseal(
    request: Request,
    ctx: CtxDep,
    actor: StandaloneActorDep,
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> FileResponse:
    """Decrypt a sealed package addressed to this node; download the verified plain bag (tar).

    The verification status is in the ``Comity-Verification`` header.
    """
    username = actor.username
    folder = await anyio.to_thread.run_sync(new_work_folder, ctx.settings.home)
    try:
        upload = await receive_one_file(request, folder, filename=_upload_name(request, filename))
        out = folder / "plain.tar"
        sealed = upload.files[0]
        result = await anyio.to_thread.run_sync(lambda: unseal_package(ctx, username, sealed, out))
        await anyio.to_thread.run_sync(sealed.unlink)
    except BaseException:
        await anyio.to_thread.run_sync(remove_work_folder, folder)
        raise
    return FileResponse(
        out,
        media_type="application/x-tar",
        filename=f"{result.get('package_id') or 'package'}.tar",
        headers={"Comity-Verification": str(result.get("status") or "")},
        background=BackgroundTask(remove_work_folder, folder),
    )


class CertificateRequest(BaseModel):
    """Which court certificate to prepare for an item."""

    model_config = ConfigDict(extra="forbid")

    law: str = Field(min_length=1, max_length=50, description="e.g. IN-BSA-63, US-FRE-902-14.")
    format: Literal["pdf", "markdown"] = "pdf"
    part: str | None = Field(None, max_length=10, description="IN-BSA-63: A, B or both.")
    verify_content: bool = Field(False, description="Re-hash the stored bytes first.")


@router.get("/certificates/kinds", tags=["certificates"])
def certificate_kinds_route(actor: StandaloneActorDep) -> dict[str, Any]:
    """The certificates this node can prepare (law id, title, parts)."""
    from comity.evidence.certificates import certificate_kinds

    return {
        "kinds": [
            {"law": k.law, "title": k.title, "parts": list(k.parts)}
            for k in certificate_kinds().values()
        ]
    }


@router.post(
    "/evidence/{item:path}/certificate",
    tags=["certificates"],
    response_class=FileResponse,
    responses={200: {"content": {"application/pdf": {}, "text/markdown": {}}}},
)
async def certificate(
    item: str, body: CertificateRequest, ctx: CtxDep, actor: StandaloneActorDep
) -> FileResponse:
    """Prepare the certificate a court requires for an electronic record, pre-filled.

    Producing it is audited and recorded in the item's custody ledger; the document's SHA-256
    and the custody event number are in the ``Comity-Document-SHA256`` and
    ``Comity-Custody-Event`` headers.
    """
    from comity.evidence.certificates import produce_certificate

    suffix = ".pdf" if body.format == "pdf" else ".md"
    folder = await anyio.to_thread.run_sync(new_work_folder, ctx.settings.home)
    out = folder / f"certificate{suffix}"
    username = actor.username
    try:
        result = await anyio.to_thread.run_sync(
            lambda: produce_certificate(
                ctx,
                username,
                item,
                body.law,
                out,
                part=body.part,
                verify_content=body.verify_content,
            )
        )
    except BaseException:
        await anyio.to_thread.run_sync(remove_work_folder, folder)
        raise
    safe_exhibit = result.exhibit.replace("/", "_")
    return FileResponse(
        out,
        media_type="application/pdf" if body.format == "pdf" else "text/markdown; charset=utf-8",
        filename=f"{safe_exhibit}-{result.law}{suffix}",
        headers={
            "Comity-Document-SHA256": result.document_sha256,
            "Comity-Custody-Event": str(result.custody_event),
            "Comity-Blanks": str(result.blanks),
        },
        background=BackgroundTask(remove_work_folder, folder),
    )

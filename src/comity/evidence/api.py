"""HTTP routes for evidence: streamed upload, listing, items, custody log and verification.

The upload route streams the body to a private folder under the node home, then hands the
files to :func:`comity.evidence.ingest.ingest` — the same ingest the CLI uses — and returns the
JSON ``comity evidence add --json`` prints. Exhibit numbers contain a slash
(``CBI-2026-0001/E1``); item routes accept them as they are, or an item's UUID.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from comity.cases.services import get_case, require_case_write
from comity.core.errors import InvalidInput
from comity.core.timeutil import parse_time, zone
from comity.evidence.ingest import DEVICE_TYPES, IngestOptions, ingest, item_summary
from comity.evidence.services import custody_log, get_item, list_items, verify_custody
from comity.web.auth import ActorDep, StandaloneActorDep
from comity.web.deps import CtxDep, SessionDep
from comity.web.uploads import allow_large_body, receive_upload, upload_folder

router = APIRouter(prefix="/api/v1", tags=["evidence"])


class Acquisition(BaseModel):
    """Acquisition metadata of an upload: query parameters or multipart text fields."""

    model_config = ConfigDict(extra="forbid")

    examiner: str | None = Field(None, max_length=200)
    tool: str | None = Field(None, max_length=200, description="Acquisition tool.")
    tool_version: str | None = Field(None, max_length=100)
    device_type: str | None = Field(None, description=f"One of: {', '.join(DEVICE_TYPES)}.")
    make: str | None = Field(None, max_length=200)
    model: str | None = Field(None, max_length=200)
    colour: str | None = Field(None, max_length=100)
    serial: str | None = Field(None, max_length=200)
    imei: str | None = Field(None, max_length=64)
    mac: str | None = Field(None, max_length=64)
    cloud_id: str | None = Field(None, max_length=500)
    seized_at: str | None = Field(None, description="ISO 8601 time of seizure, with offset.")
    seizure_timezone: str | None = Field(None, description="IANA zone of the seizure.")
    place: str | None = Field(None, max_length=500, description="Place of seizure.")
    authority: str | None = Field(None, max_length=500, description="Warrant or order.")
    purpose: str | None = Field(None, max_length=500)
    md5: bool = Field(False, description="Also compute MD5.")
    sha1: bool = Field(False, description="Also compute SHA-1.")
    expected_sha256: list[str] = Field(
        default_factory=list,
        description="HASH (one file) or NAME=HASH; the upload is refused on a mismatch.",
    )
    filename: str | None = Field(
        None, max_length=255, description="Name of the file sent as a raw body."
    )
    hash_list: str | None = Field(
        None,
        max_length=64 * 1024,
        description="A sha256sum-style list ('HASH  NAME' per line) from the acquisition tool.",
    )

    def check(self) -> None:
        """Refuse values the CLI would refuse."""
        if self.device_type and self.device_type not in DEVICE_TYPES:
            raise InvalidInput(
                f"device_type must be one of {', '.join(DEVICE_TYPES)}",
                device_type=self.device_type,
            )
        if self.seized_at:
            parse_time(self.seized_at)
        if self.seizure_timezone:
            zone(self.seizure_timezone)

    def options(self, names: list[str], digest_header: str | None) -> IngestOptions:
        """The ingest options for files named ``names``."""
        return IngestOptions(
            examiner=self.examiner,
            tool=self.tool,
            tool_version=self.tool_version,
            device={
                "type": self.device_type or "",
                "make": self.make or "",
                "model": self.model or "",
                "colour": self.colour or "",
                "serial": self.serial or "",
                "imei": self.imei or "",
                "mac": self.mac or "",
                "cloud_id": self.cloud_id or "",
            },
            seized_at=self.seized_at,
            timezone=self.seizure_timezone,
            place=self.place,
            authority=self.authority,
            purpose=self.purpose,
            extra_hashes=tuple(a for a, on in (("md5", self.md5), ("sha1", self.sha1)) if on),
            expected_sha256={
                **parse_hash_list(self.hash_list or ""),
                **expected_hashes(self.expected_sha256, names, digest_header),
            },
        )


def parse_hash_list(text: str) -> dict[str, str]:
    """Read a ``sha256sum``-style list (``HASH  NAME`` per line), as acquisition tools write."""
    expected: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        digest, _, name = line.strip().partition(" ")
        name = name.strip().lstrip("*")
        if len(digest) != 64 or not name:
            raise InvalidInput(f"hash_list line {number}: expected 'SHA256  NAME'", line=number)
        expected[name] = _check_digest(digest)
    return expected


def _check_digest(value: str) -> str:
    digest = value.strip().lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise InvalidInput(f"not a SHA-256 hex digest: {value!r}", value=value)
    return digest


def expected_hashes(
    values: list[str], names: list[str], digest_header: str | None
) -> dict[str, str]:
    """``HASH`` (one file) or ``NAME=HASH`` values, plus a ``Repr-Digest`` header's SHA-256."""
    expected: dict[str, str] = {}
    for value in values:
        name, sep, digest = value.rpartition("=")
        if not sep or len(digest) != 64:
            name, digest = "", value
        if not name:
            if len(names) != 1:
                raise InvalidInput("with several files, give expected_sha256 as NAME=HASH")
            name = names[0]
        expected[name] = _check_digest(digest)
    if digest_header is not None:
        if len(names) != 1:
            raise InvalidInput("a Repr-Digest header applies to a single raw file")
        header_digest = _sha256_from_digest_header(digest_header)
        if header_digest is not None:
            if expected.get(names[0], header_digest) != header_digest:
                raise InvalidInput("the Repr-Digest header and expected_sha256 disagree")
            expected[names[0]] = header_digest
    return expected


def _sha256_from_digest_header(header: str) -> str | None:
    """The SHA-256 of an RFC 9530 ``Repr-Digest``/``Content-Digest`` header, as hex."""
    for member in header.split(","):
        algorithm, sep, value = member.strip().partition("=")
        if not sep or algorithm.strip().lower() != "sha-256":
            continue
        value = value.strip()
        if not (value.startswith(":") and value.endswith(":")):
            raise InvalidInput("malformed digest header: the value must be :base64:")
        try:
            raw = base64.b64decode(value[1:-1], validate=True)
        except binascii.Error:
            raise InvalidInput("malformed digest header: bad base64") from None
        if len(raw) != 32:
            raise InvalidInput("malformed digest header: a SHA-256 digest has 32 bytes")
        return raw.hex()
    return None


def _merge(query: Acquisition, fields: dict[str, list[str]]) -> Acquisition:
    """Query parameters overlaid with multipart text fields, validated together."""
    merged: dict[str, Any] = query.model_dump(exclude_unset=True)
    for name, values in fields.items():
        if name == "expected_sha256":
            merged["expected_sha256"] = [*merged.get("expected_sha256", []), *values]
        else:
            merged[name] = values[-1]
    try:
        return Acquisition.model_validate(merged)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_input=False)]
        raise RequestValidationError(errors) from None


_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "Either multipart/form-data with one or more file parts (any field name) and the "
            "acquisition fields as text parts, or the raw bytes of one file named by the "
            "`filename` query parameter or a Content-Disposition header. Streamed to disk: "
            "not bound by the API's request-size limit. A raw body may carry an RFC 9530 "
            "`Repr-Digest: sha-256=:...:` header, checked like expected_sha256."
        ),
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                        },
                    },
                    "additionalProperties": {"type": "string"},
                }
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    },
}


@router.post(
    "/cases/{case}/evidence",
    status_code=201,
    openapi_extra=_UPLOAD_BODY,
    dependencies=[Depends(allow_large_body)],
)
async def add_evidence(
    case: str,
    request: Request,
    ctx: CtxDep,
    actor: StandaloneActorDep,
    meta: Annotated[Acquisition, Query()],
) -> dict[str, Any]:
    """Upload evidence files into a case: streamed, hashed, encrypted, logged as acquired."""
    meta.check()

    def precheck() -> None:
        # Refuse before reading a possibly huge body; audited as a read of the case.
        with ctx.transaction() as session:
            found = get_case(session, actor, case, purpose="evidence upload")
            require_case_write(actor, found)

    await anyio.to_thread.run_sync(precheck)
    async with upload_folder(ctx.settings.home) as folder:
        upload = await receive_upload(request, folder, filename=meta.filename)
        final = _merge(meta, upload.fields) if upload.fields else meta
        final.check()
        names = [p.name for p in upload.files]
        is_raw = not request.headers.get("content-type", "").lower().startswith("multipart/")
        digest_header = request.headers.get("repr-digest") if is_raw else None
        if is_raw and digest_header is None and not request.headers.get("content-encoding"):
            digest_header = request.headers.get("content-digest")
        options = final.options(names, digest_header)
        username = actor.username
        items, warnings = await anyio.to_thread.run_sync(
            lambda: ingest(ctx, username, case, upload.files, options)
        )
    return {"items": items, "warnings": warnings}


@router.get("/cases/{case}/evidence")
def list_evidence(case: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """List the evidence items of a case."""
    return {"items": [item_summary(i) for i in list_items(session, actor, case)]}


@router.get("/evidence/{item:path}/custody")
def item_custody(item: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """An item and its custody events, oldest first."""
    return custody_log(session, actor, item)


@router.get("/evidence/{item:path}")
def show_item(item: str, session: SessionDep, actor: ActorDep) -> dict[str, Any]:
    """Show an item (by id or exhibit number)."""
    return item_summary(get_item(session, actor, item, purpose="show"))


@router.get("/custody/verify")
def custody_verify(
    session: SessionDep,
    actor: ActorDep,
    ctx: CtxDep,
    case: Annotated[
        str | None, Query(description="Case id or reference (default: every case you may see).")
    ] = None,
    skip_content: Annotated[
        bool, Query(description="Check the ledger only, not the stored bytes.")
    ] = False,
) -> dict[str, Any]:
    """Verify custody chains, signed heads and stored bytes.

    The report is returned with status 200 whether or not it found a problem: read ``ok`` and
    ``first_problem`` (the CLI exits 1 on the same report).
    """
    return verify_custody(ctx, actor, session, case, content=not skip_content)

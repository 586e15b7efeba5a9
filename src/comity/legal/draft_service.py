"""Draft a request as a file: check it, build the document, render it, write it atomically.

    result = draft_request(session, actor, kb, "REQ-2026-0001", Path("req.pdf"))
    result["sha256"], result["complete"]            # the written file's hash; True
    draft_request(..., Path("req.docx"), allow_incomplete=True)   # gaps marked MISSING

The format is the file's extension (``.pdf`` or ``.docx``). A request that lacks required
elements is refused with :class:`~comity.legal.errors.DraftIncomplete` (nothing written) unless
``allow_incomplete``; then every gap is shown in the document. The file is written to a
temporary file in the same folder and renamed into place, so a reader never sees a partial
file; the draft is audited (``legal.request.draft``) with the written file's SHA-256.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from comity.cases.models import Case
from comity.core.files import write_atomic
from comity.identity import audit
from comity.identity.services import Actor
from comity.legal.checklist import evaluate, summarize
from comity.legal.errors import DraftIncomplete, LegalInputError
from comity.legal.knowledge import KnowledgeBase
from comity.legal.models import LegalRequest
from comity.legal.requests import get_request

FORMATS = {".pdf": "pdf", ".docx": "docx"}
"""File extensions and the format each selects."""
FILE_MODE = 0o600
"""A draft holds case data: readable by its owner only."""


def output_format(out: Path) -> str:
    """``pdf`` or ``docx`` from ``out``'s extension; anything else is refused (exit 2)."""
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise LegalInputError(
            f"cannot write {out.name!r}: the file must end in .pdf or .docx",
            path=str(out),
            accepted=sorted(FORMATS),
        )
    return fmt


def check_destination(out: Path) -> None:
    """Refuse a folder, or a file whose folder does not exist (exit 2); nothing is created."""
    if out.is_dir():
        raise LegalInputError(f"{out} is a folder; name the file to write", path=str(out))
    if not out.parent.is_dir():
        raise LegalInputError(
            f"cannot write {out}: the folder {out.parent} does not exist", path=str(out)
        )


def render_request(
    session: Session,
    kb: KnowledgeBase,
    request: LegalRequest,
    fmt: str,
    *,
    allow_incomplete: bool,
    hint: str = "fill them in, or draft with --allow-incomplete to see them marked",
) -> tuple[bytes, dict[str, Any]]:
    """The request rendered as ``fmt`` (``pdf``/``docx``) and its checklist.

    Raises :class:`~comity.legal.errors.DraftIncomplete` (``data``: ``missing``, ``request``)
    when required elements are missing and not ``allow_incomplete``; ``hint`` ends its message.
    """
    from comity.legal.drafting import build_document
    from comity.legal.render import RENDERERS  # reportlab and python-docx: only when drafting

    outcomes = evaluate(kb, request)
    checklist = summarize(request, outcomes)
    if not checklist["complete"] and not allow_incomplete:
        names = ", ".join(m["element"] for m in checklist["missing"])
        raise DraftIncomplete(
            f"request {request.id} lacks {len(checklist['missing'])} required element(s): "
            f"{names}; {hint}",
            missing=checklist["missing"],
            request=request.id,
        )
    case = session.get(Case, request.case_id) if request.case_id is not None else None
    return RENDERERS[fmt](build_document(kb, request, case, outcomes)), checklist


def draft_request(
    session: Session,
    actor: Actor,
    kb: KnowledgeBase,
    request_id: str,
    out: Path,
    allow_incomplete: bool = False,
) -> dict[str, Any]:
    """Write the draft of a request to ``out`` (``.pdf`` or ``.docx``) and audit it.

    Returns ``{"request", "file", "format", "sha256", "bytes", "complete", "missing",
    "checked"}``. Raises :class:`~comity.legal.errors.DraftIncomplete` (``data``:
    ``missing``, ``request``) when required elements are missing and not ``allow_incomplete``;
    :class:`~comity.legal.errors.LegalInputError` for an extension other than ``.pdf`` or
    ``.docx``, or a folder that does not exist. Nothing is written on any error.
    """
    fmt = output_format(out)
    check_destination(out)
    request = get_request(session, actor, request_id, purpose="draft")
    data, checklist = render_request(session, kb, request, fmt, allow_incomplete=allow_incomplete)
    digest = hashlib.sha256(data).hexdigest()
    audit.record(
        session,
        actor.username,
        "legal.request.draft",
        "legal_request",
        request.id,
        case_id=request.case_id,
        details={
            "format": fmt,
            "file": out.name,
            "sha256": digest,
            "bytes": len(data),
            "complete": checklist["complete"],
            "missing": [m["element"] for m in checklist["missing"]],
        },
    )
    write_atomic(out, data, FILE_MODE)
    return {
        "request": request.id,
        "file": str(out),
        "format": fmt,
        "sha256": digest,
        "bytes": len(data),
        "complete": checklist["complete"],
        "missing": checklist["missing"],
        "checked": checklist["checked"],
    }

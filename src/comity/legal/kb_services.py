"""The node's knowledge base: the package's facts plus the versions a legal officer imported.

    kb = current_kb(session)                                  # package + imported versions
    version = import_file(session, actor, Path("statutes.json"), note="IT Act texts")
    revert(session, actor)                                    # undo the latest import
    versions(session)                                         # the history, newest first

An import is validated (schema, then the references of the whole resulting knowledge base)
before anything is written; it is recorded as a numbered version with the file's SHA-256, and
audited. A revert is a new version that names the one it undoes, so the history never shrinks.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comity.core.timeutil import isoformat
from comity.identity import audit
from comity.identity.services import Actor
from comity.legal.errors import KnowledgeBaseInvalid, LegalInputError, UnknownKnowledgeVersion
from comity.legal.knowledge import KnowledgeBase
from comity.legal.models import KnowledgeVersion
from comity.legal.schema import KINDS, Fact, entry_key, parse_file

KB_WRITE_ROLES = ("legal_officer", "administrator")
MAX_FILE_BYTES = 5 * 1024 * 1024
"""A knowledge-base file larger than this is refused unread (the package's largest is ~40 kB)."""


def _active_versions(session: Session) -> list[KnowledgeVersion]:
    rows = list(session.scalars(select(KnowledgeVersion).order_by(KnowledgeVersion.number)))
    reverted = {r.reverts for r in rows if r.action == "revert"}
    return [r for r in rows if r.action == "import" and r.number not in reverted]


def _layers(rows: list[KnowledgeVersion]) -> list[tuple[str, str, list[Fact]]]:
    layers = []
    for row in rows:
        kind, entries = parse_file(row.file_name or f"version {row.number}", row.document)
        layers.append((f"version {row.number}", kind, entries))
    return layers


def current_kb(session: Session) -> KnowledgeBase:
    """The knowledge base in force on this node: the package's, overlaid by active imports."""
    base = KnowledgeBase.from_package()
    rows = _active_versions(session)
    return base.overlaid(_layers(rows)) if rows else base


def read_document(path: Path) -> Any:
    """Read a knowledge-base file: bounded, UTF-8, JSON; errors name the file."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LegalInputError(f"cannot read {path}: {exc.strerror}", path=str(path)) from None
    if size > MAX_FILE_BYTES:
        raise KnowledgeBaseInvalid(
            f"{path.name}: {size} bytes, more than the {MAX_FILE_BYTES} a knowledge-base file "
            "may have",
            file=path.name,
            entry=None,
            field=None,
        )
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KnowledgeBaseInvalid(
            f"{path.name}: not UTF-8 JSON: {exc}", file=path.name, entry=None, field=None
        ) from None
    except OSError as exc:
        raise LegalInputError(f"cannot read {path}: {exc.strerror}", path=str(path)) from None


def _next_number(session: Session) -> int:
    return (session.scalar(select(func.max(KnowledgeVersion.number))) or 0) + 1


def import_document(
    session: Session, actor: Actor, name: str, document: Any, note: str = ""
) -> dict[str, Any]:
    """Validate ``document`` and record it as the next version (audited); return a summary.

    The whole knowledge base that would result is cross-checked first: a file naming a country
    or convention the knowledge base does not have is refused and nothing is written.
    """
    actor.require(*KB_WRITE_ROLES)
    kind, entries = parse_file(name, document)
    base = current_kb(session)
    base.overlaid([("new", kind, entries)])  # raises if the result does not hold together
    replaced = [
        entry_key(kind, e) for e in entries if entry_key(kind, e) in base.entries.get(kind, {})
    ]
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")
    row = KnowledgeVersion(
        number=_next_number(session),
        action="import",
        kind=kind,
        file_name=name,
        document=document,
        sha256=hashlib.sha256(canonical).hexdigest(),
        note=note.strip(),
        created_by=actor.username,
    )
    session.add(row)
    session.flush()
    added = [entry_key(kind, e) for e in entries if entry_key(kind, e) not in replaced]
    audit.record(
        session,
        actor.username,
        "legal.kb.import",
        "legal_kb_version",
        str(row.number),
        details={
            "file": name,
            "kind": kind,
            "sha256": row.sha256,
            "added": added,
            "replaced": replaced,
        },
    )
    return {**version_summary(row), "added": added, "replaced": replaced}


def import_file(session: Session, actor: Actor, path: Path, note: str = "") -> dict[str, Any]:
    """Import a knowledge-base file from disk (see :func:`import_document`)."""
    return import_document(session, actor, path.name, read_document(path), note)


def revert(
    session: Session, actor: Actor, number: int | None = None, note: str = ""
) -> dict[str, Any]:
    """Undo an imported version (default: the latest still active), recorded as a new version."""
    actor.require(*KB_WRITE_ROLES)
    active = _active_versions(session)
    if number is None:
        if not active:
            raise LegalInputError("no imported knowledge-base version to revert")
        target = active[-1]
    else:
        found = session.get(KnowledgeVersion, number)
        if found is None:
            raise UnknownKnowledgeVersion(f"no knowledge-base version {number}", version=number)
        if found not in active:
            raise LegalInputError(
                f"version {number} is not an active import (a revert, or already reverted)",
                version=number,
            )
        target = found
    remaining = [r for r in active if r.number != target.number]
    KnowledgeBase.from_package().overlaid(_layers(remaining))  # must still hold together
    row = KnowledgeVersion(
        number=_next_number(session),
        action="revert",
        kind=target.kind,
        file_name=target.file_name,
        reverts=target.number,
        note=note.strip(),
        created_by=actor.username,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor.username,
        "legal.kb.revert",
        "legal_kb_version",
        str(row.number),
        details={"reverts": target.number, "file": target.file_name, "kind": target.kind},
    )
    return version_summary(row)


def versions(session: Session) -> list[dict[str, Any]]:
    """Every knowledge-base version, newest first, each saying whether it is in force."""
    rows = list(session.scalars(select(KnowledgeVersion).order_by(KnowledgeVersion.number.desc())))
    active = {r.number for r in _active_versions(session)}
    return [{**version_summary(r), "active": r.number in active} for r in rows]


def version_summary(row: KnowledgeVersion) -> dict[str, Any]:
    """A JSON-ready description of a version."""
    entries = row.document.get("entries") if isinstance(row.document, dict) else None
    return {
        "version": row.number,
        "action": row.action,
        "kind": row.kind,
        "file": row.file_name,
        "entries": len(entries) if isinstance(entries, list) else 0,
        "sha256": row.sha256 or None,
        "reverts": row.reverts,
        "note": row.note,
        "by": row.created_by,
        "at": isoformat(row.created_at),
    }


def export_kind(kb: KnowledgeBase, kind: str) -> dict[str, Any]:
    """The entries of ``kind`` as they stand, as a knowledge-base document to edit and import."""
    if kind not in KINDS:
        raise LegalInputError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}", kind=kind)
    entries = [
        e.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=False)
        for e in kb.all(kind)
    ]
    return {"kind": kind, "entries": entries}
